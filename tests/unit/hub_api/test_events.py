"""POST /v1/events and /v1/events/batch against in-process stand-ins for Kafka."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

from schemas.rejects import split_rejected
from tests.unit.hub_api.conftest import AGENCY, Hub, envelope, headers

PROBLEM = "application/problem+json"


def test_avro_event_is_published_after_ack(hub: Hub) -> None:
    body = envelope(hub)
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    assert answer.json()["lookup_token"] == hub.auth.lookup.issue(body["subject"])
    [sent] = hub.sent.to(hub.topics.ingress)
    assert dict(sent.headers)["ce_id"] == body["id"].encode()
    assert sent.key == body["subject"].encode()
    assert hub.codec.decode(sent).data["dossier_code"] == body["subject"]


def test_json_data_is_encoded_with_the_registered_schema(hub: Hub) -> None:
    body = envelope(hub, json_data=True)
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 202, answer.text
    [sent] = hub.sent.to(hub.topics.ingress)
    # the canonical encoding the agency signed: the same bytes as the Avro form
    assert sent.value == base64.b64decode(envelope(hub, event_id=body["id"])["data_base64"])


def test_resend_is_idempotent_and_conflicting_resend_is_409(hub: Hub) -> None:
    body = envelope(hub)
    for _ in range(2):
        answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
        assert answer.status_code == 202
    assert answer.json()["status"] == "duplicate"
    assert len(hub.sent.to(hub.topics.ingress)) == 1
    other = envelope(hub, event_id=body["id"], dossier=f"{AGENCY}-260302-0002")
    conflict = hub.client.post("/v1/events", json=other, headers=headers("agency"))
    assert conflict.status_code == 409
    assert conflict.json()["type"].endswith("/event-id-conflict")


def test_bad_signature_is_quarantined_and_explained(hub: Hub) -> None:
    body = envelope(hub)
    # a valid signature, but over another event
    body["signature"] = envelope(hub, dossier=f"{AGENCY}-260302-0009")["signature"]
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    problem = answer.json()
    assert problem["type"] == "https://hub.thanhhoa.gov.vn/problems/signature-rejected"
    assert problem["reason"] == "bad_signature"
    assert problem["quarantined"] is True
    assert hub.sent.to(hub.topics.ingress) == []
    [stored] = hub.sent.to(hub.topics.quarantine)
    original, rejection = split_rejected(stored)
    assert rejection.reason == "bad_signature"
    assert rejection.stage == "api"
    assert dict(original.headers)["ce_id"] == body["id"].encode()


def test_unknown_key_is_quarantined(hub: Hub) -> None:
    body = envelope(hub)
    body["sigkeyid"] = f"{AGENCY}:0000000000000000"
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    assert answer.json()["reason"] == "unknown_key"
    assert len(hub.sent.to(hub.topics.quarantine)) == 1


def test_unknown_event_type(hub: Hub) -> None:
    body = envelope(hub)
    body["type"] = "vn.gov.thanhhoa.dossier.teleported"
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/unknown-event-type")


def test_malformed_json_is_400(hub: Hub) -> None:
    answer = hub.client.post(
        "/v1/events",
        content=b'{"id": "x",',
        headers={**headers("agency"), "content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"].endswith("/malformed-json")


def test_wrong_types_are_422_with_the_fields(hub: Hub) -> None:
    body = envelope(hub)
    body["id"] = 42
    body["extra"] = "nope"
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    locs = {tuple(e["loc"]) for e in answer.json()["errors"]}
    assert ("body", "id") in locs
    assert ("body", "extra") in locs


def test_both_or_no_body_is_422(hub: Hub) -> None:
    body = envelope(hub)
    body["data"] = {"x": 1}
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/invalid-event")


def test_undecodable_body_and_bad_base64(hub: Hub) -> None:
    body = envelope(hub)
    body["data_base64"] = base64.b64encode(b"\x01garbage").decode()
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/undecodable-event")
    body["data_base64"] = "***"
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 400


def test_json_data_not_fitting_the_schema(hub: Hub) -> None:
    body = envelope(hub, json_data=True)
    body["data"]["channel"] = "CARRIER_PIGEON"
    answer = hub.client.post("/v1/events", json=body, headers=headers("agency"))
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/invalid-event-data")


def test_oversized_body_is_413(hub: Hub) -> None:
    limit = hub.services.settings.api.max_body_bytes
    body = json.dumps({"id": "x" * (limit + 10)})
    answer = hub.client.post(
        "/v1/events",
        content=body,
        headers={**headers("agency"), "content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["type"].endswith("/payload-too-large")


def test_credentials_and_source(hub: Hub) -> None:
    body = envelope(hub)
    assert hub.client.post("/v1/events", json=body).status_code == 401
    wrong = hub.client.post("/v1/events", json=body, headers={"X-API-Key": "justice-key.nope"})
    assert wrong.status_code == 401
    assert wrong.json()["type"].endswith("/unauthenticated")
    assert hub.client.post("/v1/events", json=body, headers=headers("operator")).status_code == 403
    other = hub.client.post("/v1/events", json=body, headers=headers("other"))
    assert other.status_code == 403  # publishing as another agency
    assert hub.sent.messages == []


def test_batch_mixes_accepted_duplicate_and_quarantined(hub: Hub) -> None:
    good = envelope(hub)
    bad = envelope(hub, dossier=f"{AGENCY}-260302-0003")
    bad["signature"] = good["signature"]
    answer = hub.client.post(
        "/v1/events/batch", json={"events": [good, bad, good]}, headers=headers("agency")
    )
    assert answer.status_code == 202, answer.text
    statuses = [r["status"] for r in answer.json()["results"]]
    assert statuses == ["accepted", "quarantined", "duplicate"]
    assert answer.json()["results"][1]["reason"] == "bad_signature"
    assert len(hub.sent.to(hub.topics.ingress)) == 1
    assert len(hub.sent.to(hub.topics.quarantine)) == 1


def test_batch_with_an_invalid_event_names_its_index(hub: Hub) -> None:
    good = envelope(hub)
    bad = envelope(hub)
    bad["type"] = "vn.gov.thanhhoa.nothing"
    answer = hub.client.post(
        "/v1/events/batch", json={"events": [good, bad]}, headers=headers("agency")
    )
    assert answer.status_code == 422
    assert answer.json()["index"] == 1
    assert hub.sent.messages == []


def test_oversized_streamed_body_is_413(hub: Hub) -> None:
    limit = hub.services.settings.api.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"id": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    answer = hub.client.post(
        "/v1/events",
        content=chunks(),
        headers={**headers("agency"), "content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.json()["type"].endswith("/payload-too-large")
