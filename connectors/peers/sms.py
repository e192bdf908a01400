"""Fake SMS gateway (brandname SMS style): JSON over HTTP, ``ApiKey`` header auth.

``POST /api/sms/send`` with ``{"Phone", "Content", "Brandname"}`` queues one SMS and
answers ``{"CodeResult": "100", "SMSID": ...}``; ``GET /api/sms/{SMSID}`` tells its status.
Errors: 401 bad key, 422 bad phone or empty content, 503 in the ``fail`` mode (a gateway
that is down for maintenance). Repeated ``Idempotency-Key`` with ``dedupe``: the same SMSID.
"""

from __future__ import annotations

import hmac
import re
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

DEFAULT_KEY = "dev-sms-key"  # a test peer's default, not a real secret
KEY_HEADER = "ApiKey"
BRANDNAME = "THANHHOA"
_PHONE = re.compile(r"^(\+?84|0)[0-9]{9,10}$")
_MAX_CONTENT = 612  # four concatenated GSM-7 parts


def error(code: str, message: str, status: int) -> Response:
    return json_response({"CodeResult": code, "ErrorMessage": message}, status)


class SmsPeer(JsonPeer):
    """An SMS gateway that remembers every message it accepted."""

    name: ClassVar[str] = "sms"
    path: ClassVar[str] = "/api/sms/send"

    def __init__(self, *, api_key: str = DEFAULT_KEY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self._messages: list[dict[str, Any]] = []

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "send_url": f"{self.url}{self.path}"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(self.path, self._send, methods=["POST"]),
            Route("/api/sms/{sms_id}", self._status, methods=["GET"]),
        ]

    def messages(self) -> list[dict[str, Any]]:
        """Every SMS accepted, in order (duplicates included when not deduplicating)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def reset_state(self) -> None:
        self._messages.clear()

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            return error("503", "Gateway đang bảo trì", 503)
        return error("400", "Yêu cầu không hợp lệ", 400)

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get(KEY_HEADER, "")
        return hmac.compare_digest(given.encode(), self.api_key.encode())

    async def _send(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        authorized = self._authorized(request)
        try:
            data: dict[str, Any] = await read_json(request)
            problem = ""
        except JsonError as exc:
            data, problem = raw_body(await request.body()), str(exc)

        def action() -> Reply:
            if not authorized:
                return Reply(Outcome.REJECTED, error("101", "Sai ApiKey", 401), "api key")
            if problem:
                return Reply(Outcome.REJECTED, error("400", problem, 400), problem)
            phone, content = text(data, "Phone").replace(" ", ""), text(data, "Content")
            if not _PHONE.match(phone):
                return Reply(Outcome.REJECTED, error("104", "Số điện thoại sai", 422), phone)
            if not content or len(content) > _MAX_CONTENT:
                return Reply(Outcome.REJECTED, error("105", "Nội dung rỗng/quá dài", 422))
            sms_id = f"SMS{len(self._messages) + 1:08d}"
            self._messages.append({**data, "SMSID": sms_id, "IdempotencyKey": key})
            return Reply(Outcome.ACCEPTED, json_response({"CodeResult": "100", "SMSID": sms_id}))

        return await self.serve(
            operation="SendSms",
            idempotency_key=key,
            dossier_code=text(data, "DossierCode") or None,
            body=data,
            action=action,
        )

    async def _status(self, request: Request) -> Response:
        sms_id = str(request.path_params["sms_id"])

        def action() -> Reply:
            found = next((m for m in self._messages if m["SMSID"] == sms_id), None)
            if found is None:
                return Reply(Outcome.REJECTED, error("404", "Không có tin nhắn", 404))
            body = {"CodeResult": "100", "SMSID": sms_id, "Status": "DELIVERED"}
            return Reply(Outcome.ANSWERED, json_response(body))

        return await self.serve(
            operation="SmsStatus", idempotency_key=None, dossier_code=None, body={}, action=action
        )
