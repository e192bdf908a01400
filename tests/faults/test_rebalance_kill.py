"""Scenario 5: two stream workers share the partitions; one is killed with SIGKILL while
the group rebalances (the second has just joined), and the survivor takes everything."""

from __future__ import annotations

import time

import pytest

from hub_settings import HubSettings
from tests.faults.checker import Checker, Model, Sender, Traffic, start_worker

pytestmark = pytest.mark.integration

DOSSIERS = 70  # 420 signed events
JOINING = "(Re-)joining group"  # aiokafka's line each time a member (re)joins the group


def test_kill_a_worker_during_a_rebalance(settings: HubSettings, fault_pipeline) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=5).plan(DOSSIERS)
    model = Model(pipe, plan)
    first = start_worker(pipe, "worker-1")
    joins = first.log().count(JOINING)
    began = time.monotonic()
    sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
    # known_audit_gap: the open finding "audit entries are lost after a worker is killed
    # during a rebalance" (docs/reliability.md); counted and printed, not failed on, until
    # streams/audit.py resumes from the entries topic's offsets.
    with Checker(
        pipe, model, scenario="5 two workers, one killed in a rebalance", known_audit_gap=True
    ) as checker:
        sender.wait_sent(len(plan) // 4)
        second = start_worker(pipe, "worker-2", wait=False)
        # worker-1 rejoins because worker-2 joined: the group is rebalancing now
        first.wait_for(JOINING, timeout_s=120, occurrences=joins + 1)
        first.kill()
        killed_at = time.monotonic() - began
        second.wait_for("Worker ready", timeout_s=120)
        checker.figures.seconds.update(
            killed_at=round(killed_at, 1),
            survivor_ready_at=round(time.monotonic() - began, 1),
        )
        sender.join()
        checker.figures.seconds["sending"] = round(sender.finished - sender.started, 1)
        figures = checker.wait_and_check()
    assert figures.delivered == len(model.delivered)
