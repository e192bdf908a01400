"""The hub API over real HTTP (uvicorn on 127.0.0.1) against the real broker."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from hub_api.rejected import REPLAYED_FROM
from hub_settings import HubSettings
from registry import DossierEvent, EventType, apply, load_catalog
from registry.lifecycle import DossierState
from schemas.rejects import split_rejected
from tests.integration.api_support import (
    AGENCY,
    LOOKUP_SECRET,
    RunningApi,
    produce_state,
    read_topic,
    running_api,
    signed_envelope,
)

pytestmark = pytest.mark.integration

_CALENDAR = load_catalog().calendar()


@pytest.fixture(scope="module")
def api(settings: HubSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api(settings, tmp_path_factory.mktemp("api")) as running:
        yield running


def _code(n: int) -> str:
    return f"{AGENCY}-261203-{n:04d}"


def _submitted(code: str) -> DossierState:
    return apply(
        None,
        DossierEvent(
            event_id=f"{code}-0",
            type=EventType.SUBMITTED,
            dossier_code=code,
            time=datetime.now(UTC) - timedelta(hours=1),
            actor=AGENCY,
            procedure="2.000488",
            responsible_agency=AGENCY,
            deadline=load_catalog().procedures["2.000488"].deadline,
        ),
        calendar=_CALENDAR,
    )


def _next(state: DossierState, status: int) -> DossierState:
    return apply(
        state,
        DossierEvent(
            event_id=f"{state.code}-{len(state.timeline)}",
            type=EventType.STATUS,
            dossier_code=state.code,
            time=datetime.now(UTC),
            actor=AGENCY,
            status=status,
        ),
        calendar=_CALENDAR,
    )


def _eventually(check: object, timeout_s: float = 10.0) -> httpx.Response:
    assert callable(check)
    deadline = time.monotonic() + timeout_s
    while True:
        answer: httpx.Response = check()
        if answer.status_code == 200 or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_ready_with_every_dependency(api: RunningApi) -> None:
    answer = httpx.get(f"{api.url}/readyz", timeout=10)
    assert answer.status_code == 200, answer.text
    assert all(answer.json()["checks"].values())
    assert httpx.get(f"{api.url}/healthz").json() == {"status": "ok"}
    assert "hub_api_requests_total" in httpx.get(f"{api.url}/metrics").text


def test_agency_submits_over_http_and_kafka_has_it(api: RunningApi) -> None:
    avro = signed_envelope(api, _code(1))
    as_json = signed_envelope(api, _code(2), json_data=True)
    with httpx.Client(base_url=api.url, headers=api.headers("agency"), timeout=30) as client:
        for body in (avro, as_json):
            answer = client.post("/v1/events", json=body)
            assert answer.status_code == 202, answer.text
            assert answer.json()["lookup_token"]
        again = client.post("/v1/events", json=avro)
        assert again.json()["status"] == "duplicate"
    stored = read_topic(api.settings, api.topics.ingress, 2)
    ids = [dict(m.headers)["ce_id"].decode() for m in stored]
    assert avro["id"] in ids
    assert as_json["id"] in ids
    assert ids.count(avro["id"]) == 1
    decoded = api.codec.decode(stored[ids.index(as_json["id"])])
    assert decoded.data["dossier_code"] == _code(2)


def test_bad_signature_lands_in_quarantine_and_replays(api: RunningApi) -> None:
    body = signed_envelope(api, _code(3))
    body["signature"] = signed_envelope(api, _code(4))["signature"]
    with httpx.Client(base_url=api.url, timeout=30) as client:
        answer = client.post("/v1/events", json=body, headers=api.headers("agency"))
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["reason"] == "bad_signature"
        [record] = read_topic(api.settings, api.topics.quarantine, 1)
        original, rejection = split_rejected(record)
        assert rejection.reason == "bad_signature"
        assert dict(original.headers)["ce_id"] == body["id"].encode()

        listed = client.get("/v1/quarantine", headers=api.headers("operator")).json()
        [item] = [i for i in listed["items"] if i["event_id"] == body["id"]]
        replayed = client.post(
            f"/v1/quarantine/{item['partition']}/{item['offset']}/replay",
            headers=api.headers("operator"),
        )
        assert replayed.status_code == 202, replayed.text
    in_ingress = read_topic(api.settings, api.topics.ingress, 1)
    copies = [m for m in in_ingress if dict(m.headers).get(REPLAYED_FROM)]
    assert [dict(m.headers)["ce_id"].decode() for m in copies] == [body["id"]]


def test_dossier_state_topic_feeds_queries(api: RunningApi) -> None:
    state = _next(_submitted(_code(10)), 2)
    produce_state(api.settings, state)
    with httpx.Client(base_url=api.url, timeout=30) as client:
        answer = _eventually(
            lambda: client.get(f"/v1/dossiers/{state.code}", headers=api.headers("agency"))
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == 2
        assert answer.json()["remaining_working_seconds"] > 0
        listed = client.get("/v1/dossiers", params={"status": 2}, headers=api.headers("operator"))
        assert state.code in [i["code"] for i in listed.json()["items"]]
        assert client.get(f"/v1/dossiers/{state.code}").status_code == 401


def _read_events(response: httpx.Response, into: list[tuple[float, dict[str, object]]]) -> None:
    data = None
    try:
        for line in response.iter_lines():
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and data is not None:
                into.append((time.monotonic(), json.loads(data)))
                data = None
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the test closed the stream


@pytest.mark.parametrize("audience", ["agency", "citizen"])
def test_live_status_arrives_within_a_second(api: RunningApi, audience: str) -> None:
    code = _code(20 if audience == "agency" else 21)
    state = _next(_submitted(code), 2)
    produce_state(api.settings, state)
    if audience == "agency":
        path, headers = f"/v1/dossiers/{code}/live", api.headers("agency")
    else:
        from hub_api.auth import LookupTokens

        token = LookupTokens(LOOKUP_SECRET.encode()).issue(code)
        path, headers = f"/v1/citizen/dossiers/{code}/live?token={token}", {}
    with httpx.Client(base_url=api.url, timeout=30) as client:
        _eventually(lambda: client.get(path.replace("/live", ""), headers=headers))
        events: list[tuple[float, dict[str, object]]] = []
        with client.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            reader = threading.Thread(target=_read_events, args=(response, events), daemon=True)
            reader.start()
            deadline = time.monotonic() + 10
            while not events and time.monotonic() < deadline:
                time.sleep(0.02)
            assert events, "no initial state event"
            assert events[0][1]["status"] == 2
            sent_at = time.monotonic()
            produce_state(api.settings, _next(state, 4))
            while len(events) < 2 and time.monotonic() < sent_at + 5:
                time.sleep(0.01)
            assert len(events) >= 2, "no live update"
            arrived, update = events[1]
            assert update["status"] == 4
            assert arrived - sent_at < 1.0, f"update took {arrived - sent_at:.3f}s"


def test_admin_write_goes_through_the_registry_topic(api: RunningApi) -> None:
    body = {
        "code": "1.999002",
        "example_code": True,
        "name_vi": "Thủ tục kiểm thử tích hợp",
        "name_en": "Integration test procedure",
        "level": "province",
        "responsible_agency": AGENCY,
        "deadline": {"amount": 3},
    }
    with httpx.Client(base_url=api.url, timeout=30) as client:
        put = client.put("/v1/procedures/1.999002", json=body, headers=api.headers("admin"))
        assert put.status_code == 200, put.text
        found = client.get("/v1/procedures", params={"q": "kiem thu tich hop"}).json()
        assert [p["code"] for p in found] == ["1.999002"]
        refused = client.put(
            "/v1/procedures/1.999002",
            json={**body, "responsible_agency": "000.00.88.H56"},
            headers=api.headers("admin"),
        )
        assert refused.status_code == 422
