"""Scenario 4: the legacy peer misbehaves while traffic flows, then recovers: transient
errors (HTTP 503), answers slower than the connector's timeout, a permanent refusal
(HTTP 400), garbage with HTTP 200, and a few seconds down (connection refused)."""

from __future__ import annotations

import time

import pytest

from connectors.peers import LogEntry, Mode, Outcome, PortalPeer
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


def must_be_dead_lettered(log: list[LogEntry]) -> dict[str, str]:
    """Deliveries whose last answer was permanent: garbage (the peer may or may not have
    acted, so never retried blindly) or a refusal; everything else must get through."""
    last: dict[str, LogEntry] = {}
    for entry in log:
        if entry.idempotency_key:
            last[entry.idempotency_key] = entry
    dead = {}
    for key, entry in last.items():
        if entry.outcome == Outcome.GARBAGE:
            dead[key] = "malformed-response"
        elif entry.outcome == Outcome.FAILED and entry.status_code == 400:
            dead[key] = "http-400"
    return dead


def test_peer_errors_timeouts_garbage_and_outage_then_recovery(
    settings: HubSettings, fault_pipeline, connectors
) -> None:
    pipe = fault_pipeline(settings)
    plan = Traffic(pipe, seed=4).plan(DOSSIERS)
    model = Model(pipe, plan)
    inbox = pipe.names.inbox(NATIONAL_SYNC)
    start_worker(pipe, "worker-1")
    with PortalPeer(dedupe=True) as peer:
        config = portal_connector_config(pipe, peer.url, inbox, "portal-sync-flaky")
        connector = Connector(pipe, config)
        connectors.append(connector)
        sender = Sender(pipe.settings, pipe.names.ingress, plan, per_s=60).start()
        check = PeerCheck(
            "portal-sync-flaky", inbox, (STATUS_CHANGED,), peer.log, must_be_dead_lettered
        )
        with Checker(pipe, model, [check], scenario="4 peer faults then recovery") as checker:
            sender.wait_sent(len(plan) // 6)
            connector.start()
            began = time.monotonic()
            delivered = 10
            for mode, times, delay in (
                (Mode.FAIL, 3, 0.0),  # retried: the 4th attempt gets through
                (Mode.SLOW, 2, 1.5),  # two timeouts (1 s); the peer acted, resends are dupes
                (Mode.FAIL_PERMANENT, 1, 0.0),  # HTTP 400: dead-lettered at once
                (Mode.GARBAGE, 2, 0.0),  # HTTP 200 garbage: dead-lettered, never resent
            ):
                delivered += 10
                wait_until(lambda n=delivered: len(peer.accepted()) >= n, 120, "deliveries")
                peer.set_mode(mode, times=times, delay=delay)
                wait_until(lambda: peer.mode.mode is Mode.OK, 60, f"{mode} to be used up")
            peer.stop()  # down: connections refused; the connector waits in place
            time.sleep(3.0)  # the length of the outage, not a wait for a result
            peer.start()
            checker.figures.seconds["faults"] = round(time.monotonic() - began, 1)
            sender.join()
            figures = checker.wait_and_check()
    outcomes = {o.value: sum(1 for e in peer.log() if e.outcome == o) for o in Outcome}
    print(f"peer answers: {outcomes}")
    stats = figures.peers["portal-sync-flaky"]
    assert stats["dead_lettered"] == 3  # one refusal, two garbage answers
    assert outcomes["failed"] >= 4  # three 503s and one 400
    assert outcomes["garbage"] == 2
