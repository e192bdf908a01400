"""Verifying a signed event against the registry's public keys: a pure function.

verify_event checks, in order: canonical form, signature headers, the key (known, owned by
the source agency, not revoked at the event time, valid at the event time), then the
Merkle proof and/or Ed25519 signature. Batch roots already verified are remembered in a
RootCache so that the other events of a batch cost only their hash path.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from security._b64 import b64url_decode
from security._canonical import Headers, canonical_digest
from security._keys import KeyStatus, PublicKeyInfo
from security._merkle import HASH_SIZE, inclusion_root
from security._signing import (
    ALG_ED25519,
    ALG_MERKLE,
    SIG_ALG_HEADER,
    SIG_KEY_ID_HEADER,
    SIG_LEAF_HEADER,
    SIG_PATH_HEADER,
    SIG_ROOT_HEADER,
    SIG_SIZE_HEADER,
    SIGNATURE_HEADER,
    SIGNATURE_HEADERS,
    event_signing_input,
    root_signing_input,
)
from security.errors import CanonicalFormError, RejectReason, SignatureRejected

__all__ = ["KeyLookup", "RootCache", "RootEntry", "VerifiedSignature", "verify_event"]

_SIG_SET = frozenset(SIGNATURE_HEADERS)
_BATCH_ONLY = (SIG_ROOT_HEADER, SIG_LEAF_HEADER, SIG_SIZE_HEADER, SIG_PATH_HEADER)
_DECIMAL = re.compile(rb"0|[1-9][0-9]{0,9}")
_ROOT_HEX = re.compile(rb"[0-9a-f]{64}")
_MAX_BATCH = 1 << 32
_MAX_PATH = 32 * HASH_SIZE  # enough for 2^32 leaves


class KeyLookup(Protocol):
    """Finds a registered public key by key id; a plain ``dict[str, PublicKeyInfo]`` fits."""

    def get(self, key_id: str, /) -> PublicKeyInfo | None:
        """Return the key record, or None when no such key id is registered."""
        ...


RootEntry = tuple[bytes, bytes, bytes, bytes]
"""Raw headers (key id, batch size, root, signature) of a batch whose signature verified."""


class RootCache:
    """Bounded LRU of batch roots whose signature already verified, keyed by RootEntry.

    Keyed by the raw header bytes, so a hit also skips parsing the root and size, and an
    event accepted from the cache carries the very signature that verified (it re-verifies
    downstream without the cache). Key status is still checked on every event, so a
    revocation takes effect despite a hit.
    Not thread-safe: meant for one asyncio loop (one Faust worker's verify agent).
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("RootCache needs room for at least one root")
        self._max = max_entries
        self._entries: OrderedDict[RootEntry, tuple[int, bytes]] = OrderedDict()

    def get(self, entry: RootEntry) -> tuple[int, bytes] | None:
        """(batch size, root) if this batch signature was verified, else None; marks recent."""
        found = self._entries.get(entry)
        if found is not None:
            self._entries.move_to_end(entry)
        return found

    def add(self, entry: RootEntry, size: int, root: bytes) -> None:
        """Remember a verified root, evicting the least recently used beyond the bound."""
        self._entries[entry] = (size, root)
        self._entries.move_to_end(entry)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True, slots=True)
class VerifiedSignature:
    """What a successful verification established: which key signed which digest, and how."""

    key_id: str
    agency_id: str
    algorithm: str
    digest: bytes
    batch_root: bytes | None = None
    batch_size: int | None = None
    leaf_index: int | None = None
    root_from_cache: bool = False


@functools.lru_cache(maxsize=4096)
def _public_key(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def _reject(reason: RejectReason, detail: str) -> SignatureRejected:
    return SignatureRejected(reason, detail)


def _signature_headers(headers: Headers) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for name, raw in headers:
        if name in _SIG_SET:
            if name in found:
                raise _reject(
                    RejectReason.DUPLICATE_HEADER,
                    f"signature header {name!r} appears more than once",
                )
            if raw is None:
                raise _reject(RejectReason.MALFORMED_SIGNATURE, f"header {name!r} is null")
            found[name] = raw
    for name in (SIG_KEY_ID_HEADER, SIGNATURE_HEADER):
        if name not in found:
            raise _reject(RejectReason.MISSING_SIGNATURE, f"header {name!r} is missing")
    return found


def _check_key(key: PublicKeyInfo | None, key_id: str, agency: str, at: datetime) -> PublicKeyInfo:
    if key is None:
        raise _reject(RejectReason.UNKNOWN_KEY, f"key id {key_id!r} is not registered")
    if key.agency_id != agency:
        raise _reject(
            RejectReason.KEY_AGENCY_MISMATCH,
            f"key {key_id!r} belongs to agency {key.agency_id!r}, event source is {agency!r}",
        )
    if key.status is KeyStatus.REVOKED and (key.revoked_at is None or at >= key.revoked_at):
        since = "" if key.revoked_at is None else f" since {key.revoked_at.isoformat()}"
        raise _reject(RejectReason.KEY_REVOKED, f"key {key_id!r} is revoked{since}")
    if at < key.valid_from or (key.valid_until is not None and at >= key.valid_until):
        until = "open" if key.valid_until is None else key.valid_until.isoformat()
        raise _reject(
            RejectReason.KEY_NOT_VALID_AT_TIME,
            f"event time {at.isoformat()} is outside key {key_id!r} validity "
            f"[{key.valid_from.isoformat()}, {until})",
        )
    return key


def _check_ed25519(key: PublicKeyInfo, signature_b64: bytes, message: bytes) -> None:
    signature = b64url_decode(signature_b64)
    if signature is None or len(signature) != 64:
        raise _reject(
            RejectReason.MALFORMED_SIGNATURE,
            f"{SIGNATURE_HEADER!r} is not 64 bytes of unpadded base64url",
        )
    try:
        public = _public_key(key.public_key)
    except ValueError as exc:
        raise _reject(
            RejectReason.UNKNOWN_KEY, f"registered public key of {key.key_id!r} is invalid"
        ) from exc
    try:
        public.verify(signature, message)
    except InvalidSignature:
        raise _reject(
            RejectReason.BAD_SIGNATURE, f"signature does not verify with key {key.key_id!r}"
        ) from None


def _decimal(sig: dict[str, bytes], name: str) -> int:
    raw = sig[name]
    if not _DECIMAL.fullmatch(raw):
        raise _reject(RejectReason.MALFORMED_SIGNATURE, f"{name!r} is not a decimal number")
    return int(raw)


def _batch_root(sig: dict[str, bytes]) -> tuple[int, bytes]:
    if not _ROOT_HEX.fullmatch(sig[SIG_ROOT_HEADER]):
        raise _reject(
            RejectReason.MALFORMED_SIGNATURE, f"{SIG_ROOT_HEADER!r} is not 64 lowercase hex"
        )
    size = _decimal(sig, SIG_SIZE_HEADER)
    if not 1 <= size <= _MAX_BATCH:
        raise _reject(RejectReason.MALFORMED_SIGNATURE, f"batch size {size} is out of range")
    return size, bytes.fromhex(sig[SIG_ROOT_HEADER].decode("ascii"))


def _batch_path(sig: dict[str, bytes]) -> list[bytes]:
    packed = b64url_decode(sig[SIG_PATH_HEADER])
    if packed is None or len(packed) % HASH_SIZE or len(packed) > _MAX_PATH:
        raise _reject(
            RejectReason.MALFORMED_SIGNATURE,
            f"{SIG_PATH_HEADER!r} is not unpadded base64url of 32-byte hashes",
        )
    return [packed[i : i + HASH_SIZE] for i in range(0, len(packed), HASH_SIZE)]


def _verify_batch(
    sig: dict[str, bytes],
    digest: bytes,
    key: PublicKeyInfo,
    root_cache: RootCache | None,
) -> VerifiedSignature:
    entry = (
        sig[SIG_KEY_ID_HEADER],
        sig[SIG_SIZE_HEADER],
        sig[SIG_ROOT_HEADER],
        sig[SIGNATURE_HEADER],
    )
    known = None if root_cache is None else root_cache.get(entry)
    size, root = _batch_root(sig) if known is None else known
    index = _decimal(sig, SIG_LEAF_HEADER)
    if index >= size:
        raise _reject(
            RejectReason.MALFORMED_SIGNATURE, f"leaf index {index} is not below batch size {size}"
        )
    if inclusion_root(digest, index, size, _batch_path(sig)) != root:
        raise _reject(
            RejectReason.BAD_MERKLE_PROOF,
            f"hash path of leaf {index}/{size} does not lead to root {root.hex()[:16]}…",
        )
    if known is None:
        _check_ed25519(key, sig[SIGNATURE_HEADER], root_signing_input(root, size))
        if root_cache is not None:
            root_cache.add(entry, size, root)
    return VerifiedSignature(
        key.key_id, key.agency_id, ALG_MERKLE, digest, root, size, index, known is not None
    )


def verify_event(
    headers: Headers,
    value: bytes | None,
    keys: KeyLookup,
    *,
    source_agency: str,
    at: datetime,
    root_cache: RootCache | None = None,
) -> VerifiedSignature:
    """Verify an event's single or batch signature; raise SignatureRejected with a reason.

    ``source_agency`` must come from this message's own ``ce_source`` header and ``at``
    from its ``ce_time`` (see parse_event_time); ``at`` must be timezone-aware.
    A null value (Kafka tombstone) is rejected as value_too_short.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("verify_event needs a timezone-aware 'at'")
    if value is None:
        raise _reject(RejectReason.VALUE_TOO_SHORT, "value is null (tombstone)")
    try:
        digest = canonical_digest(headers, value)
    except CanonicalFormError as exc:
        raise SignatureRejected(exc.reason, exc.detail) from exc
    sig = _signature_headers(headers)
    alg = sig.get(SIG_ALG_HEADER, b"ed25519")
    try:
        key_id = sig[SIG_KEY_ID_HEADER].decode("ascii")
    except UnicodeDecodeError:
        raise _reject(
            RejectReason.MALFORMED_SIGNATURE, f"{SIG_KEY_ID_HEADER!r} is not ASCII"
        ) from None
    if alg == b"ed25519":
        if any(name in sig for name in _BATCH_ONLY):
            raise _reject(
                RejectReason.MALFORMED_SIGNATURE, f"batch headers present with {ALG_ED25519!r}"
            )
        key = _check_key(keys.get(key_id), key_id, source_agency, at)
        _check_ed25519(key, sig[SIGNATURE_HEADER], event_signing_input(digest))
        return VerifiedSignature(key_id, key.agency_id, ALG_ED25519, digest)
    if alg != b"ed25519-merkle-sha256":
        raise _reject(RejectReason.UNSUPPORTED_ALGORITHM, f"{SIG_ALG_HEADER!r} is {alg[:40]!r}")
    for name in _BATCH_ONLY:
        if name not in sig:
            raise _reject(RejectReason.MISSING_SIGNATURE, f"batch header {name!r} is missing")
    key = _check_key(keys.get(key_id), key_id, source_agency, at)
    return _verify_batch(sig, digest, key, root_cache)
