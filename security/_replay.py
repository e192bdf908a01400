"""Replay protection, pure core: a time window of seen event ids, and a clock-skew check.

The window keeps its memory in a MutableMapping[str, float] (replay key -> event time in
epoch seconds) that the caller may back with a durable store, e.g. a Faust table, so the
memory survives restarts. Eviction order is kept in memory and rebuilt from the mapping.
"""

from __future__ import annotations

import heapq
from collections.abc import MutableMapping
from datetime import datetime

from security.errors import ClockSkewRejected

__all__ = ["ReplayWindow", "check_clock_skew", "replay_key"]


def replay_key(source: str, event_id: str) -> str:
    """Unambiguous key for (ce_source, ce_id): CloudEvents ids are unique per source only."""
    return f"{len(source)}:{source}{event_id}"


def _aware(name: str, when: datetime) -> float:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return when.timestamp()


def check_clock_skew(event_time: datetime, now: datetime, max_skew_s: float) -> None:
    """Raise ClockSkewRejected when ``event_time`` is more than ``max_skew_s`` from ``now``.

    Pass the Kafka record timestamp as ``now`` rather than the wall clock, so that a
    consumer catching up on a backlog does not reject events that were on time.
    """
    delta = _aware("event_time", event_time) - _aware("now", now)
    if abs(delta) > max_skew_s:
        side = "ahead of" if delta > 0 else "behind"
        raise ClockSkewRejected(
            f"ce_time {event_time.isoformat()} is {abs(delta):.1f} s {side} the reference "
            f"time {now.isoformat()} (allowed: {max_skew_s:g} s)"
        )


class ReplayWindow:
    """Remembers replay keys seen within ``window_s`` seconds of event time.

    An event older than the window cannot be proven new (its id may have been forgotten),
    so it counts as seen: keep ``window_s`` at least twice the clock-skew limit and check
    skew first, which gives the better reason. Not thread-safe (one asyncio loop).
    """

    def __init__(self, window_s: float, store: MutableMapping[str, float] | None = None) -> None:
        if window_s <= 0:
            raise ValueError("replay window must be positive")
        self.window_s = window_s
        self._store: MutableMapping[str, float] = {} if store is None else store
        # Min-heap of (event time, key) for eviction; may hold stale pairs, checked on pop.
        self._heap = [(t, k) for k, t in self._store.items()]
        heapq.heapify(self._heap)

    def seen_before(self, event_id: str, event_time: datetime, now: datetime) -> bool:
        """True if ``event_id`` was seen in the window (or is too old to tell); else record it.

        ``event_id`` should be replay_key(ce_source, ce_id); ``now`` the record timestamp.
        """
        t = _aware("event_time", event_time)
        horizon = _aware("now", now) - self.window_s
        self.evict(now)
        if t < horizon:
            return True
        previous = self._store.get(event_id)
        if previous is not None and previous >= horizon:
            return True
        self._store[event_id] = t if previous is None else max(t, previous)
        heapq.heappush(self._heap, (self._store[event_id], event_id))
        return False

    def evict(self, now: datetime) -> int:
        """Forget ids whose event time is older than the window; return how many."""
        horizon = _aware("now", now) - self.window_s
        removed = 0
        while self._heap and self._heap[0][0] < horizon:
            t, key = heapq.heappop(self._heap)
            if self._store.get(key) == t:
                del self._store[key]
                removed += 1
        return removed

    def __len__(self) -> int:
        return len(self._store)
