"""Scenario 1: a stream worker is killed with SIGKILL mid-stream and restarted."""

from __future__ import annotations

import time

import pytest

from hub_settings import HubSettings
from tests.faults.checker import Checker, Model, Sender, Traffic, start_worker, wait_until

pytestmark = pytest.mark.integration

DOSSIERS = 70  # 420 signed events


def test_worker_sigkill_mid_stream_then_restart(settings: HubSettings, fault_pipeline) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=1).plan(DOSSIERS)
    model = Model(pipe, plan)
    first = start_worker(pipe, "worker-1")
    began = time.monotonic()
    sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
    with Checker(pipe, model, scenario="1 worker SIGKILL + restart") as checker:
        sender.wait_sent(len(plan) // 3)
        # the worker is mid-stream: it has tracked some dossiers, not all
        state = checker.readers[pipe.names.dossier_state]
        wait_until(lambda: (state.poll(), len(state.records) >= 100)[1], 90, "tracking")
        first.kill()
        killed_at = time.monotonic() - began
        start_worker(pipe, "worker-2")
        restarted = time.monotonic() - began
        sender.join()
        checker.figures.seconds.update(
            killed_at=round(killed_at, 1),
            restarted_at=round(restarted, 1),
            sending=round(sender.finished - sender.started, 1),
        )
        checker.figures.notes["tracked_before_kill"] = len(state.records)
        figures = checker.wait_and_check()
    assert figures.delivered == len(model.delivered)
