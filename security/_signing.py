"""Producing signatures: the Signer contract, signature headers, single and batch signing.

A publisher appends the headers returned here to the event's own headers. Single events
carry an Ed25519 signature over their canonical digest; a batch carries one signature over
a Merkle root plus, per event, its leaf index, batch size and audit path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from security._b64 import b64url_encode
from security._canonical import Headers, canonical_digest, length_prefixed
from security._merkle import tree_with_paths
from security.errors import CanonicalFormError, RejectReason

__all__ = [
    "ALG_ED25519",
    "ALG_MERKLE",
    "EVENT_SIGNATURE_TAG",
    "ROOT_SIGNATURE_TAG",
    "SIGNATURE_HEADER",
    "SIGNATURE_HEADERS",
    "SIG_ALG_HEADER",
    "SIG_KEY_ID_HEADER",
    "SIG_LEAF_HEADER",
    "SIG_PATH_HEADER",
    "SIG_ROOT_HEADER",
    "SIG_SIZE_HEADER",
    "Signer",
    "event_signing_input",
    "root_signing_input",
    "sign_batch",
    "sign_event",
]

SIG_KEY_ID_HEADER = "ce_sigkeyid"
"""Key id of the signing key (ASCII)."""
SIGNATURE_HEADER = "ce_signature"
"""Ed25519 signature, base64url without padding (over the event, or over the batch root)."""
SIG_ALG_HEADER = "ce_sigalg"
"""``ed25519`` (single event) or ``ed25519-merkle-sha256`` (batch); absent means ed25519."""
SIG_ROOT_HEADER = "ce_sigroot"
"""Batch only: Merkle root, 64 lowercase hex characters."""
SIG_LEAF_HEADER = "ce_sigleaf"
"""Batch only: the event's leaf index in the batch, decimal."""
SIG_SIZE_HEADER = "ce_sigsize"
"""Batch only: number of events in the batch, decimal."""
SIG_PATH_HEADER = "ce_sigpath"
"""Batch only: audit path, the 32-byte hashes leaf-to-root concatenated, base64url."""
SIGNATURE_HEADERS: tuple[str, ...] = (
    SIG_KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SIG_ALG_HEADER,
    SIG_ROOT_HEADER,
    SIG_LEAF_HEADER,
    SIG_SIZE_HEADER,
    SIG_PATH_HEADER,
)
"""Every header the signing scheme adds; none of them is covered by the digest."""

ALG_ED25519 = "ed25519"
"""Algorithm name of a single-event signature."""
ALG_MERKLE = "ed25519-merkle-sha256"
"""Algorithm name of a batch signature over an RFC 6962-style SHA-256 Merkle root."""

EVENT_SIGNATURE_TAG = b"vn.gov.thanhhoa.hub/event-signature/v1"
"""Domain-separation tag prefixed (length-prefixed) to a digest before signing it."""
ROOT_SIGNATURE_TAG = b"vn.gov.thanhhoa.hub/merkle-root-signature/v1"
"""Domain-separation tag prefixed (length-prefixed) to a batch size and root before signing."""

_EVENT_PREFIX = length_prefixed(EVENT_SIGNATURE_TAG)
_ROOT_PREFIX = length_prefixed(ROOT_SIGNATURE_TAG)
_SIGNATURE_SET = frozenset(SIGNATURE_HEADERS)


@runtime_checkable
class Signer(Protocol):
    """Anything that signs with an agency's Ed25519 key: a key file today, an HSM tomorrow."""

    @property
    def key_id(self) -> str:
        """Key id registered for the public half of this key."""
        ...

    @property
    def agency_id(self) -> str:
        """Agency that owns the key (must equal the events' ``ce_source``)."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data``."""
        ...


def event_signing_input(digest: bytes) -> bytes:
    """Bytes an Ed25519 single-event signature covers: tag, then the 32-byte digest."""
    return _EVENT_PREFIX + digest


def root_signing_input(root: bytes, size: int) -> bytes:
    """Bytes a batch signature covers: tag, 8-byte big-endian batch size, then the root."""
    return _ROOT_PREFIX + size.to_bytes(8, "big") + root


def _refuse_signed(headers: Headers) -> None:
    for name, _ in headers:
        if name in _SIGNATURE_SET:
            raise CanonicalFormError(
                RejectReason.DUPLICATE_HEADER,
                f"event already carries signature header {name!r}",
                header=name,
            )


def sign_event(signer: Signer, headers: Headers, value: bytes) -> tuple[tuple[str, bytes], ...]:
    """Sign one event; return the signature headers to append to its headers."""
    _refuse_signed(headers)
    signature = signer.sign(event_signing_input(canonical_digest(headers, value)))
    return (
        (SIG_KEY_ID_HEADER, signer.key_id.encode("ascii")),
        (SIG_ALG_HEADER, ALG_ED25519.encode("ascii")),
        (SIGNATURE_HEADER, b64url_encode(signature)),
    )


def sign_batch(
    signer: Signer, messages: Sequence[tuple[Headers, bytes]]
) -> list[tuple[tuple[str, bytes], ...]]:
    """Sign a batch of (headers, value) with one signature over their Merkle root.

    Returns, per message and in the same order, the signature headers to append.
    An empty batch gives an empty list; a batch of one is a tree of one leaf.
    """
    if not messages:
        return []
    for headers, _ in messages:
        _refuse_signed(headers)
    digests = [canonical_digest(h, v) for h, v in messages]
    root, paths = tree_with_paths(digests)
    size = len(digests)
    common = (
        (SIG_KEY_ID_HEADER, signer.key_id.encode("ascii")),
        (SIG_ALG_HEADER, ALG_MERKLE.encode("ascii")),
        (SIGNATURE_HEADER, b64url_encode(signer.sign(root_signing_input(root, size)))),
        (SIG_ROOT_HEADER, root.hex().encode("ascii")),
        (SIG_SIZE_HEADER, str(size).encode("ascii")),
    )
    return [
        (
            *common,
            (SIG_LEAF_HEADER, str(index).encode("ascii")),
            (SIG_PATH_HEADER, b64url_encode(b"".join(path))),
        )
        for index, path in enumerate(paths)
    ]
