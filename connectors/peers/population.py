"""Fake national population database identity check (CSDL quốc gia về dân cư).

SOAP 1.2, rpc/literal (the civil-status peer is SOAP 1.1 document/literal, so zeep is
exercised with both). ``CheckCitizen`` answers ``match`` and a reason code:
``MATCH``, ``INVALID_CITIZEN_ID``, ``NOT_FOUND``, ``NAME_MISMATCH``, ``BIRTH_DATE_MISMATCH``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from lxml import etree  # type: ignore[import-untyped]

from connectors.peers._log import Outcome
from connectors.peers._soap import Operation, SoapFaultError, SoapPeer, SoapVersion, build

NS = "urn:thanhhoa:dancu:v1"
_CITIZEN_ID = re.compile(r"^\d{12}$")

# Made-up people; ids start with 038, Thanh Hóa's province code in the citizen id scheme.
DEFAULT_CITIZENS: Mapping[str, tuple[str, date]] = {
    "038090001234": ("Lê Văn An", date(1990, 3, 14)),
    "038185004321": ("Nguyễn Thị Bình", date(1985, 11, 2)),
    "038201007777": ("Trịnh Minh Châu", date(2001, 7, 30)),
}


def normalize_name(name: str) -> str:
    """Compare names as a clerk would: NFC, case-insensitive, single spaces."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class PopulationPeer(SoapPeer):
    """Identity check against an in-memory population register."""

    name: ClassVar[str] = "population"
    version = SoapVersion.SOAP12
    namespace = NS
    path = "/ws/population"
    wsdl_name = "population.wsdl"

    def __init__(
        self, *, citizens: Mapping[str, tuple[str, date]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._initial = dict(DEFAULT_CITIZENS if citizens is None else citizens)
        self._citizens = dict(self._initial)

    def operations(self) -> Mapping[str, Operation]:
        return {"CheckCitizen": Operation(self._check, "requestId")}

    def add_citizen(self, citizen_id: str, full_name: str, birth_date: date) -> None:
        with self._lock:
            self._citizens[citizen_id] = (full_name, birth_date)

    def reset_state(self) -> None:
        self._citizens = dict(self._initial)

    def admin_actions(self) -> Mapping[str, Any]:
        def add_citizen(data: dict[str, Any]) -> bool:
            self.add_citizen(
                str(data["citizen_id"]),
                str(data["full_name"]),
                date.fromisoformat(str(data["birth_date"])),
            )
            return True

        return {"add_citizen": add_citizen}

    def _check(self, fields: dict[str, Any]) -> tuple[Outcome, etree._Element]:
        citizen_id = str(fields.get("citizenId") or "")
        try:
            born = date.fromisoformat(str(fields.get("birthDate") or "")[:10])
        except ValueError as exc:
            raise SoapFaultError("invalidRequest", "birthDate không hợp lệ") from exc
        match, reason = False, "MATCH"
        known = self._citizens.get(citizen_id)
        if not _CITIZEN_ID.match(citizen_id):
            reason = "INVALID_CITIZEN_ID"
        elif known is None:
            reason = "NOT_FOUND"
        elif normalize_name(known[0]) != normalize_name(str(fields.get("fullName") or "")):
            reason = "NAME_MISMATCH"
        elif known[1] != born:
            reason = "BIRTH_DATE_MISMATCH"
        else:
            match = True
        reply = build(
            NS, "CheckCitizenResponse", {"match": match, "reason": reason}, qualified=False
        )
        return Outcome.ANSWERED, reply
