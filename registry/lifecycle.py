"""Dossier (hồ sơ) lifecycle: a pure `apply(state, event)` for the dossier tracking table.

Events come in as `DossierEvent` (or a dict with the same fields, via
`DossierEvent.from_mapping`):
- `submitted`: creates the dossier (status 1, or 2 if accepted on the spot at the one-stop
  counter, *bộ phận một cửa*); carries the procedure, the handling agency, the deadline
  and the agencies of the linked (liên thông) chain.
- `status`: moves to status `status` (1–10) as `TRANSITIONS` allows.
- `step_done`: linked step `step_index` is done, and the next step becomes active.
- `overdue`: DossierOverdue was emitted (a flag, so that it is emitted only once; its id,
  `overdue_event_id`, depends only on the dossier and the due time, so a repeat is a
  duplicate).
A duplicate `event_id` returns the state unchanged; an invalid event raises
`IllegalTransitionError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict

from registry._lifecycle_status import (
    PAUSING,
    TERMINAL,
    TRANSITIONS,
    DossierStatus,
    national_portal_word,
    reachable,
    status_from_national_word,
)
from registry.calendar import Interval, WorkingCalendar
from registry.errors import IllegalTransitionError
from registry.model import Deadline

__all__ = [
    "PAUSING",
    "TERMINAL",
    "TRANSITIONS",
    "DossierEvent",
    "DossierState",
    "DossierStatus",
    "EventType",
    "StepProgress",
    "TimelineEntry",
    "WaitInterval",
    "apply",
    "current_step",
    "effective_due",
    "is_dossier_overdue",
    "national_portal_word",
    "needs_overdue_event",
    "overdue_event_id",
    "status_from_national_word",
]

_OVERDUE_IDS = uuid.UUID("0b6c7a8e-5d7f-4c43-8f3e-2a3a9d1c5e77")


class EventType(StrEnum):
    """The event types the tracking table understands."""

    SUBMITTED = "submitted"
    STATUS = "status"
    STEP_DONE = "step_done"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class DossierEvent:
    """A decoded event in the simple shape `apply` takes; `time` must carry a time zone."""

    event_id: str
    type: EventType
    dossier_code: str
    time: datetime
    actor: str
    status: int | None = None
    note: str | None = None
    procedure: str | None = None
    responsible_agency: str | None = None
    deadline: Deadline | None = None
    steps: tuple[str, ...] = ()
    step_index: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DossierEvent:
        """Build from a dict (unknown keys ignored); `type` and `steps` are normalized."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["type"] = EventType(values["type"])
        values["steps"] = tuple(values.get("steps") or ())
        if isinstance(values.get("deadline"), Mapping):
            values["deadline"] = Deadline.model_validate(values["deadline"])
        return cls(**values)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimelineEntry(_Model):
    """One line of the processing history (quá trình xử lý): who, when, which status."""

    event_id: str
    type: EventType
    status: DossierStatus
    actor: str
    time: datetime
    note: str | None = None
    step_index: int | None = None


class WaitInterval(_Model):
    """A wait on the citizen (supplement, fee payment); `end` is None while still waiting."""

    status: DossierStatus
    start: datetime
    end: datetime | None = None


class StepProgress(_Model):
    """Progress of one linked (liên thông) step."""

    index: int
    agency: str
    state: str = "pending"
    started_at: datetime | None = None
    done_at: datetime | None = None


class DossierState(_Model):
    """One row of the dossier tracking table."""

    code: str
    procedure: str
    responsible_agency: str
    status: DossierStatus
    timeline: tuple[TimelineEntry, ...]
    submitted_at: datetime
    received_at: datetime | None = None
    deadline: Deadline | None = None
    due_at: datetime | None = None
    waiting: tuple[WaitInterval, ...] = ()
    steps: tuple[StepProgress, ...] = ()
    processed_at: datetime | None = None
    finished_at: datetime | None = None
    overdue_emitted: bool = False

    def closed_pauses(self) -> list[Interval]:
        """The waits that have ended."""
        return [(w.start, w.end) for w in self.waiting if w.end is not None]

    @property
    def is_waiting(self) -> bool:
        """Waiting on the citizen (the deadline clock is stopped)."""
        return bool(self.waiting) and self.waiting[-1].end is None


def _fail(reason: str, message: str, state: DossierState | None, event: DossierEvent) -> NoReturn:
    raise IllegalTransitionError(
        reason,
        message,
        dossier_code=event.dossier_code,
        from_status=int(state.status) if state else None,
        to_status=event.status,
    )


def _entry(event: DossierEvent, status: DossierStatus) -> TimelineEntry:
    return TimelineEntry(
        event_id=event.event_id,
        type=event.type,
        status=status,
        actor=event.actor,
        time=event.time,
        note=event.note,
        step_index=event.step_index,
    )


def _submit(event: DossierEvent, calendar: WorkingCalendar) -> DossierState:
    if not event.procedure or not event.responsible_agency:
        _fail("bad-event", "submitted needs procedure and responsible_agency", None, event)
    status = DossierStatus(event.status or DossierStatus.NEW)
    if status not in (DossierStatus.NEW, DossierStatus.ACCEPTED):
        _fail("bad-event", f"a dossier starts at status 1 or 2, not {int(status)}", None, event)
    state = DossierState(
        code=event.dossier_code,
        procedure=str(event.procedure),
        responsible_agency=str(event.responsible_agency),
        status=DossierStatus.NEW,
        timeline=(_entry(event, status),),
        submitted_at=event.time,
        deadline=event.deadline,
        steps=tuple(StepProgress(index=i, agency=a) for i, a in enumerate(event.steps)),
    )
    return _enter(state, status, event, calendar) if status is DossierStatus.ACCEPTED else state


def _enter(
    state: DossierState, target: DossierStatus, event: DossierEvent, calendar: WorkingCalendar
) -> DossierState:
    changes: dict[str, Any] = {"status": target}
    waiting = list(state.waiting)
    if state.is_waiting and target not in PAUSING:
        last = waiting[-1]
        waiting[-1] = last.model_copy(update={"end": max(last.start, event.time)})
    if target in PAUSING and not state.is_waiting:
        waiting.append(WaitInterval(status=target, start=event.time))
    changes["waiting"] = tuple(waiting)
    received = state.received_at
    if target is DossierStatus.ACCEPTED:
        received = changes["received_at"] = event.time
        if state.steps:
            first = state.steps[0].model_copy(update={"state": "active", "started_at": event.time})
            changes["steps"] = (first, *state.steps[1:])
    if received is not None and state.deadline is not None:
        pauses = [(w.start, w.end) for w in waiting if w.end is not None]
        changes["due_at"] = calendar.due_at(received, state.deadline, pauses)
    if target is DossierStatus.RESULT_READY:
        changes["processed_at"] = event.time
    if target in TERMINAL:
        changes["finished_at"] = event.time
    return state.model_copy(update=changes)


def _status(state: DossierState, event: DossierEvent, calendar: WorkingCalendar) -> DossierState:
    if event.status is None or event.status not in DossierStatus._value2member_map_:
        _fail("bad-event", f"unknown status {event.status!r}", state, event)
    target = DossierStatus(event.status)
    source = state.status
    if target not in TRANSITIONS[source]:
        if source in TERMINAL:
            _fail("terminal-status", f"dossier already ended at {int(source)}", state, event)
        if reachable(source, target) or reachable(target, source):
            _fail("out-of-order", f"{int(source)} -> {int(target)} skips steps", state, event)
        _fail("not-allowed", f"{int(source)} -> {int(target)} is not allowed", state, event)
    if target is DossierStatus.RESULT_READY and any(s.state != "done" for s in state.steps):
        _fail("steps-pending", "linked steps are not all done", state, event)
    entered = _enter(state, target, event, calendar)
    return entered.model_copy(update={"timeline": (*state.timeline, _entry(event, target))})


def _step_done(state: DossierState, event: DossierEvent) -> DossierState:
    step = current_step(state)
    if step is None or event.step_index != step.index:
        _fail("unknown-step", f"step {event.step_index} is not the active step", state, event)
    if state.status not in (DossierStatus.ACCEPTED, DossierStatus.PROCESSING):
        _fail("not-allowed", f"a step cannot finish at status {int(state.status)}", state, event)
    steps = list(state.steps)
    steps[step.index] = step.model_copy(update={"state": "done", "done_at": event.time})
    if step.index + 1 < len(steps):
        nxt = steps[step.index + 1]
        steps[step.index + 1] = nxt.model_copy(update={"state": "active", "started_at": event.time})
    return state.model_copy(
        update={"steps": tuple(steps), "timeline": (*state.timeline, _entry(event, state.status))}
    )


def apply(
    state: DossierState | None, event: DossierEvent, *, calendar: WorkingCalendar
) -> DossierState:
    """Apply one event to the dossier; pure and deterministic, duplicate events are ignored."""
    if state is None:
        if event.type is not EventType.SUBMITTED:
            _fail("unknown-dossier", f"{event.type} before the dossier was submitted", None, event)
        return _submit(event, calendar)
    if event.dossier_code != state.code:
        _fail("wrong-dossier", f"event is for {event.dossier_code}", state, event)
    if any(entry.event_id == event.event_id for entry in state.timeline):
        return state
    if event.type is EventType.SUBMITTED:
        _fail("already-submitted", "the dossier already exists", state, event)
    if event.type is EventType.STATUS:
        return _status(state, event, calendar)
    if event.type is EventType.STEP_DONE:
        return _step_done(state, event)
    entry = _entry(event, state.status)
    return state.model_copy(update={"overdue_emitted": True, "timeline": (*state.timeline, entry)})


def current_step(state: DossierState) -> StepProgress | None:
    """The linked step in progress, or None."""
    return next((s for s in state.steps if s.state == "active"), None)


def effective_due(state: DossierState, calendar: WorkingCalendar, now: datetime) -> datetime | None:
    """The due time, counting an ongoing wait on the citizen up to `now`."""
    if state.received_at is None or state.deadline is None:
        return state.due_at
    pauses = [(w.start, w.end or max(w.start, now)) for w in state.waiting]
    return calendar.due_at(state.received_at, state.deadline, pauses)


def is_dossier_overdue(state: DossierState, calendar: WorkingCalendar, now: datetime) -> bool:
    """Overdue: not yet processed, not waiting on the citizen, and past the due time."""
    if state.processed_at or state.finished_at or state.is_waiting or state.due_at is None:
        return False
    return calendar.is_overdue(state.due_at, now)


def needs_overdue_event(state: DossierState, calendar: WorkingCalendar, now: datetime) -> bool:
    """Whether DossierOverdue must be emitted (overdue, and not emitted before)."""
    return not state.overdue_emitted and is_dossier_overdue(state, calendar, now)


def overdue_event_id(code: str, due_at: datetime) -> str:
    """The id of the DossierOverdue for dossier `code` late for `due_at`: the same in every
    worker and after every restart (the instant in UTC, whatever offset it was written
    with), so that a repeated emission is recognised as a duplicate and not applied or
    delivered twice."""
    instant = due_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(_OVERDUE_IDS, f"{code}|{instant}"))
