"""Fake national public service portal: dossier status sync.

``POST /api/v1/dossiers/status`` with one dossier's status; times are ``yyyyMMddHHmmss``.
Answers ``{error_code, message}`` with HTTP 200 as the real gateway does: ``"0"`` ok,
``"1"`` authentication error, ``"3"`` wrong agency id, ``"4"`` invalid data; in the modes:
HTTP 503 with ``"99"`` (``fail``), HTTP 400 with ``"4"`` (``fail_permanent``).
Authentication, when configured: a bearer token (``token``) or HTTP basic
(``username`` + ``password``), as provincial API gateways in front of it use.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
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
    basic_credentials,
    json_response,
    raw_body,
    read_json,
    text,
)

_AGENCY = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$")
_DOSSIER = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$")
_PROCEDURE = re.compile(r"^\d\.\d{6}(\.\d{3}\.\d{2}\.\d{2}\.H\d{2})?$")
TIME_FIELDS = ("receivedAt", "dueAt", "finishedAt")
LIST_FIELDS = ("documents", "fees", "supplementHistory", "processingHistory")


def parse_time(value: str) -> datetime:
    """``yyyyMMddHHmmss`` to a datetime; ValueError when malformed."""
    if not re.fullmatch(r"\d{14}", value):
        raise ValueError(value)
    return datetime.strptime(value, "%Y%m%d%H%M%S")


def validate(data: dict[str, Any]) -> tuple[str, str]:
    """``(error_code, message)`` of a status sync; ``("0", ...)`` when acceptable."""
    if not _AGENCY.match(text(data, "agencyCode")):
        return "3", "Mã đơn vị không đúng"
    if not _DOSSIER.match(text(data, "dossierCode")):
        return "4", "dossierCode không hợp lệ"
    if not _PROCEDURE.match(text(data, "procedureCode")):
        return "4", "procedureCode không hợp lệ"
    if text(data, "status") not in {str(n) for n in range(1, 11)}:
        return "4", "status phải từ 1 đến 10"
    try:
        parse_time(text(data, "receivedAt"))
        for name in TIME_FIELDS[1:]:
            if data.get(name):
                parse_time(text(data, name))
        for step in data.get("processingHistory") or []:
            parse_time(text(step, "time"))
    except (ValueError, AttributeError, TypeError):
        return "4", "Thời gian phải có dạng yyyyMMddHHmmss"
    if any(not isinstance(data.get(n) or [], list) for n in LIST_FIELDS):
        return "4", "documents/fees/supplementHistory/processingHistory phải là danh sách"
    return "0", "Thành công"


class PortalPeer(JsonPeer):
    """Status sync endpoint; checks a bearer ``token`` or basic ``username``/``password``."""

    name: ClassVar[str] = "portal"
    path: ClassVar[str] = "/api/v1/dossiers/status"

    def __init__(
        self,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str = "",
        **kwargs: Any,
    ) -> None:
        if token is not None and username is not None:
            raise ValueError("a portal peer checks a bearer token or basic auth, not both")
        super().__init__(**kwargs)
        self.token, self.username, self.password = token, username, password
        self._synced: list[dict[str, Any]] = []

    def authorized(self, authorization: str) -> bool:
        """Whether an ``Authorization`` header value passes (anything when none is set)."""
        if self.token is not None:
            return hmac.compare_digest(authorization.encode(), f"Bearer {self.token}".encode())
        if self.username is None:
            return True
        given = basic_credentials(authorization)
        if given is None:
            return False
        user, password = (value.encode() for value in given)
        user_ok = hmac.compare_digest(user, self.username.encode())
        password_ok = hmac.compare_digest(password, self.password.encode())
        return user_ok and password_ok

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "sync_url": f"{self.url}{self.path}"}

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self._sync, methods=["POST"])]

    def statuses(self, dossier_code: str | None = None) -> list[dict[str, Any]]:
        """Accepted status syncs, in order (optionally of one dossier)."""
        with self._lock:
            return [dict(s) for s in self._synced if dossier_code in (None, s["dossierCode"])]

    def reset_state(self) -> None:
        self._synced.clear()

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            return json_response({"error_code": "99", "message": "Hệ thống bận"}, 503)
        return json_response({"error_code": "4", "message": "Dữ liệu không hợp lệ"}, 400)

    async def _sync(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        authorized = self.authorized(request.headers.get("Authorization", ""))
        try:
            data: dict[str, Any] = await read_json(request)
            problem = ""
        except JsonError as exc:
            data, problem = raw_body(await request.body()), str(exc)

        def action() -> Reply:
            if not authorized:
                body = {"error_code": "1", "message": "Lỗi xác thực"}
                return Reply(Outcome.REJECTED, json_response(body), "authentication")
            code, message = ("4", problem) if problem else validate(data)
            body = {"error_code": code, "message": message}
            if code != "0":
                return Reply(Outcome.REJECTED, json_response(body), message)
            self._synced.append(data)
            return Reply(Outcome.ACCEPTED, json_response(body))

        return await self.serve(
            operation="SyncStatus",
            idempotency_key=key,
            dossier_code=text(data, "dossierCode") or None,
            body=data,
            action=action,
        )
