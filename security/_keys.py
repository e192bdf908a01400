"""Agency key pairs: public key records, key ids, private key files, rotation and revocation.

Public keys live in the registry as PublicKeyInfo records; private keys stay with the
agency in a passphrase-encrypted PKCS#8 file and are never logged or sent to the hub.
Rotation and revocation are pure functions over the list of an agency's key records.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from security.errors import KeyFileError, KeyManagementError

__all__ = [
    "FileSigner",
    "KeyStatus",
    "PublicKeyInfo",
    "decode_public_key",
    "encode_public_key",
    "generate_key_pair",
    "key_id_for",
    "load_signer",
    "revoke",
    "rotate",
    "write_private_key",
]

_RAW = serialization.Encoding.Raw
_RAW_PUB = serialization.PublicFormat.Raw


class KeyStatus(StrEnum):
    """Life-cycle state of an agency key in the registry."""

    ACTIVE = "active"
    RETIRING = "retiring"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """A registered public key: who owns it, when it may sign, and whether it is revoked.

    ``valid_until`` is exclusive; ``revoked_at`` is set when ``status`` is revoked.
    """

    key_id: str
    agency_id: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime | None = None
    status: KeyStatus = KeyStatus.ACTIVE
    revoked_at: datetime | None = None

    @property
    def public_key_b64(self) -> str:
        """The public key as the registry stores it (standard base64 of the raw 32 bytes)."""
        return encode_public_key(self.public_key)


def encode_public_key(raw: bytes) -> str:
    """Encode a raw 32-byte Ed25519 public key as standard base64 for the registry."""
    if len(raw) != 32:
        raise KeyManagementError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> bytes:
    """Decode a registry public key (standard base64, exactly 32 bytes), strictly."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise KeyManagementError(f"public key is not valid base64: {exc}") from exc
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != text:
        raise KeyManagementError("public key must be the canonical base64 of 32 raw bytes")
    return raw


def key_id_for(agency_id: str, public_key: bytes) -> str:
    """Default key id: ``<agency id>:<first 16 hex chars of SHA-256(raw public key)>``."""
    if not agency_id or not agency_id.isascii() or not agency_id.isprintable():
        raise KeyManagementError(f"agency id {agency_id!r} must be non-empty printable ASCII")
    return f"{agency_id}:{hashlib.sha256(public_key).hexdigest()[:16]}"


def _check_aware(name: str, when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise KeyManagementError(f"{name} must be a timezone-aware datetime")


def generate_key_pair(
    agency_id: str, key_id: str | None = None, *, now: datetime | None = None
) -> tuple[Ed25519PrivateKey, PublicKeyInfo]:
    """Make a fresh Ed25519 key pair for an agency: the private key and its active record.

    ``key_id`` overrides the fingerprint id (e.g. an HSM label); it must be printable ASCII.
    ``now`` (default: current UTC time) becomes the record's valid_from.
    """
    now = datetime.now(UTC) if now is None else now
    _check_aware("now", now)
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(_RAW, _RAW_PUB)
    default_id = key_id_for(agency_id, raw)
    if key_id is not None and (not key_id or not key_id.isascii() or not key_id.isprintable()):
        raise KeyManagementError(f"key id {key_id!r} must be non-empty printable ASCII")
    info = PublicKeyInfo(
        key_id=key_id or default_id, agency_id=agency_id, public_key=raw, valid_from=now
    )
    return private, info


class FileSigner:
    """A Signer backed by an in-memory Ed25519 private key (loaded from a key file).

    repr and str show the key id only, never key material.
    """

    __slots__ = ("_private", "agency_id", "key_id")

    def __init__(self, private_key: Ed25519PrivateKey, agency_id: str, key_id: str) -> None:
        self._private = private_key
        self.agency_id = agency_id
        self.key_id = key_id

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` with Ed25519 and return the 64-byte signature."""
        return self._private.sign(data)

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte public key matching this signer."""
        return self._private.public_key().public_bytes(_RAW, _RAW_PUB)

    def __repr__(self) -> str:
        return f"FileSigner(agency_id={self.agency_id!r}, key_id={self.key_id!r})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("FileSigner holds a private key and cannot be pickled")


def write_private_key(path: Path, private_key: Ed25519PrivateKey, passphrase: bytes) -> None:
    """Write a private key as passphrase-encrypted PKCS#8 PEM, file mode 0600.

    The file is created with that mode (never chmod-ed afterwards) and must not exist yet;
    symbolic links are not followed.
    """
    if not passphrase:
        raise KeyFileError("a non-empty passphrase is required to write a private key")
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_signer(
    path: Path,
    passphrase: bytes,
    agency_id: str,
    key_id: str | None = None,
    *,
    allow_open_permissions: bool = False,
) -> FileSigner:
    """Load an encrypted PKCS#8 key file into a FileSigner for ``agency_id``.

    Refuses a file readable by group or others unless ``allow_open_permissions`` (for
    secret mounts that cannot be 0600). The key id defaults to key_id_for().
    """
    try:
        mode = path.stat().st_mode
        if mode & 0o077 and not allow_open_permissions:
            raise KeyFileError(f"{path} has mode {mode & 0o777:o}; expected 600 (owner only)")
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except (ValueError, TypeError) as exc:
        # The message never contains key material; keep it generic on purpose.
        raise KeyFileError(f"{path}: wrong passphrase or not an encrypted PKCS#8 key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} does not hold an Ed25519 private key")
    raw = key.public_key().public_bytes(_RAW, _RAW_PUB)
    return FileSigner(key, agency_id, key_id or key_id_for(agency_id, raw))


def rotate(
    keys: Sequence[PublicKeyInfo],
    new_key: PublicKeyInfo,
    *,
    now: datetime,
    overlap: timedelta,
) -> list[PublicKeyInfo]:
    """Make ``new_key`` its agency's active key; that agency's active keys start retiring.

    Retiring keys stay valid until ``now + overlap`` (or their earlier valid_until) so
    events in flight still verify. Keys of other agencies are returned unchanged.
    """
    _check_aware("now", now)
    if overlap < timedelta(0):
        raise KeyManagementError("rotation overlap must not be negative")
    if any(k.key_id == new_key.key_id for k in keys):
        raise KeyManagementError(f"key id {new_key.key_id!r} is already registered")
    retire_at = now + overlap
    result = []
    for key in keys:
        if key.agency_id == new_key.agency_id and key.status is KeyStatus.ACTIVE:
            until = retire_at if key.valid_until is None else min(key.valid_until, retire_at)
            key = dataclasses.replace(key, status=KeyStatus.RETIRING, valid_until=until)
        result.append(key)
    result.append(dataclasses.replace(new_key, status=KeyStatus.ACTIVE, revoked_at=None))
    return result


def revoke(
    keys: Sequence[PublicKeyInfo],
    key_id: str,
    *,
    now: datetime,
    effective: datetime | None = None,
) -> list[PublicKeyInfo]:
    """Revoke a key: events whose time is at or after the revocation time are rejected.

    ``effective`` back-dates the revocation (e.g. to the suspected compromise time);
    revoking twice keeps the earlier time.
    """
    _check_aware("now", now)
    when = now if effective is None else effective
    _check_aware("effective", when)
    if not any(k.key_id == key_id for k in keys):
        raise KeyManagementError(f"cannot revoke unknown key id {key_id!r}")
    result = []
    for key in keys:
        if key.key_id == key_id:
            if key.revoked_at is not None:
                when = min(when, key.revoked_at)
            key = dataclasses.replace(key, status=KeyStatus.REVOKED, revoked_at=when)
        result.append(key)
    return result
