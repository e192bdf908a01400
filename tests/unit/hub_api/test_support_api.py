"""Support endpoints with in-process stand-ins: submit, flood, answer, inbox, finder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub_api.support_view import SupportView
from registry.support import SupportState
from schemas.support_topics import support_commands
from tests.unit.hub_api.conftest import AGENCY, OTHER, Hub, headers

ASK = {"question": "Hồ sơ của tôi đã quá hạn?", "contact_name": "Lê Thị Hồng",
       "contact_email": "hong.le@example.vn", "dossier_code": f"{AGENCY}-260302-0001"}  # fmt: skip


@pytest.fixture
def view(hub: Hub) -> SupportView:
    fed = SupportView(None, "unit.hub.support-state").start()
    hub.client.app.state.support_view = fed
    return fed


def put(view: SupportView, **changes: object) -> SupportState:
    state = SupportState(
        request_id="HT-260302-00000001",
        subject=f"{AGENCY}-260302-0001",
        kind="question",
        question="Khi nào có kết quả?",
        channel="web",
        contact_name="Lê Thị Hồng",
        contact_email="hong.le@example.vn",
        requested_at=datetime.now(UTC),
        agency_id=AGENCY,
        reason="dossier",
        respond_by=datetime.now(UTC) + timedelta(days=3),
    ).model_copy(update=changes)
    view.apply(state.request_id.encode(), state.model_dump_json().encode())
    return state


def commands(hub: Hub) -> list[object]:
    return [hub.codec.decode(m) for m in hub.sent.to(support_commands("hub"))]


def test_submit_sends_a_command_keyed_by_the_dossier(hub: Hub, view: SupportView) -> None:
    answer = hub.client.post("/v1/support/requests", json=ASK)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert hub.auth.lookup.check(body["request_id"], body["lookup_token"])
    [command] = commands(hub)
    assert command.type == "vn.gov.thanhhoa.support.requested"  # type: ignore[attr-defined]
    assert command.subject == ASK["dossier_code"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("question", ["", "   ", "x" * 2001])
def test_empty_or_oversized_questions_are_refused(
    hub: Hub, view: SupportView, question: str
) -> None:
    answer = hub.client.post("/v1/support/requests", json={**ASK, "question": question})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert commands(hub) == []


def test_a_flood_from_one_client_gets_429(hub: Hub, view: SupportView) -> None:
    codes = [hub.client.post("/v1/support/requests", json=ASK).status_code for _ in range(8)]
    assert codes[:5] == [202] * 5
    assert 429 in codes[5:]
    assert "Retry-After" in hub.client.post("/v1/support/requests", json=ASK).headers


def test_citizen_needs_the_token(hub: Hub, view: SupportView) -> None:
    state = put(view)
    url = f"/v1/support/requests/{state.request_id}"
    assert hub.client.get(url).status_code == 404
    token = hub.auth.lookup.issue(state.request_id)
    seen = hub.client.get(url, params={"token": token})
    assert seen.status_code == 200
    assert seen.json()["agency_name"] == "Sở Tư pháp"
    assert "contact_email" not in seen.json()


def test_only_the_assigned_agency_sees_and_answers(hub: Hub, view: SupportView) -> None:
    state = put(view)
    mine = hub.client.get("/v1/support/inbox", headers=headers("agency"))
    assert [s["request_id"] for s in mine.json()] == [state.request_id]
    assert hub.client.get("/v1/support/inbox", headers=headers("other")).json() == []
    url = f"/v1/support/requests/{state.request_id}/answer"
    refused = hub.client.post(url, json={"answer": "x"}, headers=headers("other"))
    assert refused.status_code == 404
    ok = hub.client.post(url, json={"answer": "Đang ký", "close": True}, headers=headers("agency"))
    assert ok.status_code == 202, ok.text
    kinds = [c.type.rsplit(".", 1)[1] for c in commands(hub)]  # type: ignore[attr-defined]
    assert kinds == ["answered", "closed"]
    assert hub.client.post(url, json={"answer": "x"}).status_code == 401
    stats = hub.client.get("/v1/support/stats", headers=headers("operator")).json()
    assert stats[0]["agency_id"] == AGENCY
    assert stats[0]["open"] == 1
    assert OTHER not in {s["agency_id"] for s in stats}


def test_procedure_search_is_not_shadowed(hub: Hub) -> None:
    answer = hub.client.get("/v1/procedures/search", params={"q": "khai sinh"})
    assert answer.status_code == 200, answer.text
    first = answer.json()[0]
    assert first["code"] == "1.001193"
    assert "Giấy chứng sinh" in first["required_documents"]
    assert hub.client.get("/v1/procedures/search").status_code == 422
    assert hub.client.get("/v1/procedures/1.001193").json()["code"] == "1.001193"


def test_the_inbox_suggests_procedures_from_the_finder(hub: Hub, view: SupportView) -> None:
    state = put(view, question="làm giấy khai sinh cho con cần gì", agency_id=OTHER)
    listed = hub.client.get("/v1/support/inbox", headers=headers("other"))
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    suggested = row["suggestions"]
    assert len(suggested) == 3
    first = suggested[0]
    assert (first["code"], first["name_vi"]) == ("1.001193", "Đăng ký khai sinh")
    assert first["deadline"]["amount"] == 0
    assert first["fee_vnd"] == 8000
    assert first["required_documents"] == ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"]
    found = hub.client.get("/v1/procedures/search", params={"q": state.question, "limit": 3})
    assert [s["code"] for s in suggested] == [f["code"] for f in found.json()]

    opened = hub.client.get(f"/v1/support/inbox/{state.request_id}", headers=headers("other"))
    assert opened.status_code == 200, opened.text
    assert opened.json()["suggestions"] == suggested
    assert hub.client.get(
        f"/v1/support/inbox/{state.request_id}", headers=headers("agency")
    ).status_code == 404  # fmt: skip
    citizen = hub.client.get(
        f"/v1/support/requests/{state.request_id}",
        params={"token": hub.auth.lookup.issue(state.request_id)},
    )
    assert "suggestions" not in citizen.json()


def test_a_question_the_finder_cannot_place_has_no_suggestions(hub: Hub, view: SupportView) -> None:
    state = put(view, question="???")
    opened = hub.client.get(f"/v1/support/inbox/{state.request_id}", headers=headers("operator"))
    assert opened.status_code == 200, opened.text
    assert opened.json()["suggestions"] == []
