"""Typed identifiers (agency, procedure and dossier codes) and their format checks.

Formats follow Decision 20/2020/QĐ-TTg (agency code, *mã đơn vị*, `000.00.06.H56`), the
national database of administrative procedures (CSDL quốc gia về TTHC, `1.001193`) and
Circular 01/2018/TT-VPCP (dossier code, *mã hồ sơ*, `<agency code>-YYMMDD-NNNN`).
"""

from __future__ import annotations

import re
from typing import NewType

from registry.errors import MalformedIdentifierError

__all__ = [
    "AGENCY_ID_RE",
    "DOSSIER_CODE_RE",
    "INSTANCE_CODE_RE",
    "PROCEDURE_CODE_RE",
    "SYSTEM_ID_RE",
    "AgencyId",
    "DossierCode",
    "InstanceCode",
    "ProcedureCode",
    "SystemId",
    "agency_id",
    "instance_code",
    "is_agency_id",
    "is_system_id",
    "procedure_code",
    "split_instance_code",
    "system_id",
]

AgencyId = NewType("AgencyId", str)
"""Agency code (mã đơn vị) in four levels; level 1 is a letter + 2 digits
(H56 = Thanh Hóa, G.. = ministries and sectors, bộ/ngành)."""
ProcedureCode = NewType("ProcedureCode", str)
"""National administrative procedure code (mã thủ tục hành chính), e.g. `1.001193`."""
InstanceCode = NewType("InstanceCode", str)
"""An agency's procedure code (mã thủ tục của đơn vị): procedure code + '.' + agency code."""
DossierCode = NewType("DossierCode", str)
"""Dossier code (mã hồ sơ) `<receiving agency code>-YYMMDD-NNNN`."""
SystemId = NewType("SystemId", str)
"""Identifier of a system (not an agency), e.g. `citizen-portal`."""

_AGENCY = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
_PROCEDURE = r"\d\.\d{6}"
AGENCY_ID_RE = re.compile(rf"^{_AGENCY}$")
PROCEDURE_CODE_RE = re.compile(rf"^{_PROCEDURE}$")
INSTANCE_CODE_RE = re.compile(rf"^(?P<procedure>{_PROCEDURE})\.(?P<agency>{_AGENCY})$")
DOSSIER_CODE_RE = re.compile(rf"^(?P<agency>{_AGENCY})-(?P<day>\d{{6}})-(?P<seq>\d{{4}})$")
SYSTEM_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


def is_agency_id(value: str) -> bool:
    """True if `value` is shaped `NNN.NN.NN.Xnn`."""
    return AGENCY_ID_RE.fullmatch(value) is not None


def is_system_id(value: str) -> bool:
    """True if `value` is a system id of lowercase letters, digits and hyphens."""
    return SYSTEM_ID_RE.fullmatch(value) is not None


def agency_id(value: str) -> AgencyId:
    """Check and return an agency code; `MalformedIdentifierError` if it is malformed."""
    if not is_agency_id(value):
        raise MalformedIdentifierError(f"agency id {value!r} is not shaped NNN.NN.NN.H56")
    return AgencyId(value)


def procedure_code(value: str) -> ProcedureCode:
    """Check and return a national procedure code (`1.001193`)."""
    if PROCEDURE_CODE_RE.fullmatch(value) is None:
        raise MalformedIdentifierError(f"procedure code {value!r} is not shaped N.NNNNNN")
    return ProcedureCode(value)


def system_id(value: str) -> SystemId:
    """Check and return a system id."""
    if not is_system_id(value):
        raise MalformedIdentifierError(
            f"system id {value!r} must be lowercase letters, digits and '-'"
        )
    return SystemId(value)


def instance_code(procedure: str, agency: str) -> InstanceCode:
    """Build an agency's procedure code: `1.001193` + `000.00.00.H56`."""
    return InstanceCode(f"{procedure_code(procedure)}.{agency_id(agency)}")


def split_instance_code(value: str) -> tuple[ProcedureCode, AgencyId]:
    """Split an agency's procedure code into (procedure code, agency code)."""
    match = INSTANCE_CODE_RE.fullmatch(value)
    if match is None:
        raise MalformedIdentifierError(f"instance code {value!r} is not <procedure>.<agency>")
    return ProcedureCode(match["procedure"]), AgencyId(match["agency"])
