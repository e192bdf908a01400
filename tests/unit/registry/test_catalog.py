"""Thanh Hóa catalog: loads cleanly, is complete, answers lookups; all errors reported at once."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from textwrap import dedent

import pytest

from registry import Catalog, CatalogError, UnresolvedAgencyError, load_catalog
from registry.model import AgencyLevel, DeadlineUnit

from .conftest import vn

OBSERVED_AGENCIES = {"000.00.00.H56", "000.00.06.H56", "000.00.14.H56", "000.17.22.H56"}
STATUS_EVENTS = ["vn.gov.thanhhoa.dossier.status_changed", "vn.gov.thanhhoa.dossier.result_issued"]


def _levels(catalog: Catalog, level: AgencyLevel) -> int:
    return sum(1 for a in catalog.agencies.values() if a.level is level)


def test_catalog_content(catalog: Catalog) -> None:
    assert _levels(catalog, AgencyLevel.PROVINCE) == 1
    assert _levels(catalog, AgencyLevel.DEPARTMENT) >= 15
    assert _levels(catalog, AgencyLevel.COMMUNE) >= 20
    assert _levels(catalog, AgencyLevel.NATIONAL) >= 5
    assert len(catalog.procedures) >= 40
    assert {p.level.value for p in catalog.procedures.values()} >= {"province", "commune"}


def test_invented_codes_are_marked(catalog: Catalog) -> None:
    real_agencies = {a.id for a in catalog.agencies.values() if not a.example_code}
    assert real_agencies == OBSERVED_AGENCIES
    real_procedures = {p.code for p in catalog.procedures.values() if not p.example_code}
    assert real_procedures == {"1.001193", "2.000488"}


def test_birth_registration(catalog: Catalog) -> None:
    birth = catalog.procedure("1.001193")
    assert birth.instance_code == "1.001193.000.00.00.H56"
    assert catalog.procedure("1.001193.000.00.00.H56") is birth
    assert birth.deadline.amount == 0
    assert birth.deadline.same_day_cutoff == time(15, 0)
    assert birth.fee_vnd == 8000
    assert catalog.responsible_agency("1.001193", "000.90.02.H56") == "000.90.02.H56"


@pytest.mark.parametrize("commune", [None, "000.00.06.H56", "000.99.99.H56"])
def test_commune_rule_needs_a_commune(catalog: Catalog, commune: str | None) -> None:
    with pytest.raises(UnresolvedAgencyError):
        catalog.responsible_agency("1.001193", commune)


def test_criminal_record_and_business(catalog: Catalog) -> None:
    record = catalog.procedure("2.000488")
    assert record.responsible_agency == "000.00.06.H56"
    assert (record.deadline.amount, record.deadline.unit) == (10, DeadlineUnit.WORKING_DAYS)
    business = catalog.procedure("2.900001")
    assert business.deadline.amount == 3
    permit = catalog.procedure("1.900012")
    assert (permit.deadline.amount, permit.deadline.unit) == (15, DeadlineUnit.CALENDAR_DAYS)


def test_linked_birth_residence_insurance(catalog: Catalog) -> None:
    linked = catalog.procedure("1.900101")
    assert linked.is_linked
    assert linked.deadline.amount == 3
    assert [s.procedure for s in linked.chain] == ["1.001193", "2.900030", "2.900031"]
    assert catalog.chain_agencies("1.900101", "000.17.22.H56") == [
        "000.17.22.H56",
        "000.00.15.H56",
        "000.00.16.H56",
    ]


@pytest.mark.parametrize("event_type", STATUS_EVENTS)
def test_portal_subscriptions(catalog: Catalog, event_type: str) -> None:
    subscribers = {s.subscriber for s in catalog.subscribers_for(event_type, "1.001193")}
    assert {"citizen-portal", "national-portal-sync"} <= subscribers


def test_procedure_filter_on_subscription(catalog: Catalog) -> None:
    event = "vn.gov.thanhhoa.dossier.submitted"
    assert "000.00.90.G06" in {s.subscriber for s in catalog.subscribers_for(event, "1.900101")}
    assert "000.00.90.G06" not in {s.subscriber for s in catalog.subscribers_for(event, "2.000488")}


def test_access_rules_and_keys(catalog: Catalog) -> None:
    justice = catalog.agency("000.00.06.H56")
    assert justice.may_emit("vn.gov.thanhhoa.dossier.accepted")
    assert not justice.may_emit("vn.gov.thanhhoa.payment.completed")
    assert [k.key_id for k in justice.usable_keys(vn("2026-06-01 10:00"))] == ["stp-2026"]


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text), encoding="utf-8")


BROKEN_AGENCIES = """
agencies:
  - {id: 000.00.00.H56, name_vi: Tỉnh, name_en: Province, level: province}
  - {id: 000.00.01.H56, name_vi: Sở, name_en: Dept, level: department, parent: 000.00.99.H56}
  - {id: 000.00.01.H56, name_vi: Trùng, name_en: Dup, level: department}
  - {id: 12.34.H56, name_vi: Sai, name_en: Bad, level: department}
"""
BROKEN_PROCEDURES = """
procedures:
  - code: "1.000001"
    name_vi: A
    name_en: A
    level: province
    responsible_agency: 000.00.77.H56
    deadline: {amount: -2}
  - code: "1.000002"
    name_vi: B
    name_en: B
    level: province
    responsible_agency: 000.00.01.H56
    deadline: {amount: 2}
    chain:
      - {name_vi: b1, agency: 000.00.01.H56, procedure: "1.000003", deadline_share: 1}
      - {name_vi: b2, agency: 000.00.55.H56, deadline_share: 5}
  - code: "1.000003"
    name_vi: C
    name_en: C
    level: province
    responsible_agency: 000.00.01.H56
    deadline: {amount: 2}
    chain:
      - {name_vi: c1, agency: 000.00.01.H56, procedure: "1.000002", deadline_share: 1}
  - code: 1.000004
    name_vi: D
    name_en: D
    level: province
    responsible_agency: 000.00.01.H56
    deadline: {amount: 1}
  - code: "1.000002"
    name_vi: B again
    name_en: A again
    level: province
    responsible_agency: 000.00.01.H56
    deadline: {amount: 1}
"""
BROKEN_SUBSCRIPTIONS = """
subscriptions:
  - {id: s1, subscriber: 000.00.42.H56, event_types: ["vn.gov.thanhhoa.*"]}
  - {id: s2, subscriber: portal, event_types: ["vn.gov.thanhhoa.*"],
     procedures: ["9.999999"], owner: 000.00.00.H56}
  - {id: s3, subscriber: portal, event_types: ["vn.gov.thanhhoa.*"]}
bogus: []
"""


def test_every_error_reported_at_once(tmp_path: Path) -> None:
    _write(tmp_path, "agencies.yaml", BROKEN_AGENCIES)
    _write(tmp_path, "procedures.yaml", BROKEN_PROCEDURES)
    _write(tmp_path, "subscriptions.yaml", BROKEN_SUBSCRIPTIONS)
    _write(tmp_path, "broken.yaml", "agencies: [unclosed\n")
    _write(
        tmp_path, "calendar/2026.yaml", "year: 2026\ndays_off: [{date: 2027-01-01, name_vi: x}]\n"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    found = [(i.file, i.entry, i.field, i.message) for i in info.value.issues]

    def has(file: str, entry: str, field: str, text: str) -> None:
        assert any(
            f == file and e.startswith(entry) and fl == field and text in m for f, e, fl, m in found
        ), (file, entry, field, text, found)

    has("agencies.yaml", "agencies[1]", "parent", "unknown agency 000.00.99.H56")
    has("agencies.yaml", "agencies[2]", "id", "duplicate agency 000.00.01.H56")
    has("agencies.yaml", "agencies[3]", "id", "NNN.NN.NN.H56")
    has("procedures.yaml", "procedures[0]", "deadline", "must not be negative")
    has("procedures.yaml", "procedures[1]", "chain.1.agency", "unknown agency 000.00.55.H56")
    has("procedures.yaml", "procedures[1]", "chain", "beyond the total 2")
    has("procedures.yaml", "procedures[1]", "chain", "cycle in linked chain")
    has("procedures.yaml", "procedures[3]", "code", "quote codes")
    has("procedures.yaml", "procedures[4]", "code", "duplicate procedure 1.000002")
    has("subscriptions.yaml", "subscriptions[0]", "subscriber", "unknown agency 000.00.42.H56")
    has("subscriptions.yaml", "subscriptions[1]", "procedures.0", "unknown procedure 9.999999")
    has("subscriptions.yaml", "subscriptions[2]", "-", "needs an owner")
    has("subscriptions.yaml", "bogus", "-", "unknown section")
    has("broken.yaml", "-", "-", "cannot read YAML")
    has("calendar/2026.yaml", "calendar", "-", "must be in 2026")
    assert "procedures.yaml" in str(info.value)


def test_unknown_responsible_agency(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", BROKEN_AGENCIES.split("  - {id: 000.00.01.H56, name_vi: Sở")[0])
    _write(
        tmp_path,
        "p.yaml",
        """
        procedures:
          - {code: "1.000001", name_vi: A, name_en: A, level: province,
             responsible_agency: 000.00.77.H56, deadline: {amount: 1}}
        """,
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    [issue] = info.value.issues
    assert (issue.file, issue.field) == ("p.yaml", "responsible_agency")


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        load_catalog(tmp_path / "missing")


def test_minimal_catalog_loads(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "x.yaml",
        """
        agencies:
          - {id: 000.00.00.H30, name_vi: Tỉnh, name_en: Province, level: province}
        procedures:
          - {code: "1.000001", name_vi: A, name_en: A, level: province,
             responsible_agency: 000.00.00.H30, deadline: {amount: 1}}
        """,
    )
    catalog = load_catalog(tmp_path)
    assert catalog.procedure("1.000001").instance_code == "1.000001.000.00.00.H30"


def _proc(code: str, *refs: str) -> str:
    steps = "".join(
        f'\n      - {{name_vi: s, agency: 000.00.00.H56, procedure: "{r}", deadline_share: 0}}'
        for r in refs
    )
    chain = f"\n    chain:{steps}" if refs else ""
    return (
        f'  - code: "{code}"\n    name_vi: X\n    name_en: X\n    level: province\n'
        f"    responsible_agency: 000.00.00.H56\n    deadline: {{amount: 1}}{chain}\n"
    )


@pytest.mark.parametrize(
    ("procs", "on_cycle"),
    [
        ([("1.000001", "1.000001")], {"1.000001"}),  # refers to itself
        (
            [("1.000001", "1.000002"), ("1.000002", "1.000003"), ("1.000003", "1.000002")],
            {"1.000002", "1.000003"},
        ),
        ([("1.000001", "1.000002"), ("1.000002",)], set()),
    ],
)
def test_chain_cycles(tmp_path: Path, procs: list[tuple[str, ...]], on_cycle: set[str]) -> None:
    agencies = "agencies:\n  - {id: 000.00.00.H56, name_vi: T, name_en: P, level: province}\n"
    body = "procedures:\n" + "".join(_proc(*p) for p in procs)
    _write(tmp_path, "c.yaml", agencies + body)
    if not on_cycle:
        load_catalog(tmp_path)
        return
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    flagged = {i.entry.split()[-1] for i in info.value.issues if "cycle" in i.message}
    assert flagged == on_cycle


def test_support_response_deadlines(catalog: Catalog) -> None:
    assert catalog.procedure("1.001193").support_response_working_days == 2
    assert catalog.procedure("2.000488").support_response_working_days == 3
    assert catalog.procedure("2.900001").support_response_working_days is None
    assert catalog.agency("000.00.14.H56").support_response_working_days == 3
    assert catalog.agency("000.00.06.H56").support_response_working_days is None


@pytest.mark.parametrize("days", ["0", "-1", "31", "'soon'"])
def test_support_response_deadline_is_positive_and_bounded(tmp_path: Path, days: str) -> None:
    _write(
        tmp_path,
        "s.yaml",
        f"""
        agencies:
          - {{id: 000.00.00.H30, name_vi: T, name_en: P, level: province,
             support_response_working_days: {days}}}
        procedures:
          - {{code: "1.000001", name_vi: A, name_en: A, level: province,
             responsible_agency: 000.00.00.H30, deadline: {{amount: 1}},
             support_response_working_days: {days}}}
        """,
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    found = {(i.entry.split("[")[0], i.field) for i in info.value.issues}
    assert found == {
        ("agencies", "support_response_working_days"),
        ("procedures", "support_response_working_days"),
    }


def test_support_response_deadline_may_be_half_a_day(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "s.yaml",
        """
        agencies:
          - {id: 000.00.00.H30, name_vi: T, name_en: P, level: province}
        procedures:
          - {code: "1.000001", name_vi: A, name_en: A, level: province,
             responsible_agency: 000.00.00.H30, deadline: {amount: 1},
             support_response_working_days: 0.5}
        """,
    )
    assert load_catalog(tmp_path).procedure("1.000001").support_response_working_days == 0.5
