"""Tệp điều chỉnh lịch theo năm: ngày nghỉ thêm, ngày làm bù (thứ Bảy đi làm).

Mỗi năm Thủ tướng/Bộ Nội vụ quyết định lịch nghỉ Tết và Quốc khánh, có khi hoán đổi
ngày làm việc; các tệp `catalog/calendar/<năm>.yaml` ghi lại quyết định đó.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CalendarOverride", "DayOff", "MakeUpWorkday"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DayOff(_Model):
    """Một ngày nghỉ (hoặc khoảng `date`..`until`, tính cả hai đầu)."""

    date: dt.date
    until: dt.date | None = None
    name_vi: str = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.until is not None and self.until < self.date:
            raise ValueError("until must not be before date")
        return self

    def days(self) -> list[dt.date]:
        """Các ngày trong khoảng nghỉ."""
        last = self.until or self.date
        return [self.date + dt.timedelta(days=i) for i in range((last - self.date).days + 1)]


class MakeUpWorkday(_Model):
    """Ngày cuối tuần đi làm bù (làm bù)."""

    date: dt.date
    name_vi: str = Field(min_length=1)


class CalendarOverride(_Model):
    """Điều chỉnh lịch của một năm, kèm nguồn (số quyết định/thông báo)."""

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
        """Ngày nghỉ -> tên."""
        return {d: item.name_vi for item in self.days_off for d in item.days()}

    @property
    def work_dates(self) -> dict[dt.date, str]:
        """Ngày làm bù -> tên."""
        return {item.date: item.name_vi for item in self.working_days}
