"""Dossier lifecycle: transitions, duplicate and out-of-order events, linked steps, overdue."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest

from registry import Deadline, DossierEvent, DossierState, IllegalTransitionError, WorkingCalendar
from registry.lifecycle import (
    PAUSING,
    TERMINAL,
    TRANSITIONS,
    DossierStatus,
    EventType,
    apply,
    current_step,
    effective_due,
    is_dossier_overdue,
    national_portal_word,
    needs_overdue_event,
    overdue_event_id,
    status_from_national_word,
)

from .conftest import vn

CODE = "000.00.06.H56-260310-0001"
_ids = count(1)

EXPECTED = {
    1: {2, 3, 7},
    2: {4, 5, 6, 7, 9},
    3: set(),
    4: {4, 5, 6, 7, 8, 9},
    5: {4, 7, 8},
    6: {4, 7, 8, 9},
    7: set(),
    8: set(),
    9: {10},
    10: set(),
}


def ev(kind: str, when: str, status: int | None = None, **extra: Any) -> DossierEvent:
    data: dict[str, Any] = {
        "event_id": f"e{next(_ids)}",
        "type": kind,
        "dossier_code": CODE,
        "time": vn(when),
        "actor": "000.00.06.H56",
        "status": status,
        **extra,
    }
    return DossierEvent.from_mapping(data)


def submitted(when: str = "2026-03-10 08:00", **extra: Any) -> DossierEvent:
    base = {
        "procedure": "2.000488",
        "responsible_agency": "000.00.06.H56",
        "deadline": Deadline(amount=3),
    }
    return ev("submitted", when, **{**base, **extra})


def run(calendar: WorkingCalendar, *events: DossierEvent) -> DossierState:
    state: DossierState | None = None
    for event in events:
        state = apply(state, event, calendar=calendar)
    assert state is not None
    return state


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in range(1, 11) for t in range(1, 11)])
def test_transition_table(source: int, target: int) -> None:
    allowed = DossierStatus(target) in TRANSITIONS[DossierStatus(source)]
    assert allowed is (target in EXPECTED[source])


def test_terminal_and_pausing_sets() -> None:
    assert {int(s) for s in TERMINAL} == {3, 7, 8, 10}
    assert {int(s) for s in PAUSING} == {5, 6}


@pytest.mark.parametrize(
    ("status", "word"),
    [
        (1, "receiving"),
        (2, "new"),
        (3, "denied"),
        (4, "processing"),
        (5, "waiting"),
        (6, "paying"),
        (7, "cancelled"),
        (8, "unresolved"),
        (9, "releasing"),
        (10, "done"),
    ],
)
def test_national_portal_words(status: int, word: str) -> None:
    assert national_portal_word(status) == word
    assert status_from_national_word(word) == status


@pytest.mark.parametrize("word", ["interoperating", "posting", "???"])
def test_unknown_national_words_map_to_zero(word: str) -> None:
    assert status_from_national_word(word) == 0


def test_happy_path_with_supplement(calendar: WorkingCalendar) -> None:
    state = run(
        calendar,
        submitted(),
        ev("status", "2026-03-10 09:00", 2),
        ev("status", "2026-03-10 10:00", 4),
        ev("status", "2026-03-11 07:00", 5, note="Thiếu bản sao CCCD"),
        ev("status", "2026-03-11 17:00", 4, note="Đã nhận bổ sung"),
        ev("status", "2026-03-16 08:00", 9),
        ev("status", "2026-03-16 10:00", 10),
    )
    assert state.status is DossierStatus.RESULT_RETURNED
    assert [int(e.status) for e in state.timeline] == [1, 2, 4, 5, 4, 9, 10]
    assert state.received_at == vn("2026-03-10 09:00")
    assert state.due_at == vn("2026-03-16 09:00")  # 3 days + 8 h waiting for a supplement
    assert state.processed_at == vn("2026-03-16 08:00")
    assert state.finished_at == vn("2026-03-16 10:00")
    assert len(state.waiting) == 1
    assert not state.is_waiting


def test_submitted_as_accepted_at_counter(calendar: WorkingCalendar) -> None:
    state = run(calendar, submitted("2026-03-10 09:00", status=2))
    assert state.status is DossierStatus.ACCEPTED
    assert state.due_at == vn("2026-03-13 09:00")


def test_duplicate_event_is_ignored(calendar: WorkingCalendar) -> None:
    first = submitted()
    accepted = ev("status", "2026-03-10 09:00", 2)
    state = run(calendar, first, accepted)
    assert apply(state, accepted, calendar=calendar) is state
    assert apply(state, first, calendar=calendar) is state


@pytest.mark.parametrize(
    ("setup", "event", "reason"),
    [
        ([], ("status", 2), "unknown-dossier"),
        ([2], ("submitted", None), "already-submitted"),
        ([], ("status", 9), "out-of-order"),  # result before acceptance
        ([2, 4, 9, 10], ("status", 4), "terminal-status"),
        ([3], ("status", 2), "terminal-status"),
        ([2], ("status", 2), "not-allowed"),
        ([2, 4], ("status", 2), "out-of-order"),  # acceptance arriving after processing began
        ([2, 4], ("status", 11), "bad-event"),
        ([2, 4, 9], ("status", 5), "out-of-order"),
        ([2, 5], ("step_done", None), "unknown-step"),
    ],
)
def test_illegal_events(
    calendar: WorkingCalendar, setup: list[int], event: tuple[str, int | None], reason: str
) -> None:
    state: DossierState | None = None
    if setup or reason != "unknown-dossier":
        state = run(calendar, submitted(), *[ev("status", "2026-03-10 09:00", s) for s in setup])
    kind, status = event
    bad = submitted() if kind == "submitted" else ev(kind, "2026-03-10 10:00", status)
    with pytest.raises(IllegalTransitionError) as info:
        apply(state, bad, calendar=calendar)
    assert info.value.reason == reason
    assert info.value.dossier_code == CODE


def test_illegal_transition_leaves_state_untouched(calendar: WorkingCalendar) -> None:
    state = run(calendar, submitted())
    snapshot = state.model_dump()
    with pytest.raises(IllegalTransitionError):
        apply(state, ev("status", "2026-03-10 09:00", 10), calendar=calendar)
    assert state.model_dump() == snapshot


def test_wrong_dossier_code(calendar: WorkingCalendar) -> None:
    state = run(calendar, submitted())
    other = DossierEvent.from_mapping(
        {
            "event_id": "x",
            "type": "status",
            "dossier_code": "000.00.06.H56-260310-0002",
            "time": vn("2026-03-10 09:00"),
            "actor": "a",
            "status": 2,
        }
    )
    with pytest.raises(IllegalTransitionError, match="wrong-dossier"):
        apply(state, other, calendar=calendar)


def test_submitted_needs_procedure(calendar: WorkingCalendar) -> None:
    with pytest.raises(IllegalTransitionError, match="bad-event"):
        apply(None, ev("submitted", "2026-03-10 09:00"), calendar=calendar)


def test_linked_chain_progress(calendar: WorkingCalendar) -> None:
    steps = ("000.90.02.H56", "000.00.15.H56", "000.00.16.H56")
    state = run(
        calendar, submitted(steps=steps, procedure="1.900101"), ev("status", "2026-03-10 09:00", 2)
    )
    step = current_step(state)
    assert step is not None
    assert step.agency == "000.90.02.H56"
    state = run(
        calendar,
        submitted(steps=steps),
        ev("status", "2026-03-10 09:00", 2),
        ev("status", "2026-03-10 09:30", 4),
    )
    with pytest.raises(IllegalTransitionError, match="steps-pending"):
        apply(state, ev("status", "2026-03-10 10:00", 9), calendar=calendar)
    with pytest.raises(IllegalTransitionError, match="unknown-step"):
        apply(state, ev("step_done", "2026-03-10 10:00", step_index=1), calendar=calendar)
    for index in range(3):
        state = apply(
            state, ev("step_done", "2026-03-11 10:00", step_index=index), calendar=calendar
        )
        nxt = current_step(state)
        assert (nxt.agency if nxt else None) == (steps[index + 1] if index < 2 else None)
    state = apply(state, ev("status", "2026-03-12 10:00", 9), calendar=calendar)
    assert state.status is DossierStatus.RESULT_READY
    assert all(s.state == "done" for s in state.steps)


def test_overdue_once(calendar: WorkingCalendar) -> None:
    state = run(
        calendar,
        submitted(),
        ev("status", "2026-03-10 09:00", 2),
        ev("status", "2026-03-10 10:00", 4),
    )
    assert state.due_at == vn("2026-03-13 09:00")
    assert not needs_overdue_event(state, calendar, vn("2026-03-13 09:00"))
    assert needs_overdue_event(state, calendar, vn("2026-03-13 09:01"))
    state = apply(state, ev("overdue", "2026-03-13 09:01"), calendar=calendar)
    assert state.overdue_emitted
    assert is_dossier_overdue(state, calendar, vn("2026-03-13 10:00"))
    assert not needs_overdue_event(state, calendar, vn("2026-03-13 10:00"))


def test_overdue_event_id_depends_only_on_dossier_and_due_time() -> None:
    due = vn("2026-03-13 09:00")
    same_instant_in_utc = due.astimezone(UTC)
    assert overdue_event_id(CODE, due) == overdue_event_id(CODE, same_instant_in_utc)
    assert overdue_event_id(CODE, due) != overdue_event_id(CODE, vn("2026-03-16 09:00"))
    assert overdue_event_id(CODE, due) != overdue_event_id(CODE.replace("0001", "0002"), due)


def test_repeated_overdue_event_is_applied_once(calendar: WorkingCalendar) -> None:
    state = run(calendar, submitted(), ev("status", "2026-03-10 09:00", 2))
    assert state.due_at is not None
    overdue = {"event_id": overdue_event_id(CODE, state.due_at)}
    once = apply(state, ev("overdue", "2026-03-13 09:01", **overdue), calendar=calendar)
    again = apply(once, ev("overdue", "2026-03-13 09:05", **overdue), calendar=calendar)
    assert again == once
    assert [e.type for e in again.timeline].count(EventType.OVERDUE) == 1


def test_waiting_stops_clock(calendar: WorkingCalendar) -> None:
    state = run(
        calendar,
        submitted(),
        ev("status", "2026-03-10 09:00", 2),
        ev("status", "2026-03-11 07:00", 6),
    )
    assert state.is_waiting
    now = vn("2026-03-20 10:00")
    assert not is_dossier_overdue(state, calendar, now)
    due = effective_due(state, calendar, now)
    assert due is not None
    assert due > now


def test_event_from_mapping_ignores_unknown_keys() -> None:
    event = DossierEvent.from_mapping(
        {
            "event_id": "1",
            "type": "submitted",
            "dossier_code": CODE,
            "time": datetime.now().astimezone(),
            "actor": "x",
            "steps": ["a", "b"],
            "deadline": {"amount": 3},
            "extra": 1,
        }
    )
    assert event.type is EventType.SUBMITTED
    assert event.steps == ("a", "b")
    assert event.deadline == Deadline(amount=3)


def test_state_round_trips_json(calendar: WorkingCalendar) -> None:
    state = run(
        calendar,
        submitted(),
        ev("status", "2026-03-10 09:00", 2),
        ev("status", "2026-03-11 07:00", 5),
    )
    assert DossierState.model_validate_json(state.model_dump_json()) == state
