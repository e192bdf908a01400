"""Our side of exactly-once delivery: a durable ledger of event ids, and durable cursors.

Both live in compacted Kafka topics (``<prefix>.connector.<name>.delivered`` and
``.cursor``), read back whole on start, written with acks=all before we go on. Why Kafka
rather than a local file with fsync: a connector pod may restart on another node with an
empty disk, while its consumer offsets already live in Kafka; keeping the ledger next to
them means one store to back up and nothing to mount. The ledger topic is also
``delete``-retained (7 days): a duplicate can only come from offsets not yet committed or
from a replay, both far younger than that.

The ledger per event: ``attempting`` (written before the request leaves), ``delivered``
(the peer said yes; the answer is kept so the reply event can be rebuilt), ``done``;
a tombstone after dead-lettering, so that a replay delivers again.

Crash window: between the peer acting and ``delivered`` being acknowledged (a few ms, or a
whole request when killed mid-request). The next run then finds ``attempting`` and cannot
know whether the peer acted. It never resends blindly: the event goes to dead-letter as
``in-doubt`` for an operator to check and replay, unless the config says the peer honours
the idempotency key (``peer_dedupes: true``), in which case it is resent.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from connectors._durable import until_written
from connectors.errors import StateStoreError
from hub_settings import HubSettings

__all__ = ["DeliveryLedger", "LedgerEntry", "LedgerState", "StateLog", "state_topic"]

_WEEK_MS = 7 * 24 * 3600 * 1000


def state_topic(settings: HubSettings, connector: str, kind: str) -> str:
    """``<prefix>.connector.<name>.<kind>`` (kind: ``delivered`` or ``cursor``)."""
    return f"{settings.topic_prefix}.connector.{connector}.{kind}"


class StateLog:
    """A compacted topic used as a durable map; every ``put`` waits for acks=all."""

    def __init__(
        self,
        settings: HubSettings,
        topic: str,
        *,
        retention_ms: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """``stop``: keep trying a ``put`` while the broker is away, until it is set."""
        self.topic = topic
        self._stop = stop
        self._config = settings.kafka_client_config()
        self._retention_ms = retention_ms
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _ensure_topic(self) -> None:
        configs = {"cleanup.policy": "compact"}
        if self._retention_ms is not None:
            configs = {"cleanup.policy": "compact,delete", "retention.ms": str(self._retention_ms)}
        admin = KafkaAdminClient(**self._config)
        try:
            admin.create_topics([NewTopic(self.topic, 1, 1, topic_configs=configs)])
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def load(self, timeout_s: float = 30.0) -> dict[str, bytes]:
        """Create the topic if needed and read it to its end: the current map."""
        try:
            self._ensure_topic()
            self._producer = KafkaProducer(**self._config, acks="all", enable_idempotence=True)
            consumer = KafkaConsumer(**self._config, enable_auto_commit=False)
        except KafkaError as exc:
            raise StateStoreError(f"cannot open {self.topic}: {exc}") from exc
        state: dict[str, bytes] = {}
        try:
            part = TopicPartition(self.topic, 0)
            consumer.assign([part])
            consumer.seek_to_beginning(part)
            end = consumer.end_offsets([part])[part]
            while consumer.position(part) < end:
                for records in consumer.poll(timeout_ms=int(timeout_s * 1000)).values():
                    for record in records:
                        key = record.key.decode()
                        if record.value is None:
                            state.pop(key, None)
                        else:
                            state[key] = record.value
        except KafkaError as exc:
            raise StateStoreError(f"cannot read {self.topic}: {exc}") from exc
        finally:
            consumer.close()
        return state

    def put(self, key: str, value: bytes | None, timeout_s: float = 30.0) -> None:
        """Write one entry (None = tombstone) and wait until Kafka acknowledged it."""
        if self._producer is None:
            raise StateStoreError(f"{self.topic} is not loaded")
        producer = self._producer

        def write() -> None:
            try:
                with self._lock:
                    producer.send(self.topic, key=key.encode(), value=value).get(timeout_s)
            except KafkaError as exc:
                raise StateStoreError(f"cannot write {self.topic}: {exc}") from exc

        until_written(write, f"{self.topic} write", self._stop)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None


class LedgerState(StrEnum):
    ATTEMPTING = "attempting"
    DELIVERED = "delivered"
    DONE = "done"


@dataclass(frozen=True)
class LedgerEntry:
    state: LedgerState
    response: dict[str, Any] | None = None


class DeliveryLedger:
    """Event id -> delivery state, durable in ``<prefix>.connector.<name>.delivered``."""

    def __init__(self, log: StateLog) -> None:
        self._log = log
        self._entries: dict[str, LedgerEntry] = {}

    def load(self) -> int:
        """Read the ledger back; returns the number of known event ids."""
        for key, raw in self._log.load().items():
            data = json.loads(raw)
            self._entries[key] = LedgerEntry(LedgerState(data["state"]), data.get("response"))
        return len(self._entries)

    def get(self, event_id: str) -> LedgerEntry | None:
        return self._entries.get(event_id)

    def _put(self, event_id: str, entry: LedgerEntry | None) -> None:
        if entry is None:
            self._log.put(event_id, None)
            self._entries.pop(event_id, None)
            return
        body = {"state": entry.state.value, "response": entry.response}
        self._log.put(event_id, json.dumps(body, default=str, ensure_ascii=False).encode())
        self._entries[event_id] = entry

    def attempting(self, event_id: str) -> None:
        self._put(event_id, LedgerEntry(LedgerState.ATTEMPTING))

    def delivered(self, event_id: str, response: dict[str, Any]) -> None:
        """The peer accepted; the answer is kept (as JSON) for the reply event."""
        plain = json.loads(json.dumps(response, default=str))
        self._put(event_id, LedgerEntry(LedgerState.DELIVERED, plain))

    def done(self, event_id: str) -> None:
        self._put(event_id, LedgerEntry(LedgerState.DONE))

    def forget(self, event_id: str) -> None:
        """Tombstone: the event was dead-lettered and may be replayed."""
        if event_id in self._entries:
            self._put(event_id, None)

    def close(self) -> None:
        self._log.close()
