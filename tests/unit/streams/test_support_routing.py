"""Support requests: who answers, by when, overdue and statistics (pure core)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from registry import Deadline, DossierEvent, EventType, apply, load_catalog
from registry.lifecycle import DossierState
from registry.support import (
    SupportAnswer,
    SupportRouting,
    SupportState,
    needs_support_overdue,
    new_request_id,
    respond_by,
    response_working_days,
    route_request,
    support_stats,
)

HELPDESK = "000.00.14.H56"
JUSTICE = "000.00.06.H56"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = load_catalog()


def dossier(code: str = f"{JUSTICE}-260302-0001", agency: str = JUSTICE) -> DossierState:
    return apply(
        None,
        DossierEvent(
            event_id="e1",
            type=EventType.SUBMITTED,
            dossier_code=code,
            time=datetime(2026, 3, 2, 1, 30, tzinfo=UTC),
            actor=agency,
            procedure="2.000488",
            responsible_agency=agency,
            deadline=Deadline(amount=10),
        ),
        calendar=CATALOG.calendar(),
    )


def route(**kwargs: object) -> tuple[str, str, str | None]:
    args: dict[str, object] = {"dossier_code": None, "dossier": None, "procedure_code": None}
    args.update(kwargs)
    r = route_request(CATALOG, HELPDESK, **args)  # type: ignore[arg-type]
    return r.agency_id, r.reason, r.note


def test_about_a_known_dossier_goes_to_its_agency() -> None:
    state = dossier()
    assert route(dossier_code=state.code, dossier=state) == (JUSTICE, "dossier", None)


def test_about_a_procedure_goes_to_its_responsible_agency() -> None:
    assert route(procedure_code="2.000488") == (JUSTICE, "procedure", None)


@pytest.mark.parametrize(
    ("kwargs", "note"),
    [
        ({"dossier_code": "000.00.06.H56-260302-9999"}, "unknown dossier code"),
        ({"procedure_code": "9.999999"}, "unknown procedure code 9.999999"),
        ({"procedure_code": "1.001193"}, "handled by the applicant's commune"),
        ({}, None),
    ],
)
def test_everything_else_goes_to_the_helpdesk_with_a_note(
    kwargs: dict[str, object], note: str | None
) -> None:
    agency, reason, got = route(**kwargs)
    assert (agency, reason) == (HELPDESK, "helpdesk")
    assert got is None if note is None else note in (got or "")


def test_unknown_dossier_but_known_procedure_keeps_the_note() -> None:
    agency, reason, note = route(dossier_code="x-1", procedure_code="2.000488")
    assert (agency, reason) == (JUSTICE, "procedure")
    assert note == "unknown dossier code x-1"


def test_response_deadline_in_working_days_skips_the_weekend() -> None:
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=VN)
    assert respond_by(CATALOG.calendar(), friday, 2) == datetime(2026, 3, 10, 10, 0, tzinfo=VN)


DEFAULT_DAYS = 5.0
HEALTH = "000.00.05.H56"  # Sở Y tế: no support deadline of its own in the catalog


@pytest.mark.parametrize(
    ("kwargs", "days"),
    [
        ({"procedure_code": "2.000488"}, 3),  # the procedure's own
        ({"procedure_code": "1.001193.000.00.00.H56"}, 2),  # by its instance code
        ({"dossier": "2.000488"}, 3),  # a dossier of that procedure
        ({"procedure_code": "1.001193"}, 2),  # the procedure's, though the helpdesk answers
        ({"procedure_code": "2.900004"}, 7),  # none: the Department of Construction's
        ({"procedure_code": "9.999999"}, 3),  # unknown: the helpdesk's
        ({"dossier_code": "x-1"}, 3),
        ({}, 3),
        ({"procedure_code": "2.900005"}, DEFAULT_DAYS),  # neither: the configured default
        ({"dossier": "2.900005", "agency": HEALTH}, DEFAULT_DAYS),
    ],
)
def test_response_deadline_procedure_then_agency_then_default(
    kwargs: dict[str, str], days: float
) -> None:
    args: dict[str, object] = {"dossier_code": None, "dossier": None, "procedure_code": None}
    if "dossier" in kwargs:
        found = dossier(agency=kwargs.get("agency", JUSTICE))
        found = found.model_copy(update={"procedure": kwargs["dossier"]})
        args.update(dossier_code=found.code, dossier=found)
    args.update({k: v for k, v in kwargs.items() if k in args and k != "dossier"})
    routing = route_request(CATALOG, HELPDESK, **args)  # type: ignore[arg-type]
    assert response_working_days(CATALOG, routing, DEFAULT_DAYS) == days


@pytest.mark.parametrize("agency", [HEALTH, "000.00.99.H56"])
def test_response_deadline_defaults_for_agencies_without_one(agency: str) -> None:
    routing = SupportRouting(agency, "procedure", None)
    assert response_working_days(CATALOG, routing, 4.5) == 4.5


def state(**changes: object) -> SupportState:
    base = SupportState(
        request_id=new_request_id(datetime(2026, 3, 2, tzinfo=UTC)),
        subject="s",
        kind="question",
        question="Khi nào có kết quả?",
        channel="web",
        contact_name="Lê Thị Hồng",
        requested_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
        agency_id=JUSTICE,
        reason="procedure",
        respond_by=datetime(2026, 3, 4, 2, tzinfo=UTC),
    )
    return base.model_copy(update=changes)


def test_overdue_once_and_only_while_unanswered() -> None:
    late = datetime(2026, 3, 5, tzinfo=UTC)
    assert not needs_support_overdue(state(), datetime(2026, 3, 3, tzinfo=UTC))
    assert needs_support_overdue(state(), late)
    assert not needs_support_overdue(state(overdue_emitted=True), late)
    assert not needs_support_overdue(state(status="answered"), late)


def test_seen_ids_make_a_command_idempotent_and_stay_bounded() -> None:
    s = state()
    for n in range(80):
        s = s.with_seen(f"c{n}")
    assert len(s.seen) == 50
    assert s.seen[-1] == "c79"


def test_statistics_per_agency() -> None:
    answered = SupportAnswer(
        agency_id=JUSTICE, answer="Đã trả lời", answered_at=datetime(2026, 3, 2, 4, tzinfo=UTC)
    )
    rows = support_stats(
        [
            state(status="answered", answers=(answered,)),
            state(),
            state(agency_id=HELPDESK),
            state(status="closed"),
        ],
        CATALOG.calendar(),
        datetime(2026, 3, 5, tzinfo=UTC),
    )
    by = {r.agency_id: r for r in rows}
    assert (by[JUSTICE].total, by[JUSTICE].open, by[JUSTICE].answered) == (3, 1, 1)
    assert by[JUSTICE].overdue_open == 1
    assert by[JUSTICE].answered_late == 0
    assert by[JUSTICE].mean_response_working_hours == pytest.approx(2.0)
    assert by[HELPDESK].overdue_open == 1


def test_request_ids_are_dated_and_unique() -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    ids = {new_request_id(at) for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("HT-260302-") for i in ids)
