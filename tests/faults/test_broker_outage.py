"""Scenario 3: the Kafka broker stops for several seconds while traffic flows, then starts
again. A private broker is used (the session broker is shared by other tests). The national
portal's status-sync connector keeps running through the outage (its clients reconnect)
and delivers to a peer that does not deduplicate."""

from __future__ import annotations

import time

import pytest

from connectors.peers import PortalPeer
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

DOSSIERS = 40  # 240 signed events, 120 of them status changes for the portal
OUTAGE_S = 5.0
NAME = "portal-sync-outage"


def test_broker_stopped_for_seconds_then_started(
    private_broker, fault_pipeline, connectors
) -> None:
    broker, settings = private_broker
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=3).plan(DOSSIERS)
    model = Model(pipe, plan)
    inbox = pipe.names.inbox(NATIONAL_SYNC)
    expected = sum(len(ids) for ids in model.routed_to(inbox, [STATUS_CHANGED]).values())
    start_worker(pipe, "worker-1")  # it creates every inbox
    with PortalPeer(dedupe=False) as peer:
        connector, check = watched_status_sync(pipe, peer, inbox, NAME, connectors)
        began = time.monotonic()
        sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=30).start()
        with Checker(pipe, model, [check], scenario="3 broker stopped, then started") as checker:
            sender.wait_sent(len(plan) // 3)
            stopped = time.monotonic()
            accepted_at_stop = len(peer.accepted())
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
            checker.figures.notes["accepted_at_stop"] = accepted_at_stop
            sender.join()
            checker.figures.seconds["sending"] = round(sender.finished - sender.started, 1)
            figures = checker.wait_and_check(timeout_s=180)
    assert figures.delivered == len(model.delivered)
    assert figures.peers[NAME]["accepted"] == expected
    assert connector.alive(), connector.runs[-1].tail()  # one run, never restarted
