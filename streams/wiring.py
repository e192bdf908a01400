"""The worker's topics, shared runtime, metrics and output helpers (quarantine, audit, emit)."""

from __future__ import annotations

import json
import logging
from typing import Any

from schemas import KafkaMessage, load_catalog
from schemas.rejects import Rejection, reject
from schemas.topics import DOMAINS
from streams.app import app, settings
from streams.audit_chain import message_digest
from streams.metrics import KafkaSampler, WorkerMetrics, serve
from streams.runtime import HubRuntime, utc_now

log = logging.getLogger(__name__)

runtime = HubRuntime(settings)
names = runtime.names
metrics = WorkerMetrics(event.ce_type for event in load_catalog().events)


def _raw_topic(*topic_names: str) -> Any:
    return app.topic(
        *topic_names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
    )


ingress_topic = _raw_topic(names.ingress)
dossier_topics = _raw_topic(*(names.events(d) for d in DOMAINS if d != "support"))
audit_entries_topic = _raw_topic(names.audit_entries)


_runtime_started = False


@app.on_worker_init.connect  # type: ignore[untyped-decorator]  # faust has no types
def _start_runtime(app: Any = None, **_: Any) -> None:
    """Topics, schema store, registry and hub key are ready before any agent consumes.

    Faust sends ``on_worker_init`` twice (``App.main`` and then the CLI's ``prepare_app``);
    a second start would open a second registry and schema reader and a second /metrics."""
    global _runtime_started
    if _runtime_started:
        return
    _runtime_started = True
    runtime.start()
    runtime.ensure_changelogs(
        table.changelog_topic.get_topic_name() for table in app.tables.values()
    )
    _start_metrics()


def _start_metrics() -> None:
    """``/metrics`` on its own port and the thread that samples lag, depths and sizes."""
    streams = runtime.settings.streams
    if serve(metrics.registry, streams.metrics_host, streams.metrics_port, "worker") is None:
        return
    KafkaSampler(
        metrics,
        runtime.settings.kafka_client_config(),
        group=streams.app_id,
        quarantine=names.quarantine,
        deadletter=names.deadletter,
        registry=lambda: (runtime.registry.catalog(), len(runtime.schemas.subjects())),
        interval_s=streams.metrics_interval_s,
    ).start()


@app.on_partitions_assigned.connect  # type: ignore[untyped-decorator]  # faust has no types
async def _track_assignment(sender: Any, assigned: Any = (), **_: Any) -> None:
    """The consumer lag this worker reports is that of the partitions it owns."""
    metrics.set_assignment(assigned)


async def emit(topic: str, message: KafkaMessage) -> None:
    """Send now (not held back until the commit): the consumer flushes the producer before
    it commits offsets, so a crash can only repeat sends, never lose them."""
    await app.producer.send(topic, message.key, message.value, None, None, message.header_list())


async def audit(message: KafkaMessage, outcome: str, origin: str, reason: str = "") -> None:
    """Queue the digest of an accepted or rejected message for the audit chain."""
    headers = dict(message.headers)
    entry = {
        "digest": message_digest(message),
        "outcome": outcome,
        "reason": reason,
        "origin": origin,
        "ce_id": headers.get("ce_id", b"").decode("utf-8", "replace"),
        "ce_type": headers.get("ce_type", b"").decode("utf-8", "replace"),
        "ce_source": headers.get("ce_source", b"").decode("utf-8", "replace"),
        "time": utc_now().isoformat(timespec="milliseconds"),
    }
    await emit(names.audit_entries, KafkaMessage(b"chain", json.dumps(entry).encode()))


async def quarantine(
    message: KafkaMessage, reason: str, detail: str, stage: str, origin: str
) -> None:
    """Keep a refused message, byte for byte, with why; it never blocks the stream."""
    log.info("quarantine %s at %s: %s (%s)", reason, stage, detail, origin)
    metrics.quarantined(reason, stage)
    rejection = Rejection(reason=reason, detail=detail, stage=stage, origin=origin)
    await emit(names.quarantine, reject(message, rejection))
    await audit(message, "quarantined", origin, reason)
