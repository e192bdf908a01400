"""Per-year calendar overrides: extra days off and make-up Saturdays (làm bù).

Each year the Prime Minister / Ministry of Home Affairs (Thủ tướng/Bộ Nội vụ) decide the
Tết and National Day (Quốc khánh) holidays, sometimes swapping working days; the files
`catalog/calendar/<year>.yaml` record those decisions.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CalendarOverride", "DayOff", "MakeUpWorkday"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DayOff(_Model):
    """One day off (or the range `date`..`until`, both ends included)."""

    date: dt.date
    until: dt.date | None = None
    name_vi: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.until is not None and self.until < self.date:
            raise ValueError("until must not be before date")
        return self

    def days(self) -> list[dt.date]:
        """The days in the range."""
        last = self.until or self.date
        return [self.date + dt.timedelta(days=i) for i in range((last - self.date).days + 1)]


class MakeUpWorkday(_Model):
    """A weekend day worked to make up for a day off (làm bù)."""

    date: dt.date
    name_vi: str = Field(min_length=1)


class CalendarOverride(_Model):
    """One year's calendar adjustments, with their source (decision or notice number)."""

    year: int = Field(ge=2000, le=2100)
    source: str | None = None
    example: bool = False
    days_off: list[DayOff] = Field(default_factory=list)
    working_days: list[MakeUpWorkday] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        off = {d for item in self.days_off for d in item.days()}
        work = {item.date for item in self.working_days}
        if any(d.year != self.year for d in off | work):
            raise ValueError(f"every date must be in {self.year}")
        if clash := sorted(off & work):
            raise ValueError(f"dates both off and working: {', '.join(map(str, clash))}")
        return self

    @property
    def off_dates(self) -> dict[dt.date, str]:
        """Day off -> name."""
        return {d: item.name_vi for item in self.days_off for d in item.days()}

    @property
    def work_dates(self) -> dict[dt.date, str]:
        """Make-up workday -> name."""
        return {item.date: item.name_vi for item in self.working_days}
