"""Event-sourced state in a compacted single-partition topic: reader, fenced writer.

Used by the schema store (``_schemas``), the registry (``hub.registry``) and the dossier
code sequences. Linearisation: every writer of a topic uses the same ``transactional.id``,
so a writer that starts (``init_transactions``) fences every earlier one; it then reads
the topic to its end before planning. A fenced writer's commit fails, and it starts over
with a fresh view. So decisions (schema ids, sequence numbers) come from a complete view,
and two replicas cannot hand out the same one.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas import StoreUnavailableError

log = logging.getLogger(__name__)

TOPIC_METADATA_WAIT_S = 15.0
"""How long a freshly created topic may take to appear in the brokers' metadata."""


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
        # A topic just created may not be in the metadata yet: describe until it is.
        deadline = time.monotonic() + TOPIC_METADATA_WAIT_S
        partitions = admin.describe_topics([topic])[0].get("partitions") or []
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.1)
            partitions = admin.describe_topics([topic])[0].get("partitions") or []
        if len(partitions) != 1:
            raise StoreUnavailableError(
                f"topic {topic} has {len(partitions)} partitions, it must have exactly one: "
                "it was created with another layout; move its records to a one-partition, "
                "compacted topic"
            )
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
        self._thread = threading.Thread(target=self._run, name=f"log-reader-{topic}", daemon=True)
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
                    f"{self._partition.topic} reader did not reach offset {offset} "
                    f"in {timeout_s:.0f}s"
                )

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batches = self._consumer.poll(timeout_ms=100)
                position = self._consumer.position(self._partition)
            except KafkaError:
                log.exception("%s reader: poll failed; retrying", self._partition.topic)
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

    def write(self, records: Sequence[tuple[bytes, bytes | None]]) -> int:
        """Write records in one transaction; returns the offset of the last one."""
        producer = self._producer
        if producer is None:
            raise StoreUnavailableError(f"{self._topic} writer is not open")
        try:
            producer.begin_transaction()
            futures = [producer.send(self._topic, key=k, value=v) for k, v in records]
            producer.flush(timeout=30)
            offsets = [int(f.get(timeout=30).offset) for f in futures]
            producer.commit_transaction()
        except KafkaError as exc:
            self.close()
            raise StoreUnavailableError(f"write to {self._topic} failed: {exc}") from exc
        return max(offsets)

    def close(self) -> None:
        """Drop the producer; the next write opens (and fences) again."""
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except KafkaError:
                log.warning("%s writer: close failed", self._topic, exc_info=True)
            self._producer = None


_T = TypeVar("_T")
Plan = Callable[[], tuple[_T, Sequence[tuple[bytes, bytes | None]]]]


class FencedLog:
    """A compacted topic replayed into ``apply`` and written by one fenced writer at a time."""

    def __init__(
        self,
        config: dict[str, Any],
        topic: str,
        apply: Callable[[bytes | None, bytes | None], None],
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.topic = topic
        self.cond = threading.Condition()
        self._config = config
        self._apply = apply
        self._timeout_s = timeout_s
        self._write_lock = threading.Lock()
        self._reader: LogReader | None = None
        self._writer = LogWriter(config, topic, transactional_id=f"{topic}.writer")

    def start(self) -> None:
        """Create the topic if missing, replay it, then follow it in a thread."""
        ensure_topic(self._config, self.topic)
        self._reader = LogReader(self._config, self.topic, self._apply, self.cond)
        self._reader.start()
        self._reader.wait_for(self._reader.end_offset(), self._timeout_s)

    def stop(self) -> None:
        self._writer.close()
        if self._reader is not None:
            self._reader.stop()
            self._reader = None

    @property
    def started(self) -> bool:
        return self._reader is not None

    def write(self, plan: Plan[_T]) -> _T:
        """Plan against an up-to-date view, write its records, wait until applied.

        ``plan`` runs under ``cond`` and returns (result, records); no records, no write.
        """
        reader = self._reader
        if reader is None:
            raise StoreUnavailableError(f"{self.topic} is not being read: call start()")
        with self._write_lock:
            deadline = time.monotonic() + self._timeout_s
            attempt = 0
            while True:
                attempt += 1
                if self._writer.fresh:
                    self._writer.open()  # fences other writers...
                    reader.wait_for(reader.end_offset(), self._timeout_s)  # ...then catch up
                with self.cond:
                    result, records = plan()
                if not records:
                    return result
                try:
                    offset = self._writer.write(records)
                except StoreUnavailableError:
                    # Fenced by another replica's writer (or a Kafka hiccup): let it finish,
                    # then fence it in turn and plan again on the caught-up view.
                    if time.monotonic() > deadline:
                        raise
                    time.sleep((50 + secrets.randbelow(200)) / 1000 * min(attempt, 4))
                    continue
                reader.wait_for(offset + 1, self._timeout_s)
                return result


class LogBacked:
    """Start/stop and context-manager plumbing for a view kept by a :class:`FencedLog`."""

    _log: FencedLog

    def start(self) -> Self:
        """Create the topic if missing, replay it into the view, then follow it."""
        self._log.start()
        return self

    def stop(self) -> None:
        """Stop following the topic and close every client."""
        self._log.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
