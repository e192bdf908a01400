"""Outbound connectors against the real broker and the real peers: faults and guarantees."""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient

from connectors.peers import CivilStatusPeer, Outcome, PostalPeer
from connectors.runtime import OutboundConnector
from hub_settings import HubSettings
from schemas.message import parse_time
from security import verify_event
from tests.support.connectors import (
    AGENCY,
    PASSPHRASE,
    STATUS_CHANGED,
    SUBMITTED,
    Pipeline,
    dossier,
    make_pipeline,
    submitted,
    wait_until,
)

pytestmark = pytest.mark.integration

FAST = {"attempts": 4, "initial_s": 0.05, "max_s": 0.2, "jitter_s": 0.05}


@pytest.fixture
def pipe(
    settings: HubSettings,
    kafka_admin: KafkaAdminClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pipeline]:
    monkeypatch.setenv("TEST_CONNECTOR_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TEST_CIVIL_PASSWORD", "s3cret")
    monkeypatch.setenv("TEST_POSTAL_TOKEN", "dev-postal-token")
    yield from make_pipeline(settings, kafka_admin, tmp_path)


def civil_config(peer: CivilStatusPeer, **outbound: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "events": [SUBMITTED],
        "target": {
            "kind": "soap",
            "wsdl": peer.wsdl_url,
            "operation": "RegisterBirth",
            "username": "quangphu",
            "password_env": "TEST_CIVIL_PASSWORD",
            "timeout_s": 1.0,
        },
        "request": {
            "DossierCode": "data.dossier_code",
            "ChildName": "data.form_fields.child_name",
            "BirthDate": "data.form_fields.birth_date",
            "FatherName": {"path": "data.form_fields.father_name", "optional": True},
            "CommuneCode": {"const": "16012"},
            "IdempotencyKey": "event.id",
        },
        "reply": {
            "type": STATUS_CHANGED,
            "data": {
                "dossier_code": "data.dossier_code",
                "procedure_code": "data.procedure_code",
                "agency_id": "connector.agency",
                "status": "response.Status | int",
                "changed_at": "now",
                "note": {"path": "response.Message", "optional": True},
            },
        },
        "retry": FAST,
        "breaker": {"failures": 2, "open_s": 0.3, "max_open_s": 1.0},
        **outbound,
    }
    return {
        "name": "civil-status-test",
        "agency": AGENCY,
        "key": {"file": f"{AGENCY}.pem", "passphrase_env": "TEST_CONNECTOR_PASSPHRASE"},
        "outbound": out,
    }


class Running:
    """An outbound connector in a thread."""

    def __init__(self, pipe: Pipeline, raw: dict[str, Any]) -> None:
        self.stop = threading.Event()
        config = pipe.config(raw)
        self.connector = OutboundConnector(
            config, pipe.settings, pipe.codec, pipe.signer, stop=self.stop
        )
        self.thread = threading.Thread(target=self.connector.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=20)
        assert not self.thread.is_alive()


def accepted_codes(peer: Any, operation: str) -> list[str]:
    return [e.dossier_code for e in peer.accepted(operation)]


def test_delivers_in_order_once_and_replies_with_a_signed_status(pipe: Pipeline) -> None:
    events = [submitted(dossier(n), child=f"Bé {n}") for n in range(1, 7)]
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        pipe.publish_inbox(events)
        with Running(pipe, civil_config(peer)):
            wait_until(lambda: len(peer.accepted()) == 6, what="6 deliveries")
            replies = pipe.read(pipe.topics.ingress, 6)
    assert sorted(accepted_codes(peer, "RegisterBirth")) == [dossier(n) for n in range(1, 7)]
    assert [e.idempotency_key for e in peer.accepted()] == [
        next(ev.id for ev in events if ev.subject == e.dossier_code) for e in peer.accepted()
    ]
    assert len(replies) == 6
    keys = {pipe.public.key_id: pipe.public}
    for message in replies:
        reply = pipe.codec.decode(message)
        assert (reply.type, reply.source, reply.data["status"]) == (STATUS_CHANGED, AGENCY, 2)
        verify_event(
            message.headers,
            message.value,
            keys,
            source_agency=AGENCY,
            at=parse_time(reply.time),
        )


def test_per_dossier_order_is_kept(pipe: Pipeline) -> None:
    # two events of one dossier: the second must reach the peer after the first
    first, second = submitted(dossier(1), child="Một"), submitted(dossier(1), child="Hai")
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        peer.set_mode("fail", times=2)  # the first is retried; the second must wait
        pipe.publish_inbox([first, second])
        with Running(pipe, civil_config(peer)):
            wait_until(lambda: len(peer.accepted()) == 2)
    assert [e.body["ChildName"] for e in peer.accepted()] == ["Một", "Hai"]


def test_soap_faults_transient_retried_permanent_dead_lettered(pipe: Pipeline) -> None:
    bad = submitted(dossier(1), birth="2099-01-01")  # the registry refuses a future birth
    good = submitted(dossier(2))
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        peer.set_mode("fail", times=2)
        pipe.publish_inbox([bad, good])
        with Running(pipe, civil_config(peer)):
            wait_until(lambda: len(peer.accepted()) == 1)
            [(event_id, why)] = pipe.dead_letters(1)
        log = peer.log()
    assert (event_id, why.reason, why.stage) == (
        bad.id,
        "soap-fault",
        "connector:civil-status-test",
    )
    assert "BirthDate" in why.detail
    assert accepted_codes(peer, "RegisterBirth") == [dossier(2)]
    assert [e.outcome for e in log].count(Outcome.FAILED) == 2  # transient faults, retried
    assert [e.outcome for e in log].count(Outcome.REJECTED) == 1  # permanent: tried once


def test_mapping_failure_dead_letters_that_event_and_delivers_the_next(pipe: Pipeline) -> None:
    event = submitted(dossier(1))
    broken = dataclasses.replace(event, data={**event.data, "form_fields": {"birth_date": "x"}})
    good = submitted(dossier(2))
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        pipe.publish_inbox([broken, good])
        with Running(pipe, civil_config(peer)):
            wait_until(lambda: len(peer.accepted()) == 1)
            [(event_id, why)] = pipe.dead_letters(1)
    assert (event_id, why.reason) == (broken.id, "mapping-failed")
    assert "ChildName" in why.detail
    assert "child_name" in why.detail
    assert accepted_codes(peer, "RegisterBirth") == [dossier(2)]


def test_garbage_answer_is_dead_lettered_as_malformed(pipe: Pipeline) -> None:
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        peer.set_mode("garbage", times=1)
        events = [submitted(dossier(1)), submitted(dossier(2))]
        pipe.publish_inbox(events)
        with Running(pipe, civil_config(peer)):
            wait_until(lambda: len(peer.accepted()) == 1)
            [(event_id, why)] = pipe.dead_letters(1)
    assert why.reason == "malformed-response"
    assert event_id in {e.id for e in events}


def test_slow_peer_beyond_timeout_is_retried_with_the_same_key(pipe: Pipeline) -> None:
    with CivilStatusPeer(username="quangphu", password="s3cret", dedupe=True) as peer:
        peer.set_mode("slow", delay=1.5, times=1)
        event = submitted(dossier(1))
        pipe.publish_inbox([event])
        with Running(pipe, civil_config(peer, peer_dedupes=True)):
            wait_until(lambda: any(e.outcome == Outcome.DUPLICATE for e in peer.log()), 15)
            wait_until(lambda: len(peer.accepted()) == 1)
        log = peer.log()
    # the slow request timed out on our side but took effect; the retry carried the same key
    assert {e.idempotency_key for e in log} == {event.id}
    assert len(peer.registrations()) == 1


def test_slow_peer_that_cannot_dedupe_gets_it_once_and_it_is_in_doubt(pipe: Pipeline) -> None:
    # a registry without idempotency: it acts after 1.5 s, the connector gave up after 1 s
    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        peer.set_mode("slow", delay=1.5, times=1)
        slow, after = submitted(dossier(1), child="Chậm"), submitted(dossier(1), child="Sau")
        pipe.publish_inbox([slow, after])
        with Running(pipe, civil_config(peer)):
            [(event_id, why)] = pipe.dead_letters(1)
            wait_until(lambda: len(peer.accepted()) == 2, what="the late one and the next")
            time.sleep(1.0)  # room for a resend, which must not come
        log = peer.log()
    assert (event_id, why.reason, why.stage) == (slow.id, "in-doubt", "connector:civil-status-test")
    assert "no answer within" in why.detail
    assert [e.idempotency_key for e in log] == [slow.id, after.id]  # sent once, then the next
    # the late one acted after the next had been delivered: in doubt, order is not promised
    assert sorted(r["ChildName"] for r in peer.registrations()) == ["Chậm", "Sau"]


def test_peer_down_beyond_the_bound_dead_letters_and_the_next_is_tried(
    pipe: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.cli import main as cli_main

    peer = CivilStatusPeer(username="quangphu", password="s3cret")
    with peer:
        first, second = submitted(dossier(1), child="Một"), submitted(dossier(1), child="Hai")
        peer.stop()  # connection refused from the start, even for the WSDL
        pipe.publish_inbox([first, second])
        retry = {**FAST, "unavailable_max_s": 1.5}
        with Running(pipe, civil_config(peer, retry=retry)):
            dead = pipe.dead_letters(2, timeout_s=30)
            assert peer.log() == []
            # each waited its own bound; the second was tried only after the first gave up
            assert [(event_id, why.reason) for event_id, why in dead] == [
                (first.id, "peer-unavailable"),
                (second.id, "peer-unavailable"),
            ]
            for _, why in dead:
                assert "unavailable_max_s 1.5" in why.detail
                assert "cannot load WSDL" in why.detail  # the last error
            peer.start()
            monkeypatch.setenv("HUB_TOPIC_PREFIX", pipe.settings.topic_prefix)
            assert cli_main(["deadletter", "replay", "--reason", "peer-unavailable"]) == 0
            wait_until(lambda: len(peer.accepted()) == 2, what="the replayed pair")
    assert [r["ChildName"] for r in peer.registrations()] == ["Một", "Hai"]


def test_retry_budget_exhausted_then_replayed_after_the_fix(pipe: Pipeline) -> None:
    from connectors.cli import main as cli_main

    with CivilStatusPeer(username="quangphu", password="s3cret") as peer:
        peer.set_mode("fail")  # every attempt: transient fault
        event = submitted(dossier(1))
        pipe.publish_inbox([event])
        with Running(pipe, civil_config(peer)):
            [(event_id, why)] = pipe.dead_letters(1)
            assert (event_id, why.reason) == (event.id, "retries-exhausted")
            assert "4 attempt(s)" in why.detail
            assert "soap-fault-transient" in why.detail
            peer.set_mode("ok")
            os.environ["HUB_TOPIC_PREFIX"] = pipe.settings.topic_prefix
            try:
                assert cli_main(["deadletter", "replay", "--connector", "civil-status-test"]) == 0
                assert cli_main(["deadletter", "replay", "--id", event.id]) == 0  # twice: no dup
            finally:
                del os.environ["HUB_TOPIC_PREFIX"]
            wait_until(lambda: len(peer.accepted()) == 1)
            time.sleep(1.0)
    assert accepted_codes(peer, "RegisterBirth") == [dossier(1)]


def test_rest_4xx_is_permanent_and_5xx_is_retried(pipe: Pipeline) -> None:
    with PostalPeer() as peer:
        raw = {
            "name": "postal-test",
            "agency": AGENCY,
            "key": {"file": f"{AGENCY}.pem", "passphrase_env": "TEST_CONNECTOR_PASSPHRASE"},
            "outbound": {
                "events": [SUBMITTED],
                "target": {
                    "kind": "rest",
                    "url": f"{peer.url}/api/v1/orders",
                    "headers": {"Token": {"env": "TEST_POSTAL_TOKEN"}},
                    "timeout_s": 1.0,
                },
                "request": {
                    "CustomerCode": {"const": "HCC-THANHHOA"},
                    "OrderNumber": "data.dossier_code",
                    "DossierCode": "data.dossier_code",
                    "ReceiverName": "data.applicant.full_name | upper",
                    "ReceiverAddress": {"path": "data.applicant.address", "default": "Thanh Hóa"},
                    "ReceiverPhone": {"path": "data.applicant.phone", "default": "0900000000"},
                },
                "retry": FAST,
            },
        }
        first, second = submitted(dossier(1)), submitted(dossier(2))
        pipe.publish_inbox([first])
        peer.set_mode("fail_permanent", times=1)
        with Running(pipe, raw):
            [(event_id, why)] = pipe.dead_letters(1)
            assert (event_id, why.reason) == (first.id, "http-400")
            peer.set_mode("fail", times=2)
            pipe.publish_inbox([second])
            wait_until(lambda: len(peer.accepted()) == 1)
        statuses = [e.status_code for e in peer.log()]
    assert statuses == [400, 503, 503, 201]  # 4xx once, 5xx retried
    [order] = peer.orders()
    assert (order["ReceiverName"], order["IdempotencyKey"]) == ("LÊ VĂN AN", second.id)


def test_outage_ends_with_every_message_delivered_once_in_order(pipe: Pipeline) -> None:
    events = [submitted(dossier(n), child=f"{n}-{step}") for n in range(1, 11) for step in "ab"]
    peer = CivilStatusPeer(username="quangphu", password="s3cret")
    with peer, Running(pipe, civil_config(peer)):
        pipe.publish_inbox(events[:6])
        wait_until(lambda: len(peer.accepted()) == 6)
        peer.stop()
        pipe.publish_inbox(events[6:])
        time.sleep(60.0)  # a one-minute outage (issue 6's done-when), the connector waiting
        peer.start()
        drain = wait_until(lambda: len(peer.accepted()) == 20, 25, "drain after outage")
        print(f"drained 14 queued events {drain:.2f}s after the peer came back")
        assert pipe.dead_letters(0) == []
    names = [e.body["ChildName"] for e in peer.accepted("RegisterBirth")]
    assert sorted(names) == sorted(f"{n}-{step}" for n in range(1, 11) for step in "ab")
    for n in range(1, 11):  # each dossier's two events, in order
        assert [x for x in names if x.split("-")[0] == str(n)] == [f"{n}-a", f"{n}-b"]
