"""Merkle tree: agrees with a literal RFC 6962 reference, proofs verify, tampering fails."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security import inclusion_root, leaf_hash, node_hash, tree_with_paths


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 MTH, written literally."""
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = _k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 6962 section 2.1.1 PATH, written literally."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def digests(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def test_known_answer_leaf_and_node() -> None:
    # SHA-256(0x00): the RFC 6962 hash of an empty leaf, as in Certificate Transparency.
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", [*range(1, 18), 31, 32, 33, 100, 129])
def test_matches_rfc6962_reference(size: int) -> None:
    d = digests(size)
    root, paths = tree_with_paths(d)
    assert root == mth(d)
    for m in range(size):
        assert paths[m] == path(m, d)
        assert inclusion_root(d[m], m, size, paths[m]) == root


def test_single_leaf_tree() -> None:
    (d,) = digests(1)
    root, paths = tree_with_paths([d])
    assert root == leaf_hash(d)
    assert paths == [[]]
    assert inclusion_root(d, 0, 1, []) == root


def test_empty_batch_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        tree_with_paths([])


@given(size=st.integers(min_value=1, max_value=70), data=st.data())
def test_wrong_index_size_or_path_do_not_reproduce_root(size: int, data: st.DataObject) -> None:
    d = digests(size)
    root, paths = tree_with_paths(d)
    m = data.draw(st.integers(min_value=0, max_value=size - 1))
    other = data.draw(st.integers(min_value=0, max_value=size + 3).filter(lambda x: x != m))
    assert inclusion_root(d[m], other, size, paths[m]) != root
    # A different size may share this path's shape; the root signature binds the size.
    assert inclusion_root(hashlib.sha256(b"forged").digest(), m, size, paths[m]) != root
    if paths[m]:
        tampered = [*paths[m][:-1], bytes(32)]
        assert inclusion_root(d[m], m, size, tampered) != root
        assert inclusion_root(d[m], m, size, paths[m][:-1]) != root
    assert inclusion_root(d[m], m, size, [*paths[m], bytes(32)]) != root


def test_inner_node_cannot_pass_as_leaf() -> None:
    """Leaf/node prefixes stop an inner node being presented as a leaf (second preimage)."""
    d = digests(4)
    root, _ = tree_with_paths(d)
    left = node_hash(leaf_hash(d[0]), leaf_hash(d[1]))
    right = node_hash(leaf_hash(d[2]), leaf_hash(d[3]))
    assert inclusion_root(left, 0, 2, [right]) != root


@pytest.mark.parametrize(("index", "size"), [(-1, 3), (3, 3), (0, 0)])
def test_index_out_of_range(index: int, size: int) -> None:
    assert inclusion_root(bytes(32), index, size, []) is None
