"""A live, in-memory view of a compacted state topic, with push to async subscribers.

The API's read paths: ``streams.track`` writes each dossier's state to ``hub.dossier-state``
and ``streams.support`` each request's to ``hub.support-state`` (key: the id, value: the
state as JSON, tombstone when removed). A view reads every partition from the beginning
in a thread and follows it, so the API never reaches into a Faust worker; SSE subscribers
get each new state pushed onto their queue as soon as the reader applies it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any, Generic, Self, TypeVar

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

__all__ = ["StateView"]

S = TypeVar("S", bound=BaseModel)


class StateView(Generic[S]):
    """States by key (dossier code, request id...), kept current from a compacted topic."""

    model: type[S]
    name = "state view"

    def __init__(self, config: dict[str, Any] | None, topic: str) -> None:
        self.topic = topic
        self._config = config
        self._states: dict[str, S] = {}
        self._lock = threading.Lock()
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[S]]]] = {}
        self._loaded = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_poll = 0.0
        self.bad_records = 0

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, wait_s: float = 30.0) -> Self:
        """Start following; wait up to ``wait_s`` for the first full replay."""
        if self._config is None:  # a view fed by hand (tests, tools)
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
        """True once the topic was read to the end at least once."""
        return self._loaded.is_set()

    @property
    def kafka_reachable(self) -> bool:
        """The reader polled Kafka successfully in the last 10 seconds (or needs no Kafka)."""
        return self._config is None or time.monotonic() - self.last_poll < 10.0

    # --- reads --------------------------------------------------------------------------
    def get(self, code: str) -> S | None:
        with self._lock:
            return self._states.get(code)

    def states(self) -> list[S]:
        """A snapshot of every state."""
        with self._lock:
            return list(self._states.values())

    def __len__(self) -> int:
        return len(self._states)

    def subscribe(self, code: str) -> asyncio.Queue[S]:
        """A queue receiving each new state of ``code``; call from the event loop."""
        queue: asyncio.Queue[S] = asyncio.Queue(maxsize=100)
        with self._lock:
            self._subscribers.setdefault(code, []).append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, code: str, queue: asyncio.Queue[S]) -> None:
        with self._lock:
            kept = [s for s in self._subscribers.get(code, []) if s[1] is not queue]
            if kept:
                self._subscribers[code] = kept
            else:
                self._subscribers.pop(code, None)

    def subscriber_count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._subscribers.values())

    # --- writes (from the reader thread, or by hand) ------------------------------------
    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record of the topic: a state, or a tombstone."""
        if key is None:
            return
        code = key.decode("utf-8", errors="replace")
        if value is None:
            with self._lock:
                self._states.pop(code, None)
            return
        try:
            state = self.model.model_validate_json(value)
        except ValidationError as exc:
            self.bad_records += 1
            log.warning("%s: unreadable state for %s: %s", self.name, code, exc)
            return
        with self._lock:
            self._states[code] = state
            subscribers = list(self._subscribers.get(code, ()))
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # loop closed: the client is gone
                loop.call_soon_threadsafe(_offer, queue, state)

    # --- the reader thread --------------------------------------------------------------
    def _run(self) -> None:
        assert self._config is not None
        consumer: KafkaConsumer | None = None
        targets: dict[TopicPartition, int] = {}
        while not self._stopping.is_set():
            try:
                if consumer is None:
                    consumer, targets = self._open()
                    if consumer is None:
                        self._stopping.wait(1.0)
                        continue
                batches = consumer.poll(timeout_ms=100)
                for records in batches.values():
                    for record in records:
                        self.apply(record.key, record.value)
                self.last_poll = time.monotonic()
                if not self._loaded.is_set() and all(
                    consumer.position(tp) >= end for tp, end in targets.items()
                ):
                    log.info("%s loaded: %d states from %s", self.name, len(self), self.topic)
                    self._loaded.set()
            except KafkaError:
                log.exception("%s: reading %s failed; retrying", self.name, self.topic)
                self._stopping.wait(1.0)
        if consumer is not None:
            consumer.close()

    def _open(self) -> tuple[KafkaConsumer | None, dict[TopicPartition, int]]:
        assert self._config is not None
        consumer = KafkaConsumer(
            **self._config,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        partitions = consumer.partitions_for_topic(self.topic)
        self.last_poll = time.monotonic()
        if not partitions:
            log.info("%s: topic %s does not exist yet; waiting", self.name, self.topic)
            consumer.close()
            return None, {}
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        return consumer, {tp: int(ends[tp]) for tp in assigned}


def _offer(queue: asyncio.Queue[S], state: S) -> None:
    if queue.full():  # a slow client keeps only the newest states
        with contextlib.suppress(asyncio.QueueEmpty):
            queue.get_nowait()
    queue.put_nowait(state)
