"""A live, in-memory view of support requests: the API's read path for ``streams.support``.

``streams.support`` writes each request's state to the compacted ``hub.support-state``
topic (key: request id, value: ``SupportState`` JSON). The view reads every partition from
the beginning in a thread and follows it; SSE subscribers get each new state pushed onto
their queue. Built on first use by the support router (or handed in by tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from pydantic import ValidationError

from hub_settings import HubSettings
from registry.support import SupportState
from schemas.support_topics import support_commands, support_state

log = logging.getLogger(__name__)

__all__ = ["SupportView", "ensure_support_topics"]

_Subscriber = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[SupportState]"]


class SupportView:
    """Support request states by id, kept current from the support-state topic."""

    def __init__(self, config: dict[str, Any] | None, topic: str) -> None:
        self.topic = topic
        self._config = config
        self._states: dict[str, SupportState] = {}
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[_Subscriber]] = {}
        self._loaded = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, wait_s: float = 10.0) -> SupportView:
        if self._config is None:  # fed by hand
            self._loaded.set()
            return self
        self._thread = threading.Thread(target=self._run, name=f"view-{self.topic}", daemon=True)
        self._thread.start()
        self._loaded.wait(wait_s)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def loaded(self) -> bool:
        return self._loaded.is_set()

    def get(self, request_id: str) -> SupportState | None:
        with self._lock:
            return self._states.get(request_id)

    def states(self) -> list[SupportState]:
        with self._lock:
            return list(self._states.values())

    def subscribe(self, request_id: str) -> asyncio.Queue[SupportState]:
        """A queue receiving each new state of ``request_id``; call from the event loop."""
        queue: asyncio.Queue[SupportState] = asyncio.Queue(maxsize=100)
        with self._lock:
            self._subscribers.setdefault(request_id, []).append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, request_id: str, queue: asyncio.Queue[SupportState]) -> None:
        with self._lock:
            kept = [s for s in self._subscribers.get(request_id, []) if s[1] is not queue]
            if kept:
                self._subscribers[request_id] = kept
            else:
                self._subscribers.pop(request_id, None)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record: a state, or a tombstone."""
        if key is None:
            return
        request_id = key.decode("utf-8", errors="replace")
        if value is None:
            with self._lock:
                self._states.pop(request_id, None)
            return
        try:
            state = SupportState.model_validate_json(value)
        except ValidationError as exc:
            log.warning("support view: unreadable state for %s: %s", request_id, exc)
            return
        with self._lock:
            self._states[request_id] = state
            subscribers = list(self._subscribers.get(request_id, ()))
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # loop closed: the client is gone
                loop.call_soon_threadsafe(_offer, queue, state)

    def _run(self) -> None:
        assert self._config is not None
        consumer: KafkaConsumer | None = None
        ends: dict[TopicPartition, int] = {}
        while not self._stopping.is_set():
            try:
                if consumer is None:
                    consumer, ends = self._open()
                    if consumer is None:
                        self._stopping.wait(1.0)
                        continue
                for records in consumer.poll(timeout_ms=100).values():
                    for record in records:
                        self.apply(record.key, record.value)
                if not self._loaded.is_set() and all(
                    consumer.position(tp) >= end for tp, end in ends.items()
                ):
                    self._loaded.set()
            except KafkaError:
                log.exception("support view: reading %s failed; retrying", self.topic)
                self._stopping.wait(1.0)
        if consumer is not None:
            consumer.close()

    def _open(self) -> tuple[KafkaConsumer | None, dict[TopicPartition, int]]:
        assert self._config is not None
        consumer = KafkaConsumer(
            **self._config, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        partitions = consumer.partitions_for_topic(self.topic)
        if not partitions:
            consumer.close()
            return None, {}
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        return consumer, {tp: int(ends[tp]) for tp in assigned}


def _offer(queue: asyncio.Queue[SupportState], state: SupportState) -> None:
    if queue.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(state)


def ensure_support_topics(settings: HubSettings) -> None:
    """Create the support commands and state topics if the worker has not yet (idempotent).

    Same partition count as the dossier topics (``HUB_STREAMS_PARTITIONS``), so commands
    keyed by a dossier code are co-partitioned with the dossier table.
    """
    streams, prefix = settings.streams, settings.topic_prefix
    wanted = [
        NewTopic(support_commands(prefix), streams.partitions, streams.replication_factor),
        NewTopic(
            support_state(prefix),
            streams.partitions,
            streams.replication_factor,
            topic_configs={"cleanup.policy": "compact"},
        ),
    ]
    admin = KafkaAdminClient(**settings.kafka_client_config())
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing, wait_for_metadata=True)
    finally:
        admin.close()
