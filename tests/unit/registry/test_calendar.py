"""Working calendar: days off, office hours, due times, pauses while waiting on the citizen."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest

from registry import CalendarError, CalendarOverride, Deadline, WorkingCalendar, is_overdue
from registry.model import DeadlineUnit

from .conftest import vn

WD = DeadlineUnit.WORKING_DAYS
CD = DeadlineUnit.CALENDAR_DAYS
BIRTH = Deadline(amount=0, unit=WD, same_day_cutoff=time(15, 0))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-03-10", True),  # an ordinary Tuesday
        ("2026-03-07", False),  # Saturday
        ("2026-03-08", False),  # Sunday
        ("2026-01-01", False),  # New Year's Day (Tết Dương lịch)
        ("2026-02-13", True),  # the Friday before Tết
        *[(f"2026-02-{d}", False) for d in range(14, 23)],  # Tết 14–22/02/2026
        ("2026-02-23", True),
        ("2026-04-27", False),  # Giỗ Tổ Hùng Vương, day off in lieu (26/4 is a Sunday)
        ("2026-04-30", False),
        ("2026-05-01", False),
        ("2026-08-22", True),  # make-up Saturday (làm bù) from the holidays library
        ("2026-08-31", False),  # day off in exchange for 22/8
        ("2026-09-01", False),
        ("2026-09-02", False),
    ],
)
def test_working_days_2026(calendar: WorkingCalendar, day: str, working: bool) -> None:
    assert calendar.is_working_day(date.fromisoformat(day)) is working


def test_override_names_win_over_library(calendar: WorkingCalendar) -> None:
    assert calendar.day_off_reason(date(2026, 2, 14)) == "Nghỉ Tết Nguyên đán Bính Ngọ"
    assert calendar.day_off_reason(date(2026, 2, 17)) == "Nghỉ Tết Nguyên đán Bính Ngọ"
    assert calendar.day_off_reason(date(2026, 1, 1)) == "Tết Dương lịch"
    assert calendar.day_off_reason(date(2026, 3, 8)) == "Chủ nhật"


def test_test_override_makeup_saturday(makeup_calendar: WorkingCalendar) -> None:
    assert makeup_calendar.is_working_day(date(2026, 3, 14))
    assert not makeup_calendar.is_working_day(date(2026, 3, 6))
    assert makeup_calendar.next_working_day(date(2026, 3, 13)) == date(2026, 3, 14)


@pytest.mark.parametrize(
    ("received", "cutoff", "start"),
    [
        ("2026-03-10 06:30", None, "2026-03-10 07:00"),
        ("2026-03-10 07:00", None, "2026-03-10 07:00"),
        ("2026-03-10 09:15", None, "2026-03-10 09:15"),
        ("2026-03-10 11:30", None, "2026-03-10 13:30"),  # lunch break
        ("2026-03-10 12:10", None, "2026-03-10 13:30"),
        ("2026-03-10 16:59", None, "2026-03-10 16:59"),
        ("2026-03-10 17:00", None, "2026-03-11 07:00"),  # out of hours: next morning
        ("2026-03-10 15:30", time(15, 0), "2026-03-11 07:00"),  # after the cutoff
        ("2026-03-13 18:00", None, "2026-03-16 07:00"),  # Friday evening -> Monday
        ("2026-03-07 10:00", None, "2026-03-09 07:00"),  # Saturday
        ("2026-02-13 17:30", None, "2026-02-23 07:00"),  # before Tết -> after Tết
    ],
)
def test_clock_start(
    calendar: WorkingCalendar, received: str, cutoff: time | None, start: str
) -> None:
    assert calendar.clock_start(vn(received), cutoff) == vn(start)


@pytest.mark.parametrize(
    ("received", "deadline", "due"),
    [
        ("2026-03-10 09:00", Deadline(amount=3), "2026-03-13 09:00"),
        ("2026-03-10 17:30", Deadline(amount=1), "2026-03-11 17:00"),
        ("2026-03-10 12:00", Deadline(amount=1), "2026-03-11 11:30"),
        ("2026-03-07 10:00", Deadline(amount=1), "2026-03-09 17:00"),
        ("2026-03-10 09:00", Deadline(amount=0.5), "2026-03-10 15:00"),
        # Tết 2026: 5 h left on 12/02, 8 h on 13/02, off 14–22/02, 8 h on 23/02, 3 h on 24/02
        ("2026-02-12 10:00", Deadline(amount=3), "2026-02-24 10:00"),
        ("2026-02-13 16:00", Deadline(amount=10), "2026-03-06 16:00"),
        # Birth registration (khai sinh): same day; after 15:00, the next working day
        ("2026-03-10 14:00", BIRTH, "2026-03-10 17:00"),
        ("2026-03-10 15:30", BIRTH, "2026-03-11 17:00"),
        ("2026-02-13 16:00", BIRTH, "2026-02-23 17:00"),
        # Calendar days: end of office hours on the last day; a day off pushes it later
        ("2026-03-09 10:00", Deadline(amount=15, unit=CD), "2026-03-24 17:00"),
        ("2026-03-06 10:00", Deadline(amount=15, unit=CD), "2026-03-23 17:00"),
        ("2026-04-10 10:00", Deadline(amount=17, unit=CD), "2026-04-28 17:00"),
        # Make-up Saturday (làm bù) 22/8/2026, from the holidays library
        ("2026-08-21 10:00", Deadline(amount=1), "2026-08-22 10:00"),
    ],
)
def test_due_at(calendar: WorkingCalendar, received: str, deadline: Deadline, due: str) -> None:
    result = calendar.due_at(vn(received), deadline)
    assert result == vn(due)
    assert calendar.is_working_day(result.date())


@pytest.mark.parametrize(
    ("received", "amount", "with_makeup", "without"),
    [
        ("2026-03-13 10:00", 2, "2026-03-16 10:00", "2026-03-17 10:00"),
        ("2026-03-13 10:00", 1, "2026-03-14 10:00", "2026-03-16 10:00"),
        ("2026-03-05 09:00", 1, "2026-03-09 09:00", "2026-03-06 09:00"),
    ],
)
def test_due_at_with_makeup_saturday(
    calendar: WorkingCalendar,
    makeup_calendar: WorkingCalendar,
    received: str,
    amount: int,
    with_makeup: str,
    without: str,
) -> None:
    deadline = Deadline(amount=amount)
    assert makeup_calendar.due_at(vn(received), deadline) == vn(with_makeup)
    assert calendar.due_at(vn(received), deadline) == vn(without)


@pytest.mark.parametrize(
    ("pauses", "due"),
    [
        ([], "2026-03-13 09:00"),
        ([("2026-03-11 07:00", "2026-03-11 17:00")], "2026-03-16 09:00"),
        ([("2026-03-11 10:00", "2026-03-11 15:00")], "2026-03-13 14:00"),
        ([("2026-03-13 08:00", "2026-03-16 08:00")], "2026-03-16 09:00"),
        # overlaps are merged; spans out of office hours do not count
        (
            [("2026-03-11 07:00", "2026-03-11 12:00"), ("2026-03-11 11:00", "2026-03-11 17:00")],
            "2026-03-16 09:00",
        ),
        ([("2026-03-11 18:00", "2026-03-12 06:00")], "2026-03-13 09:00"),
        ([("2026-03-09 07:00", "2026-03-09 17:00")], "2026-03-13 09:00"),  # before receipt
    ],
)
def test_pauses_move_due_back(
    calendar: WorkingCalendar, pauses: list[tuple[str, str]], due: str
) -> None:
    intervals = [(vn(a), vn(b)) for a, b in pauses]
    assert calendar.due_at(vn("2026-03-10 09:00"), Deadline(amount=3), intervals) == vn(due)


def test_calendar_day_pause_adds_whole_days(calendar: WorkingCalendar) -> None:
    deadline = Deadline(amount=15, unit=CD)
    pause = [(vn("2026-03-10 09:00"), vn("2026-03-11 10:00"))]  # just over 1 day -> 2 days
    assert calendar.due_at(vn("2026-03-09 10:00"), deadline, pause) == vn("2026-03-26 17:00")


@pytest.mark.parametrize(
    ("due", "now", "remaining", "overdue"),
    [
        ("2026-02-13 17:00", "2026-02-12 16:00", timedelta(hours=9), False),
        ("2026-02-13 17:00", "2026-02-13 17:00", timedelta(0), False),
        ("2026-02-13 17:00", "2026-02-23 08:00", -timedelta(hours=1), True),
        ("2026-03-10 11:30", "2026-03-10 13:00", timedelta(0), True),  # overdue at lunch
    ],
)
def test_remaining_and_overdue(
    calendar: WorkingCalendar, due: str, now: str, remaining: timedelta, overdue: bool
) -> None:
    assert calendar.remaining_working_time(vn(due), vn(now)) == remaining
    assert calendar.is_overdue(vn(due), vn(now)) is overdue
    assert is_overdue(vn(due), vn(now)) is overdue


def test_working_time_between_is_antisymmetric(calendar: WorkingCalendar) -> None:
    a, b = vn("2026-02-12 10:00"), vn("2026-02-24 10:00")
    assert calendar.working_time_between(a, b) == timedelta(hours=24)
    assert calendar.working_time_between(b, a) == -timedelta(hours=24)


def test_naive_datetime_rejected(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError):
        calendar.clock_start(vn("2026-03-10 09:00").replace(tzinfo=None))


def test_other_timezone_is_converted(calendar: WorkingCalendar) -> None:
    utc = vn("2026-03-10 09:00").astimezone(UTC)
    assert calendar.due_at(utc, Deadline(amount=3)) == vn("2026-03-13 09:00")


def test_override_rejects_conflicts() -> None:
    with pytest.raises(ValueError, match="both off and working"):
        CalendarOverride.model_validate(
            {
                "year": 2026,
                "days_off": [{"date": "2026-03-14", "name_vi": "x"}],
                "working_days": [{"date": "2026-03-14", "name_vi": "y"}],
            }
        )
    with pytest.raises(ValueError, match="must be in 2026"):
        CalendarOverride.model_validate(
            {"year": 2026, "days_off": [{"date": "2027-01-01", "name_vi": "x"}]}
        )


def test_negative_working_time_rejected(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarError):
        calendar.add_working_time(vn("2026-03-10 09:00"), -timedelta(hours=1))


def test_empty_calendar_uses_library_only() -> None:
    bare = WorkingCalendar()
    assert not bare.is_working_day(date(2026, 2, 17))
    assert bare.day_off_reason(date(2026, 2, 14)) == "Thứ Bảy"
