"""Signing: single and batch round trips, the root cache, and the Signer contract."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from security import (
    ALG_ED25519,
    ALG_MERKLE,
    CanonicalFormError,
    FileSigner,
    KeyStatus,
    RejectReason,
    RootCache,
    SignatureRejected,
    sign_batch,
    sign_event,
    verify_event,
)

from .conftest import (
    AGENCY,
    EVENT_TIME,
    Keys,
    batch,
    make_event,
    rejected,
    replace_header,
    signed,
    verify,
)


def test_single_round_trip(signer: FileSigner, keys: Keys) -> None:
    event = signed(signer)
    result = verify(event, keys)
    assert result == verify_event(event[0], event[1], keys, source_agency=AGENCY, at=EVENT_TIME)
    assert result.algorithm == ALG_ED25519
    assert result.key_id == signer.key_id


def test_single_without_alg_header_is_ed25519(signer: FileSigner, keys: Keys) -> None:
    verify(replace_header(signed(signer), "ce_sigalg", None), keys)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 100])
def test_batch_round_trip_every_leaf(signer: FileSigner, keys: Keys, size: int) -> None:
    cache = RootCache()
    events = batch(signer, size)
    results = [verify(e, keys, cache) for e in events]
    assert [r.leaf_index for r in results] == list(range(size))
    assert [r.root_from_cache for r in results] == [False] + [True] * (size - 1)
    assert all(r.algorithm == ALG_MERKLE for r in results)
    assert len(cache) == 1
    # Without a cache every event verifies on its own too.
    assert all(verify(e, keys) for e in events)


def test_empty_batch(signer: FileSigner) -> None:
    assert sign_batch(signer, []) == []


def test_signing_twice_is_refused(signer: FileSigner) -> None:
    headers, value = signed(signer)
    with pytest.raises(CanonicalFormError, match="already carries"):
        sign_event(signer, headers, value)
    with pytest.raises(CanonicalFormError, match="already carries"):
        sign_batch(signer, [(headers, value)])


def test_tampered_batch_event(signer: FileSigner, keys: Keys) -> None:
    headers, value = batch(signer, 5)[2]
    rejected((headers, value + b"x"), keys, RejectReason.BAD_MERKLE_PROOF, RootCache())


def test_batch_event_moved_to_other_leaf(signer: FileSigner, keys: Keys) -> None:
    event = replace_header(batch(signer, 5)[2], "ce_sigleaf", b"3")
    rejected(event, keys, RejectReason.BAD_MERKLE_PROOF)


def test_batch_size_is_bound_by_signature(signer: FileSigner, keys: Keys) -> None:
    # Leaf 0 of 3 has the same path shape as leaf 0 of 4: only the signature catches it.
    event = replace_header(batch(signer, 3)[0], "ce_sigsize", b"4")
    rejected(event, keys, RejectReason.BAD_SIGNATURE)


def test_forged_root_signature_never_enters_cache(signer: FileSigner, keys: Keys) -> None:
    cache = RootCache()
    good = batch(signer, 4)
    signature = dict(good[0][0])["ce_signature"]
    flipped = (b"B" if signature[:1] == b"A" else b"A") + signature[1:]  # a byte of R changes
    forged = replace_header(good[0], "ce_signature", flipped)
    rejected(forged, keys, RejectReason.BAD_SIGNATURE, cache)
    assert len(cache) == 0


def test_cache_hit_requires_the_same_signature(signer: FileSigner, keys: Keys) -> None:
    """A verified root does not launder a different signature header onto its events."""
    cache = RootCache()
    events = batch(signer, 4)
    verify(events[0], keys, cache)
    swapped = replace_header(events[1], "ce_signature", b"A" * 86)
    rejected(swapped, keys, RejectReason.BAD_SIGNATURE, cache)


def test_revocation_applies_despite_cache(signer: FileSigner, keys: Keys) -> None:
    cache = RootCache()
    events = batch(signer, 4)
    verify(events[0], keys, cache)
    key = keys[signer.key_id]
    keys[signer.key_id] = dataclasses.replace(
        key, status=KeyStatus.REVOKED, revoked_at=EVENT_TIME - timedelta(seconds=1)
    )
    rejected(events[1], keys, RejectReason.KEY_REVOKED, cache)


def test_root_cache_is_bounded_lru(signer: FileSigner, keys: Keys) -> None:
    cache = RootCache(max_entries=2)
    a, b, c = batch(signer, 2), batch(signer, 3), batch(signer, 4)
    verify(a[0], keys, cache)
    verify(b[0], keys, cache)
    assert verify(a[1], keys, cache).root_from_cache  # a is recent
    verify(c[0], keys, cache)  # evicts b
    assert len(cache) == 2
    assert not verify(b[1], keys, cache).root_from_cache
    with pytest.raises(ValueError, match="at least one"):
        RootCache(0)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_any_batch_verifies_and_tampering_fails(
    signer: FileSigner, keys: Keys, size: int, data: st.DataObject
) -> None:
    events = batch(signer, size)
    m = data.draw(st.integers(min_value=0, max_value=size - 1))
    headers, value = events[m]
    verify((headers, value), keys)
    flip = data.draw(st.integers(min_value=0, max_value=len(value) - 1))
    tampered = value[:flip] + bytes([value[flip] ^ 1]) + value[flip + 1 :]
    with pytest.raises(SignatureRejected) as info:
        verify((headers, tampered), keys)
    assert info.value.reason is RejectReason.BAD_MERKLE_PROOF


def test_signer_protocol_accepts_other_implementations(keys: Keys, signer: FileSigner) -> None:
    """An HSM-style signer only needs key_id, agency_id and sign()."""

    class Hsm:
        key_id = signer.key_id
        agency_id = AGENCY

        def __init__(self, sign: Callable[[bytes], bytes]) -> None:
            self._sign = sign

        def sign(self, data: bytes) -> bytes:
            return self._sign(data)

    hsm = Hsm(signer.sign)
    headers, value = make_event()
    verify((headers + list(sign_event(hsm, headers, value)), value), keys)
