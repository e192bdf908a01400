"""Canonical form of a signed event: which bytes a signature covers (see docs/signing.md).

The digest covers the signed CloudEvents headers, the schema id and the value, each
length-prefixed after a version tag, so that no two different events share an encoding.
Header values are taken as raw bytes, never parsed or normalised.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from datetime import datetime

from security.errors import CanonicalFormError, RejectReason

__all__ = [
    "DIGEST_TAG",
    "SIGNED_HEADERS",
    "Headers",
    "canonical_bytes",
    "canonical_digest",
    "length_prefixed",
    "parse_event_time",
    "schema_id_of",
]

Headers = Sequence[tuple[str, bytes | None]]
"""Kafka record headers as the clients deliver them: (name, value) pairs, order kept.

A value may be None (a null header in Kafka); a signed header never may.
"""

SIGNED_HEADERS: tuple[str, ...] = (
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_subject",
    "ce_time",
    "content-type",
)
"""The headers covered by a signature, in canonical order. Names are case-sensitive."""

DIGEST_TAG = b"vn.gov.thanhhoa.hub/event-digest/v1"
"""Domain-separation and version tag: the first field of the canonical encoding."""

_U32_MAX = 0xFFFFFFFF
_PACK = struct.Struct(">I").pack
_SIGNED_SET = frozenset(SIGNED_HEADERS)
# RFC 3339 date-time with a mandatory offset; fromisoformat alone would accept more.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def length_prefixed(field: bytes) -> bytes:
    """Encode one field as a 4-byte big-endian length followed by the bytes."""
    if len(field) > _U32_MAX:
        raise CanonicalFormError(
            RejectReason.MALFORMED_HEADER, f"field of {len(field)} bytes exceeds 2^32-1"
        )
    return len(field).to_bytes(4, "big") + field


_TAG_FIELD = length_prefixed(DIGEST_TAG)


def schema_id_of(value: bytes) -> int:
    """Return the schema id of a Confluent-wire-format value (bytes 1..4, big-endian).

    A value shorter than 5 bytes has no schema id: CanonicalFormError(value_too_short).
    """
    if len(value) < 5:
        raise CanonicalFormError(
            RejectReason.VALUE_TOO_SHORT,
            f"value is {len(value)} bytes; the Confluent wire format needs at least 5 "
            "(magic byte + 4-byte schema id)",
        )
    return int.from_bytes(value[1:5], "big")


def _signed_values(headers: Headers) -> list[bytes]:
    """Pick the signed header values in canonical order; reject missing or repeated ones."""
    found: dict[str, bytes | None] = {}
    for name, raw in headers:
        if name in _SIGNED_SET:
            if name in found:
                raise CanonicalFormError(
                    RejectReason.DUPLICATE_HEADER,
                    f"signed header {name!r} appears more than once",
                    header=name,
                )
            found[name] = raw
    values = []
    for name in SIGNED_HEADERS:
        if name not in found:
            raise CanonicalFormError(
                RejectReason.MISSING_HEADER, f"signed header {name!r} is missing", header=name
            )
        raw_value = found[name]
        if raw_value is None:
            raise CanonicalFormError(
                RejectReason.MALFORMED_HEADER, f"signed header {name!r} is null", header=name
            )
        values.append(raw_value)
    return values


def canonical_bytes(headers: Headers, value: bytes) -> bytes:
    """Return the canonical encoding of an event (the SHA-256 input of the digest)."""
    if len(value) < 5:
        schema_id_of(value)  # raises value_too_short
    id_, source, type_, subject, time, content_type = _signed_values(headers)
    try:
        return b"".join(
            (
                _TAG_FIELD,
                _PACK(len(id_)),
                id_,
                _PACK(len(source)),
                source,
                _PACK(len(type_)),
                type_,
                _PACK(len(subject)),
                subject,
                _PACK(len(time)),
                time,
                _PACK(len(content_type)),
                content_type,
                value[1:5],  # the schema id, already 4 bytes big-endian
                _PACK(len(value)),
                value,
            )
        )
    except struct.error as exc:
        raise CanonicalFormError(
            RejectReason.MALFORMED_HEADER, "a header or the value exceeds 2^32-1 bytes"
        ) from exc


def canonical_digest(headers: Headers, value: bytes) -> bytes:
    """Return the 32-byte SHA-256 canonical digest that signatures and Merkle leaves use."""
    return hashlib.sha256(canonical_bytes(headers, value)).digest()


def parse_event_time(raw: bytes) -> datetime:
    """Parse a ``ce_time`` header (RFC 3339 with an offset) into an aware datetime.

    The verify stream passes the result as ``at`` to verify_event and check_clock_skew.
    """
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = ""
    if not _RFC3339.fullmatch(text):
        raise CanonicalFormError(
            RejectReason.MALFORMED_HEADER,
            f"ce_time {raw[:64]!r} is not an RFC 3339 timestamp with offset",
            header="ce_time",
        )
    # Python keeps microseconds only: cut extra fraction digits before parsing.
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:digits][:6].ljust(6, '0')}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError as exc:  # e.g. month 13
        raise CanonicalFormError(
            RejectReason.MALFORMED_HEADER, f"ce_time {text!r}: {exc}", header="ce_time"
        ) from exc
