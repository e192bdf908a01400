"""Fake national payment platform: JSON messages ``INIT`` and ``GET_BILL``.

``POST /api/payment`` with ``msgType``; every request and response carries ``checksum``
(see :mod:`connectors.peers.payment_checksum`). Result codes: ``00`` success, ``01`` bad
checksum, ``02`` duplicate request id (only with ``dedupe=True``), ``03`` invalid data,
``04`` bill not found, ``99`` system error (the ``fail`` mode, HTTP 503).
Business errors come back with HTTP 200, as the platform does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from connectors.peers import payment_checksum
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

DEFAULT_SECRET = "dev-payment-secret"  # noqa: S105 - a test peer's default, not a real secret
_SERVICE_CODE = re.compile(r"^\d\.\d{6}\.01$")
_TIME = re.compile(r"^\d{14}$")
_MESSAGES = {
    "00": "Thành công",
    "01": "Sai checksum",
    "02": "Giao dịch trùng",
    "03": "Dữ liệu không hợp lệ",
    "04": "Không tìm thấy hóa đơn",
    "99": "Lỗi hệ thống",
}


def now_text() -> str:
    """Current time as ``yyyyMMddHHmmss``."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


class PaymentPeer(JsonPeer):
    """Payment gateway; a test pays a bill with :meth:`mark_paid`."""

    name: ClassVar[str] = "payment"
    path: ClassVar[str] = "/api/payment"

    def __init__(self, *, secret: str = DEFAULT_SECRET, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.secret = secret
        self._bills: dict[str, dict[str, Any]] = {}

    @property
    def endpoint_url(self) -> str:
        return f"{self.url}{self.path}"

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "endpoint_url": self.endpoint_url}

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self._endpoint, methods=["POST"])]

    def bills(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(b) for b in self._bills.values()]

    def mark_paid(self, bill_id: str) -> None:
        """The citizen pays the bill."""
        with self._lock:
            bill = self._bills[bill_id]
            bill.update(status="PAID", paidTime=now_text())

    def reset_state(self) -> None:
        self._bills.clear()

    def admin_actions(self) -> Mapping[str, Any]:
        def mark_paid(data: dict[str, Any]) -> bool:
            self.mark_paid(str(data["bill_id"]))
            return True

        return {"mark_paid": mark_paid}

    def reply(
        self, request: Mapping[str, Any], code: str, http_status: int = 200, **fields: Any
    ) -> Response:
        """A signed response to ``request``."""
        message = {
            "msgType": text(request, "msgType"),
            "resultCode": code,
            "resultMessage": _MESSAGES.get(code, ""),
            "requestId": text(request, "requestId"),
            **fields,
        }
        return json_response(payment_checksum.sign_response(message, self.secret), http_status)

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            return self.reply({"msgType": operation}, "99", 503)
        return self.reply({"msgType": operation}, "03", 400)

    def duplicate(self, idempotency_key: str, first: Response) -> Response:
        data = json.loads(bytes(first.body))
        return self.reply(
            data,
            "02",
            billId=data.get("billId"),
            dossierCode=data.get("dossierCode"),
            amount=data.get("amount"),
        )

    async def _endpoint(self, request: Request) -> Response:
        try:
            data = await read_json(request)
        except JsonError as exc:
            raw, problem = raw_body(await request.body()), str(exc)

            def bad() -> Reply:
                return Reply(Outcome.REJECTED, self.reply({}, "03", 400), problem)

            return await self.serve(
                operation="unknown", idempotency_key=None, dossier_code=None, body=raw, action=bad
            )
        msg_type = text(data, "msgType")
        key = text(data, "requestId") or request.headers.get(IDEMPOTENCY_HEADER)
        return await self.serve(
            operation=msg_type or "unknown",
            idempotency_key=key if msg_type == "INIT" else None,
            dossier_code=text(data, "dossierCode") or None,
            body=data,
            action=lambda: self._handle(data),
        )

    def _handle(self, data: dict[str, Any]) -> Reply:
        msg_type = text(data, "msgType")
        fields = payment_checksum.request_fields(msg_type)
        if not fields:
            return Reply(Outcome.REJECTED, self.reply(data, "03"), f"unknown msgType {msg_type!r}")
        if not payment_checksum.verify(data, fields, self.secret):
            return Reply(Outcome.REJECTED, self.reply(data, "01"), "bad checksum")
        if not text(data, "requestId") or not _TIME.match(text(data, "requestTime")):
            return Reply(Outcome.REJECTED, self.reply(data, "03"), "requestId/requestTime")
        if msg_type == "INIT":
            return self._init(data)
        return self._get_bill(data)

    def _init(self, data: dict[str, Any]) -> Reply:
        amount = data.get("amount")
        if not text(data, "dossierCode") or not _SERVICE_CODE.match(text(data, "serviceCode")):
            return Reply(Outcome.REJECTED, self.reply(data, "03"), "dossierCode/serviceCode")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            return Reply(Outcome.REJECTED, self.reply(data, "03"), "amount")
        bill_id = f"BILL{len(self._bills) + 1:08d}"
        self._bills[bill_id] = {
            "billId": bill_id,
            "dossierCode": data["dossierCode"],
            "serviceCode": data["serviceCode"],
            "amount": amount,
            "status": "UNPAID",
            "paidTime": "",
            "requestId": data["requestId"],
        }
        response = self.reply(
            data, "00", billId=bill_id, dossierCode=data["dossierCode"], amount=amount
        )
        return Reply(Outcome.ACCEPTED, response)

    def _get_bill(self, data: dict[str, Any]) -> Reply:
        bill = self._bills.get(text(data, "billId"))
        if bill is None:
            return Reply(
                Outcome.REJECTED, self.reply(data, "04", billId=text(data, "billId")), "no bill"
            )
        fields = {k: bill[k] for k in ("billId", "status", "amount", "paidTime")}
        return Reply(Outcome.ANSWERED, self.reply(data, "00", **fields))
