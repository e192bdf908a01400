"""Build realistic dossier events for integration tests (unique dossier codes)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from schemas import CloudEvent, load_catalog
from schemas.examples import example_data
from tests.support.pipeline import new_event

_sequence = itertools.count(1)
_day = date(2026, 1, 1) + timedelta(days=random.randrange(300))


def dossier_code(agency: str) -> str:
    """A fresh ``<agency>-YYMMDD-NNNN`` dossier code, unique within the test session."""
    number = next(_sequence)
    day = _day + timedelta(days=number // 9000)
    return f"{agency}-{day:%y%m%d}-{number % 9000 + 1000:04d}"


def dossier_event(
    record: str, source: str, code: str, *, at: datetime | None = None, **data: Any
) -> CloudEvent:
    """An event of ``record`` (e.g. ``DossierSubmitted``) for dossier ``code``."""
    body = {**example_data(record), "dossier_code": code, **data}
    ce_type = load_catalog().by_record(f"vn.gov.thanhhoa.hub.{record}").ce_type
    return new_event(ce_type, source, code, body, at=at)


def utc(*args: int) -> datetime:
    """A UTC datetime, shorter to write."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
