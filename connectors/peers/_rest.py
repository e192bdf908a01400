"""Helpers for the JSON-over-HTTP peers."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from connectors.peers._base import Peer

IDEMPOTENCY_HEADER = "Idempotency-Key"


class JsonError(ValueError):
    """The request body is not a JSON object."""


async def read_json(request: Request) -> dict[str, Any]:
    """Parse the body as a JSON object or raise :class:`JsonError`."""
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JsonError(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise JsonError("the body must be a JSON object")
    return data


def raw_body(raw: bytes) -> dict[str, Any]:
    """What the log keeps of a body that could not be parsed."""
    return {"_raw": raw.decode("utf-8", errors="replace")[:2000]}


def json_response(data: dict[str, Any], status_code: int = 200) -> Response:
    """A JSON response that keeps Vietnamese text readable."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status_code, media_type="application/json")


def text(data: Mapping[str, Any], key: str) -> str:
    """A field as a string ("" when missing or null)."""
    value = data.get(key)
    return "" if value is None else str(value)


def basic_credentials(authorization: str) -> tuple[str, str] | None:
    """``(username, password)`` of an ``Authorization: Basic ...`` header; None otherwise."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


class JsonPeer(Peer):
    """A peer that speaks JSON: garbage is a truncated JSON object."""

    def garbage(self, operation: str) -> Response:
        return Response(
            b'{"status": "OK", "data": {"id": 12, "items": [1, 2,',
            status_code=200,
            media_type="application/json",
        )
