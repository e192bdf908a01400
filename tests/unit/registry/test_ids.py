"""Identifiers and dossier codes (mã hồ sơ): formatting and parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from registry import MalformedIdentifierError, format_dossier_code, parse_dossier_code
from registry.dossier_code import dossier_day
from registry.ids import (
    agency_id,
    instance_code,
    is_agency_id,
    procedure_code,
    split_instance_code,
    system_id,
)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("000.00.00.H56", True),
        ("000.17.22.H56", True),
        ("000.00.06.H30", True),
        ("000.00.90.G01", True),
        ("000.00.00.h56", False),
        ("00.00.00.H56", False),
        ("000.00.00.H5", False),
        ("000.00.00.H56 ", False),
        ("000-00-00-H56", False),
    ],
)
def test_agency_ids(value: str, ok: bool) -> None:
    assert is_agency_id(value) is ok
    if ok:
        assert agency_id(value) == value
    else:
        with pytest.raises(MalformedIdentifierError):
            agency_id(value)


@pytest.mark.parametrize("bad", ["1.00119", "1001193", "1.0011933", "a.001193", ""])
def test_bad_procedure_codes(bad: str) -> None:
    with pytest.raises(MalformedIdentifierError):
        procedure_code(bad)


def test_instance_codes() -> None:
    assert instance_code("1.001193", "000.00.00.H56") == "1.001193.000.00.00.H56"
    assert split_instance_code("2.000488.000.00.06.H56") == ("2.000488", "000.00.06.H56")
    with pytest.raises(MalformedIdentifierError):
        split_instance_code("2.000488-000.00.06.H56")


@pytest.mark.parametrize("value", ["citizen-portal", "national-portal-sync"])
def test_system_ids(value: str) -> None:
    assert system_id(value) == value


@pytest.mark.parametrize(
    ("agency", "day", "seq", "code"),
    [
        ("000.00.06.H56", date(2023, 10, 27), 361, "000.00.06.H56-231027-0361"),
        ("000.17.22.H56", date(2021, 5, 31), 1, "000.17.22.H56-210531-0001"),
        ("000.00.14.H56", date(2026, 2, 23), 9999, "000.00.14.H56-260223-9999"),
    ],
)
def test_dossier_code_round_trip(agency: str, day: date, seq: int, code: str) -> None:
    assert format_dossier_code(agency, day, seq) == code
    parsed = parse_dossier_code(code)
    assert (parsed.agency, parsed.day, parsed.sequence) == (agency, day, seq)


@pytest.mark.parametrize("seq", [0, 10000, -1])
def test_dossier_sequence_range(seq: int) -> None:
    with pytest.raises(MalformedIdentifierError):
        format_dossier_code("000.00.06.H56", date(2026, 3, 10), seq)


@pytest.mark.parametrize(
    "code",
    [
        "000.00.06.H56-231327-0001",  # month 13
        "000.00.06.H56-230230-0001",  # 30 February
        "000.00.06.H56-231027-0000",
        "000.00.06.H56-231027-361",
        "000.00.06-231027-0361",
        "000.00.06.H56_231027_0361",
    ],
)
def test_bad_dossier_codes(code: str) -> None:
    with pytest.raises(MalformedIdentifierError):
        parse_dossier_code(code)


def test_dossier_day_uses_vietnam_time() -> None:
    assert dossier_day(datetime(2026, 3, 10, 18, 0, tzinfo=UTC)) == date(2026, 3, 11)
    with pytest.raises(MalformedIdentifierError):
        dossier_day(datetime(2026, 3, 10, 18, 0))
