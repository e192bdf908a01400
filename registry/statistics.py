"""Dossier statistics per agency and procedure: counts by status, on-time rate and
average processing time (in working hours, excluding time spent waiting on the citizen).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from registry._lifecycle_status import DossierStatus
from registry.calendar import WorkingCalendar
from registry.lifecycle import DossierState, is_dossier_overdue

__all__ = ["DossierSummary", "GroupStats", "aggregate", "summarize"]

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class DossierSummary:
    """One dossier, summarized for the statistics."""

    code: str
    agency: str
    procedure: str
    status: int
    on_time: bool | None = None
    processing_hours: float | None = None
    overdue_open: bool = False


@dataclass
class GroupStats:
    """Statistics of one (agency, procedure) pair."""

    agency: str
    procedure: str
    total: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    processed: int = 0
    on_time: int = 0
    overdue_open: int = 0
    hours_samples: list[float] = field(default_factory=list, repr=False)

    @property
    def on_time_rate(self) -> float | None:
        """Share of processed dossiers done on time (None while none is processed)."""
        return self.on_time / self.processed if self.processed else None

    @property
    def average_processing_hours(self) -> float | None:
        """Average processing time, in working hours."""
        return sum(self.hours_samples) / len(self.hours_samples) if self.hours_samples else None


def summarize(state: DossierState, calendar: WorkingCalendar, now: datetime) -> DossierSummary:
    """Summarize a dossier; on time means its result (status 9) came by the due time."""
    on_time: bool | None = None
    hours: float | None = None
    if state.processed_at is not None and state.received_at is not None:
        if state.due_at is not None:
            on_time = state.processed_at <= state.due_at
        worked = calendar.working_time_between(
            state.received_at, state.processed_at, state.closed_pauses()
        )
        hours = worked / _HOUR
    return DossierSummary(
        code=state.code,
        agency=state.responsible_agency,
        procedure=state.procedure,
        status=int(state.status),
        on_time=on_time,
        processing_hours=hours,
        overdue_open=is_dossier_overdue(state, calendar, now),
    )


def aggregate(summaries: Iterable[DossierSummary]) -> list[GroupStats]:
    """Group by (agency, procedure), sorted by that key."""
    groups: dict[tuple[str, str], GroupStats] = defaultdict(lambda: GroupStats("", ""))
    for item in summaries:
        stats = groups[(item.agency, item.procedure)]
        stats.agency, stats.procedure = item.agency, item.procedure
        stats.total += 1
        stats.by_status[DossierStatus(item.status)] += 1
        if item.on_time is not None:
            stats.processed += 1
            stats.on_time += int(item.on_time)
        if item.processing_hours is not None:
            stats.hours_samples.append(item.processing_hours)
        stats.overdue_open += int(item.overdue_open)
    return [groups[key] for key in sorted(groups)]
