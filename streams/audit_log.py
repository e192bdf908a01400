"""Reading ``hub.audit`` (one partition) with kafka-python: all of it, or its last records;
and the entries the chain lacks from ``hub.audit.entries``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from hub_settings import HubSettings
from schemas.topics import TopicNames


def read_audit(settings: HubSettings, last: int | None = None) -> Iterator[dict[str, Any]]:
    """The audit records up to the topic's current end: every one, or only the ``last`` few."""
    partition = TopicPartition(TopicNames(settings.topic_prefix).audit, 0)
    consumer = KafkaConsumer(**settings.kafka_client_config(), enable_auto_commit=False)
    try:
        consumer.assign([partition])
        end = consumer.end_offsets([partition])[partition]
        if last is None:
            consumer.seek_to_beginning(partition)
        else:
            consumer.seek(partition, max(0, end - last))
        while consumer.position(partition) < end:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    if record.offset < end:
                        yield json.loads(record.value)
    finally:
        consumer.close()


def read_entries(settings: HubSettings, start: int, end: int) -> list[tuple[int, bytes]]:
    """The ``hub.audit.entries`` records at offsets ``start`` to ``end - 1`` as (offset,
    value): what the chain lacks, read past the stream processor's own position."""
    partition = TopicPartition(TopicNames(settings.topic_prefix).audit_entries, 0)
    consumer = KafkaConsumer(
        **settings.kafka_client_config(), enable_auto_commit=False, auto_offset_reset="earliest"
    )
    found: list[tuple[int, bytes]] = []
    try:
        consumer.assign([partition])
        end = min(end, consumer.end_offsets([partition])[partition])
        consumer.seek(partition, start)
        while consumer.position(partition) < end:
            for records in consumer.poll(timeout_ms=1000).values():
                found += [(r.offset, r.value) for r in records if start <= r.offset < end]
    finally:
        consumer.close()
    return found
