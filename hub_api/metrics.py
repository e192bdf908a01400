"""Prometheus metrics of the API (one registry per app, so tests can build many apps)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ApiMetrics"]


class ApiMetrics:
    """Request, ingress and view metrics, exposed at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hub_api_requests",
            "HTTP requests by route template, method and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_api_request_seconds",
            "HTTP request duration by route template",
            ["route"],
            registry=self.registry,
        )
        self.events = Counter(
            "hub_api_events",
            "Events received over HTTP by outcome (accepted, duplicate, quarantined, invalid)",
            ["outcome"],
            registry=self.registry,
        )
        self.replays = Counter(
            "hub_api_replays", "Replayed rejected records", ["kind"], registry=self.registry
        )
        self.dossiers = Gauge(
            "hub_api_dossiers", "Dossiers in the API's live view", registry=self.registry
        )
        self.sse_clients = Gauge(
            "hub_api_sse_clients", "Open live-status (SSE) streams", registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def middleware(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Count and time every request by its route template (not its raw path)."""
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        self.requests.labels(request.method, template, str(response.status_code)).inc()
        self.latency.labels(template).observe(time.perf_counter() - started)
        return response
