"""Mã hồ sơ `<mã đơn vị tiếp nhận>-YYMMDD-NNNN` (Thông tư 01/2018/TT-VPCP, Điều 19).

NNNN là số thứ tự 4 chữ số theo từng đơn vị tiếp nhận, bắt đầu lại mỗi ngày. Bộ đếm
duy nhất giữa các tiến trình nằm ở tầng Kafka; ở đây chỉ định dạng và phân tích.
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
"""Số thứ tự lớn nhất trong một ngày của một đơn vị."""


@dataclass(frozen=True)
class ParsedDossierCode:
    """Các phần của mã hồ sơ."""

    agency: AgencyId
    day: date
    sequence: int


def dossier_day(moment: datetime) -> date:
    """Ngày (giờ Việt Nam) dùng trong mã hồ sơ của thời điểm tiếp nhận."""
    if moment.tzinfo is None:
        raise MalformedIdentifierError("dossier time needs a time zone")
    return moment.astimezone(VN_TZ).date()


def format_dossier_code(agency: str, day: date, seq: int) -> DossierCode:
    """Tạo mã hồ sơ, ví dụ `000.00.06.H56-231027-0361`."""
    if not 1 <= seq <= MAX_SEQUENCE:
        raise MalformedIdentifierError(f"sequence {seq} is outside 1..{MAX_SEQUENCE}")
    if not 2000 <= day.year <= 2099:
        raise MalformedIdentifierError(f"year {day.year} does not fit YY")
    return DossierCode(f"{agency_id(agency)}-{day:%y%m%d}-{seq:04d}")


def parse_dossier_code(code: str) -> ParsedDossierCode:
    """Phân tích mã hồ sơ; sai định dạng hoặc ngày không tồn tại thì lỗi."""
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
