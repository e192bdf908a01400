"""Mã định danh có kiểu: mã đơn vị, mã thủ tục, mã hồ sơ, và bộ kiểm tra định dạng.

Định dạng theo Quyết định 20/2020/QĐ-TTg (mã đơn vị `000.00.06.H56`), Cơ sở dữ liệu
quốc gia về TTHC (`1.001193`) và Thông tư 01/2018/TT-VPCP (mã hồ sơ
`<mã đơn vị>-YYMMDD-NNNN`).
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
"""Mã đơn vị, bốn cấp, cấp 1 là chữ + 2 số (H56 = Thanh Hóa, G.. = bộ, ngành)."""
ProcedureCode = NewType("ProcedureCode", str)
"""Mã thủ tục hành chính quốc gia, ví dụ `1.001193`."""
InstanceCode = NewType("InstanceCode", str)
"""Mã thủ tục của một đơn vị: mã thủ tục + '.' + mã đơn vị."""
DossierCode = NewType("DossierCode", str)
"""Mã hồ sơ `<mã đơn vị tiếp nhận>-YYMMDD-NNNN`."""
SystemId = NewType("SystemId", str)
"""Mã một hệ thống (không phải cơ quan), ví dụ `citizen-portal`."""

_AGENCY = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
_PROCEDURE = r"\d\.\d{6}"
AGENCY_ID_RE = re.compile(rf"^{_AGENCY}$")
PROCEDURE_CODE_RE = re.compile(rf"^{_PROCEDURE}$")
INSTANCE_CODE_RE = re.compile(rf"^(?P<procedure>{_PROCEDURE})\.(?P<agency>{_AGENCY})$")
DOSSIER_CODE_RE = re.compile(rf"^(?P<agency>{_AGENCY})-(?P<day>\d{{6}})-(?P<seq>\d{{4}})$")
SYSTEM_ID_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


def is_agency_id(value: str) -> bool:
    """Đúng nếu `value` có dạng `NNN.NN.NN.Xnn`."""
    return AGENCY_ID_RE.fullmatch(value) is not None


def is_system_id(value: str) -> bool:
    """Đúng nếu `value` là mã hệ thống dạng chữ thường, số và gạch nối."""
    return SYSTEM_ID_RE.fullmatch(value) is not None


def agency_id(value: str) -> AgencyId:
    """Kiểm tra và trả về mã đơn vị; sai định dạng thì `MalformedIdentifierError`."""
    if not is_agency_id(value):
        raise MalformedIdentifierError(f"agency id {value!r} is not shaped NNN.NN.NN.H56")
    return AgencyId(value)


def procedure_code(value: str) -> ProcedureCode:
    """Kiểm tra và trả về mã thủ tục quốc gia (`1.001193`)."""
    if PROCEDURE_CODE_RE.fullmatch(value) is None:
        raise MalformedIdentifierError(f"procedure code {value!r} is not shaped N.NNNNNN")
    return ProcedureCode(value)


def system_id(value: str) -> SystemId:
    """Kiểm tra và trả về mã hệ thống."""
    if not is_system_id(value):
        raise MalformedIdentifierError(
            f"system id {value!r} must be lowercase letters, digits and '-'"
        )
    return SystemId(value)


def instance_code(procedure: str, agency: str) -> InstanceCode:
    """Ghép mã thủ tục của đơn vị: `1.001193` + `000.00.00.H56`."""
    return InstanceCode(f"{procedure_code(procedure)}.{agency_id(agency)}")


def split_instance_code(value: str) -> tuple[ProcedureCode, AgencyId]:
    """Tách mã thủ tục của đơn vị thành (mã thủ tục, mã đơn vị)."""
    match = INSTANCE_CODE_RE.fullmatch(value)
    if match is None:
        raise MalformedIdentifierError(f"instance code {value!r} is not <procedure>.<agency>")
    return ProcedureCode(match["procedure"]), AgencyId(match["agency"])
