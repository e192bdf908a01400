"""The peer base: one Starlette app per fake legacy system, admin routes, mode handling."""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar, NamedTuple, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from connectors.peers._log import LogEntry, Mode, ModeSetting, ModeSwitch, Outcome, RequestLog
from connectors.peers._server import PeerServer


class Reply(NamedTuple):
    """What an operation did and what it answers; ``detail`` goes to the log."""

    outcome: Outcome
    response: Response
    detail: str = ""


Action = Callable[[], Reply]
AdminAction = Callable[[dict[str, Any]], Any]


class Peer(abc.ABC):
    """A fake legacy system. ``with peer:`` serves it on 127.0.0.1 until the block ends."""

    name: ClassVar[str]

    def __init__(self, *, dedupe: bool = False, host: str = "127.0.0.1", port: int = 0) -> None:
        self.dedupe = dedupe
        self._log = RequestLog(self.name)
        self._modes = ModeSwitch()
        self._lock = threading.RLock()  # guards the peer's business state
        self._seen: dict[str, Response] = {}  # idempotency key -> first response
        self._app: Starlette | None = None
        self._server = PeerServer(self._asgi, host=host, port=port)

    # -- test-side control -------------------------------------------------------------
    def set_mode(self, mode: Mode | str, *, delay: float = 0.5, times: int | None = None) -> None:
        """Switch behaviour; with ``times`` only the next N requests, then back to ``ok``."""
        self._modes.set(mode, delay=delay, times=times)

    @property
    def mode(self) -> ModeSetting:
        return self._modes.setting

    def log(self) -> list[LogEntry]:
        """Every request received so far, in arrival order."""
        return self._log.entries()

    def accepted(self, operation: str | None = None) -> list[LogEntry]:
        """Requests that took effect (deliveries), in order."""
        return [
            e
            for e in self._log.entries()
            if e.outcome == Outcome.ACCEPTED and operation in (None, e.operation)
        ]

    def reset(self) -> None:
        """Forget the log, the business state and the mode."""
        with self._lock:
            self._log.clear()
            self._seen.clear()
            self._modes.set(Mode.OK)
            self.reset_state()

    # -- serving ---------------------------------------------------------------------
    @property
    def app(self) -> Starlette:
        if self._app is None:
            self._app = Starlette(routes=[*self._admin_routes(), *self.routes()])
        return self._app

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    @property
    def server(self) -> PeerServer:
        return self._server

    @property
    def url(self) -> str:
        """Base URL of the running peer, e.g. ``http://127.0.0.1:40123``."""
        return self._server.url

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        """Take the peer down (connections refused); ``start()`` brings it back, same port."""
        self._server.stop()

    def describe(self) -> dict[str, str]:
        """URLs a client needs; SOAP peers add ``wsdl_url``."""
        return {"url": self.url, "admin_url": f"{self.url}/_admin"}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- for subclasses --------------------------------------------------------------
    @abc.abstractmethod
    def routes(self) -> list[BaseRoute]:
        """The peer's own protocol routes."""

    @abc.abstractmethod
    def failure(self, operation: str, *, transient: bool) -> Response:
        """The answer in ``fail`` (transient) and ``fail_permanent`` modes."""

    @abc.abstractmethod
    def garbage(self, operation: str) -> Response:
        """A malformed body with HTTP 200."""

    def reset_state(self) -> None:  # noqa: B027 - optional hook, do-nothing default
        """Clear business state (called under the lock)."""

    def duplicate(self, idempotency_key: str, first: Response) -> Response:
        """The answer to a repeated idempotency key when ``dedupe=True``: the first one."""
        return first

    def admin_actions(self) -> Mapping[str, AdminAction]:
        """Peer-specific admin actions, reachable at ``POST /_admin/actions/{name}``."""
        return {}

    async def serve(
        self,
        *,
        operation: str,
        idempotency_key: str | None,
        dossier_code: str | None,
        body: Any,
        action: Action,
    ) -> Response:
        """Log the request, apply the mode, run ``action`` under the state lock."""
        setting = self._modes.take()
        index = self._log.record(
            operation=operation,
            idempotency_key=idempotency_key,
            dossier_code=dossier_code,
            body=body,
            mode=setting.mode,
        )
        if setting.mode is Mode.SLOW:
            try:
                await asyncio.sleep(setting.delay)
            except asyncio.CancelledError:
                self._log.finish(index, Outcome.FAILED, 0, "server stopped while slow")
                raise
        if setting.mode in (Mode.FAIL, Mode.FAIL_PERMANENT):
            response = self.failure(operation, transient=setting.mode is Mode.FAIL)
            self._log.finish(index, Outcome.FAILED, response.status_code, setting.mode.value)
            return response
        if setting.mode is Mode.GARBAGE:
            response = self.garbage(operation)
            self._log.finish(index, Outcome.GARBAGE, response.status_code)
            return response
        with self._lock:
            if self.dedupe and idempotency_key is not None and idempotency_key in self._seen:
                first = self._seen[idempotency_key]
                reply = Reply(Outcome.DUPLICATE, self.duplicate(idempotency_key, first))
            else:
                try:
                    reply = action()
                except Exception as exc:
                    self._log.finish(index, Outcome.FAILED, 500, f"peer error: {exc!r}")
                    raise
                if reply.outcome is Outcome.ACCEPTED and idempotency_key is not None:
                    self._seen.setdefault(idempotency_key, reply.response)
        self._log.finish(index, reply.outcome, reply.response.status_code, reply.detail)
        return reply.response

    # -- admin routes ----------------------------------------------------------------
    def _admin_routes(self) -> list[BaseRoute]:
        return [
            Route("/_admin/health", self._admin_health, methods=["GET"]),
            Route("/_admin/log", self._admin_log, methods=["GET"]),
            Route("/_admin/mode", self._admin_mode, methods=["GET", "POST"]),
            Route("/_admin/reset", self._admin_reset, methods=["POST"]),
            Route("/_admin/actions/{name}", self._admin_action, methods=["POST"]),
        ]

    async def _admin_health(self, request: Request) -> Response:
        return JSONResponse({"peer": self.name, "status": "up"})

    async def _admin_log(self, request: Request) -> Response:
        entries = [e.to_json() for e in self.log()]
        return JSONResponse({"peer": self.name, "mode": self.mode.to_json(), "entries": entries})

    async def _admin_mode(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = await request.json()
                self.set_mode(
                    str(data["mode"]),
                    delay=float(data.get("delay", 0.5)),
                    times=None if data.get("times") is None else int(data["times"]),
                )
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": f"bad mode request: {exc}"}, status_code=400)
        return JSONResponse(self.mode.to_json())

    async def _admin_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"peer": self.name, "status": "reset"})

    async def _admin_action(self, request: Request) -> Response:
        action = self.admin_actions().get(request.path_params["name"])
        if action is None:
            return JSONResponse({"error": "unknown action"}, status_code=404)
        try:
            data = await request.json()
            with self._lock:
                result = action(data if isinstance(data, dict) else {})
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"bad action request: {exc}"}, status_code=400)
        return JSONResponse({"result": result})
