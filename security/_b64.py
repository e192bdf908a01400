"""Strict base64url without padding (RFC 4648 section 5), as used in signature headers.

Decoding accepts only the canonical encoding, so one value has exactly one spelling.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["b64url_decode", "b64url_encode"]

_ALPHABET = re.compile(rb"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> bytes:
    """Encode as base64url without ``=`` padding (ASCII bytes)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_decode(text: bytes) -> bytes | None:
    """Decode canonical unpadded base64url; None if the text is not exactly that."""
    if len(text) % 4 == 1 or not _ALPHABET.fullmatch(text):
        return None
    try:
        data = base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except binascii.Error:
        return None
    # Reject non-zero trailing bits: they would give a second spelling of the same bytes.
    return data if b64url_encode(data) == text else None
