"""The app push peer, driven by httpx over a real socket, in each of its modes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectors.peers import PEERS, Mode, Outcome, PushPeer, RemotePeer, SmsPeer, create_peer
from connectors.peers.__main__ import _parser, build_peers

TOKEN = "push-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEVICE = "vneid-device-7f3a"


def push(device: str = DEVICE, **notification: Any) -> dict[str, Any]:
    """A send request as the push connector maps a Notification."""
    shown = {"title": "Đã tiếp nhận", "body": "Hồ sơ 000.00.06.H56-260101-0001 đã được tiếp nhận."}
    data = {"kind": "status_changed", "language": "vi", "dossier_code": "000.00.06.H56-260101-0001"}
    return {"message": {"token": device, "notification": {**shown, **notification}, "data": data}}


@pytest.fixture
def peer() -> Iterator[PushPeer]:
    with PushPeer(token=TOKEN) as running:
        yield running


def send(peer: PushPeer, body: Any, *, key: str | None = None, **headers: str) -> httpx.Response:
    sent = {**AUTH, **headers, **({"Idempotency-Key": key} if key else {})}
    return httpx.post(peer.describe()["send_url"], json=body, headers=sent, timeout=10)


def test_a_push_is_queued_for_its_device(peer: PushPeer) -> None:
    answer = send(peer, push(), key="evt-1")
    assert answer.status_code == 200
    assert answer.json() == {"name": "messages/PUSH00000001"}
    [message] = peer.messages(DEVICE)
    assert message["title"] == "Đã tiếp nhận"
    assert message["data"]["dossier_code"] == "000.00.06.H56-260101-0001"
    assert message["idempotency_key"] == "evt-1"
    [entry] = peer.accepted("SendPush")
    assert (entry.dossier_code, entry.idempotency_key) == ("000.00.06.H56-260101-0001", "evt-1")
    assert peer.messages("another-device") == []


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (push(device=""), "message.token is required"),
        (push(title=""), "notification.title"),
        (push(body="x" * 4001), "notification.body"),
        ({"message": {**push()["message"], "data": {"n": 1}}}, "message.data"),
        ({"notification": {"title": "t", "body": "b"}}, "message.token"),
        ([1, 2], "JSON object"),
    ],
)
def test_invalid_messages_are_refused(peer: PushPeer, body: Any, why: str) -> None:
    answer = send(peer, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert why in answer.json()["error"]["message"]
    assert peer.messages() == []
    assert peer.log()[0].outcome == Outcome.REJECTED


def test_a_bad_token_and_an_unregistered_device(peer: PushPeer) -> None:
    assert send(peer, push(), Authorization="Bearer wrong").status_code == 401
    peer.unregister(DEVICE)
    gone = send(peer, push())
    assert (gone.status_code, gone.json()["error"]["status"]) == (404, "UNREGISTERED")
    assert send(peer, push(device="still-installed")).status_code == 200
    assert [m["token"] for m in peer.messages()] == ["still-installed"]


def test_fail_garbage_and_slow_modes(peer: PushPeer) -> None:
    peer.set_mode(Mode.FAIL, times=1)
    down = send(peer, push())
    assert (down.status_code, down.json()["error"]["status"]) == (503, "UNAVAILABLE")
    peer.set_mode(Mode.FAIL_PERMANENT, times=1)
    assert send(peer, push()).status_code == 400
    peer.set_mode(Mode.GARBAGE, times=1)
    garbage = send(peer, push())
    assert garbage.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        garbage.json()
    peer.set_mode(Mode.SLOW, delay=0.3, times=1)
    started = time.monotonic()
    assert send(peer, push()).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert [e.outcome for e in peer.log()] == [
        Outcome.FAILED,
        Outcome.FAILED,
        Outcome.GARBAGE,
        Outcome.ACCEPTED,
    ]
    assert len(peer.messages()) == 1  # only the slow one acted


def test_dedupe_answers_a_repeated_key_with_the_first_message() -> None:
    with PushPeer(token=TOKEN, dedupe=True) as peer:
        first = send(peer, push(), key="evt-9").json()
        again = send(peer, push(), key="evt-9").json()
        assert first == again
        assert len(peer.messages()) == 1
        assert [e.outcome for e in peer.log()] == [Outcome.ACCEPTED, Outcome.DUPLICATE]


def test_admin_unregister_and_reset_through_the_remote_peer(peer: PushPeer) -> None:
    with RemotePeer(peer.url) as remote:
        assert remote.action("unregister", device=DEVICE) is True
        assert send(peer, push()).status_code == 404
        remote.reset()
    assert send(peer, push()).status_code == 200


def test_sms_and_push_are_registered_and_take_their_credentials() -> None:
    assert PEERS["sms"] is SmsPeer
    assert PEERS["push"] is PushPeer
    assert isinstance(create_peer("push"), PushPeer)
    args = _parser().parse_args(["all", "--sms-key", "k-sms", "--push-token", "k-push"])
    peers = {p.name: p for p in build_peers(args)}
    assert list(peers)[-2:] == ["sms", "push"]  # after the five legacy systems: same ports
    sms, app = peers["sms"], peers["push"]
    assert isinstance(sms, SmsPeer)
    assert isinstance(app, PushPeer)
    assert (sms.api_key, app.token) == ("k-sms", "k-push")
