"""Prometheus metrics of a connector process, on the port of its config's ``metrics:``.

Deliveries by outcome, the duration of each call to the legacy system, the circuit
breaker and the consumer lag of the connector's group. The breaker gauge is read at
scrape time, and the lag comes from the consumer's own fetch positions: nothing is sent
to Kafka for the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from schemas import metric_names as m
from schemas.metrics_export import replace_lag, serve

__all__ = ["ConnectorMetrics", "serve"]


_OUTCOMES = {
    "delivered": "delivered",
    "dead-lettered": "deadlettered",
    "skipped": "skipped",
    "duplicate": "skipped",  # already delivered: deduplicated
}
"""``OutboundConnector.handle`` results -> the catalogue's ``outcome`` values."""


class ConnectorMetrics:
    """One connector's collectors in their own registry, label children prepared."""

    def __init__(self, connector: str) -> None:
        self.connector = connector
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        reg = self.registry
        spec = m.CONNECTOR_DELIVERIES
        self.deliveries = Counter(spec.name, spec.help, spec.labels, registry=reg)
        spec = m.CONNECTOR_DELIVERY_SECONDS
        self.delivery_seconds = Histogram(
            spec.name, spec.help, spec.labels, registry=reg, buckets=m.LATENCY_BUCKETS_SECONDS
        )
        spec = m.CONNECTOR_BREAKER_OPEN
        self.breaker_open = Gauge(spec.name, spec.help, spec.labels, registry=reg)
        spec = m.CONSUMER_LAG
        self.consumer_lag = Gauge(spec.name, spec.help, spec.labels, registry=reg)
        self._outcomes = {o: self.deliveries.labels(connector, o) for o in m.CONNECTOR_OUTCOMES}
        self._seconds = self.delivery_seconds.labels(connector)
        self._lag_labels: set[tuple[str, str, str]] = set()

    def settled(self, result: str) -> None:
        """A record settled by the outbound loop (``delivered``, ``dead-lettered``...)."""
        outcome = _OUTCOMES.get(result)
        if outcome is not None:
            self._outcomes[outcome].inc()

    def retrying(self) -> None:
        """A failed attempt that will be tried again (transient error, peer not answering)."""
        self._outcomes["retried"].inc()

    def call_done(self, seconds: float) -> None:
        """One call to the legacy system ended (answered or failed)."""
        self._seconds.observe(seconds)

    def watch_breaker(self, is_open: Callable[[], bool]) -> None:
        """Report the breaker as read at scrape time (open or half-open: 1)."""
        self.breaker_open.labels(self.connector).set_function(lambda: 1.0 if is_open() else 0.0)

    def set_lag(self, group: str, lag: Mapping[tuple[str, int], int]) -> None:
        self._lag_labels = replace_lag(self.consumer_lag, self._lag_labels, group, lag)
