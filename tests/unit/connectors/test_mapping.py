"""Field mappings: pure rules, parametrized."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.errors import MappingError
from connectors.mapping import check_avro_path, compile_mapping, format_datetime, parse_datetime
from schemas import load_catalog

SOURCE: dict[str, Any] = {
    "event": {"id": "e-1"},
    "data": {
        "dossier_code": "000.00.06.H56-231027-0361",
        "applicant": {"full_name": "Lê Văn An", "phone": None},
        "submitted_at": datetime(2026, 1, 5, 1, 30, 15, 250000, tzinfo=UTC),
        "documents": [{"name": "Tờ khai"}],
        "status": 9,
    },
}
TABLES = {"national": {"9": "releasing", "10": "done"}, "with_default": {"1": "a", "*": "?"}}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("data.dossier_code", "000.00.06.H56-231027-0361"),
        ("data.applicant.full_name | upper", "LÊ VĂN AN"),
        ("data.submitted_at | datetime:yyyyMMddHHmmss", "20260105083015"),
        ("data.submitted_at | datetime:yyyy-MM-dd'T'HH:mm:ss.SSS", "2026-01-05T08:30:15.250"),
        ("data.status | status_table:national", "releasing"),
        ("data.status | status_table:with_default", "?"),
        ("data.documents[0].name", "Tờ khai"),
        ("data.applicant.phone | default:0900000000", "0900000000"),
        ("data.status | str", "9"),
        ({"const": 16012}, 16012),
        (42, 42),
        ({"path": "data.applicant.email", "default": "none"}, "none"),
        ("event.id", "e-1"),
    ],
)
def test_rules(rule: Any, expected: Any) -> None:
    mapping, problems = compile_mapping({"out": rule}, TABLES)
    assert problems == []
    assert mapping.apply(SOURCE) == {"out": expected}


def test_optional_fields_are_left_out_and_dotted_targets_nest() -> None:
    mapping, _ = compile_mapping(
        {"a.b": "data.dossier_code", "a.c": {"path": "data.applicant.phone", "optional": True}}
    )
    assert mapping.apply(SOURCE) == {"a": {"b": "000.00.06.H56-231027-0361"}}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("data.applicant.email", "data.applicant.email is missing"),
        ("data.applicant.phone", "data.applicant.phone is null"),
        ("data.dossier_code | int", "invalid literal"),
        ("data.status | status_table:with_default | status_table:national", "not in status table"),
    ],
)
def test_errors_name_the_field_and_the_rule(rule: str, message: str) -> None:
    mapping, _ = compile_mapping({"Target": rule}, TABLES)
    with pytest.raises(MappingError) as caught:
        mapping.apply(SOURCE)
    assert caught.value.field == "Target"
    assert caught.value.rule == rule
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("data.x | shout", "unknown transform"),
        ("data.x | status_table:nope", "unknown status table"),
        ({"path": "a", "const": 1}, "exactly one"),
        ({"path": "a", "colour": 1}, "unknown rule keys"),
        ("data..x", "bad path"),
    ],
)
def test_compile_problems(rule: Any, problem: str) -> None:
    _, problems = compile_mapping({"T": rule}, TABLES)
    assert len(problems) == 1
    assert problems[0][0] == "T"
    assert problem in problems[0][1]


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("applicant.full_name", True),
        ("applicant.citizen_id", True),
        ("form_fields.anything", True),
        ("documents[0]", True),
        ("applicant.fullname", False),
        ("dossier_code.x", False),
        ("nothing", False),
    ],
)
def test_avro_paths(path: str, ok: bool) -> None:
    schema = load_catalog().schema("vn.gov.thanhhoa.hub.DossierSubmitted")
    assert (check_avro_path(schema, path) is None) is ok


def test_datetime_round_trip_in_vietnam_time() -> None:
    moment = parse_datetime("20260105083015", "yyyyMMddHHmmss")
    assert moment.astimezone(UTC) == datetime(2026, 1, 5, 1, 30, 15, tzinfo=UTC)
    assert format_datetime(moment, "yyyyMMddHHmmss") == "20260105083015"
    assert format_datetime(1767576615000, "yyyyMMddHHmmss") == "20260105083015"
