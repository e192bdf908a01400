"""The HTTP ingress path: a load generator POSTs signed events to ``hub api``.

Path: load generator -> ``POST /v1/events`` (one event per request) or
``POST /v1/events/batch`` -> the API (signature checked, 202 after Kafka's ack on
``hub.ingress``) -> the worker's verify -> track + route -> the agency inbox, where the
driver's consumer sees each event by its ``ce_id``. The API runs as its own process
(``hub api``, as deployed), with the publisher's credential and a rate limit high
enough not to be what is measured. The same baseline flood as the Kafka path comes just
before it in the run.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.baseline import Driver, Phase
from bench.harness import PUBLISHER, Child, settings_env
from hub_api.auth import Credential, Role, credentials_json, hash_secret
from hub_settings import HubSettings
from schemas import KafkaMessage

CONCURRENCY = 16
"""Requests in flight at once (the API serves sync routes from its thread pool)."""


def envelope(message: KafkaMessage) -> dict[str, Any]:
    """The ``POST /v1/events`` body of a signed Kafka message (the agency's own bytes)."""
    headers = {name: value.decode() for name, value in message.headers}
    body: dict[str, Any] = {
        name: headers[f"ce_{name}"] for name in ("id", "source", "type", "subject", "time")
    }
    for name, value in headers.items():
        if name.startswith("ce_sig") or name == "ce_signature":
            body[name.removeprefix("ce_")] = value
    body["data_base64"] = base64.b64encode(message.value).decode()
    return body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ce_id(message: KafkaMessage) -> str:
    return next(v.decode() for k, v in message.headers if k == "ce_id")


class Api:
    """``hub api`` as a child process with one agency credential for the publisher."""

    def __init__(self, settings: HubSettings, workdir: Path) -> None:
        key_id, secret = "bench-publisher", secrets.token_urlsafe(24)
        self.key = f"{key_id}.{secret}"
        credentials = workdir / "api-credentials.json"
        credential = Credential(
            id=key_id, role=Role.AGENCY, agency=PUBLISHER, hash=hash_secret(secret)
        )
        credentials.write_text(credentials_json([credential]))
        self.port = free_port()
        env = {
            **settings_env(settings),
            "HUB_API_HOST": "127.0.0.1",
            "HUB_API_PORT": str(self.port),
            "HUB_API_CREDENTIALS_FILE": str(credentials),
            # the per-credential rate limit protects the hub from one agency; here it would
            # be the only thing measured
            "HUB_API_RATE_PER_S": "1000000",
            "HUB_API_RATE_BURST": "1000000",
        }
        argv = [sys.executable, "-m", "hub_api.cli", "api", "--loglevel", "warning"]
        self.child = Child("api", argv, env, workdir)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> Api:
        self.child.start()
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"hub api not ready on {self.url}:\n{self.child.tail()}")
            time.sleep(0.3)

    def stop(self) -> None:
        self.child.stop()


class HttpDriver(Driver):
    """Posts to the API instead of producing; arrivals at the sink matched by ``ce_id``."""

    def __init__(self, settings: HubSettings, api: Api, sink: str, per_request: int = 1) -> None:
        super().__init__(settings, source="", sink=sink)
        self.api = api
        self.per_request = per_request
        self._pending: dict[bytes, tuple[str, int, float]] = {}
        self.request_ms: list[float] = []
        self.failures: dict[int, int] = {}

    async def __aenter__(self) -> HttpDriver:
        await super().__aenter__()
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        self.client = httpx.AsyncClient(
            base_url=self.api.url,
            headers={"X-API-Key": self.api.key},
            limits=limits,
            timeout=60,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()
        await super().__aexit__(*exc)

    def _match(self, headers: Sequence[tuple[str, bytes]]) -> tuple[str, int, float] | None:
        found = next((v for k, v in headers if k == "ce_id"), None)
        return self._pending.get(found) if found is not None else None

    async def _post(self, phase: Phase, chunk: Sequence[KafkaMessage]) -> None:
        now = time.time()
        for message in chunk:
            self._pending[ce_id(message).encode()] = (phase.name, phase.sent, now)
            phase.sent += 1
        if self.per_request == 1:
            path, body = "/v1/events", envelope(chunk[0])
        else:
            path, body = "/v1/events/batch", {"events": [envelope(m) for m in chunk]}
        started = time.perf_counter()
        response = await self.client.post(path, json=body)
        self.request_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code != 202:
            self.failures[response.status_code] = self.failures.get(response.status_code, 0) + 1

    async def flood(
        self, label: str, messages: Sequence[KafkaMessage], duration_s: float, window: int
    ) -> Phase:
        """``CONCURRENCY`` clients as fast as the API answers, at most ``window`` events in
        flight end to end."""
        phase = self._new_phase(label)
        deadline = phase.started + duration_s
        chunks = iter(
            [messages[i : i + self.per_request] for i in range(0, len(messages), self.per_request)]
        )

        async def client() -> None:
            while time.time() < deadline:
                while phase.sent - len(phase.arrivals) >= window and time.time() < deadline:
                    await self._arrivals(0.1)
                chunk = next(chunks, None)
                if chunk is None or time.time() >= deadline:
                    return
                await self._post(phase, chunk)

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        phase.stopped = min(time.time(), deadline)
        return phase

    def request_figures(self) -> dict[str, Any]:
        """Request latency (POST to 202) percentiles and the non-202 answers."""
        ms = sorted(self.request_ms)
        pick = (lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)) if ms else None
        figures: dict[str, Any] = {"requests": len(ms), "failures": dict(self.failures)}
        if pick is not None:
            figures.update(request_p50_ms=pick(0.5), request_p99_ms=pick(0.99))
        return figures
