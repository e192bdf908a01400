"""Health, readiness, metrics, quarantine and dead-letter browse and replay."""

from __future__ import annotations

from hub_api.rejected import REPLAYED_FROM
from schemas import KafkaMessage
from schemas.rejects import Rejection
from tests.unit.hub_api.conftest import Hub, headers


def _message(ce_id: str) -> KafkaMessage:
    return KafkaMessage(
        b"000.00.06.H56-260302-0001",
        b"\x00\x00\x00\x00\x01body",
        (("ce_id", ce_id.encode()), ("ce_type", b"vn.gov.thanhhoa.dossier.submitted")),
    )


def test_health_and_readiness(hub: Hub) -> None:
    assert hub.client.get("/healthz").json() == {"status": "ok"}
    ready = hub.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "kafka": True,
        "registry": True,
        "dossier_view": True,
        "schema_registry": True,
    }
    hub.registry.loaded = False
    not_ready = hub.client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["registry"] is False


def test_metrics_count_requests_by_route(hub: Hub) -> None:
    hub.client.get("/v1/dossiers/abc", headers=headers("operator"))
    text = hub.client.get("/metrics").text
    assert (
        'hub_api_requests_total{method="GET",route="/v1/dossiers/{code}",status="404"} 1.0' in text
    )
    assert "hub_api_dossiers 0.0" in text


def test_browse_pages_and_filters_by_reason(hub: Hub) -> None:
    log = hub.services.quarantine
    for i in range(5):
        reason = "bad_signature" if i % 2 == 0 else "unknown_key"
        log.add(_message(f"e{i}"), Rejection(reason, f"detail {i}", "verify", f"hub.ingress/0/{i}"))
    first = hub.client.get(
        "/v1/quarantine", params={"limit": 2}, headers=headers("operator")
    ).json()
    assert [r["event_id"] for r in first["items"]] == ["e0", "e1"]
    second = hub.client.get(
        "/v1/quarantine",
        params={"limit": 10, "cursor": first["next_cursor"]},
        headers=headers("operator"),
    ).json()
    assert [r["event_id"] for r in second["items"]] == ["e2", "e3", "e4"]
    assert second["next_cursor"] is None
    bad = hub.client.get(
        "/v1/quarantine", params={"reason": "bad_signature"}, headers=headers("operator")
    ).json()
    assert [r["event_id"] for r in bad["items"]] == ["e0", "e2", "e4"]
    assert bad["items"][0]["origin"] == "hub.ingress/0/0"
    wrong = hub.client.get(
        "/v1/quarantine",
        params={"cursor": first["next_cursor"], "reason": "x"},
        headers=headers("operator"),
    )
    assert wrong.status_code == 400
    assert (
        hub.client.get(
            "/v1/quarantine", params={"cursor": "%%%"}, headers=headers("operator")
        ).status_code
        == 400
    )


def test_replay_quarantine_to_ingress(hub: Hub) -> None:
    hub.services.quarantine.add(_message("e1"), Rejection("bad_signature", "x", "verify"))
    one = hub.client.get("/v1/quarantine/0/0", headers=headers("operator"))
    assert one.json()["reason"] == "bad_signature"
    answer = hub.client.post("/v1/quarantine/0/0/replay", headers=headers("operator"))
    assert answer.status_code == 202
    assert answer.json() == {"status": "replayed", "topic": hub.topics.ingress, "event_id": "e1"}
    [sent] = hub.sent.to(hub.topics.ingress)
    assert sent.value == _message("e1").value
    assert dict(sent.headers)[REPLAYED_FROM] == f"{hub.topics.quarantine}/0/0".encode()
    assert not any(name.startswith("hub_reject_") for name, _ in sent.headers)
    missing = hub.client.post("/v1/quarantine/0/5/replay", headers=headers("operator"))
    assert missing.status_code == 404


def test_replay_deadletter_to_its_origin_only_if_a_hub_topic(hub: Hub) -> None:
    inbox = hub.topics.inbox("000.00.06.H56")
    hub.services.deadletter.add(
        _message("d1"), Rejection("delivery_failed", "503", "connector", f"{inbox}/2/40")
    )
    hub.services.deadletter.add(
        _message("d2"), Rejection("delivery_failed", "503", "connector", "elsewhere/0/1")
    )
    ok = hub.client.post("/v1/deadletter/0/0/replay", headers=headers("admin"))
    assert ok.status_code == 202
    assert ok.json()["topic"] == inbox
    refused = hub.client.post("/v1/deadletter/0/1/replay", headers=headers("admin"))
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/not-replayable")
    assert (
        hub.client.post("/v1/deadletter/0/0/replay", headers=headers("agency")).status_code == 403
    )
