"""Operator replays from quarantine: judged by the time the hub first received them.

A record replayed from quarantine (``hub quarantine replay``, or the operations API)
carries ``hub_replayed_from = <quarantine topic>/<partition>/<offset>``. Its clock skew is
then checked at the time of that quarantine record, when the hub first received it, not
at the time of the replay: the replay may come days later, after an operator registered
the missing key, and must not be refused as too old for that. The marker is only believed
when the record it names is in this hub's quarantine topic and holds exactly the replayed
bytes: anyone who may publish can write the header, nobody but the hub writes quarantine.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from schemas import KafkaMessage
from schemas.rejects import REPLAYED_FROM, same_original

log = logging.getLogger(__name__)

_FETCH_TIMEOUT_S = 10.0


def marker_of(message: KafkaMessage) -> str | None:
    """The ``hub_replayed_from`` header's value, if the message has one."""
    for name, value in message.headers:
        if name == REPLAYED_FROM:
            return value.decode("utf-8", "replace")
    return None


def parse_marker(marker: str, quarantine_topic: str) -> tuple[int, int] | None:
    """(partition, offset) when ``marker`` names a record of ``quarantine_topic``."""
    parts = marker.rsplit("/", 2)
    if len(parts) != 3 or parts[0] != quarantine_topic:
        return None
    try:
        partition, offset = int(parts[1]), int(parts[2])
    except ValueError:
        return None
    return (partition, offset) if partition >= 0 and offset >= 0 else None


def fetch(config: dict[str, Any], topic: str, partition: int, offset: int) -> Any | None:
    """The consumer record at ``topic/partition/offset``, or None if there is none."""
    tp = TopicPartition(topic, partition)
    consumer = KafkaConsumer(**config, enable_auto_commit=False)
    with contextlib.closing(consumer):
        if partition not in (consumer.partitions_for_topic(topic) or set()):
            return None
        consumer.assign([tp])
        if offset >= consumer.end_offsets([tp])[tp]:
            return None
        consumer.seek(tp, offset)
        for _ in range(int(_FETCH_TIMEOUT_S / 0.5)):
            for record in consumer.poll(timeout_ms=500, max_records=1).get(tp, []):
                return record if record.offset == offset else None
    return None


def received_at(
    message: KafkaMessage, config: dict[str, Any], quarantine_topic: str
) -> datetime | None:
    """When the hub first received ``message``, if it is a genuine replay from quarantine;
    None otherwise (then it is judged at the time of its arrival, like any message)."""
    marker = marker_of(message)
    place = parse_marker(marker, quarantine_topic) if marker else None
    if place is None:
        return None
    record = fetch(config, quarantine_topic, *place)
    if record is None or not same_original(KafkaMessage.from_record(record), message):
        log.warning("replay marker %s does not name this record's quarantined copy", marker)
        return None
    return datetime.fromtimestamp(record.timestamp / 1000, UTC)
