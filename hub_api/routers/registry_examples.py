"""Example catalog entries of the OpenAPI document: agencies and procedures of Thanh Hóa.

The catalog models live in ``registry``; :data:`COMPONENT_EXAMPLES` documents them, and
``hub_api.app`` adds the examples to the document's components. The values are those of
the packaged catalog (Sở Tư pháp, phường Hạc Thành, đăng ký khai sinh).
"""

from __future__ import annotations

from typing import Any, Final

from hub_api.routers.openapi_examples import JUSTICE, WARD, WARD_NAME
from registry import Agency, AgencyKey, Deadline, Procedure
from registry.model import (
    AgencyLevel,
    ChainStep,
    Contact,
    DeadlineUnit,
    KeyStatus,
    ProcedureLevel,
    ResponsibleRule,
)

AGENCY_KEY: Final[dict[str, Any]] = {
    "key_id": "stp-2026",
    "public_key": "vGGC66vAq8eyQlCrWAHImgaOrr6CxvMvXgG6yka075s=",
    "valid_from": "2026-01-01T00:00:00+07:00",
    "valid_until": None,
    "status": "active",
    "revoked_at": None,
}
CONTACT: Final[dict[str, Any]] = {
    "email": None,
    "phone": None,
    "address": "35 Đại lộ Lê Lợi, Phường Hạc Thành, tỉnh Thanh Hóa",
}
AGENCY: Final[dict[str, Any]] = {
    "id": JUSTICE,
    "name_vi": "Sở Tư pháp",
    "name_en": "Department of Justice",
    "level": "department",
    "parent": "000.00.00.H56",
    "contact": None,
    "connectors": ["judicial-records-soap"],
    "keys": [AGENCY_KEY],
    "allowed_event_types": ["vn.gov.thanhhoa.dossier.*", "vn.gov.thanhhoa.document.*"],
    "example_code": False,
    "note": None,
}
WARD_AGENCY: Final[dict[str, Any]] = {
    "id": WARD,
    "name_vi": WARD_NAME,
    "name_en": "Hac Thanh Ward People's Committee",
    "level": "commune",
    "parent": "000.00.00.H56",
    "contact": CONTACT,
    "connectors": [],
    "keys": [],
    "allowed_event_types": ["vn.gov.thanhhoa.dossier.*", "vn.gov.thanhhoa.document.*"],
    "example_code": False,
    "note": None,
}
DEADLINE: Final[dict[str, Any]] = {
    "amount": 0.0,
    "unit": "working_days",
    "same_day_cutoff": "15:00:00",
}
PROCEDURE: Final[dict[str, Any]] = {
    "code": "1.001193",
    "instance_code": "1.001193.000.00.00.H56",
    "name_vi": "Đăng ký khai sinh",
    "name_en": "Birth registration",
    "level": "commune",
    "responsible_agency": None,
    "responsible_rule": "by_applicant_commune",
    "cooperating_agencies": [],
    "deadline": DEADLINE,
    "fee_vnd": 8000,
    "fee_note": "Miễn lệ phí khi đăng ký khai sinh đúng hạn",
    "required_documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"],
    "form_schema": "vn.gov.thanhhoa.hub.forms.BirthRegistration",
    "chain": [],
    "example_code": False,
    "note": "Trong ngày làm việc; nhận sau 15:00 thì trả kết quả ngày làm việc tiếp theo.",
}
CHAIN_STEP: Final[dict[str, Any]] = {
    "name_vi": "Đăng ký thường trú (Công an)",
    "agency": "000.00.15.H56",
    "rule": None,
    "procedure": "2.900030",
    "deadline_share": 1.0,
}
APPLY_RESULT: Final[dict[str, Any]] = {
    "changes": [{"action": "changed", "kind": "procedure", "key": "procedure:1.001193"}]
}


COMPONENT_EXAMPLES: Final[dict[type, list[Any]]] = {
    Agency: [AGENCY, WARD_AGENCY],
    AgencyKey: [AGENCY_KEY],
    Contact: [CONTACT],
    AgencyLevel: ["department", "commune"],
    KeyStatus: ["active", "retiring"],
    Procedure: [PROCEDURE],
    ProcedureLevel: ["commune"],
    Deadline: [DEADLINE, {"amount": 3.0, "unit": "working_days", "same_day_cutoff": None}],
    DeadlineUnit: ["working_days"],
    ChainStep: [CHAIN_STEP],
    ResponsibleRule: ["by_applicant_commune"],
}
"""Examples of the catalog models (``registry.model``), by model class."""
