"""Reading ``hub.audit`` (one partition) with kafka-python: all of it, or its last records."""

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
