"""Fake app push service (FCM HTTP v1 style) for the citizen app: JSON, bearer token.

``POST /v1/messages:send`` with ``{"message": {"token", "notification": {"title", "body"},
"data": {...}}}`` queues one push to the device ``token`` and answers
``{"name": "messages/<id>"}``. Errors: 401 ``UNAUTHENTICATED`` (bad token), 400
``INVALID_ARGUMENT`` (no device, empty or oversized text, a non-string ``data`` value),
404 ``UNREGISTERED`` (a device the test marked gone), 503 ``UNAVAILABLE`` in the ``fail``
mode. A repeated ``Idempotency-Key`` with ``dedupe``: the same message name.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.peers._base import Reply
from connectors.peers._log import Outcome
from connectors.peers._rest import (
    IDEMPOTENCY_HEADER,
    JsonError,
    JsonPeer,
    json_response,
    raw_body,
    read_json,
    text,
)

__all__ = ["DEFAULT_TOKEN", "PushPeer"]

DEFAULT_TOKEN = "dev-push-token"  # noqa: S105 - a test peer's default, not a real secret
_MAX_TITLE, _MAX_BODY = 200, 4000  # what a phone shows; the real services limit the payload


def error(status: int, code: str, message: str) -> Response:
    """An error in the push service's shape, ``{"error": {code, status, message}}``."""
    return json_response({"error": {"code": status, "status": code, "message": message}}, status)


def message_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``message`` object of a send request ({} when missing or not an object)."""
    message = data.get("message")
    return message if isinstance(message, dict) else {}


def problem_with(message: Mapping[str, Any]) -> str:
    """Why a push message is invalid ("" when it is acceptable)."""
    shown = message.get("notification")
    notification = shown if isinstance(shown, dict) else {}
    title, body = text(notification, "title"), text(notification, "body")
    extra = message.get("data") or {}
    if not text(message, "token"):
        return "message.token is required"
    if not title or len(title) > _MAX_TITLE:
        return f"notification.title must have 1 to {_MAX_TITLE} characters"
    if not body or len(body) > _MAX_BODY:
        return f"notification.body must have 1 to {_MAX_BODY} characters"
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        return "message.data must map names to strings"
    return ""


class PushPeer(JsonPeer):
    """A push service that remembers every message it accepted, by device."""

    name: ClassVar[str] = "push"
    path: ClassVar[str] = "/v1/messages:send"

    def __init__(self, *, token: str = DEFAULT_TOKEN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self._messages: list[dict[str, Any]] = []
        self._gone: set[str] = set()

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "send_url": f"{self.url}{self.path}"}

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self._send, methods=["POST"])]

    def messages(self, device: str | None = None) -> list[dict[str, Any]]:
        """Accepted pushes in order (optionally to one device), duplicates included."""
        with self._lock:
            return [dict(m) for m in self._messages if device in (None, m["token"])]

    def unregister(self, device: str) -> None:
        """The app was removed from ``device``: pushes to it now answer 404 UNREGISTERED."""
        with self._lock:
            self._gone.add(device)

    def reset_state(self) -> None:
        self._messages.clear()
        self._gone.clear()

    def admin_actions(self) -> Mapping[str, Any]:
        def unregister(data: dict[str, Any]) -> bool:
            self.unregister(str(data["device"]))
            return True

        return {"unregister": unregister}

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            return error(503, "UNAVAILABLE", "Dịch vụ thông báo đang quá tải")
        return error(400, "INVALID_ARGUMENT", "Yêu cầu không hợp lệ")

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode())

    def _accept(self, message: Mapping[str, Any], key: str | None) -> Reply:
        """Queue one valid message (under the lock) and answer its name."""
        device = text(message, "token")
        if device in self._gone:
            return Reply(Outcome.REJECTED, error(404, "UNREGISTERED", "Thiết bị đã hủy"), device)
        name = f"messages/PUSH{len(self._messages) + 1:08d}"
        notification = message["notification"]
        self._messages.append(
            {
                "token": device,
                "title": text(notification, "title"),
                "body": text(notification, "body"),
                "data": dict(message.get("data") or {}),
                "name": name,
                "idempotency_key": key,
            }
        )
        return Reply(Outcome.ACCEPTED, json_response({"name": name}))

    async def _send(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        authorized = self._authorized(request)
        try:
            data: dict[str, Any] = await read_json(request)
            problem = ""
        except JsonError as exc:
            data, problem = raw_body(await request.body()), str(exc)
        message = message_of(data)

        def action() -> Reply:
            if not authorized:
                return Reply(Outcome.REJECTED, error(401, "UNAUTHENTICATED", "Sai token"), "token")
            why = problem or problem_with(message)
            if why:
                return Reply(Outcome.REJECTED, error(400, "INVALID_ARGUMENT", why), why)
            return self._accept(message, key)

        extra = message.get("data")
        dossier_code = text(extra, "dossier_code") if isinstance(extra, dict) else ""
        return await self.serve(
            operation="SendPush",
            idempotency_key=key,
            dossier_code=dossier_code or None,
            body=data,
            action=action,
        )
