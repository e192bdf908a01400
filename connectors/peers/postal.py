"""Fake postal delivery service (VNPost style): JSON orders, ``Token`` header auth.

``POST /api/v1/orders`` creates an order and returns its ``ItemCode`` (tracking number);
``GET /api/v1/orders/{OrderNumber}`` returns the latest order with that number. Without
``dedupe`` a repeated order creates a second shipment, as a real system would.
Errors: 401 bad token, 422 validation, 404 unknown order, 503 in the ``fail`` mode.
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

DEFAULT_TOKEN = "dev-postal-token"  # noqa: S105 - a test peer's default, not a real secret
TOKEN_HEADER = "Token"  # noqa: S105 - a header name
REQUIRED = ("CustomerCode", "OrderNumber", "ReceiverName", "ReceiverAddress", "ReceiverPhone")


def error(code: str, message: str, status: int) -> Response:
    return json_response({"Success": False, "Code": code, "Message": message}, status)


class PostalPeer(JsonPeer):
    """Postal delivery of results to citizens."""

    name: ClassVar[str] = "postal"
    path: ClassVar[str] = "/api/v1/orders"

    def __init__(self, *, token: str = DEFAULT_TOKEN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token = token
        self._orders: list[dict[str, Any]] = []

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "orders_url": f"{self.url}{self.path}"}

    def routes(self) -> list[BaseRoute]:
        return [
            Route(self.path, self._create, methods=["POST"]),
            Route(self.path + "/{number}", self._get, methods=["GET"]),
        ]

    def orders(self) -> list[dict[str, Any]]:
        """Every order created, in order (duplicates included)."""
        with self._lock:
            return [dict(o) for o in self._orders]

    def set_order_status(self, order_number: str, status: str) -> None:
        """Move the latest order with this number on (e.g. ``DELIVERED``)."""
        with self._lock:
            order = self._find(order_number)
            if order is None:
                raise KeyError(order_number)
            order["Status"] = status

    def reset_state(self) -> None:
        self._orders.clear()

    def admin_actions(self) -> Mapping[str, Any]:
        def set_order_status(data: dict[str, Any]) -> bool:
            self.set_order_status(str(data["order_number"]), str(data["status"]))
            return True

        return {"set_order_status": set_order_status}

    def failure(self, operation: str, *, transient: bool) -> Response:
        if transient:
            return error("SERVICE_UNAVAILABLE", "Hệ thống đang bảo trì", 503)
        return error("BAD_REQUEST", "Yêu cầu không hợp lệ", 400)

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get(TOKEN_HEADER, "")
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _find(self, order_number: str) -> dict[str, Any] | None:
        return next((o for o in reversed(self._orders) if o["OrderNumber"] == order_number), None)

    async def _create(self, request: Request) -> Response:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        authorized = self._authorized(request)
        try:
            data: dict[str, Any] = await read_json(request)
            problem = ""
        except JsonError as exc:
            data, problem = raw_body(await request.body()), str(exc)

        def action() -> Reply:
            if not authorized:
                return Reply(
                    Outcome.REJECTED, error("UNAUTHORIZED", "Token không hợp lệ", 401), "token"
                )
            if problem:
                return Reply(Outcome.REJECTED, error("BAD_REQUEST", problem, 400), problem)
            missing = [f for f in REQUIRED if not text(data, f)]
            if missing:
                message = "Thiếu trường: " + ", ".join(missing)
                return Reply(Outcome.REJECTED, error("VALIDATION", message, 422), message)
            item_code = f"EL{len(self._orders) + 1:09d}VN"
            order = {**data, "ItemCode": item_code, "Status": "CREATED", "IdempotencyKey": key}
            self._orders.append(order)
            body = {
                "Success": True,
                "Code": "00",
                "OrderNumber": data["OrderNumber"],
                "ItemCode": item_code,
                "Status": "CREATED",
            }
            return Reply(Outcome.ACCEPTED, json_response(body, 201))

        return await self.serve(
            operation="CreateOrder",
            idempotency_key=key,
            dossier_code=text(data, "DossierCode") or text(data, "OrderNumber") or None,
            body=data,
            action=action,
        )

    async def _get(self, request: Request) -> Response:
        number = str(request.path_params["number"])
        authorized = self._authorized(request)

        def action() -> Reply:
            if not authorized:
                return Reply(
                    Outcome.REJECTED, error("UNAUTHORIZED", "Token không hợp lệ", 401), "token"
                )
            order = self._find(number)
            if order is None:
                return Reply(Outcome.REJECTED, error("NOT_FOUND", "Không tìm thấy đơn hàng", 404))
            return Reply(Outcome.ANSWERED, json_response({"Success": True, "Code": "00", **order}))

        return await self.serve(
            operation="GetOrder",
            idempotency_key=None,
            dossier_code=None,
            body={"OrderNumber": number},
            action=action,
        )
