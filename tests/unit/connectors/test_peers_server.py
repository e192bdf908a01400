"""Peer lifecycle: down and back on the same port, admin routes, run as a process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import zeep

from connectors.peers import (
    PEERS,
    CivilStatusPeer,
    Mode,
    Outcome,
    PortalPeer,
    RemotePeer,
    create_peer,
)

SYNC = {
    "dossierCode": "000.17.22.H56-250101-0001",
    "procedureCode": "1.001193",
    "agencyCode": "000.17.22.H56",
    "status": "2",
    "receivedAt": "20250101080000",
}


@pytest.fixture
def portal() -> Iterator[PortalPeer]:
    with PortalPeer() as peer:
        yield peer


def test_down_then_back_on_the_same_port_keeps_the_log(portal: PortalPeer) -> None:
    url = portal.describe()["sync_url"]
    with httpx.Client() as client:  # a pooled keep-alive connection must not survive
        assert client.post(url, json=SYNC).json()["error_code"] == "0"
        portal.stop()
        with pytest.raises(httpx.ConnectError):
            client.post(url, json=SYNC)
        portal.start()
        assert portal.describe()["sync_url"] == url
        assert client.post(url, json=SYNC).json()["error_code"] == "0"
    assert len(portal.accepted()) == 2


def test_stop_does_not_hang_on_a_slow_request(portal: PortalPeer) -> None:
    portal.set_mode(Mode.SLOW, delay=5)
    results: list[object] = []

    def call() -> None:
        try:
            results.append(httpx.post(portal.describe()["sync_url"], json=SYNC, timeout=10))
        except httpx.HTTPError as exc:
            results.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    while not portal.log():
        time.sleep(0.01)
    started = time.monotonic()
    portal.stop()
    assert time.monotonic() - started < 3
    caller.join(timeout=5)
    [result] = results  # the cut request fails (HTTP 500 or a broken connection)
    assert isinstance(result, httpx.HTTPError) or getattr(result, "status_code", 0) == 500
    assert portal.statuses() == []
    assert (portal.log()[0].outcome, portal.log()[0].detail) == (
        Outcome.FAILED,
        "server stopped while slow",
    )


def test_admin_routes_through_remote_peer(portal: PortalPeer) -> None:
    with RemotePeer(portal.url) as remote:
        assert remote.health()
        remote.set_mode("fail", times=1)
        assert remote.mode.mode is Mode.FAIL
        assert remote.mode.times == 1
        assert httpx.post(portal.describe()["sync_url"], json=SYNC).status_code == 503
        httpx.post(portal.describe()["sync_url"], json=SYNC, headers={"Idempotency-Key": "e1"})
        assert [e.outcome for e in remote.log()] == [Outcome.FAILED, Outcome.ACCEPTED]
        assert [e.idempotency_key for e in remote.accepted()] == ["e1"]
        remote.reset()
        assert remote.log() == []
        assert portal.statuses() == []
        bad = httpx.post(f"{portal.url}/_admin/mode", json={"mode": "sideways"})
        assert bad.status_code == 400


def test_remote_admin_action_and_unknown_peer() -> None:
    with CivilStatusPeer() as peer, RemotePeer(peer.url) as remote:
        assert remote.action("set_status", dossier_code="D-1", status=5, note="bổ sung") == {
            "sequence": 1
        }
        assert zeep.Client(peer.wsdl_url).service.GetRegistrationStatus("D-1").Status == 5
    with pytest.raises(ValueError, match="unknown peer"):
        create_peer("tax")
    assert not RemotePeer("http://127.0.0.1:9").health()


def test_run_all_peers_as_a_process() -> None:
    command = [sys.executable, "-m", "connectors.peers", "all", "--port", "0", "--mode", "garbage"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            _drive_peer_process(process)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
    assert process.returncode == 0


def _drive_peer_process(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    urls = json.loads(process.stdout.readline())
    assert set(urls) == set(PEERS)
    assert urls["civil-status"]["wsdl_url"].endswith("/ws/civil-status?wsdl")
    zeep.Client(urls["population"]["wsdl_url"])  # the WSDL is served in any mode
    with RemotePeer(urls["portal"]["url"]) as portal:
        assert portal.mode.mode is Mode.GARBAGE
        portal.set_mode(Mode.OK)
        reply = httpx.post(f"{urls['portal']['url']}/api/v1/dossiers/status", json=SYNC)
        assert reply.json()["error_code"] == "0"
        assert [e.operation for e in portal.accepted()] == ["SyncStatus"]
