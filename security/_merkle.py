"""Merkle tree over event digests, RFC 6962 / RFC 9162 shape (SHA-256).

Leaves are hashed as SHA-256(0x00 || digest), inner nodes as SHA-256(0x01 || left || right),
so a leaf can never pass for a node. Trees of any size (not only powers of two) split at the
largest power of two below the size, exactly as Certificate Transparency does, so any CT
inclusion-proof verifier checks our proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

__all__ = [
    "HASH_SIZE",
    "inclusion_root",
    "leaf_hash",
    "node_hash",
    "tree_with_paths",
]

HASH_SIZE = 32
"""Size in bytes of every leaf, node and path entry."""

_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(digest: bytes) -> bytes:
    """Hash of a leaf: SHA-256(0x00 || event digest)."""
    return sha256(_LEAF + digest).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an inner node: SHA-256(0x01 || left || right)."""
    return sha256(_NODE + left + right).digest()


def _split(size: int) -> int:
    """Largest power of two strictly below ``size`` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def tree_with_paths(digests: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """Return the root over ``digests`` and each leaf's audit path (leaf to root order).

    One pass, O(n log n) hashing in total; the batch must not be empty.
    """
    if not digests:
        raise ValueError("a Merkle tree needs at least one leaf")
    leaves = [leaf_hash(d) for d in digests]
    paths: list[list[bytes]] = [[] for _ in leaves]

    def build(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        mid = lo + _split(hi - lo)
        left = build(lo, mid)
        right = build(mid, hi)
        for i in range(lo, mid):
            paths[i].append(right)
        for i in range(mid, hi):
            paths[i].append(left)
        return node_hash(left, right)

    return build(0, len(leaves)), paths


def inclusion_root(digest: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """Recompute the root from a leaf's digest and audit path (RFC 9162, 2.1.3.2).

    Returns None when index, size and path length are inconsistent; the caller compares
    the result with the signed root.
    """
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf_hash(digest)
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = sha256(_NODE + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(_NODE + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r
