"""Registry reads (diacritics-insensitive search) and admin writes."""

from __future__ import annotations

from typing import Any

import pytest

from hub_api.routers.registry import fold
from tests.unit.hub_api.conftest import AGENCY, Hub, headers


def test_fold_strips_vietnamese_diacritics() -> None:
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold("THANH HÓA") == "thanh hoa"
    assert fold("Sở Tư pháp") == "so tu phap"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dang ky khai sinh", "1.001193"),
        ("Đăng ký khai sinh", "1.001193"),
        ("2.000488", "2.000488"),
        ("ly lich tu phap", "2.000488"),
        ("criminal RECORD", "2.000488"),
    ],
)
def test_procedure_search(hub: Hub, query: str, expected: str) -> None:
    answer = hub.client.get("/v1/procedures", params={"q": query})
    assert answer.status_code == 200
    assert expected in [p["code"] for p in answer.json()]


def test_agency_search_and_lookup(hub: Hub) -> None:
    found = hub.client.get("/v1/agencies", params={"q": "so tu phap"}).json()
    assert [a["id"] for a in found] == [AGENCY]
    communes = hub.client.get("/v1/agencies", params={"level": "commune"}).json()
    assert communes
    assert all(a["level"] == "commune" for a in communes)
    assert hub.client.get(f"/v1/agencies/{AGENCY}").json()["name_vi"] == "Sở Tư pháp"
    missing = hub.client.get("/v1/agencies/999.99.99.H56")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_procedure_by_instance_code(hub: Hub) -> None:
    answer = hub.client.get("/v1/procedures/2.000488.000.00.00.H56")
    assert answer.status_code == 200
    assert answer.json()["code"] == "2.000488"


def _procedure(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "1.999001",
        "example_code": True,
        "name_vi": "Thủ tục thử nghiệm",
        "name_en": "Test procedure",
        "level": "province",
        "responsible_agency": AGENCY,
        "deadline": {"amount": 5, "unit": "working_days"},
    }
    body.update(changes)
    return body


def test_admin_adds_a_procedure(hub: Hub) -> None:
    answer = hub.client.put("/v1/procedures/1.999001", json=_procedure(), headers=headers("admin"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["changes"] == [{"action": "added", "kind": "procedure", "key": "1.999001"}]
    assert (
        hub.client.get("/v1/procedures", params={"q": "thu nghiem"}).json()[0]["code"] == "1.999001"
    )
    removed = hub.client.delete("/v1/procedures/1.999001", headers=headers("admin"))
    assert removed.json()["changes"][0]["action"] == "removed"


def test_writes_are_validated_like_registry_apply(hub: Hub) -> None:
    unknown_agency = _procedure(responsible_agency="000.00.77.H56")
    answer = hub.client.put(
        "/v1/procedures/1.999001", json=unknown_agency, headers=headers("admin")
    )
    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].endswith("/invalid-catalog")
    assert problem["issues"]
    assert "000.00.77.H56" in str(problem["issues"])
    bad_field = _procedure(deadline={"amount": -1})
    answer = hub.client.put("/v1/procedures/1.999001", json=bad_field, headers=headers("admin"))
    assert answer.status_code == 422
    assert answer.json()["issues"][0]["entry"] == "1.999001"
    mismatch = hub.client.put(
        "/v1/procedures/1.999002", json=_procedure(), headers=headers("admin")
    )
    assert mismatch.status_code == 422
    assert hub.registry.applied == []


def test_only_admins_write(hub: Hub) -> None:
    for who in ("agency", "operator"):
        answer = hub.client.put("/v1/procedures/1.999001", json=_procedure(), headers=headers(who))
        assert answer.status_code == 403
    assert hub.client.put("/v1/procedures/1.999001", json=_procedure()).status_code == 401
    agency = hub.client.get(f"/v1/agencies/{AGENCY}").json()
    agency["name_en"] = "Department of Justice (renamed)"
    answer = hub.client.put(f"/v1/agencies/{AGENCY}", json=agency, headers=headers("admin"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["changes"][0]["action"] == "changed"
