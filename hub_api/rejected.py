"""Browse and replay quarantine and dead-letter: shared by the HTTP API and ``hub`` CLI.

A rejected record keeps the original key, value and headers plus ``hub_reject_*``
headers (``schemas.rejects``). Replaying re-publishes the original: a quarantined event
goes back to ``hub.ingress`` (verified again), a dead-lettered one to the topic it was
read from (its ``origin``), which must be one of the hub's own topics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kafka import KafkaConsumer, TopicPartition

from schemas import KafkaMessage
from schemas.rejects import REPLAYED_FROM, Rejection, split_rejected
from schemas.topics import TopicNames

__all__ = [
    "REPLAYED_FROM",
    "RejectedLog",
    "RejectedRecord",
    "ReplayError",
    "Sender",
    "replay",
    "replay_target",
]

Kind = Literal["quarantine", "deadletter"]
Sender = Callable[[str, Sequence[KafkaMessage]], None]
"""Publishes messages to a topic and returns once Kafka acknowledged them."""
_READ_TIMEOUT_S = 10.0


class ReplayError(ValueError):
    """The record cannot be replayed (its origin is not a hub topic)."""


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """One quarantine/dead-letter record: where it is, the original and why."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    original: KafkaMessage
    rejection: Rejection

    def header(self, name: str) -> str | None:
        for key, value in self.original.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description (headers as text, the value's size only)."""
        return {
            "partition": self.partition,
            "offset": self.offset,
            "timestamp_ms": self.timestamp_ms,
            "event_id": self.header("ce_id"),
            "type": self.header("ce_type"),
            "source": self.header("ce_source"),
            "subject": self.header("ce_subject"),
            "key": self.original.key.decode("utf-8", "replace") if self.original.key else None,
            "value_bytes": len(self.original.value),
            "reason": self.rejection.reason,
            "detail": self.rejection.detail,
            "stage": self.rejection.stage,
            "origin": self.rejection.origin,
            "rejected_at": self.rejection.time,
            "replayed_from": self.header(REPLAYED_FROM),
        }


class RejectedLog:
    """Reads one quarantine or dead-letter topic with short-lived consumers."""

    def __init__(self, config: dict[str, Any], topic: str) -> None:
        self._config = config
        self.topic = topic

    def _consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            **self._config, group_id=None, enable_auto_commit=False, consumer_timeout_ms=1000
        )

    def browse(
        self, after: dict[int, int] | None = None, limit: int = 50, reason: str | None = None
    ) -> tuple[list[RejectedRecord], dict[int, int], bool]:
        """Up to ``limit`` records after the positions ``after`` (partition -> next offset).

        Returns the records (partition by partition, in offset order), the positions to
        continue from, and whether more records follow.
        """
        consumer = self._consumer()
        try:
            partitions = sorted(consumer.partitions_for_topic(self.topic) or ())
            found: list[RejectedRecord] = []
            positions = dict(after or {})
            tps = [TopicPartition(self.topic, p) for p in partitions]
            if not tps:
                return [], positions, False
            ends = consumer.end_offsets(tps)
            for tp in tps:
                start = positions.get(tp.partition, 0)
                if start >= ends[tp]:
                    continue
                if len(found) >= limit:
                    return found, positions, True
                consumer.assign([tp])
                consumer.seek(tp, start)
                for record in _read_until(consumer, tp, int(ends[tp])):
                    positions[tp.partition] = record.offset + 1
                    item = self._record(record)
                    if reason is None or item.rejection.reason == reason:
                        found.append(item)
                    if len(found) >= limit:
                        break
            more = any(positions.get(tp.partition, 0) < ends[tp] for tp in tps)
            return found, positions, more
        finally:
            consumer.close()

    def get(self, partition: int, offset: int) -> RejectedRecord | None:
        """The record at ``partition``/``offset``, or None if there is none."""
        consumer = self._consumer()
        try:
            if partition not in (consumer.partitions_for_topic(self.topic) or ()):
                return None
            tp = TopicPartition(self.topic, partition)
            end = int(consumer.end_offsets([tp])[tp])
            if offset < 0 or offset >= end:
                return None
            consumer.assign([tp])
            consumer.seek(tp, offset)
            for record in _read_until(consumer, tp, offset + 1):
                if record.offset == offset:
                    return self._record(record)
            return None  # compacted or deleted by retention
        finally:
            consumer.close()

    def _record(self, record: Any) -> RejectedRecord:
        original, rejection = split_rejected(KafkaMessage.from_record(record))
        return RejectedRecord(
            self.topic, record.partition, record.offset, record.timestamp, original, rejection
        )


def _read_until(consumer: KafkaConsumer, tp: TopicPartition, end: int) -> list[Any]:
    records: list[Any] = []
    deadline = time.monotonic() + _READ_TIMEOUT_S
    while consumer.position(tp) < end and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(r for r in batch if r.offset < end)
    return records


def replay_target(kind: Kind, record: RejectedRecord, topics: TopicNames) -> str:
    """Where a replay of ``record`` goes: ingress, or the dead-letter's origin topic."""
    if kind == "quarantine":
        return topics.ingress
    origin_topic = record.rejection.origin.rsplit("/", 2)[0] if record.rejection.origin else ""
    if not origin_topic.startswith(f"{topics.prefix}.") or origin_topic in (
        topics.quarantine,
        topics.deadletter,
    ):
        raise ReplayError(f"dead-letter origin {record.rejection.origin!r} is not a hub topic")
    return origin_topic


def replay(kind: Kind, record: RejectedRecord, topics: TopicNames, send: Sender) -> str:
    """Re-publish the original of ``record``; returns the topic it went to."""
    target = replay_target(kind, record, topics)
    marker = f"{record.topic}/{record.partition}/{record.offset}".encode()
    headers = tuple(h for h in record.original.headers if h[0] != REPLAYED_FROM)
    send(
        target,
        [
            KafkaMessage(
                record.original.key, record.original.value, (*headers, (REPLAYED_FROM, marker))
            )
        ],
    )
    return target
