"""Yêu cầu hỗ trợ (citizen support requests): state, routing, deadlines and statistics.

Pure functions used by ``streams.support`` (which writes the state) and ``hub_api`` (which
reads it from the compacted ``hub.support-state`` topic). A request about a dossier goes to
the agency handling the dossier, one about a procedure to its responsible agency, anything
else (or an unknown code) to the province's helpdesk, with a note saying why.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from registry._catalog import Catalog
from registry.calendar import WORKING_DAY, WorkingCalendar
from registry.errors import RegistryError, UnresolvedAgencyError
from registry.lifecycle import DossierState, current_step
from registry.model import Deadline

__all__ = [
    "KINDS",
    "SupportAnswer",
    "SupportRouting",
    "SupportState",
    "SupportStats",
    "needs_support_overdue",
    "new_request_id",
    "respond_by",
    "response_working_days",
    "route_request",
    "support_stats",
]

KINDS = ("question", "complaint", "feedback")
"""Hỏi đáp, phản ánh, kiến nghị."""
Status = Literal["assigned", "answered", "closed"]
_MAX_IDS = 50


def new_request_id(at: datetime) -> str:
    """A fresh request id, ``HT-<YYMMDD>-<8 hex>`` (HT: hỗ trợ)."""
    return f"HT-{at:%y%m%d}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class SupportRouting:
    """Who answers a request and why (``dossier``, ``procedure`` or ``helpdesk``)."""

    agency_id: str
    reason: str
    procedure_code: str | None = None
    note: str | None = None


def route_request(
    catalog: Catalog,
    helpdesk: str,
    *,
    dossier_code: str | None,
    dossier: DossierState | None,
    procedure_code: str | None,
) -> SupportRouting:
    """The agency that must answer; unknown codes go to the helpdesk with a note."""
    notes: list[str] = []
    if dossier_code:
        if dossier is not None:
            step = current_step(dossier)
            agency = step.agency if step is not None else dossier.responsible_agency
            return SupportRouting(agency, "dossier", dossier.procedure)
        notes.append(f"unknown dossier code {dossier_code}")
    if procedure_code:
        try:
            procedure = catalog.procedure(procedure_code)
            agency = catalog.responsible_agency(procedure.code)
        except UnresolvedAgencyError:
            notes.append(f"procedure {procedure_code} is handled by the applicant's commune")
            return SupportRouting(helpdesk, "helpdesk", procedure.code, "; ".join(notes))
        except RegistryError:
            notes.append(f"unknown procedure code {procedure_code}")
        else:
            return SupportRouting(agency, "procedure", procedure.code, "; ".join(notes) or None)
    return SupportRouting(helpdesk, "helpdesk", None, "; ".join(notes) or None)


def response_working_days(catalog: Catalog, routing: SupportRouting, default: float) -> float:
    """Working days to answer: the procedure's (asked about, or the dossier's), else the
    answering agency's, else ``default`` (``HUB_SUPPORT_RESPONSE_WORKING_DAYS``)."""
    if routing.procedure_code is not None:
        try:
            days = catalog.procedure(routing.procedure_code).support_response_working_days
        except RegistryError:
            days = None
        if days is not None:
            return days
    agency = catalog.agencies.get(routing.agency_id)
    if agency is not None and agency.support_response_working_days is not None:
        return agency.support_response_working_days
    return default


def respond_by(calendar: WorkingCalendar, assigned_at: datetime, working_days: float) -> datetime:
    """The response deadline: ``working_days`` working days from the assignment."""
    return calendar.due_at(assigned_at, Deadline(amount=working_days))


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SupportAnswer(_Model):
    """One answer of the agency."""

    agency_id: str
    answer: str
    answered_at: datetime
    actor: str | None = None


class SupportState(_Model):
    """One row of the support table; ``subject`` is the Kafka key of its events."""

    request_id: str
    subject: str
    kind: str
    question: str
    channel: str
    dossier_code: str | None = None
    procedure_code: str | None = None
    contact_name: str
    contact_phone: str | None = None
    contact_email: str | None = None
    preferred_channel: str = "email"
    language: str = "vi"
    requested_at: datetime
    agency_id: str
    reason: str
    note: str | None = None
    respond_by: datetime
    status: Status = "assigned"
    answers: tuple[SupportAnswer, ...] = ()
    closed_at: datetime | None = None
    overdue_emitted: bool = False
    seen: tuple[str, ...] = ()
    """Ids of the commands already applied (the last few), so a re-read is a no-op."""

    def with_seen(self, command_id: str, **changes: object) -> SupportState:
        """A copy with ``changes`` applied and ``command_id`` remembered."""
        seen = (*self.seen, command_id)[-_MAX_IDS:]
        return self.model_copy(update={**changes, "seen": seen})


def needs_support_overdue(state: SupportState, now: datetime) -> bool:
    """Unanswered past the response deadline, and not reported yet."""
    return state.status == "assigned" and not state.overdue_emitted and now > state.respond_by


@dataclass
class SupportStats:
    """Per agency: requests, open, answered, overdue, mean response in working hours."""

    agency_id: str
    total: int = 0
    open: int = 0
    answered: int = 0
    overdue_open: int = 0
    answered_late: int = 0
    mean_response_working_hours: float | None = None


def support_stats(
    states: Iterable[SupportState], calendar: WorkingCalendar, now: datetime
) -> list[SupportStats]:
    """Statistics per agency, sorted by agency id."""
    groups: dict[str, SupportStats] = {}
    spent: dict[str, list[timedelta]] = defaultdict(list)
    for state in states:
        stats = groups.setdefault(state.agency_id, SupportStats(state.agency_id))
        stats.total += 1
        if state.answers:
            stats.answered += 1
            first = state.answers[0].answered_at
            spent[state.agency_id].append(calendar.working_time_between(state.requested_at, first))
            stats.answered_late += first > state.respond_by
        elif state.status != "closed":
            stats.open += 1
            stats.overdue_open += now > state.respond_by
    for agency, times in spent.items():
        hours = sum(t / timedelta(hours=1) for t in times) / len(times)
        groups[agency].mean_response_working_hours = round(hours, 2)
    return [groups[a] for a in sorted(groups)]


def overdue_working_days(calendar: WorkingCalendar, due: datetime, now: datetime) -> int:
    """Whole working days between the deadline and now."""
    return int(calendar.working_time_between(due, now) // WORKING_DAY)
