"""Registry fixtures: the catalog's real calendar, and one with a test make-up day (làm bù)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from registry import CalendarOverride, Catalog, WorkingCalendar, load_catalog
from registry.calendar import VN_TZ

DATA = Path(__file__).parent / "data"


def vn(text: str) -> datetime:
    """A Vietnam-time datetime from `YYYY-MM-DD HH:MM`."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def calendar(catalog: Catalog) -> WorkingCalendar:
    return catalog.calendar()


@pytest.fixture(scope="session")
def makeup_calendar(catalog: Catalog) -> WorkingCalendar:
    test_override = CalendarOverride.model_validate(
        yaml.safe_load((DATA / "makeup-2026.yaml").read_text(encoding="utf-8"))
    )
    return WorkingCalendar([*catalog.calendar_overrides.values(), test_override])
