"""Scenario 2: an outbound connector is killed with SIGKILL while a request is in flight to
its legacy peer (the national portal's status sync, REST), then restarted."""

from __future__ import annotations

import time

import pytest

from connectors.peers import Outcome, PortalPeer
from hub_settings import HubSettings
from tests.faults.checker import (
    NATIONAL_SYNC,
    STATUS_CHANGED,
    Checker,
    Model,
    PeerCheck,
    Sender,
    Traffic,
    start_worker,
    wait_until,
)
from tests.faults.conftest import Connector, portal_connector_config

pytestmark = pytest.mark.integration

DOSSIERS = 60  # 360 signed events, 180 of them status changes for the portal


def test_connector_sigkill_mid_delivery_then_restart(
    settings: HubSettings, fault_pipeline, connectors
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=2).plan(DOSSIERS)
    model = Model(pipe, plan)
    inbox = pipe.names.inbox(NATIONAL_SYNC)
    expected = sum(len(ids) for ids in model.routed_to(inbox, [STATUS_CHANGED]).values())
    start_worker(pipe, "worker-1")
    with PortalPeer(dedupe=True) as peer:
        config = portal_connector_config(pipe, peer.url, inbox, "portal-sync-fault")
        connector = Connector(pipe, config)
        connectors.append(connector)
        began = time.monotonic()
        sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
        check = PeerCheck("portal-sync-fault", inbox, (STATUS_CHANGED,), peer.log)
        with Checker(pipe, model, [check], scenario="2 connector SIGKILL + restart") as checker:
            sender.wait_sent(len(plan) // 6)  # the inbox exists once the first are routed
            first = connector.start()
            wait_until(lambda: len(peer.accepted()) >= expected // 3, 120, "deliveries")
            peer.set_mode("slow", delay=0.5)  # the next request stays in flight a while
            wait_until(lambda: peer.log()[-1].outcome == Outcome.PENDING, 20, "a request in flight")
            in_flight = peer.log()[-1].idempotency_key
            first.kill()
            killed_at = time.monotonic() - began
            checker.figures.notes["accepted_at_kill"] = len(peer.accepted())
            peer.set_mode("ok")
            connector.start()
            sender.join()
            checker.figures.seconds.update(
                killed_at=round(killed_at, 1), sending=round(sender.finished - sender.started, 1)
            )
            figures = checker.wait_and_check()
        answers = [e.outcome for e in peer.log() if e.idempotency_key == in_flight]
    print(f"in-flight request at the kill: {in_flight} answered {answers}")
    # the request in flight was acted on once; the restart resent it (the ledger said
    # "attempting") and the peer, honouring the idempotency key, answered it as a duplicate
    assert answers.count(Outcome.ACCEPTED) == 1
    assert figures.peers["portal-sync-fault"]["accepted"] == expected
