"""Delivery policy: retries with exponential backoff and jitter, and a circuit breaker.

- Permanent errors (4xx, Client/Sender fault, malformed answer) end the delivery at once.
- Transient errors (5xx, transient fault, read timeout) are retried with tenacity's
  exponential backoff plus jitter, up to ``retry.attempts``; then RetriesExhaustedError
  carries the last error to dead-letter.
- A read timeout is retried only if the peer deduplicates (``Retry.timeout_action``): the
  peer may have acted, so to one that cannot spot a repeat it is InDoubtError, never resent.
- Nobody answering (connection refused, circuit open) does not spend the message's budget:
  the peer is down, not the message bad, so the connector waits in place (order kept) and
  the breaker spaces the probes. A peer outage therefore ends with every message delivered,
  unless it lasts ``retry.unavailable_max_s``: then PeerUnavailableTooLongError dead-letters
  the message (it never arrived, so a replay is safe) and the next one is tried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from connectors.config import Breaker, Retry
from connectors.errors import (
    InDoubtError,
    PeerTimeoutError,
    PeerUnavailableError,
    PeerUnavailableTooLongError,
    PermanentDeliveryError,
    RetriesExhaustedError,
    StoppedError,
    TransientDeliveryError,
)

__all__ = ["BreakerState", "CircuitBreaker", "DeliveryObserver", "DeliveryPolicy"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; after ``open_s`` lets one probe through.

    Each failed probe doubles the open time, up to ``max_open_s``. Thread-safe.
    """

    def __init__(
        self,
        failures: int = 3,
        open_s: float = 2.0,
        max_open_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold, self._base, self._max = failures, open_s, max(max_open_s, open_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_for = open_s
        self._opened_at: float | None = None

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._opened_at is None:
                return BreakerState.CLOSED
            if self._clock() - self._opened_at >= self._open_for:
                return BreakerState.HALF_OPEN
            return BreakerState.OPEN

    def wait_time(self) -> float:
        """Seconds until a call may go through (0 when closed or half-open)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._opened_at + self._open_for - self._clock())

    def success(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._open_for = 0, None, self._base

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._opened_at is not None:  # a failed probe: open again, for longer
                self._open_for = min(self._open_for * 2, self._max)
                self._opened_at = self._clock()
            elif self._failures >= self._threshold:
                self._opened_at = self._clock()
                log.warning("circuit breaker open for %.1fs", self._open_for)


class DeliveryObserver(Protocol):
    """What the policy reports as it goes (the connector's metrics)."""

    def call_done(self, seconds: float) -> None:
        """One call to the peer ended, answered or not."""

    def retrying(self) -> None:
        """A failed attempt will be tried again."""


class _Unobserved:
    def call_done(self, seconds: float) -> None:
        pass

    def retrying(self) -> None:
        pass


class _Outage:
    """How long one delivery has found nobody answering; any answer from the peer resets it."""

    def __init__(self, limit_s: float, clock: Callable[[], float]) -> None:
        self._limit_s, self._clock = limit_s, clock
        self._since: float | None = None
        self._last: PeerUnavailableError | None = None

    def unanswered(self, exc: PeerUnavailableError) -> None:
        """One more call nobody answered; PeerUnavailableTooLongError once over the limit."""
        if self._since is None:
            self._since = self._clock()
        self._last = exc
        self.check()

    def answered(self) -> None:
        self._since, self._last = None, None

    def check(self) -> None:
        """PeerUnavailableTooLongError when the peer has been unreachable for the limit."""
        if self._since is None or self._last is None:
            return
        waited = self._clock() - self._since
        if waited >= self._limit_s:
            raise PeerUnavailableTooLongError(waited, self._limit_s, self._last)

    def cap(self, seconds: float) -> float:
        """``seconds``, or less so that a wait ends when the limit is reached."""
        if self._since is None:
            return seconds
        return max(0.0, min(seconds, self._since + self._limit_s - self._clock()))


class DeliveryPolicy:
    """Runs one delivery (a ``send`` callable) under the retry budget and the breaker.

    ``peer_dedupes`` decides, unless ``retry.on_timeout`` does, whether a timeout is resent.
    """

    def __init__(
        self,
        retry: Retry,
        breaker: Breaker,
        stop: threading.Event | None = None,
        observer: DeliveryObserver | None = None,
        *,
        peer_dedupes: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.retry = retry
        self.breaker = CircuitBreaker(breaker.failures, breaker.open_s, breaker.max_open_s, clock)
        self.timeout_action = retry.timeout_action(peer_dedupes)
        self._stop = stop or threading.Event()
        self._observer = observer or _Unobserved()
        self._clock = clock

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise StoppedError("stopping")

    def _attempt(self, send: Callable[[], T], outage: _Outage) -> T:
        """One counted attempt; waits (uncounted) while the peer does not answer at all."""
        pause = self.retry.initial_s
        while True:
            if self._stop.is_set():
                raise StoppedError("stopping")
            outage.check()
            wait = self.breaker.wait_time()
            if wait > 0:
                self._sleep(outage.cap(wait))
                continue
            started = time.monotonic()
            try:
                result = send()
            except PeerUnavailableError as exc:
                self._observer.call_done(time.monotonic() - started)
                self._observer.retrying()
                self.breaker.failure()
                log.warning("peer unavailable (%s); waiting", exc.reason)
                outage.unanswered(exc)
                self._sleep(outage.cap(pause))
                pause = min(pause * 2, self.retry.max_s)
                continue
            except TransientDeliveryError as exc:
                self._observer.call_done(time.monotonic() - started)
                self.breaker.failure()
                outage.answered()
                if isinstance(exc, PeerTimeoutError) and self.timeout_action == "deadletter":
                    raise InDoubtError(
                        f"{exc}; the peer may have acted and does not deduplicate: not resent"
                    ) from exc
                raise
            except PermanentDeliveryError:
                self._observer.call_done(time.monotonic() - started)
                self.breaker.success()  # the peer answered: it is up
                raise
            self._observer.call_done(time.monotonic() - started)
            self.breaker.success()
            return result

    def _before_sleep(self, state: RetryCallState) -> None:
        self._observer.retrying()
        log.info(
            "attempt %d failed: %s",
            state.attempt_number,
            state.outcome and state.outcome.exception(),
        )

    def run(self, send: Callable[[], T]) -> T:
        """The result of ``send``; PermanentDeliveryError (incl. RetriesExhaustedError)."""
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.retry.initial_s, max=self.retry.max_s, jitter=self.retry.jitter_s
            ),
            retry=retry_if_exception_type(TransientDeliveryError),
            sleep=self._sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        outage = _Outage(self.retry.unavailable_max_s, self._clock)
        try:
            result: T = retrying(self._attempt, send, outage)
        except TransientDeliveryError as exc:
            attempts = retrying.statistics.get("attempt_number", self.retry.attempts)
            raise RetriesExhaustedError(int(attempts), exc) from exc
        return result
