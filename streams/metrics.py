"""Prometheus metrics of a stream worker, on its own port (``HUB_STREAMS_METRICS_PORT``).

The agents update counters and histograms on the hot path through label children kept in
dicts (no lookup by label text per event). Kafka state (consumer lag of this worker's
partitions, quarantine and dead-letter depth) and registry sizes are sampled every
``HUB_STREAMS_METRICS_INTERVAL_S`` by a background thread, never by an agent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from registry import Catalog
from schemas import KafkaMessage
from schemas import metric_names as m
from schemas.message import CE_TYPE
from schemas.metrics_export import replace_lag, serve

__all__ = ["KafkaSampler", "WorkerMetrics", "serve"]

log = logging.getLogger(__name__)

UNKNOWN = "unknown"
"""The ``type`` label of a message whose ``ce_type`` is not in the schema catalogue."""
_Lag = Mapping[tuple[str, int], int]


def _counter(spec: m.MetricSpec, registry: CollectorRegistry) -> Counter:
    return Counter(spec.name, spec.help, spec.labels, registry=registry)


def _gauge(spec: m.MetricSpec, registry: CollectorRegistry) -> Gauge:
    return Gauge(spec.name, spec.help, spec.labels, registry=registry)


def _histogram(spec: m.MetricSpec, registry: CollectorRegistry) -> Histogram:
    return Histogram(
        spec.name, spec.help, spec.labels, registry=registry, buckets=m.LATENCY_BUCKETS_SECONDS
    )


def process_registry() -> CollectorRegistry:
    """A registry with prometheus-client's process, platform and GC collectors."""
    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class WorkerMetrics:
    """The worker's collectors, with their label children cached for the agents."""

    def __init__(self, event_types: Iterable[str]) -> None:
        self.registry = process_registry()
        reg = self.registry
        types = sorted(set(event_types))
        self.events_in = _counter(m.EVENTS_IN, reg)
        self.events_accepted = _counter(m.EVENTS_ACCEPTED, reg)
        self.events_quarantined = _counter(m.EVENTS_QUARANTINED, reg)
        self.verify_seconds = _histogram(m.VERIFY_SECONDS, reg)
        self.route_seconds = _histogram(m.ROUTE_SECONDS, reg)
        self.end_to_end_seconds = _histogram(m.END_TO_END_SECONDS, reg)
        self.consumer_lag = _gauge(m.CONSUMER_LAG, reg)
        self.quarantine_depth = _gauge(m.QUARANTINE_DEPTH, reg)
        self.deadletter_depth = _gauge(m.DEADLETTER_DEPTH, reg)
        self.dossiers = _gauge(m.DOSSIERS, reg)
        self.dossiers_overdue = _gauge(m.DOSSIERS_OVERDUE, reg)
        self.registry_entries = _gauge(m.REGISTRY_ENTRIES, reg)
        self.schema_subjects = _gauge(m.SCHEMA_REGISTRY_SUBJECTS, reg)
        self._in = {t.encode(): self.events_in.labels(t) for t in types}
        self._in_unknown = self.events_in.labels(UNKNOWN)
        self._accepted = {t: self.events_accepted.labels(t) for t in types}
        self._accepted_unknown = self.events_accepted.labels(UNKNOWN)
        self._e2e = {t: self.end_to_end_seconds.labels(t) for t in types}
        self._e2e_unknown = self.end_to_end_seconds.labels(UNKNOWN)
        self._quarantined: dict[tuple[str, str], Any] = {}
        self._lag_labels: set[tuple[str, str, str]] = set()
        self._dossier_labels: set[tuple[str, str]] = set()
        self._overdue_labels: set[str] = set()
        self._assigned: frozenset[tuple[str, int]] = frozenset()

    # --- hot path (agents) ----------------------------------------------------------------
    def ingress(self, message: KafkaMessage) -> None:
        """One message read from ``hub.ingress`` (by its ``ce_type`` header, unverified)."""
        for name, value in message.headers:
            if name == CE_TYPE:
                self._in.get(value, self._in_unknown).inc()
                return
        self._in_unknown.inc()

    def accepted(self, ce_type: str) -> None:
        self._accepted.get(ce_type, self._accepted_unknown).inc()

    def quarantined(self, reason: str, stage: str) -> None:
        child = self._quarantined.get((reason, stage))
        if child is None:  # reason codes and stages are fixed sets in the code
            child = self._quarantined[(reason, stage)] = self.events_quarantined.labels(
                reason, stage
            )
        child.inc()

    def verified(self, seconds: float) -> None:
        self.verify_seconds.observe(seconds)

    def routed(self, seconds: float) -> None:
        self.route_seconds.observe(seconds)

    def arrived(self, ce_type: str, event_time: float) -> None:
        """An event reached its last inbox; ``event_time`` is its ``ce_time`` (epoch s)."""
        child = self._e2e.get(ce_type, self._e2e_unknown)
        child.observe(max(0.0, time.time() - event_time))

    # --- state of the agents (timers, rebalances) ---------------------------------------
    def set_dossiers(
        self, by_status: Mapping[tuple[str, str], int], overdue: Mapping[str, int]
    ) -> None:
        """Dossiers of this worker's table by (status, agency), overdue ones by agency."""
        for labels in self._dossier_labels - by_status.keys():
            self.dossiers.labels(*labels).set(0)
        for labels, count in by_status.items():
            self.dossiers.labels(*labels).set(count)
        self._dossier_labels |= by_status.keys()
        for agency in self._overdue_labels - overdue.keys():
            self.dossiers_overdue.labels(agency).set(0)
        for agency, count in overdue.items():
            self.dossiers_overdue.labels(agency).set(count)
        self._overdue_labels |= overdue.keys()

    def set_assignment(self, partitions: Iterable[Any]) -> None:
        """The partitions this worker owns after a rebalance (Faust TPs or TopicPartitions)."""
        self._assigned = frozenset((tp.topic, tp.partition) for tp in partitions)

    @property
    def assignment(self) -> frozenset[tuple[str, int]]:
        return self._assigned

    # --- sampled state (background thread) ----------------------------------------------
    def set_lag(self, group: str, lag: _Lag) -> None:
        """Replace the lag series of ``group``: revoked partitions disappear."""
        self._lag_labels = replace_lag(self.consumer_lag, self._lag_labels, group, lag)

    def set_registry(self, catalog: Catalog, subjects: int) -> None:
        entries = self.registry_entries
        entries.labels("agency").set(len(catalog.agencies))
        entries.labels("procedure").set(len(catalog.procedures))
        entries.labels("subscription").set(len(catalog.subscriptions))
        entries.labels("calendar").set(len(catalog.calendar_overrides))
        self.schema_subjects.set(subjects)


class KafkaSampler:
    """Every ``interval_s``: the group's lag on the assigned partitions, the quarantine and
    dead-letter depth (records retained: end minus earliest offset), the registry sizes."""

    def __init__(
        self,
        metrics: WorkerMetrics,
        client_config: Mapping[str, Any],
        *,
        group: str,
        quarantine: str,
        deadletter: str,
        registry: Callable[[], tuple[Catalog, int]],
        interval_s: float,
    ) -> None:
        self.metrics, self._config, self.group = metrics, dict(client_config), group
        self._depth_topics = {
            quarantine: metrics.quarantine_depth,
            deadletter: metrics.deadletter_depth,
        }
        self._registry, self._interval = registry, interval_s
        self._stop = threading.Event()
        self._admin: KafkaAdminClient | None = None
        self._depth_parts: list[TopicPartition] = []
        self._thread = threading.Thread(target=self._run, name="metrics-sampler", daemon=True)
        self._last_error = ""

    def start(self) -> KafkaSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
                self._last_error = ""
            except Exception as exc:  # a broker hiccup must not end the sampling
                if str(exc) != self._last_error:
                    log.warning("metrics sampling failed: %s: %s", type(exc).__name__, exc)
                self._last_error = str(exc)
                self._close_admin()
            self._stop.wait(self._interval)
        self._close_admin()

    def _close_admin(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        self._depth_parts = []

    def sample(self) -> None:
        """One round of sampling (public for tests and one-off use)."""
        if self._admin is None:
            self._admin = KafkaAdminClient(**self._config)
        admin = self._admin
        catalog, subjects = self._registry()
        self.metrics.set_registry(catalog, subjects)
        if not self._depth_parts:
            described = admin.describe_topics(list(self._depth_topics))
            self._depth_parts = [  # metadata field names differ between protocol versions
                TopicPartition(
                    t.get("name", t.get("topic")), p.get("partition_index", p.get("partition"))
                )
                for t in described
                if not t.get("error_code")
                for p in t["partitions"]
            ]
        committed = admin.list_group_offsets(self.group).get(self.group, {})
        # Table changelogs are assigned but read without the group: no lag of theirs.
        owned = [
            TopicPartition(topic, part)
            for topic, part in self.metrics.assignment
            if not topic.endswith("-changelog")
        ]
        ends = admin.list_partition_offsets(
            {tp: OffsetSpec.LATEST for tp in {*owned, *self._depth_parts}}
        )
        # Nothing committed yet: the group starts at the earliest offset (auto.offset.reset).
        unread = [tp for tp in owned if tp not in committed or committed[tp].offset < 0]
        starts = admin.list_partition_offsets(
            {tp: OffsetSpec.EARLIEST for tp in {*unread, *self._depth_parts}}
        )
        lag = {}
        for tp in owned:
            done = committed[tp].offset if tp not in unread else starts[tp].offset
            lag[(tp.topic, tp.partition)] = max(0, ends[tp].offset - done)
        self.metrics.set_lag(self.group, lag)
        depth = dict.fromkeys(self._depth_topics, 0)
        for tp in self._depth_parts:
            if tp in ends and tp in starts:
                depth[tp.topic] += max(0, ends[tp].offset - starts[tp].offset)
        for topic, gauge in self._depth_topics.items():
            gauge.set(depth[topic])
