"""Working calendar: Vietnamese holidays, make-up days (làm bù), office hours, due times.

Holidays come from the `holidays` library (Vietnam; it knows Tết and days off in lieu,
*nghỉ bù*), plus per-year override files, which take precedence. Office hours are
07:00–11:30 and 13:30–17:00, Asia/Ho_Chi_Minh time. Every function is pure; every
datetime must carry a time zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from registry._calendar_overrides import CalendarOverride
from registry.errors import CalendarError
from registry.model import Deadline, DeadlineUnit

__all__ = [
    "VN_TZ",
    "WORKING_DAY",
    "WORKING_PERIODS",
    "Interval",
    "WorkingCalendar",
    "is_overdue",
]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WORKING_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
WORKING_DAY = timedelta(hours=8)
"""One working day = 8 working hours."""
_MAX_DAYS = 3660
_WEEKEND_NAMES = {5: "Thứ Bảy", 6: "Chủ nhật"}

Interval = tuple[datetime, datetime]
"""A span [start, end), e.g. time spent waiting for the citizen to supplement (bổ sung)."""


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(VN_TZ)


def is_overdue(due: datetime, now: datetime) -> bool:
    """Overdue once the current moment is past the due time (hạn xử lý)."""
    return _aware(now) > _aware(due)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    ordered = sorted((_aware(a), _aware(b)) for a, b in intervals)
    merged: list[Interval] = []
    for start, end in ordered:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(segment: Interval, holes: Sequence[Interval]) -> list[Interval]:
    pieces = [segment]
    for hole_start, hole_end in holes:
        next_pieces: list[Interval] = []
        for start, end in pieces:
            if hole_end <= start or hole_start >= end:
                next_pieces.append((start, end))
                continue
            if hole_start > start:
                next_pieces.append((start, hole_start))
            if hole_end < end:
                next_pieces.append((hole_end, end))
        pieces = next_pieces
    return pieces


class WorkingCalendar:
    """The province's working calendar: library holidays plus per-year overrides."""

    def __init__(
        self,
        overrides: Iterable[CalendarOverride] = (),
        *,
        periods: tuple[tuple[time, time], ...] = WORKING_PERIODS,
    ) -> None:
        self._off: dict[date, str] = {}
        self._work: dict[date, str] = {}
        for override in overrides:
            self._off.update(override.off_dates)
            self._work.update(override.work_dates)
        for day in self._work:
            self._off.pop(day, None)
        self._periods = periods
        self._library: dict[int, dict[date, str]] = {}
        self._library_work: set[date] = set()

    def _library_days(self, year: int) -> dict[date, str]:
        days = self._library.get(year)
        if days is None:
            vn = holidays.country_holidays("VN", years=year, language="vi")
            days = {d: str(name) for d, name in vn.items()}
            self._library[year] = days
            self._library_work.update(d for d in vn.weekend_workdays if d.year == year)
        return days

    def day_off_reason(self, day: date) -> str | None:
        """The name of the day off, or None on a working day."""
        if day in self._work:
            return None
        if day in self._off:
            return self._off[day]
        library = self._library_days(day.year)
        if day in library:
            return library[day]
        if day in self._library_work:
            return None
        return _WEEKEND_NAMES.get(day.weekday())

    def is_working_day(self, day: date) -> bool:
        """A working day: not a weekend (unless a make-up day, làm bù) and not a day off."""
        return self.day_off_reason(day) is None

    def next_working_day(self, day: date, *, include: bool = False) -> date:
        """The next working day after `day` (or `day` itself if `include`)."""
        current = day if include else day + timedelta(days=1)
        for _ in range(_MAX_DAYS):
            if self.is_working_day(current):
                return current
            current += timedelta(days=1)
        raise CalendarError(f"no working day within {_MAX_DAYS} days of {day}")

    def working_periods(self, day: date) -> list[Interval]:
        """The working periods of the day (empty on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, a, VN_TZ), datetime.combine(day, b, VN_TZ))
            for a, b in self._periods
        ]

    def end_of_working_day(self, day: date) -> datetime:
        """The end of office hours on working day `day`."""
        periods = self.working_periods(day)
        if not periods:
            raise CalendarError(f"{day} is not a working day")
        return periods[-1][1]

    def clock_start(self, received: datetime, cutoff: time | None = None) -> datetime:
        """Deadline clock start: out of hours (or after `cutoff`), the next working morning."""
        moment = _aware(received)
        periods = self.working_periods(moment.date())
        if periods:
            limit = periods[-1][1]
            if cutoff is not None:
                limit = min(limit, datetime.combine(moment.date(), cutoff, VN_TZ))
            if moment < limit:
                for start, end in periods:
                    if moment < start:
                        return start
                    if moment < end:
                        return moment
        return self.working_periods(self.next_working_day(moment.date()))[0][0]

    def _free(self, day: date, pauses: Sequence[Interval]) -> list[Interval]:
        return [p for period in self.working_periods(day) for p in _subtract(period, pauses)]

    def add_working_time(
        self, start: datetime, amount: timedelta, pauses: Iterable[Interval] = ()
    ) -> datetime:
        """Add `amount` of working time to `start`, skipping days off and pauses."""
        if amount < timedelta(0):
            raise CalendarError("working time to add must not be negative")
        begin = _aware(start)
        holes = _merge(pauses)
        remaining = amount
        day = begin.date()
        for _ in range(_MAX_DAYS):
            for seg_start, seg_end in self._free(day, holes):
                seg_start = max(seg_start, begin)
                if seg_end <= seg_start:
                    continue
                if remaining <= seg_end - seg_start:
                    return seg_start + remaining
                remaining -= seg_end - seg_start
            day += timedelta(days=1)
        raise CalendarError(f"cannot add {amount} of working time within {_MAX_DAYS} days")

    def working_time_between(
        self, start: datetime, end: datetime, pauses: Iterable[Interval] = ()
    ) -> timedelta:
        """Working time between two moments (negative if `end` is before `start`)."""
        begin, finish = _aware(start), _aware(end)
        if finish < begin:
            return -self.working_time_between(finish, begin, pauses)
        holes = _merge(pauses)
        total = timedelta(0)
        day = begin.date()
        while day <= finish.date():
            for seg_start, seg_end in self._free(day, holes):
                lo, hi = max(seg_start, begin), min(seg_end, finish)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def due_at(
        self, received: datetime, deadline: Deadline, pauses: Iterable[Interval] = ()
    ) -> datetime:
        """Due time of a dossier (hồ sơ) received at `received`, moved by citizen waits.

        Working days: add `amount` x 8 working hours from the clock start (0 = the end of
        office hours on the start day). Calendar days: the end of office hours on day
        `amount` after the start day, plus the days waited (rounded up); a day off moves it
        to the next working day.
        """
        start = self.clock_start(received, deadline.same_day_cutoff)
        holes = _merge(pauses)
        if deadline.unit is DeadlineUnit.CALENDAR_DAYS:
            waited = sum((b - max(a, start) for a, b in holes if b > start), timedelta(0))
            extra = math.ceil(waited / timedelta(days=1))
            target = start.date() + timedelta(days=int(deadline.amount) + extra)
            return self.end_of_working_day(self.next_working_day(target, include=True))
        if deadline.amount == 0:
            budget = self.working_time_between(start, self.end_of_working_day(start.date()))
            return self.add_working_time(start, budget, holes)
        return self.add_working_time(start, WORKING_DAY * deadline.amount, holes)

    def remaining_working_time(self, due: datetime, now: datetime) -> timedelta:
        """Working time left until the due time; negative once overdue."""
        return self.working_time_between(now, due)

    def is_overdue(self, due: datetime, now: datetime) -> bool:
        """Overdue once `now` is past `due`."""
        return is_overdue(due, now)
