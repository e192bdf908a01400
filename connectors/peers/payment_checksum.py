"""The payment platform's checksum scheme (pure; the payment connector reuses it).

``checksum = sha256_hex("|".join(field values in the order below) + "|" + secret)``,
UTF-8 encoded. A missing or null field counts as the empty string, integers as their
decimal text (``amount`` 8000 -> ``"8000"``), booleans are not used. The ``checksum``
field itself and free-text fields (``resultMessage``, ``description``) are not covered.

Field order per message (requests, then the platform's responses):

- ``INIT`` request: msgType, requestId, requestTime, dossierCode, serviceCode, amount
- ``INIT`` response: msgType, resultCode, requestId, billId, dossierCode, amount
- ``GET_BILL`` request: msgType, requestId, requestTime, billId
- ``GET_BILL`` response: msgType, resultCode, requestId, billId, status, amount, paidTime
- any other message type, response: msgType, resultCode, requestId
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any

REQUEST_FIELDS: Mapping[str, tuple[str, ...]] = {
    "INIT": ("msgType", "requestId", "requestTime", "dossierCode", "serviceCode", "amount"),
    "GET_BILL": ("msgType", "requestId", "requestTime", "billId"),
}
RESPONSE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "INIT": ("msgType", "resultCode", "requestId", "billId", "dossierCode", "amount"),
    "GET_BILL": ("msgType", "resultCode", "requestId", "billId", "status", "amount", "paidTime"),
}
FALLBACK_RESPONSE_FIELDS: tuple[str, ...] = ("msgType", "resultCode", "requestId")


def request_fields(msg_type: str) -> tuple[str, ...]:
    """Field order of a request; unknown types have none (the request cannot be valid)."""
    return REQUEST_FIELDS.get(msg_type, ())


def response_fields(msg_type: str) -> tuple[str, ...]:
    return RESPONSE_FIELDS.get(msg_type, FALLBACK_RESPONSE_FIELDS)


def field_text(value: Any) -> str:
    """One field as it enters the checksum."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("booleans have no checksum form")
    return str(value)


def compute(message: Mapping[str, Any], fields: Sequence[str], secret: str) -> str:
    """SHA-256 hex over the pipe-joined ``fields`` of ``message`` plus the secret."""
    joined = "|".join([*(field_text(message.get(f)) for f in fields), secret])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def verify(message: Mapping[str, Any], fields: Sequence[str], secret: str) -> bool:
    """True when ``message["checksum"]`` matches (constant-time comparison)."""
    given = message.get("checksum")
    if not isinstance(given, str) or not fields:
        return False
    return hmac.compare_digest(given.lower(), compute(message, fields, secret))


def sign(message: Mapping[str, Any], fields: Sequence[str], secret: str) -> dict[str, Any]:
    """A copy of ``message`` with its ``checksum`` field set."""
    return {**message, "checksum": compute(message, fields, secret)}


def sign_request(message: Mapping[str, Any], secret: str) -> dict[str, Any]:
    """Sign a request by its ``msgType``."""
    return sign(message, request_fields(str(message.get("msgType", ""))), secret)


def sign_response(message: Mapping[str, Any], secret: str) -> dict[str, Any]:
    return sign(message, response_fields(str(message.get("msgType", ""))), secret)
