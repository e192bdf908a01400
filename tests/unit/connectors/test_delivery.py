"""Delivery policy: retry budget, permanent errors, the peer-down wait and the breaker."""

from __future__ import annotations

import pytest

from connectors.config import Breaker, Retry
from connectors.delivery import BreakerState, CircuitBreaker, DeliveryPolicy
from connectors.errors import (
    PeerRejectedError,
    PeerTimeoutError,
    PeerUnavailableError,
    RetriesExhaustedError,
    TransientDeliveryError,
)

FAST = Retry(attempts=3, initial_s=0.001, max_s=0.005, jitter_s=0.001)


class Script:
    """A send() that raises the scripted errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors, self.calls = list(errors), 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": "yes"}


def policy(retry: Retry = FAST) -> DeliveryPolicy:
    return DeliveryPolicy(retry, Breaker(failures=100, open_s=0.01))


def test_transient_errors_are_retried() -> None:
    send = Script(TransientDeliveryError("503"), TransientDeliveryError("503"))
    assert policy().run(send) == {"ok": "yes"}
    assert send.calls == 3


def test_budget_exhausted_carries_the_last_error() -> None:
    send = Script(*(TransientDeliveryError(f"503 #{n}", reason="http-503") for n in range(5)))
    with pytest.raises(RetriesExhaustedError) as caught:
        policy().run(send)
    assert send.calls == 3
    assert caught.value.last.reason == "http-503"
    assert "503 #2" in str(caught.value)


def test_permanent_errors_are_not_retried() -> None:
    send = Script(PeerRejectedError("400"))
    with pytest.raises(PeerRejectedError):
        policy().run(send)
    assert send.calls == 1


def test_peer_down_does_not_spend_the_budget() -> None:
    send = Script(*(PeerUnavailableError("refused") for _ in range(10)))
    assert policy().run(send) == {"ok": "yes"}
    assert send.calls == 11


def test_timeouts_can_be_sent_to_dead_letter_at_once() -> None:
    retry = FAST.model_copy(update={"on_timeout": "deadletter"})
    send = Script(PeerTimeoutError("slow"))
    with pytest.raises(RetriesExhaustedError):
        policy(retry).run(send)
    assert send.calls == 1


def test_breaker_opens_then_probes_and_closes() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, open_s=1.0, max_open_s=4.0, clock=lambda: now[0])
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.wait_time() == 1.0
    now[0] = 1.0
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.failure()  # the probe failed: open for twice as long
    assert breaker.wait_time() == 2.0
    now[0] = 3.0
    breaker.success()
    assert breaker.state is BreakerState.CLOSED
