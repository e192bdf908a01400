"""Shared fixtures for the security unit tests: a fixed agency key and event factory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from security import (
    FileSigner,
    PublicKeyInfo,
    RejectReason,
    RootCache,
    SignatureRejected,
    VerifiedSignature,
    generate_key_pair,
    sign_batch,
    sign_event,
    verify_event,
)

AGENCY = "000.00.15.H56"
OTHER_AGENCY = "000.00.20.H56"
T0 = datetime(2025, 3, 1, 1, 30, tzinfo=UTC)
EVENT_TIME = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)

Event = tuple[list[tuple[str, bytes]], bytes]


def make_event(
    ce_id: str = "4f6cbe3a-8f1e-4c63-9d3b-1a2b3c4d5e6f",
    *,
    source: str = AGENCY,
    time: bytes = b"2025-03-01T08:30:00Z",
    value: bytes = b"\x00\x00\x00\x00\x2ahello avro",
) -> Event:
    """A well-formed unsigned event (headers in record order, value in wire format)."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", ce_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", b"vn.gov.thanhhoa.dossier.submitted"),
        ("ce_subject", b"000.00.15.H56-250301-0001"),
        ("ce_time", time),
        ("content-type", b"application/avro"),
    ]
    return headers, value


@pytest.fixture(scope="session")
def key_pair() -> tuple[Ed25519PrivateKey, PublicKeyInfo]:
    return generate_key_pair(AGENCY, now=T0)


@pytest.fixture(scope="session")
def signer(key_pair: tuple[Ed25519PrivateKey, PublicKeyInfo]) -> FileSigner:
    private, info = key_pair
    return FileSigner(private, info.agency_id, info.key_id)


@pytest.fixture(scope="session")
def other_signer() -> tuple[FileSigner, PublicKeyInfo]:
    private, info = generate_key_pair(OTHER_AGENCY, now=T0)
    return FileSigner(private, info.agency_id, info.key_id), info


@pytest.fixture
def keys(
    key_pair: tuple[Ed25519PrivateKey, PublicKeyInfo],
    other_signer: tuple[FileSigner, PublicKeyInfo],
) -> dict[str, PublicKeyInfo]:
    return {key_pair[1].key_id: key_pair[1], other_signer[1].key_id: other_signer[1]}


Keys = dict[str, PublicKeyInfo]
"""A dict is a valid KeyLookup."""


def signed(signer: FileSigner, event: Event | None = None) -> Event:
    """The event with single-signature headers appended."""
    headers, value = event or make_event()
    return headers + list(sign_event(signer, headers, value)), value


def batch(signer: FileSigner, n: int) -> list[Event]:
    """n distinct events signed as one batch."""
    events = [make_event(f"id-{i}") for i in range(n)]
    return [(h + list(s), v) for (h, v), s in zip(events, sign_batch(signer, events), strict=True)]


def verify(
    event: Event,
    keys: Keys,
    root_cache: RootCache | None = None,
    *,
    source_agency: str = AGENCY,
    at: datetime = EVENT_TIME,
) -> VerifiedSignature:
    """verify_event with the test defaults."""
    return verify_event(
        event[0], event[1], keys, source_agency=source_agency, at=at, root_cache=root_cache
    )


def replace_header(event: Event, name: str, value: bytes | None) -> Event:
    """Drop header ``name`` and, unless value is None, append it with ``value``."""
    headers = [(n, v) for n, v in event[0] if n != name]
    if value is not None:
        headers.append((name, value))
    return headers, event[1]


def rejected(
    event: Event,
    keys: Keys,
    reason: RejectReason,
    root_cache: RootCache | None = None,
    *,
    at: datetime = EVENT_TIME,
) -> str:
    """Assert verification fails with ``reason``; return the detail."""
    with pytest.raises(SignatureRejected) as info:
        verify(event, keys, root_cache, at=at)
    assert info.value.reason is reason, info.value
    return info.value.detail
