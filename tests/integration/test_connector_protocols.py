"""The example connectors through the runtime, against the real peers and the real broker.

Each test runs a config from ``connectors/examples/`` as shipped (only the peer's address,
the agency, the key and the inbox changed) in an :class:`OutboundConnector`, and checks
what the peer really received: the SOAP 1.2 rpc identity check with WS-Security, the
payment platform's SHA-256 checksum, and REST bearer and basic auth.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kafka import KafkaAdminClient

import connectors
from connectors.mapping import format_datetime
from connectors.peers import Outcome, PaymentPeer, PopulationPeer, PortalPeer
from connectors.peers import payment_checksum as pc
from hub_settings import HubSettings
from schemas import CloudEvent
from schemas.message import parse_time
from security import verify_event
from tests.integration.test_connector_outbound import FAST, Running
from tests.support.connectors import (
    AGENCY,
    PASSPHRASE,
    STATUS_CHANGED,
    Pipeline,
    dossier,
    make_pipeline,
    submitted,
    wait_until,
)

pytestmark = pytest.mark.integration

EXAMPLES = Path(connectors.__file__).parent / "examples"
PAYMENT_REQUESTED = "vn.gov.thanhhoa.payment.requested"
PAYMENT_SECRET = "bi-mat-nen-tang-thanh-toan"
PORTAL_TOKEN = "cong-dvc-token"
PORTAL_PASSWORD = "mat-khau-lgsp"
POPULATION_PASSWORD = "mat-khau-dan-cu"


@pytest.fixture
def pipe(
    settings: HubSettings,
    kafka_admin: KafkaAdminClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pipeline]:
    monkeypatch.setenv("TEST_CONNECTOR_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PAYMENT_SECRET", PAYMENT_SECRET)  # the name payment.yaml uses
    monkeypatch.setenv("PORTAL_TOKEN", PORTAL_TOKEN)  # the name portal.yaml uses
    monkeypatch.setenv("TEST_PORTAL_PASSWORD", PORTAL_PASSWORD)
    monkeypatch.setenv("TEST_POPULATION_PASSWORD", POPULATION_PASSWORD)
    yield from make_pipeline(settings, kafka_admin, tmp_path)


def example(name: str, peer_url: str, **outbound: Any) -> dict[str, Any]:
    """``connectors/examples/<name>.yaml`` pointed at ``peer_url``, this test's inbox and key."""
    text = (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
    raw: dict[str, Any] = yaml.safe_load(re.sub(r"http://127\.0\.0\.1:\d+", peer_url, text))
    raw.update(name=f"{raw['name']}-test", agency=AGENCY)
    raw["key"] = {"file": f"{AGENCY}.pem", "passphrase_env": "TEST_CONNECTOR_PASSPHRASE"}
    raw["outbound"].update(source="inbox", retry=FAST, **outbound)
    return raw


def identity_check(code: str, birth_date: str) -> CloudEvent:
    """A submitted dossier whose form gives the applicant's (Lê Văn An's) date of birth."""
    event = submitted(code)
    form = {**event.data["form_fields"], "birth_date": birth_date}
    return dataclasses.replace(event, data={**event.data, "form_fields": form})


def payment_requested(code: str, amount: int) -> CloudEvent:
    data = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "agency_id": AGENCY,
        "payment_code": "1.001193.01",
        "total_amount_vnd": amount,
        "requested_at": datetime.now(UTC),
    }
    return CloudEvent(type=PAYMENT_REQUESTED, source=AGENCY, subject=code, data=data)


def status_changed(code: str, status: int) -> CloudEvent:
    data = {
        "dossier_code": code,
        "procedure_code": "1.001193",
        "agency_id": AGENCY,
        "status": status,
        "changed_at": datetime.now(UTC),
    }
    return CloudEvent(type=STATUS_CHANGED, source=AGENCY, subject=code, data=data)


def test_population_check_soap12_rpc_with_ws_security(pipe: Pipeline) -> None:
    # population.yaml maps no reply; this one carries the answer back, to show the rpc
    # response parts (match, reason) reach the mapping through zeep and the runtime
    reply = {
        "type": STATUS_CHANGED,
        "data": {
            "dossier_code": "data.dossier_code",
            "procedure_code": "data.procedure_code",
            "agency_id": "connector.agency",
            "status": {"const": 2},
            "changed_at": "now",
            "actor": "response.match | str",
            "note": "response.reason",
        },
    }
    known = identity_check(dossier(1), "1990-03-14")
    wrong = identity_check(dossier(2), "1990-03-15")
    after_rotation = identity_check(dossier(3), "1990-03-14")
    with PopulationPeer(username="dancu", password=POPULATION_PASSWORD) as peer:
        raw = example("population", peer.url, reply=reply)
        raw["outbound"]["target"].update(username="dancu", password_env="TEST_POPULATION_PASSWORD")
        pipe.publish_inbox([known, wrong])
        with Running(pipe, raw):
            replies = pipe.read(pipe.topics.ingress, 2)
            peer.password = "rotated"
            pipe.publish_inbox([after_rotation])
            [(event_id, why)] = pipe.dead_letters(1)
        log = peer.log()
    by_key = {entry.idempotency_key: entry for entry in log}
    # a SOAP 1.2 envelope (the peer refuses 1.1), WS-Security accepted, rpc parts as sent
    assert by_key[known.id].outcome == Outcome.ANSWERED
    assert by_key[known.id].body == {
        "requestId": known.id,
        "citizenId": "038090001234",
        "fullName": "Lê Văn An",
        "birthDate": "1990-03-14",
    }
    assert by_key[wrong.id].outcome == Outcome.ANSWERED
    answers = {}
    keys = {pipe.public.key_id: pipe.public}
    for message in replies:
        event = pipe.codec.decode(message)
        verify_event(
            message.headers, message.value, keys, source_agency=AGENCY, at=parse_time(event.time)
        )
        answers[event.subject] = (event.data["actor"], event.data["note"])
    assert answers == {dossier(1): ("True", "MATCH"), dossier(2): ("False", "BIRTH_DATE_MISMATCH")}
    # a Sender fault (SOAP 1.2: HTTP 400) is permanent
    assert (event_id, why.reason) == (after_rotation.id, "soap-fault")
    assert "authentication" in why.detail
    assert by_key[after_rotation.id].outcome == Outcome.REJECTED
    assert len(log) == 3  # each sent once


def test_payment_init_carries_a_valid_sha256_checksum(pipe: Pipeline) -> None:
    fee, late = payment_requested(dossier(1), 8000), payment_requested(dossier(2), 12000)
    with PaymentPeer(secret=PAYMENT_SECRET) as peer:
        with Running(pipe, example("payment", peer.url)):
            pipe.publish_inbox([fee])
            wait_until(lambda: len(peer.accepted("INIT")) == 1, what="the bill")
            peer.secret = "rotated"
            pipe.publish_inbox([late])
            [(event_id, why)] = pipe.dead_letters(1)
        log, bills = peer.log(), peer.bills()
    [init, refused] = log
    body = dict(init.body)
    assert pc.verify(body, pc.request_fields("INIT"), PAYMENT_SECRET)
    assert re.fullmatch(r"\d{14}", body.pop("requestTime"))
    assert body.pop("checksum") == pc.compute(init.body, pc.request_fields("INIT"), PAYMENT_SECRET)
    assert body == {
        "msgType": "INIT",
        "requestId": fee.id,
        "dossierCode": dossier(1),
        "serviceCode": "1.001193.01",
        "amount": 8000,
    }
    assert init.idempotency_key == fee.id
    [bill] = bills
    assert (bill["dossierCode"], bill["amount"], bill["requestId"]) == (dossier(1), 8000, fee.id)
    # the platform refuses our checksum (01), and its answer does not verify with our secret
    assert (refused.idempotency_key, refused.outcome, refused.detail) == (
        late.id,
        Outcome.REJECTED,
        "bad checksum",
    )
    assert (event_id, why.reason) == (late.id, "bad-checksum")


@pytest.mark.parametrize(
    ("peer_auth", "auth", "secret_attr"),
    [
        ({"token": PORTAL_TOKEN}, None, "token"),  # portal.yaml's own bearer auth
        (
            {"username": "lgsp-thanhhoa", "password": PORTAL_PASSWORD},
            {"kind": "basic", "username": "lgsp-thanhhoa", "password_env": "TEST_PORTAL_PASSWORD"},
            "password",
        ),
    ],
    ids=["bearer", "basic"],
)
def test_portal_status_sync_authenticates(
    pipe: Pipeline, peer_auth: dict[str, str], auth: dict[str, str] | None, secret_attr: str
) -> None:
    change, late = status_changed(dossier(1), 4), status_changed(dossier(2), 4)
    with PortalPeer(**peer_auth) as peer:
        raw = example("portal", peer.url)
        if auth is not None:
            raw["outbound"]["target"]["auth"] = auth
        with Running(pipe, raw):
            pipe.publish_inbox([change])
            wait_until(lambda: len(peer.accepted()) == 1, what="the status sync")
            setattr(peer, secret_attr, "rotated")  # the gateway changed it; we were not told
            pipe.publish_inbox([late])
            [(event_id, why)] = pipe.dead_letters(1)
        log = peer.log()
    [synced] = peer.statuses()
    changed_at = change.data["changed_at"]
    assert synced == {
        "agencyCode": AGENCY,
        "dossierCode": dossier(1),
        "procedureCode": "1.001193",
        "status": "4",
        "receivedAt": format_datetime(change.time, "yyyyMMddHHmmss"),
        "finishedAt": format_datetime(changed_at, "yyyyMMddHHmmss"),
    }
    assert [(e.idempotency_key, e.outcome) for e in log] == [
        (change.id, Outcome.ACCEPTED),
        (late.id, Outcome.REJECTED),  # the peer checked the credentials: error_code 1
    ]
    assert (event_id, why.reason) == (late.id, "result-1")
