"""Canonical form: field order, raw bytes, length prefixes, and typed errors."""

from __future__ import annotations

import hashlib
import random
import struct
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from security import (
    SIGNED_HEADERS,
    CanonicalFormError,
    RejectReason,
    canonical_bytes,
    canonical_digest,
    parse_event_time,
    schema_id_of,
)

from .conftest import make_event


def reference_canonical(values: list[bytes], value: bytes) -> bytes:
    """Independent re-implementation from docs/signing.md section 1."""

    def lp(x: bytes) -> bytes:
        return struct.pack(">I", len(x)) + x

    out = lp(b"vn.gov.thanhhoa.hub/event-digest/v1")
    for v in values:
        out += lp(v)
    return out + value[1:5] + lp(value)


def test_matches_reference_encoding() -> None:
    headers, value = make_event()
    values = [dict(headers)[name] for name in SIGNED_HEADERS]
    assert canonical_bytes(headers, value) == reference_canonical(values, value)
    assert (
        canonical_digest(headers, value)
        == hashlib.sha256(reference_canonical(values, value)).digest()
    )


@pytest.mark.parametrize("missing", SIGNED_HEADERS)
def test_missing_signed_header_is_named(missing: str) -> None:
    headers, value = make_event()
    headers = [(n, v) for n, v in headers if n != missing]
    with pytest.raises(CanonicalFormError) as info:
        canonical_digest(headers, value)
    assert info.value.reason is RejectReason.MISSING_HEADER
    assert info.value.header == missing
    assert repr(missing) in str(info.value)


@pytest.mark.parametrize("duplicated", SIGNED_HEADERS)
def test_duplicate_signed_header_is_rejected(duplicated: str) -> None:
    headers, value = make_event()
    headers.append((duplicated, dict(headers)[duplicated]))
    with pytest.raises(CanonicalFormError) as info:
        canonical_digest(headers, value)
    assert info.value.reason is RejectReason.DUPLICATE_HEADER
    assert info.value.header == duplicated


def test_header_names_are_case_sensitive() -> None:
    headers, value = make_event()
    headers = [("CE_ID" if n == "ce_id" else n, v) for n, v in headers]
    with pytest.raises(CanonicalFormError, match="'ce_id' is missing"):
        canonical_digest(headers, value)


@pytest.mark.parametrize("length", [0, 1, 4])
def test_short_value_has_no_schema_id(length: int) -> None:
    headers, _ = make_event()
    with pytest.raises(CanonicalFormError) as info:
        canonical_digest(headers, b"\x00" * length)
    assert info.value.reason is RejectReason.VALUE_TOO_SHORT
    assert info.value.header is None


@pytest.mark.parametrize(
    ("value", "schema_id"),
    [
        (b"\x00\x00\x00\x00\x00", 0),
        (b"\x00\x00\x00\x01\x00xyz", 256),
        (b"\x00\xff\xff\xff\xff", 2**32 - 1),
    ],
)
def test_schema_id_is_big_endian_bytes_1_to_4(value: bytes, schema_id: int) -> None:
    assert schema_id_of(value) == schema_id


@given(seed=st.integers(min_value=0, max_value=2**32), extra=st.lists(st.binary(), max_size=3))
def test_order_and_unsigned_headers_do_not_matter(seed: int, extra: list[bytes]) -> None:
    headers, value = make_event()
    shuffled = headers + [(f"x-extra-{i}", v) for i, v in enumerate(extra)]
    random.Random(seed).shuffle(shuffled)
    assert canonical_digest(shuffled, value) == canonical_digest(headers, value)


field = st.binary(max_size=12)


@given(a=st.lists(field, min_size=7, max_size=7), b=st.lists(field, min_size=7, max_size=7))
def test_encoding_is_injective(a: list[bytes], b: list[bytes]) -> None:
    """Different header values or values never share a canonical encoding."""
    ha = list(zip(SIGNED_HEADERS, a[:6], strict=True))
    hb = list(zip(SIGNED_HEADERS, b[:6], strict=True))
    va, vb = b"\x00\x00\x00\x00\x01" + a[6], b"\x00\x00\x00\x00\x01" + b[6]
    assert (canonical_bytes(ha, va) == canonical_bytes(hb, vb)) == (a == b)


def test_shifting_bytes_between_fields_changes_digest() -> None:
    headers, value = make_event()
    moved = [(n, b"ab" if n == "ce_id" else b"c" if n == "ce_source" else v) for n, v in headers]
    moved2 = [(n, b"a" if n == "ce_id" else b"bc" if n == "ce_source" else v) for n, v in headers]
    assert canonical_digest(moved, value) != canonical_digest(moved2, value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"2025-03-01T08:30:00Z", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        (b"2025-03-01t08:30:00z", datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
        (
            b"2025-03-01T08:30:00+07:00",
            datetime(2025, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=7))),
        ),
        (
            b"2025-03-01T08:30:00.123456789Z",
            datetime(2025, 3, 1, 8, 30, 0, 123456, tzinfo=UTC),
        ),
        (b"2025-03-01T08:30:00.5-05:00", datetime(2025, 3, 1, 13, 30, 0, 500000, tzinfo=UTC)),
    ],
)
def test_parse_event_time(raw: bytes, expected: datetime) -> None:
    assert parse_event_time(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"2025-03-01T08:30:00",  # no offset
        b"2025-03-01",
        b"2025-13-01T08:30:00Z",
        b"2025-03-01 08:30:00Z",
        b"\xff\xfe",
        b"2025-03-01T08:30:00Z ",
        "2025-03-01T08:30:0\u0661Z".encode(),  # non-ASCII digit
    ],
)
def test_parse_event_time_rejects(raw: bytes) -> None:
    with pytest.raises(CanonicalFormError) as info:
        parse_event_time(raw)
    assert info.value.reason is RejectReason.MALFORMED_HEADER
    assert info.value.header == "ce_time"
