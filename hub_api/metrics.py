"""Prometheus metrics of the API process (one registry per app, so tests can build many apps).

Names, kinds and labels come from :mod:`schemas.metric_names`. Besides its ``hub_api_*``
families and the process basics (``process_*``, ``python_*``), the API exports:

- ``hub_events_in_total`` and ``hub_events_quarantined_total{stage="api"}`` for the events
  it refuses at HTTP ingress and writes to ``hub.quarantine`` itself. The worker never sees
  those; events the API forwards to ``hub.ingress`` are counted by the worker when it reads
  them, so summing over processes counts every message once.
- its own views of the registry and the schema store (``hub_registry_entries``,
  ``hub_schema_registry_subjects``), read from memory at scrape time.

Quarantine and dead-letter depth are left to the worker, which samples them from Kafka.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence, Sized

from fastapi import Request, Response
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from hub_api.rejected import Sender
from registry import Catalog
from schemas import EVENT_TYPES, KafkaMessage
from schemas import metric_names as m
from schemas.message import CE_TYPE
from schemas.rejects import REASON, STAGE

__all__ = ["REGISTRY_SIZES", "UNKNOWN", "ApiMetrics"]

UNKNOWN = "unknown"
"""The ``type`` label of a message whose ``ce_type`` is not in the schema catalogue."""
_KNOWN_TYPES = frozenset(e.ce_type for e in EVENT_TYPES)

REGISTRY_SIZES: dict[str, Callable[[Catalog], int]] = {
    "agency": lambda catalog: len(catalog.agencies),
    "procedure": lambda catalog: len(catalog.procedures),
    "subscription": lambda catalog: len(catalog.subscriptions),
    "calendar": lambda catalog: len(catalog.calendar_overrides),
}
"""``hub_registry_entries{kind}`` of a catalog (the kinds of ``m.REGISTRY_KINDS``)."""


def _registry() -> CollectorRegistry:
    """A registry with prometheus-client's process, platform and GC collectors."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class ApiMetrics:
    """Request, ingress and view metrics, exposed at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = reg = _registry()

        def counter(spec: m.MetricSpec) -> Counter:
            return Counter(spec.name, spec.help, spec.labels, registry=reg)

        def gauge(spec: m.MetricSpec) -> Gauge:
            return Gauge(spec.name, spec.help, spec.labels, registry=reg)

        self.requests = counter(m.API_REQUESTS)
        spec = m.API_REQUEST_SECONDS
        self.latency = Histogram(
            spec.name, spec.help, spec.labels, registry=reg, buckets=m.LATENCY_BUCKETS_SECONDS
        )
        self.events = counter(m.API_EVENTS)
        self.replays = counter(m.API_REPLAYS)
        self.dossiers = gauge(m.API_DOSSIERS)
        self.sse_clients = gauge(m.API_SSE_CLIENTS)
        self.events_in = counter(m.EVENTS_IN)
        self.events_quarantined = counter(m.EVENTS_QUARANTINED)
        self.registry_entries = gauge(m.REGISTRY_ENTRIES)
        self.schema_subjects = gauge(m.SCHEMA_REGISTRY_SUBJECTS)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # --- HTTP ingress -------------------------------------------------------------------
    def refused(self, record: KafkaMessage) -> None:
        """The API wrote ``record`` (an event it refused) to quarantine: it entered the hub
        here, and goes no further."""
        headers = dict(record.headers)
        ce_type = headers.get(CE_TYPE, b"").decode("utf-8", errors="replace")
        self.events_in.labels(ce_type if ce_type in _KNOWN_TYPES else UNKNOWN).inc()
        reason = headers.get(REASON, b"").decode("utf-8", errors="replace") or UNKNOWN
        stage = headers.get(STAGE, b"").decode("utf-8", errors="replace") or "api"
        self.events_quarantined.labels(reason, stage).inc()

    def counting(self, quarantine_topic: str) -> Sender:
        """A hook for the API's Kafka sender: after Kafka acknowledged a write to
        ``quarantine_topic``, count each record as :meth:`refused`."""

        def sent(topic: str, messages: Sequence[KafkaMessage]) -> None:
            if topic == quarantine_topic:
                for message in messages:
                    self.refused(message)

        return sent

    # --- views, read at scrape time ---------------------------------------------------------
    def watch_views(self, catalog: Callable[[], Catalog], subjects: Callable[[], Sized]) -> None:
        """Report the sizes of the registry view and the schema store on every scrape."""
        for kind, size in REGISTRY_SIZES.items():
            self.registry_entries.labels(kind).set_function(_reader(catalog, size))
        self.schema_subjects.set_function(lambda: float(len(subjects())))

    # --- requests -----------------------------------------------------------------------
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


def _reader(catalog: Callable[[], Catalog], size: Callable[[Catalog], int]) -> Callable[[], float]:
    return lambda: float(size(catalog()))
