"""Statistics per agency and procedure."""

from __future__ import annotations

import pytest

from registry import Deadline, DossierEvent, DossierState, WorkingCalendar, apply
from registry.statistics import DossierSummary, aggregate, summarize

from .conftest import vn


def _dossier(calendar: WorkingCalendar, code: str, statuses: list[tuple[int, str]]) -> DossierState:
    state = apply(
        None,
        DossierEvent.from_mapping(
            {
                "event_id": f"{code}-0",
                "type": "submitted",
                "dossier_code": code,
                "time": vn("2026-03-10 08:00"),
                "actor": "x",
                "procedure": "2.000488",
                "responsible_agency": "000.00.06.H56",
                "deadline": Deadline(amount=1),
            }
        ),
        calendar=calendar,
    )
    for i, (status, when) in enumerate(statuses, start=1):
        event = DossierEvent.from_mapping(
            {
                "event_id": f"{code}-{i}",
                "type": "status",
                "dossier_code": code,
                "time": vn(when),
                "actor": "x",
                "status": status,
            }
        )
        state = apply(state, event, calendar=calendar)
    return state


def test_summarize_and_aggregate(calendar: WorkingCalendar) -> None:
    now = vn("2026-03-20 10:00")
    on_time = _dossier(
        calendar, "A", [(2, "2026-03-10 09:00"), (4, "2026-03-10 10:00"), (9, "2026-03-10 13:30")]
    )
    late = _dossier(
        calendar, "B", [(2, "2026-03-10 09:00"), (4, "2026-03-10 10:00"), (9, "2026-03-12 09:00")]
    )
    paused = _dossier(
        calendar,
        "C",
        [
            (2, "2026-03-10 09:00"),
            (5, "2026-03-10 10:00"),
            (4, "2026-03-11 10:00"),
            (9, "2026-03-11 16:00"),
        ],
    )
    open_late = _dossier(calendar, "D", [(2, "2026-03-10 09:00"), (4, "2026-03-10 10:00")])
    summaries = [summarize(s, calendar, now) for s in (on_time, late, paused, open_late)]
    assert summaries[0].on_time is True
    assert summaries[0].processing_hours == pytest.approx(2.5)
    assert summaries[1].on_time is False
    assert summaries[1].processing_hours == pytest.approx(16)
    assert summaries[2].on_time is True
    assert summaries[2].processing_hours == pytest.approx(1 + 4)
    assert summaries[3].on_time is None
    assert summaries[3].overdue_open

    [group] = aggregate(summaries)
    assert (group.agency, group.procedure, group.total) == ("000.00.06.H56", "2.000488", 4)
    assert group.by_status == {9: 3, 4: 1}
    assert group.on_time_rate == pytest.approx(2 / 3)
    assert group.average_processing_hours == pytest.approx((2.5 + 16 + 5) / 3)
    assert group.overdue_open == 1


def test_groups_are_separate_and_sorted() -> None:
    items = [
        DossierSummary("1", "b", "p", 4),
        DossierSummary("2", "a", "p", 10, on_time=True, processing_hours=3.0),
        DossierSummary("3", "a", "q", 3),
    ]
    groups = aggregate(items)
    assert [(g.agency, g.procedure) for g in groups] == [("a", "p"), ("a", "q"), ("b", "p")]
    assert groups[0].on_time_rate == 1.0
    assert groups[1].on_time_rate is None
    assert groups[1].average_processing_hours is None


def test_empty() -> None:
    assert aggregate([]) == []
