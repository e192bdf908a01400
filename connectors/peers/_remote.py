"""Control of a peer running in another process, through its ``/_admin`` routes."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

from connectors.peers._log import LogEntry, Mode, ModeSetting, Outcome


class RemotePeer:
    """The same control surface as :class:`Peer` (log, accepted, set_mode, reset)."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=f"{self.url}/_admin", timeout=timeout)

    def health(self) -> bool:
        try:
            return self._client.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> list[LogEntry]:
        response = self._client.get("/log")
        response.raise_for_status()
        return [LogEntry.from_json(e) for e in response.json()["entries"]]

    def accepted(self, operation: str | None = None) -> list[LogEntry]:
        return [
            e
            for e in self.log()
            if e.outcome == Outcome.ACCEPTED and operation in (None, e.operation)
        ]

    @property
    def mode(self) -> ModeSetting:
        data = self._client.get("/mode").raise_for_status().json()
        return ModeSetting(Mode(data["mode"]), float(data["delay"]), data["times"])

    def set_mode(self, mode: Mode | str, *, delay: float = 0.5, times: int | None = None) -> None:
        body = {"mode": Mode(mode).value, "delay": delay, "times": times}
        self._client.post("/mode", json=body).raise_for_status()

    def reset(self) -> None:
        self._client.post("/reset").raise_for_status()

    def action(self, name: str, **params: Any) -> Any:
        """Run a peer-specific admin action (e.g. ``set_status`` on civil-status)."""
        response = self._client.post(f"/actions/{name}", json=params)
        response.raise_for_status()
        return response.json()["result"]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
