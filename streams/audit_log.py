"""Reading ``hub.audit`` (one partition) with kafka-python: all of it, or its last records;
and the entries the chain lacks from ``hub.audit.entries``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from hub_settings import HubSettings
from schemas.topics import TopicNames


def _read_partition(
    settings: HubSettings, topic: str, start_at: Callable[[int], int], end: int | None = None
) -> Iterator[Any]:
    """The records of partition 0 of ``topic`` from ``start_at(current end)`` up to ``end``
    (at most the current end); offsets the log no longer holds are skipped."""
    partition = TopicPartition(topic, 0)
    consumer = KafkaConsumer(
        **settings.kafka_client_config(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        consumer.assign([partition])
        top = consumer.end_offsets([partition])[partition]
        end = top if end is None else min(end, top)
        start = start_at(top)
        consumer.seek(partition, start)
        while consumer.position(partition) < end:
            for records in consumer.poll(timeout_ms=1000).values():
                yield from (r for r in records if start <= r.offset < end)
    finally:
        consumer.close()


def read_audit(settings: HubSettings, last: int | None = None) -> Iterator[dict[str, Any]]:
    """The audit records up to the topic's current end: every one, or only the ``last`` few."""
    topic = TopicNames(settings.topic_prefix).audit
    start_at = (lambda end: 0) if last is None else (lambda end: max(0, end - last))
    for record in _read_partition(settings, topic, start_at):
        yield json.loads(record.value)


def read_entries(settings: HubSettings, start: int, end: int) -> list[tuple[int, bytes]]:
    """The ``hub.audit.entries`` records at offsets ``start`` to ``end - 1`` as (offset,
    value): what the chain lacks, read past the stream processor's own position."""
    topic = TopicNames(settings.topic_prefix).audit_entries
    return [(r.offset, r.value) for r in _read_partition(settings, topic, lambda _: start, end)]
