"""Dossier codes (mã hồ sơ) `<receiving agency>-YYMMDD-NNNN` (Circular 01/2018/TT-VPCP).

Per Article 19, NNNN is a 4-digit sequence per receiving agency that restarts every day.
The counter that is unique across processes lives in the Kafka layer; this module only
formats and parses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from registry.calendar import VN_TZ
from registry.errors import MalformedIdentifierError
from registry.ids import DOSSIER_CODE_RE, AgencyId, DossierCode, agency_id

__all__ = [
    "MAX_SEQUENCE",
    "ParsedDossierCode",
    "dossier_day",
    "format_dossier_code",
    "parse_dossier_code",
]

MAX_SEQUENCE = 9999
"""The largest sequence number of one agency in one day."""


@dataclass(frozen=True)
class ParsedDossierCode:
    """The parts of a dossier code."""

    agency: AgencyId
    day: date
    sequence: int


def dossier_day(moment: datetime) -> date:
    """The day (Vietnam time) of a receipt moment, as used in the dossier code."""
    if moment.tzinfo is None:
        raise MalformedIdentifierError("dossier time needs a time zone")
    return moment.astimezone(VN_TZ).date()


def format_dossier_code(agency: str, day: date, seq: int) -> DossierCode:
    """Build a dossier code, e.g. `000.00.06.H56-231027-0361`."""
    if not 1 <= seq <= MAX_SEQUENCE:
        raise MalformedIdentifierError(f"sequence {seq} is outside 1..{MAX_SEQUENCE}")
    if not 2000 <= day.year <= 2099:
        raise MalformedIdentifierError(f"year {day.year} does not fit YY")
    return DossierCode(f"{agency_id(agency)}-{day:%y%m%d}-{seq:04d}")


def parse_dossier_code(code: str) -> ParsedDossierCode:
    """Parse a dossier code; a malformed code or a non-existent date is an error."""
    match = DOSSIER_CODE_RE.fullmatch(code)
    if match is None:
        raise MalformedIdentifierError(f"dossier code {code!r} is not <agency>-YYMMDD-NNNN")
    raw = match["day"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError as exc:
        raise MalformedIdentifierError(f"dossier code {code!r} has no such date") from exc
    seq = int(match["seq"])
    if seq == 0:
        raise MalformedIdentifierError(f"dossier code {code!r} has sequence 0000")
    return ParsedDossierCode(AgencyId(match["agency"]), day, seq)
