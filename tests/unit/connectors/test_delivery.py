"""Delivery policy: retry budget, permanent errors, the peer-down wait and the breaker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.config import Breaker, Retry
from connectors.delivery import BreakerState, CircuitBreaker, DeliveryPolicy
from connectors.errors import (
    InDoubtError,
    PeerRejectedError,
    PeerTimeoutError,
    PeerUnavailableError,
    PeerUnavailableTooLongError,
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


def policy(retry: Retry = FAST, *, peer_dedupes: bool = False) -> DeliveryPolicy:
    return DeliveryPolicy(retry, Breaker(failures=100, open_s=0.01), peer_dedupes=peer_dedupes)


class Clock:
    """A monotonic clock that each send() moves on by ``step`` seconds."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        return self.now

    def sending(self, script: Script) -> Callable[[], dict[str, str]]:
        def send() -> dict[str, str]:
            self.now += self.step
            return script()

        return send


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


@pytest.mark.parametrize(
    ("on_timeout", "peer_dedupes", "action"),
    [
        (None, False, "deadletter"),  # the default: never resend to a peer that cannot dedupe
        (None, True, "retry"),
        ("retry", False, "retry"),  # an explicit override (config_warnings flags it)
        ("deadletter", True, "deadletter"),
    ],
)
def test_timeout_action_follows_peer_dedupes_unless_configured(
    on_timeout: str | None, peer_dedupes: bool, action: str
) -> None:
    retry = FAST.model_copy(update={"on_timeout": on_timeout})
    assert policy(retry, peer_dedupes=peer_dedupes).timeout_action == action


def test_timeout_to_a_peer_that_cannot_dedupe_is_in_doubt_and_sent_once() -> None:
    send = Script(PeerTimeoutError("no answer within 1.0s"))
    with pytest.raises(InDoubtError) as caught:
        policy().run(send)
    assert send.calls == 1
    assert caught.value.reason == "in-doubt"
    assert "no answer within 1.0s" in str(caught.value)


def test_timeout_to_a_peer_that_dedupes_is_resent() -> None:
    send = Script(PeerTimeoutError("slow"))
    assert policy(peer_dedupes=True).run(send) == {"ok": "yes"}
    assert send.calls == 2


def test_peer_down_too_long_ends_with_the_last_error() -> None:
    clock = Clock(step=10.0)  # each refused call takes 10 s of the clock
    retry = FAST.model_copy(update={"unavailable_max_s": 25.0})
    refused = Script(*(PeerUnavailableError(f"refused #{n}") for n in range(100)))
    breaker = Breaker(failures=100, open_s=0.01)
    with pytest.raises(PeerUnavailableTooLongError) as caught:
        DeliveryPolicy(retry, breaker, clock=clock).run(clock.sending(refused))
    assert refused.calls == 4  # first refusal at t=10, then 20, 30, 40: 30 s >= 25 s
    assert caught.value.reason == "peer-unavailable"
    assert caught.value.last.reason == "peer-unavailable"
    assert "refused #3" in str(caught.value)
    assert "unavailable_max_s 25" in str(caught.value)


def test_an_answer_restarts_the_unavailable_clock() -> None:
    clock = Clock(step=10.0)
    retry = FAST.model_copy(update={"unavailable_max_s": 25.0})
    down = [PeerUnavailableError("refused")] * 2  # 10 s of outage each time, under 25 s
    send = Script(*down, TransientDeliveryError("503"), *down)
    breaker = Breaker(failures=100, open_s=0.01)
    assert DeliveryPolicy(retry, breaker, clock=clock).run(clock.sending(send)) == {"ok": "yes"}
    assert send.calls == 6


def test_the_default_bound_outlasts_a_short_outage() -> None:
    assert Retry().unavailable_max_s >= 600


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
