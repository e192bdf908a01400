"""Per-credential token buckets: ``rate`` requests a second, bursts up to ``burst``.

Pure and clock-injected so it is tested without sleeping. One bucket per key (a credential
id, or ``addr:<ip>`` for anonymous callers and failed logins); idle full buckets are
forgotten so the table stays small.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TokenBuckets"]

_MAX_KEYS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Token buckets keyed by credential; ``take`` answers None or seconds to wait."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, cost: float = 1.0) -> float | None:
        """Spend ``cost`` tokens of ``key``'s bucket; None if allowed, else the wait (s)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= _MAX_KEYS:
                    self._forget_full(now)
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return None
            return (cost - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        stale = [k for k, b in self._buckets.items() if now - b.updated >= refill]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_KEYS:  # all busy: drop the oldest half
            for key in sorted(self._buckets, key=lambda k: self._buckets[k].updated)[
                : _MAX_KEYS // 2
            ]:
                del self._buckets[key]
