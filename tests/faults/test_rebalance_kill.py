"""Scenario 5: two stream workers share the partitions; one is killed with SIGKILL while
the group rebalances (the second has just joined), and the survivor takes everything. The
national portal's status-sync connector delivers to a peer that does not deduplicate."""

from __future__ import annotations

import time

import pytest

from connectors.peers import PortalPeer
from hub_settings import HubSettings
from tests.faults.checker import (
    NATIONAL_SYNC,
    STATUS_CHANGED,
    Checker,
    Model,
    Sender,
    Traffic,
    start_worker,
)
from tests.faults.conftest import watched_status_sync

pytestmark = pytest.mark.integration

DOSSIERS = 70  # 420 signed events, 210 of them status changes for the portal
NAME = "portal-sync-rebalance"
JOINING = "(Re-)joining group"  # aiokafka's line each time a member (re)joins the group


def test_kill_a_worker_during_a_rebalance(
    settings: HubSettings, fault_pipeline, connectors
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=5).plan(DOSSIERS)
    model = Model(pipe, plan)
    inbox = pipe.names.inbox(NATIONAL_SYNC)
    expected = sum(len(ids) for ids in model.routed_to(inbox, [STATUS_CHANGED]).values())
    first = start_worker(pipe, "worker-1")
    joins = first.log().count(JOINING)
    with PortalPeer(dedupe=False) as peer:
        connector, check = watched_status_sync(pipe, peer, inbox, NAME, connectors)
        began = time.monotonic()
        # 30 events/s: the kill lands mid-stream, with most of the traffic still to come
        sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=30).start()
        scenario = "5 two workers, one killed in a rebalance"
        with Checker(pipe, model, [check], scenario=scenario) as checker:
            sender.wait_sent(len(plan) // 4)
            second = start_worker(pipe, "worker-2", wait=False)
            # worker-1 rejoins because worker-2 joined: the group is rebalancing now
            first.wait_for(JOINING, timeout_s=120, occurrences=joins + 1)
            first.kill()
            killed_at = time.monotonic() - began
            checker.figures.notes["sent_at_kill"] = sender.sent
            second.wait_for("Worker ready", timeout_s=120)
            checker.figures.seconds.update(
                killed_at=round(killed_at, 1),
                survivor_ready_at=round(time.monotonic() - began, 1),
            )
            sender.join()
            checker.figures.seconds["sending"] = round(sender.finished - sender.started, 1)
            figures = checker.wait_and_check()
    # streams/audit.py reads back the entries Faust's consumer dropped; say how often
    print("audit gaps read back by the survivor:", second.log().count("through the stream"))
    assert figures.delivered == len(model.delivered)
    assert figures.peers[NAME]["accepted"] == expected
    assert connector.alive(), connector.runs[-1].tail()
