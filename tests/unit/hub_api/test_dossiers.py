"""Dossier tracking endpoints over a hand-fed dossier view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry.lifecycle import is_dossier_overdue
from tests.unit.hub_api.conftest import AGENCY, OTHER, Hub, dossier_state, headers

COMMUNE = "000.17.22.H56"


def test_detail_shows_status_deadline_and_timeline(hub: Hub) -> None:
    state = dossier_state(statuses=(2, 4))
    hub.put_state(state)
    answer = hub.client.get(f"/v1/dossiers/{state.code}", headers=headers("agency"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == 4
    assert body["status_vi"] == "Đang xử lý"
    assert body["national_status"] == "processing"
    assert body["responsible_agency"] == AGENCY
    assert body["responsible_agency_name"] == "Sở Tư pháp"
    assert [t["status"] for t in body["timeline"]] == [1, 2, 4]
    assert body["due_at"] is not None
    calendar = hub.services.calendar()
    now = datetime.now(UTC)
    assert body["overdue"] is is_dossier_overdue(state, calendar, now)
    assert (body["remaining_working_seconds"] < 0) is body["overdue"]
    assert body["lookup_token"] == hub.auth.lookup.issue(state.code)


def test_not_party_is_404_like_unknown(hub: Hub) -> None:
    state = dossier_state()
    hub.put_state(state)
    hidden = hub.client.get(f"/v1/dossiers/{state.code}", headers=headers("other"))
    unknown = hub.client.get(f"/v1/dossiers/{AGENCY}-260302-9999", headers=headers("other"))
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"].replace(state.code, "X") == unknown.json()["detail"].replace(
        f"{AGENCY}-260302-9999", "X"
    )


def test_no_credential_is_401_whether_or_not_it_exists(hub: Hub) -> None:
    state = dossier_state()
    hub.put_state(state)
    for code in (state.code, "nope"):
        answer = hub.client.get(f"/v1/dossiers/{code}")
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")


def test_step_agency_and_submitter_are_parties(hub: Hub) -> None:
    stepped = dossier_state(f"{COMMUNE}-260302-0001", agency=COMMUNE, steps=(COMMUNE, OTHER))
    submitted = dossier_state(f"{COMMUNE}-260302-0002", agency=COMMUNE, submitter=OTHER)
    for state in (stepped, submitted):
        hub.put_state(state)
        answer = hub.client.get(f"/v1/dossiers/{state.code}", headers=headers("other"))
        assert answer.status_code == 200
    detail = hub.client.get(f"/v1/dossiers/{stepped.code}", headers=headers("operator")).json()
    assert [s["agency"] for s in detail["steps"]] == [COMMUNE, OTHER]
    assert detail["steps"][0]["state"] == "active"


def _fill(hub: Hub, count: int) -> list[str]:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    codes = []
    for i in range(count):
        state = dossier_state(
            f"{AGENCY}-260302-{i:04d}", submitted=start + timedelta(minutes=i), statuses=()
        )
        hub.put_state(state)
        codes.append(state.code)
    return codes


def test_list_pages_through_everything_once(hub: Hub) -> None:
    codes = _fill(hub, 7)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = hub.client.get("/v1/dossiers", params=params, headers=headers("agency")).json()
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == codes


def test_list_filters(hub: Hub) -> None:
    _fill(hub, 3)
    hub.put_state(dossier_state(f"{AGENCY}-260310-0001", statuses=(2, 4)))
    hub.put_state(dossier_state(f"{OTHER}-260310-0001", agency=OTHER))

    def codes(who: str, **params: object) -> list[str]:
        answer = hub.client.get("/v1/dossiers", params=params, headers=headers(who))
        assert answer.status_code == 200, answer.text
        return [item["code"] for item in answer.json()["items"]]

    assert codes("agency", status=4) == [f"{AGENCY}-260310-0001"]
    assert len(codes("agency")) == 4  # never the other agency's dossier
    assert codes("operator", agency=OTHER) == [f"{OTHER}-260310-0001"]
    assert len(codes("agency", **{"from": "2026-03-02T08:01:00+07:00"})) == 3
    assert len(codes("agency", to="2026-03-02T08:01:00+07:00")) == 1
    assert codes("agency", overdue="false", status=1) == [
        f"{AGENCY}-260302-{i:04d}" for i in range(3)
    ]
    assert (
        hub.client.get(
            "/v1/dossiers", params={"agency": OTHER}, headers=headers("agency")
        ).status_code
        == 403
    )


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjogMX0", "", "e30"])
def test_invalid_cursor_is_400(hub: Hub, cursor: str) -> None:
    _fill(hub, 2)
    answer = hub.client.get(
        "/v1/dossiers", params={"cursor": cursor or "!!"}, headers=headers("agency")
    )
    assert answer.status_code == 400
    assert answer.json()["type"].endswith("/invalid-cursor")


def test_cursor_of_another_query_is_400(hub: Hub) -> None:
    _fill(hub, 3)
    first = hub.client.get("/v1/dossiers", params={"limit": 1}, headers=headers("agency"))
    cursor = first.json()["next_cursor"]
    answer = hub.client.get(
        "/v1/dossiers",
        params={"limit": 1, "status": 1, "cursor": cursor},
        headers=headers("agency"),
    )
    assert answer.status_code == 400


def test_statistics_per_agency_and_procedure(hub: Hub) -> None:
    _fill(hub, 2)
    hub.put_state(dossier_state(f"{OTHER}-260310-0001", agency=OTHER))
    mine = hub.client.get("/v1/statistics", headers=headers("agency")).json()
    assert [(g["agency"], g["procedure"], g["total"]) for g in mine] == [(AGENCY, "2.000488", 2)]
    everyone = hub.client.get("/v1/statistics", headers=headers("operator")).json()
    assert {g["agency"] for g in everyone} == {AGENCY, OTHER}
    assert everyone[0]["by_status"] == {"1": 2}
