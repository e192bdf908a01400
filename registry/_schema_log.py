"""Kafka I/O of the schema store: client settings, the topic, the reader and the writer.

Linearisation: every writer uses the same ``transactional.id``, so a writer that starts
(``init_transactions``) fences every earlier one; it then reads the topic to its end
before deciding ids. A fenced writer's commit fails, and it starts over with a fresh
view. So ids come from a complete view, and two replicas cannot hand out the same id.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas import StoreUnavailableError

log = logging.getLogger(__name__)


def ensure_topic(config: dict[str, Any], topic: str) -> None:
    """Create the compacted single-partition topic if it is missing."""
    admin = KafkaAdminClient(**config)
    try:
        brokers = len(admin.describe_cluster().get("brokers", [])) or 1
        new = NewTopic(
            topic,
            num_partitions=1,
            replication_factor=min(3, brokers),
            topic_configs={"cleanup.policy": "compact"},
        )
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics([new])
        partitions = admin.describe_topics([topic])[0].get("partitions", [])
        if len(partitions) != 1:
            raise StoreUnavailableError(f"topic {topic} must have exactly one partition")
    finally:
        admin.close()


class LogReader:
    """A thread that follows the topic from the beginning and applies every record."""

    def __init__(
        self,
        config: dict[str, Any],
        topic: str,
        apply: Callable[[bytes | None, bytes | None], None],
        lock: threading.Condition,
    ) -> None:
        self._config = config
        self._partition = TopicPartition(topic, 0)
        self._apply = apply
        self._cond = lock
        self._position = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"schema-reader-{topic}", daemon=True
        )
        self._consumer = KafkaConsumer(
            **config,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        self._consumer.assign([self._partition])
        self._consumer.seek_to_beginning(self._partition)

    def start(self) -> None:
        """Start following the topic."""
        self._thread.start()

    def stop(self) -> None:
        """Stop following; closes the consumer."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._consumer.close()

    def end_offset(self) -> int:
        """The last stable offset of the topic now (committed records only)."""
        probe = KafkaConsumer(
            **self._config,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        try:
            return int(probe.end_offsets([self._partition])[self._partition])
        except KafkaError as exc:
            raise StoreUnavailableError(f"cannot read the end of {self._partition.topic}") from exc
        finally:
            probe.close()

    def wait_for(self, offset: int, timeout_s: float) -> None:
        """Block until every record before ``offset`` has been applied."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._position >= offset, timeout=timeout_s):
                raise StoreUnavailableError(
                    f"schema store reader did not reach offset {offset} in {timeout_s:.0f}s"
                )

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batches = self._consumer.poll(timeout_ms=100)
                position = self._consumer.position(self._partition)
            except KafkaError:
                log.exception("schema store reader: poll failed; retrying")
                self._stopping.wait(1.0)
                continue
            with self._cond:
                for records in batches.values():
                    for record in records:
                        self._apply(record.key, record.value)
                if position is not None:
                    self._position = position
                self._cond.notify_all()


class LogWriter:
    """The fenced transactional producer; recreated after it has been fenced."""

    def __init__(self, config: dict[str, Any], topic: str, transactional_id: str) -> None:
        self._config = config
        self._topic = topic
        self._transactional_id = transactional_id
        self._producer: KafkaProducer | None = None

    @property
    def fresh(self) -> bool:
        """True when the next write needs a new producer (and so a full catch-up first)."""
        return self._producer is None

    def open(self) -> None:
        """Start a producer, fencing every other writer of the topic."""
        producer = KafkaProducer(
            **self._config,
            transactional_id=self._transactional_id,
            acks="all",
            enable_idempotence=True,
        )
        try:
            producer.init_transactions()
        except KafkaError as exc:
            producer.close(timeout=1)
            raise StoreUnavailableError(f"cannot start the {self._topic} writer: {exc}") from exc
        self._producer = producer

    def write(self, key: bytes, value: bytes | None) -> int:
        """Write one record in its own transaction; returns its offset."""
        producer = self._producer
        if producer is None:
            raise StoreUnavailableError("schema store writer is not open")
        try:
            producer.begin_transaction()
            metadata = producer.send(self._topic, key=key, value=value).get(timeout=30)
            producer.commit_transaction()
        except KafkaError as exc:
            self.close()
            raise StoreUnavailableError(f"write to {self._topic} failed: {exc}") from exc
        return int(metadata.offset)

    def close(self) -> None:
        """Drop the producer; the next write opens (and fences) again."""
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except KafkaError:
                log.warning("schema store writer: close failed", exc_info=True)
            self._producer = None
