"""Scenario 3: the Kafka broker stops for several seconds while traffic flows, then starts
again. A private broker is used (the session broker is shared by other tests)."""

from __future__ import annotations

import time

import pytest

from tests.faults.checker import Checker, Model, Sender, Traffic, start_worker

pytestmark = pytest.mark.integration

DOSSIERS = 40  # 240 signed events
OUTAGE_S = 5.0


def test_broker_stopped_for_seconds_then_started(private_broker, fault_pipeline) -> None:
    broker, settings = private_broker
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=3).plan(DOSSIERS)
    model = Model(pipe, plan)
    start_worker(pipe, "worker-1")
    began = time.monotonic()
    sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=30).start()
    with Checker(pipe, model, scenario="3 broker stopped, then started") as checker:
        sender.wait_sent(len(plan) // 3)
        stopped = time.monotonic()
        broker.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_S)  # the outage itself, not a wait for a result
        broker.start()
        up = time.monotonic()
        checker.figures.seconds.update(
            stop_at=round(stopped - began, 1),
            stopping=round(down - stopped, 1),
            down=round(up - down, 1),
            sent_at_stop=sender.sent,
        )
        sender.join()
        checker.figures.seconds["sending"] = round(sender.finished - sender.started, 1)
        figures = checker.wait_and_check(timeout_s=180)
    assert figures.delivered == len(model.delivered)
