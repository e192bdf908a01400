"""Scenario 1: a stream worker is killed with SIGKILL mid-stream and restarted, while the
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
    wait_until,
)
from tests.faults.conftest import watched_status_sync

pytestmark = pytest.mark.integration

DOSSIERS = 70  # 420 signed events, 210 of them status changes for the portal
NAME = "portal-sync-worker-kill"


def test_worker_sigkill_mid_stream_then_restart(
    settings: HubSettings, fault_pipeline, connectors
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=1).plan(DOSSIERS)
    model = Model(pipe, plan)
    inbox = pipe.names.inbox(NATIONAL_SYNC)
    expected = sum(len(ids) for ids in model.routed_to(inbox, [STATUS_CHANGED]).values())
    first = start_worker(pipe, "worker-1")  # it creates every inbox
    with PortalPeer(dedupe=False) as peer:
        connector, check = watched_status_sync(pipe, peer, inbox, NAME, connectors)
        began = time.monotonic()
        sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
        with Checker(pipe, model, [check], scenario="1 worker SIGKILL + restart") as checker:
            sender.wait_sent(len(plan) // 3)
            # the worker is mid-stream: it has tracked some dossiers, not all
            state = checker.readers[pipe.names.dossier_state]
            wait_until(lambda: (state.poll(), len(state.records) >= 100)[1], 90, "tracking")
            first.kill()
            killed_at = time.monotonic() - began
            checker.figures.notes.update(
                sent_at_kill=sender.sent, accepted_at_kill=len(peer.accepted())
            )
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
    assert figures.peers[NAME]["accepted"] == expected
    assert connector.alive(), connector.runs[-1].tail()  # one run, never restarted
