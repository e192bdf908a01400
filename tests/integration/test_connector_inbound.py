"""Inbound connectors: a webhook and a poller turn legacy changes into signed ingress events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kafka import KafkaAdminClient

from connectors.inbound import Poller, WebhookServer, create_webhook_app, inbound_id
from connectors.peers import CivilStatusPeer
from hub_settings import HubSettings
from registry.publishing import EventPublisher
from schemas.message import parse_time
from security import verify_event
from tests.support.connectors import (
    AGENCY,
    PASSPHRASE,
    STATUS_CHANGED,
    Pipeline,
    dossier,
    make_pipeline,
)

pytestmark = pytest.mark.integration

EVENT = {
    "type": STATUS_CHANGED,
    "data": {
        "dossier_code": "item.DossierCode",
        "procedure_code": {"const": "1.001193"},
        "agency_id": "connector.agency",
        "status": "item.Status | int",
        "changed_at": "item.ChangedAt | iso_datetime",
        "note": {"path": "item.Note", "optional": True},
    },
    "subject": "item.DossierCode",
    "key": "item.Sequence",
}


@pytest.fixture
def pipe(
    settings: HubSettings,
    kafka_admin: KafkaAdminClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Pipeline]:
    monkeypatch.setenv("TEST_CONNECTOR_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TEST_HOOK_TOKEN", "hook-token")
    yield from make_pipeline(settings, kafka_admin, tmp_path)


def _base(inbound: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "inbound-test",
        "agency": AGENCY,
        "key": {"file": f"{AGENCY}.pem", "passphrase_env": "TEST_CONNECTOR_PASSPHRASE"},
        "inbound": inbound,
    }


def _verified(pipe: Pipeline, expect: int) -> list[Any]:
    keys = {pipe.public.key_id: pipe.public}
    events = []
    for message in pipe.read(pipe.topics.ingress, expect):
        event = pipe.codec.decode(message)
        verify_event(
            message.headers, message.value, keys, source_agency=AGENCY, at=parse_time(event.time)
        )
        events.append(event)
    return events


def test_poller_cursor_survives_a_restart(pipe: Pipeline) -> None:
    with CivilStatusPeer() as peer:
        poll = {
            "target": {"kind": "soap", "wsdl": peer.wsdl_url, "operation": "GetStatusChanges"},
            "request": {"AfterSequence": "cursor", "MaxItems": {"const": 10}},
            "items": "response.Change",
            "cursor": "item.Sequence",
            "event": EVENT,
        }
        config = pipe.config(_base({"poll": poll}))
        publisher = EventPublisher(pipe.settings, pipe.codec, pipe.signer)
        try:
            peer.set_status(dossier(1), 4, "Đang xử lý")
            peer.set_status(dossier(2), 4)
            first = Poller(config, pipe.settings, publisher.publish).start()
            assert first.poll_once() == 2
            first.close()
            peer.set_status(dossier(1), 9, "Đã xử lý xong")
            second = Poller(config, pipe.settings, publisher.publish).start()
            assert second.cursor == 2
            assert second.poll_once() == 1
            assert second.poll_once() == 0
            second.close()
        finally:
            publisher.close()
    events = _verified(pipe, 3)
    assert [(e.subject, e.data["status"]) for e in events] == [
        (dossier(1), 4),
        (dossier(2), 4),
        (dossier(1), 9),
    ]
    assert events[2].id == inbound_id("inbound-test", 3)  # same change -> same id


def test_webhook_publishes_a_signed_event(pipe: Pipeline) -> None:
    data = {
        "dossier_code": "body.DossierCode",
        "procedure_code": {"const": "1.001193"},
        "agency_id": "connector.agency",
        "status": "body.Status | int",
        "changed_at": "body.ChangedAt | iso_datetime",
        "note": {"path": "body.Note", "optional": True},
    }
    event_rule = {"type": STATUS_CHANGED, "subject": "body.DossierCode", "key": "body.Sequence"}
    hook = {
        "port": 0,
        "path": "/hotich/status",
        "token_env": "TEST_HOOK_TOKEN",
        "event": {**event_rule, "data": data},
    }
    config = pipe.config(_base({"webhook": hook}))
    assert config.inbound is not None
    assert config.inbound.webhook is not None
    publisher = EventPublisher(pipe.settings, pipe.codec, pipe.signer)
    app = create_webhook_app(config, config.inbound.webhook, publisher.publish)
    server = WebhookServer(app, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{server.port}/hotich/status"
        body = {
            "Sequence": 41,
            "DossierCode": dossier(3),
            "Status": 9,
            "ChangedAt": "2026-01-05T09:30:00+07:00",
        }
        with httpx.Client() as client:
            assert client.post(url, json=body).status_code == 401
            bad = client.post(
                url, json={"Sequence": 42}, headers={"Authorization": "Bearer hook-token"}
            )
            assert bad.status_code == 422
            assert "is missing" in bad.text
            ok = client.post(url, json=body, headers={"Authorization": "Bearer hook-token"})
            assert ok.status_code == 202
    finally:
        server.stop()
        publisher.close()
    [event] = _verified(pipe, 1)
    assert (event.id, event.subject, event.data["status"]) == (ok.json()["id"], dossier(3), 9)
