"""Pure helpers of the dossier endpoints: response models, filters and opaque cursors.

Lists are ordered by (submission time, code); a cursor carries the last key of a page
and a fingerprint of the filters, so it cannot be replayed against another query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from hub_api.errors import InvalidCursorError
from registry import Catalog, WorkingCalendar
from registry.lifecycle import (
    DossierState,
    effective_due,
    is_dossier_overdue,
    national_portal_word,
)

__all__ = [
    "DossierDetail",
    "DossierFilter",
    "DossierPage",
    "DossierSummaryOut",
    "StepOut",
    "TimelineOut",
    "decode_cursor",
    "detail_of",
    "encode_cursor",
    "page_of",
    "summary_of",
]

_STATUS_EN = {
    1: "Newly registered",
    2: "Accepted",
    3: "Refused at intake",
    4: "Processing",
    5: "Supplement requested",
    6: "Payment requested",
    7: "Withdrawn by applicant",
    8: "Processing stopped",
    9: "Processed, result ready",
    10: "Result returned",
}


class TimelineOut(BaseModel):
    event_id: str
    type: str
    status: int
    status_vi: str
    status_en: str
    actor: str
    actor_name: str | None = None
    time: datetime
    note: str | None = None
    step_index: int | None = None


class StepOut(BaseModel):
    index: int
    agency: str
    agency_name: str | None = None
    state: str
    started_at: datetime | None = None
    done_at: datetime | None = None


class DossierSummaryOut(BaseModel):
    """One line of a dossier list."""

    code: str = Field(examples=["000.00.06.H56-260302-0001"])
    procedure: str
    responsible_agency: str
    status: int = Field(ge=1, le=10)
    status_vi: str
    status_en: str
    submitted_at: datetime
    due_at: datetime | None = None
    overdue: bool


class DossierDetail(DossierSummaryOut):
    """A dossier's tracked state with its deadline arithmetic done."""

    procedure_name: str | None = None
    responsible_agency_name: str | None = None
    national_status: str
    received_at: datetime | None = None
    processed_at: datetime | None = None
    finished_at: datetime | None = None
    waiting_for_applicant: bool
    remaining_working_seconds: float | None = Field(
        default=None, description="working time left until the due date (negative: late)"
    )
    steps: list[StepOut]
    timeline: list[TimelineOut]
    lookup_token: str | None = Field(
        default=None, description="the citizen's lookup token (for parties and operators)"
    )


class DossierPage(BaseModel):
    items: list[DossierSummaryOut]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for more")


@dataclass(frozen=True)
class DossierFilter:
    """The list filters; ``agency`` matches any party (responsible, step, receiving)."""

    agency: str | None = None
    status: int | None = None
    overdue: bool | None = None
    since: datetime | None = None
    until: datetime | None = None

    def fingerprint(self) -> str:
        text = json.dumps(
            [self.agency, self.status, self.overdue, _iso(self.since), _iso(self.until)]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, state: DossierState, calendar: WorkingCalendar, now: datetime) -> bool:
        if self.agency is not None and not _party(self.agency, state):
            return False
        if self.status is not None and int(state.status) != self.status:
            return False
        if self.since is not None and state.submitted_at < self.since:
            return False
        if self.until is not None and state.submitted_at >= self.until:
            return False
        return self.overdue is None or is_dossier_overdue(state, calendar, now) == self.overdue


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _party(agency: str, state: DossierState) -> bool:
    return (
        state.responsible_agency == agency
        or state.code.startswith(f"{agency}-")
        or any(s.agency == agency for s in state.steps)
        or (bool(state.timeline) and state.timeline[0].actor == agency)
    )


def _sort_key(state: DossierState) -> tuple[str, str]:
    return (state.submitted_at.isoformat(), state.code)


def encode_cursor(last: DossierState, flt: DossierFilter) -> str:
    raw = json.dumps({"k": list(_sort_key(last)), "f": flt.fingerprint()}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, flt: DossierFilter) -> tuple[str, str]:
    """The last key of the previous page; InvalidCursorError for anything not issued by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data: Any = json.loads(raw)
        key = data["k"]
        fingerprint = data["f"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidCursorError("the cursor is not one this API issued") from None
    if not (isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key)):
        raise InvalidCursorError("the cursor is not one this API issued")
    if fingerprint != flt.fingerprint():
        raise InvalidCursorError("the cursor belongs to a query with other filters")
    return key[0], key[1]


def page_of(
    states: Iterable[DossierState],
    flt: DossierFilter,
    calendar: WorkingCalendar,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> tuple[list[DossierState], str | None]:
    """One page of matching states after ``cursor``, and the cursor of the next page."""
    after = decode_cursor(cursor, flt) if cursor else None
    matching = sorted(
        (
            s
            for s in states
            if (after is None or _sort_key(s) > after) and flt.matches(s, calendar, now)
        ),
        key=_sort_key,
    )
    page = matching[:limit]
    more = len(matching) > limit
    return page, encode_cursor(page[-1], flt) if more and page else None


def summary_of(state: DossierState, calendar: WorkingCalendar, now: datetime) -> DossierSummaryOut:
    status = int(state.status)
    return DossierSummaryOut(
        code=state.code,
        procedure=state.procedure,
        responsible_agency=state.responsible_agency,
        status=status,
        status_vi=state.status.name_vi,
        status_en=_STATUS_EN[status],
        submitted_at=state.submitted_at,
        due_at=effective_due(state, calendar, now),
        overdue=is_dossier_overdue(state, calendar, now),
    )


def _name(catalog: Catalog, agency: str) -> str | None:
    found = catalog.agencies.get(agency)
    return found.name_vi if found else None


def detail_of(
    state: DossierState,
    catalog: Catalog,
    calendar: WorkingCalendar,
    now: datetime,
    lookup_token: str | None = None,
) -> DossierDetail:
    """The full view of one dossier at ``now``."""
    summary = summary_of(state, calendar, now)
    due = summary.due_at
    open_ = state.processed_at is None and state.finished_at is None
    remaining = calendar.remaining_working_time(due, now).total_seconds() if due and open_ else None
    procedure = catalog.procedures.get(state.procedure)
    return DossierDetail(
        **summary.model_dump(),
        procedure_name=procedure.name_vi if procedure else None,
        responsible_agency_name=_name(catalog, state.responsible_agency),
        national_status=national_portal_word(state.status),
        received_at=state.received_at,
        processed_at=state.processed_at,
        finished_at=state.finished_at,
        waiting_for_applicant=state.is_waiting,
        remaining_working_seconds=remaining,
        steps=[
            StepOut(
                index=s.index,
                agency=s.agency,
                agency_name=_name(catalog, s.agency),
                state=s.state,
                started_at=s.started_at,
                done_at=s.done_at,
            )
            for s in state.steps
        ],
        timeline=[
            TimelineOut(
                event_id=t.event_id,
                type=str(t.type),
                status=int(t.status),
                status_vi=t.status.name_vi,
                status_en=_STATUS_EN[int(t.status)],
                actor=t.actor,
                actor_name=_name(catalog, t.actor),
                time=t.time,
                note=t.note,
                step_index=t.step_index,
            )
            for t in state.timeline
        ],
        lookup_token=lookup_token,
    )
