"""Verification: every reject reason, key states, tampering, malformed headers."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest

from security import (
    FileSigner,
    KeyStatus,
    PublicKeyInfo,
    RejectReason,
    SignatureRejected,
    verify_event,
)

from .conftest import (
    AGENCY,
    EVENT_TIME,
    T0,
    Keys,
    batch,
    rejected,
    replace_header,
    signed,
    verify,
)

# --- every reason code ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["ce_sigkeyid", "ce_signature"])
def test_missing_signature(signer: FileSigner, keys: Keys, name: str) -> None:
    detail = rejected(
        replace_header(signed(signer), name, None), keys, RejectReason.MISSING_SIGNATURE
    )
    assert name in detail


@pytest.mark.parametrize("name", ["ce_sigroot", "ce_sigleaf", "ce_sigsize", "ce_sigpath"])
def test_missing_batch_header(signer: FileSigner, keys: Keys, name: str) -> None:
    event = replace_header(batch(signer, 3)[1], name, None)
    assert name in rejected(event, keys, RejectReason.MISSING_SIGNATURE)


def test_missing_signed_header(signer: FileSigner, keys: Keys) -> None:
    event = replace_header(signed(signer), "ce_subject", None)
    assert "ce_subject" in rejected(event, keys, RejectReason.MISSING_HEADER)


def test_value_too_short(signer: FileSigner, keys: Keys) -> None:
    headers, _ = signed(signer)
    rejected((headers, b"\x00"), keys, RejectReason.VALUE_TOO_SHORT)


@pytest.mark.parametrize("name", ["ce_signature", "ce_sigkeyid", "ce_id"])
def test_duplicate_header(signer: FileSigner, keys: Keys, name: str) -> None:
    headers, value = signed(signer)
    headers.append((name, dict(headers)[name]))
    rejected((headers, value), keys, RejectReason.DUPLICATE_HEADER)


def test_unsupported_algorithm(signer: FileSigner, keys: Keys) -> None:
    event = replace_header(signed(signer), "ce_sigalg", b"rsa-sha1")
    rejected(event, keys, RejectReason.UNSUPPORTED_ALGORITHM)


@pytest.mark.parametrize(
    "bad",
    [b"", b"abc", b"not base64!", b"A" * 86 + b"==", b"A" * 85 + b"B"],  # last: trailing bits
)
def test_malformed_signature(signer: FileSigner, keys: Keys, bad: bytes) -> None:
    rejected(
        replace_header(signed(signer), "ce_signature", bad), keys, RejectReason.MALFORMED_SIGNATURE
    )


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("ce_sigroot", b"XYZ"),
        ("ce_sigroot", b"AB" * 32),  # upper-case hex is not canonical
        ("ce_sigleaf", b"01"),
        ("ce_sigleaf", b"-1"),
        ("ce_sigleaf", b" 1"),
        ("ce_sigleaf", b"3"),  # == size
        ("ce_sigsize", b"0"),
        ("ce_sigsize", b"+3"),
        ("ce_sigpath", b"abc"),
        ("ce_sigpath", b"AAAA"),  # 3 bytes, not a multiple of 32
    ],
)
def test_malformed_batch_headers(signer: FileSigner, keys: Keys, name: str, bad: bytes) -> None:
    event = replace_header(batch(signer, 3)[1], name, bad)
    rejected(event, keys, RejectReason.MALFORMED_SIGNATURE)


def test_batch_headers_on_single_signature(signer: FileSigner, keys: Keys) -> None:
    event = replace_header(signed(signer), "ce_sigleaf", b"0")
    rejected(event, keys, RejectReason.MALFORMED_SIGNATURE)


def test_non_ascii_key_id(signer: FileSigner, keys: Keys) -> None:
    event = replace_header(signed(signer), "ce_sigkeyid", "khóa".encode())
    rejected(event, keys, RejectReason.MALFORMED_SIGNATURE)


def test_unknown_key(signer: FileSigner) -> None:
    assert signer.key_id in rejected(signed(signer), {}, RejectReason.UNKNOWN_KEY)


def test_other_agencys_valid_key(
    other_signer: tuple[FileSigner, PublicKeyInfo], keys: Keys
) -> None:
    """Agency B signs an event claiming to come from agency A."""
    event = signed(other_signer[0])  # ce_source is AGENCY
    detail = rejected(event, keys, RejectReason.KEY_AGENCY_MISMATCH)
    assert other_signer[1].agency_id in detail


def test_forged_signature(
    signer: FileSigner, other_signer: tuple[FileSigner, PublicKeyInfo], keys: Keys
) -> None:
    """Signed with B's private key but naming A's key id."""
    forger = FileSigner(other_signer[0]._private, AGENCY, signer.key_id)
    rejected(signed(forger), keys, RejectReason.BAD_SIGNATURE)


@pytest.mark.parametrize(
    "name", ["ce_id", "ce_type", "ce_time", "ce_subject", "ce_source", "content-type"]
)
def test_tampered_signed_header(signer: FileSigner, keys: Keys, name: str) -> None:
    headers, value = signed(signer)
    event = replace_header((headers, value), name, dict(headers)[name] + b"x")
    # For ce_source the caller still names AGENCY (as if it had read the original header).
    rejected(event, keys, RejectReason.BAD_SIGNATURE)


def test_tampered_value(signer: FileSigner, keys: Keys) -> None:
    headers, value = signed(signer)
    rejected((headers, value[:-1] + b"!"), keys, RejectReason.BAD_SIGNATURE)
    rejected(
        (headers, value[:1] + b"\x00\x00\x00\x2b" + value[5:]), keys, RejectReason.BAD_SIGNATURE
    )


def test_unsigned_headers_may_change(signer: FileSigner, keys: Keys) -> None:
    headers, value = signed(signer)
    verify(([*headers, ("traceparent", b"00-abc")], value), keys)


@pytest.mark.parametrize(
    ("change", "at", "reason"),
    [
        (
            {"status": KeyStatus.REVOKED, "revoked_at": EVENT_TIME},
            EVENT_TIME,
            RejectReason.KEY_REVOKED,
        ),
        ({"status": KeyStatus.REVOKED, "revoked_at": None}, EVENT_TIME, RejectReason.KEY_REVOKED),
        ({}, T0 - timedelta(seconds=1), RejectReason.KEY_NOT_VALID_AT_TIME),
        ({"valid_until": EVENT_TIME}, EVENT_TIME, RejectReason.KEY_NOT_VALID_AT_TIME),
        (
            {"status": KeyStatus.RETIRING, "valid_until": EVENT_TIME},
            EVENT_TIME,
            RejectReason.KEY_NOT_VALID_AT_TIME,
        ),
    ],
)
def test_key_state_rejections(
    signer: FileSigner, keys: Keys, change: dict[str, Any], at: datetime, reason: RejectReason
) -> None:
    keys[signer.key_id] = dataclasses.replace(keys[signer.key_id], **change)
    rejected(signed(signer), keys, reason, at=at)


@pytest.mark.parametrize(
    "change",
    [
        {"status": KeyStatus.REVOKED, "revoked_at": EVENT_TIME + timedelta(seconds=1)},
        {"status": KeyStatus.RETIRING, "valid_until": EVENT_TIME + timedelta(seconds=1)},
        {"valid_from": EVENT_TIME},
    ],
)
def test_key_state_still_valid(signer: FileSigner, keys: Keys, change: dict[str, Any]) -> None:
    """Events dated before revocation, or inside a retiring key's overlap, still verify."""
    keys[signer.key_id] = dataclasses.replace(keys[signer.key_id], **change)
    verify(signed(signer), keys)


def test_naive_time_is_a_programming_error(signer: FileSigner, keys: Keys) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(signed(signer), keys, at=EVENT_TIME.replace(tzinfo=None))


def test_invalid_registered_public_key(signer: FileSigner, keys: Keys) -> None:
    keys[signer.key_id] = dataclasses.replace(keys[signer.key_id], public_key=b"short")
    assert "invalid" in rejected(signed(signer), keys, RejectReason.UNKNOWN_KEY)


def test_null_headers_and_tombstone_value(signer: FileSigner, keys: Keys) -> None:
    """Kafka allows null header values and null record values; both are rejected, typed."""
    headers, value = signed(signer)
    null_time = [(n, None if n == "ce_time" else v) for n, v in headers]
    with pytest.raises(SignatureRejected) as info:
        verify_event(null_time, value, keys, source_agency=AGENCY, at=EVENT_TIME)
    assert info.value.reason is RejectReason.MALFORMED_HEADER
    null_sig = [(n, None if n == "ce_signature" else v) for n, v in headers]
    with pytest.raises(SignatureRejected) as info:
        verify_event(null_sig, value, keys, source_agency=AGENCY, at=EVENT_TIME)
    assert info.value.reason is RejectReason.MALFORMED_SIGNATURE
    with pytest.raises(SignatureRejected) as info:
        verify_event(headers, None, keys, source_agency=AGENCY, at=EVENT_TIME)
    assert info.value.reason is RejectReason.VALUE_TOO_SHORT
