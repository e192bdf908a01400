"""Example bodies of the OpenAPI document, with Thanh Hóa data and one story throughout.

On 3 December 2026 a parent applies online to the Hạc Thành ward People's Committee
(``000.17.22.H56``) for a birth registration (procedure ``1.001193``, same working day):
dossier ``000.17.22.H56-261203-0001``. A second dossier, ``...-0002``, is the linked
procedure ``1.900101`` (birth, residence, health insurance card) over three agencies.
The routers' own models take their examples from here (``json_schema_extra``). The dossier
views are defined outside the routers (``hub_api.dossier_query``): their examples are in
:data:`COMPONENT_EXAMPLES`, which ``hub_api.app`` adds to the document's components
(the catalog entries' are in :mod:`hub_api.routers.registry_examples`).
"""

from __future__ import annotations

import json
from typing import Any, Final

from hub_api.dossier_query import (
    DossierDetail,
    DossierPage,
    DossierSummaryOut,
    StepOut,
    TimelineOut,
)

WARD: Final = "000.17.22.H56"
WARD_NAME: Final = "Ủy ban nhân dân phường Hạc Thành"
JUSTICE: Final = "000.00.06.H56"
DOSSIER: Final = "000.17.22.H56-261203-0001"
LINKED_DOSSIER: Final = "000.17.22.H56-261203-0002"
EVENT_ID: Final = "a16fb87f-77fa-4bf6-b038-08887fc7ad2b"
SUBMITTED_ID: Final = "5e67dcea-f873-4ff9-aace-449d4a6a9218"
LOOKUP_TOKEN: Final = "7KQ2-M9XD-4TPA-JH3W"  # noqa: S105 -- an example, not a secret
KEY_ID: Final = "000.17.22.H56:9aa82755437858ce"
SIGNATURE: Final = (
    "eSs-LBmHToZGj9VToIs1Hl0CMXSU-cGCTZ1-7rz34s10rao75j_FRGL-CsVQwxl71mOf-RBrYcDQmOjWgH-8CQ"
)
BAD_SIGNATURE_DETAIL: Final = f"signature does not verify with key {KEY_ID!r}"

_STATUS: Final = {
    1: ("Mới đăng ký", "Newly registered"),
    2: ("Được tiếp nhận", "Accepted"),
    4: ("Đang xử lý", "Processing"),
}

# --- events -------------------------------------------------------------------------

ENVELOPE_AVRO: Final[dict[str, Any]] = {
    "specversion": "1.0",
    "id": EVENT_ID,
    "source": WARD,
    "type": "vn.gov.thanhhoa.dossier.status_changed",
    "subject": DOSSIER,
    "time": "2026-12-03T09:10:00.000+07:00",
    "datacontenttype": "application/avro",
    "data_base64": (
        "AAAAAAoyMDAwLjE3LjIyLkg1Ni0yNjEyMDMtMDAwMSwxLjAwMTE5My4wMDAuMDAuMDAuSDU2GjAwMC4xNy4y"
        "Mi5INTYIAgSA8eWbx2gCGGNhbmJvLnR1cGhhcAIiQ2h1eeG7g24geOG7rSBsw70="
    ),
    "sigkeyid": KEY_ID,
    "sigalg": "ed25519",
    "signature": SIGNATURE,
}
ENVELOPE_JSON: Final[dict[str, Any]] = {
    **{k: v for k, v in ENVELOPE_AVRO.items() if k != "data_base64"},
    "datacontenttype": "application/json",
    "data": {
        "dossier_code": DOSSIER,
        "procedure_code": "1.001193.000.00.00.H56",
        "agency_id": WARD,
        "status": 4,
        "previous_status": 2,
        "changed_at": 1796263800000,
        "actor": "canbo.tuphap",
        "note": "Chuyển công chức tư pháp - hộ tịch",
    },
}
EVENT_BATCH: Final[dict[str, Any]] = {
    "events": [ENVELOPE_AVRO, {**ENVELOPE_AVRO, "id": "98c79615-7d15-46dd-9fc4-1721adeb7de3"}]
}
EVENT_ACCEPTED: Final[list[dict[str, Any]]] = [
    {"id": EVENT_ID, "status": "accepted", "lookup_token": None},
    {"id": SUBMITTED_ID, "status": "accepted", "lookup_token": LOOKUP_TOKEN},
    {"id": EVENT_ID, "status": "duplicate", "lookup_token": None},
]
BATCH_ITEMS: Final[list[dict[str, Any]]] = [
    {"id": EVENT_ID, "status": "accepted", "reason": None, "detail": None, "lookup_token": None},
    {
        "id": "98c79615-7d15-46dd-9fc4-1721adeb7de3",
        "status": "quarantined",
        "reason": "bad_signature",
        "detail": BAD_SIGNATURE_DETAIL,
        "lookup_token": None,
    },
]
BATCH_ACCEPTED: Final[dict[str, Any]] = {"results": BATCH_ITEMS}

# --- dossiers -----------------------------------------------------------------------


def _entry(event_id: str, kind: str, status: int, time: str, **more: Any) -> dict[str, Any]:
    vi, en = _STATUS[status]
    return {
        "event_id": event_id,
        "type": kind,
        "status": status,
        "status_vi": vi,
        "status_en": en,
        "actor": WARD,
        "actor_name": WARD_NAME,
        "time": time,
        "note": None,
        "step_index": None,
        **more,
    }


TIMELINE: Final[list[dict[str, Any]]] = [
    _entry(SUBMITTED_ID, "submitted", 1, "2026-12-03T01:30:00Z"),
    _entry("139003e5-610d-4b5e-8fb1-1614e58108d5", "status", 2, "2026-12-03T01:40:00Z"),
    _entry(
        EVENT_ID, "status", 4, "2026-12-03T02:10:00Z", note="Chuyển công chức tư pháp - hộ tịch"
    ),
]
STEPS: Final[list[dict[str, Any]]] = [
    {
        "index": 0,
        "agency": WARD,
        "agency_name": WARD_NAME,
        "state": "done",
        "started_at": "2026-12-03T01:50:00Z",
        "done_at": "2026-12-03T04:35:00Z",
    },
    {
        "index": 1,
        "agency": "000.00.15.H56",
        "agency_name": "Công an tỉnh Thanh Hóa",
        "state": "active",
        "started_at": "2026-12-03T04:35:00Z",
        "done_at": None,
    },
    {
        "index": 2,
        "agency": "000.00.16.H56",
        "agency_name": "Bảo hiểm xã hội tỉnh Thanh Hóa",
        "state": "pending",
        "started_at": None,
        "done_at": None,
    },
]
DOSSIER_SUMMARY: Final[dict[str, Any]] = {
    "code": DOSSIER,
    "procedure": "1.001193",
    "responsible_agency": WARD,
    "status": 4,
    "status_vi": "Đang xử lý",
    "status_en": "Processing",
    "submitted_at": "2026-12-03T01:30:00Z",
    "due_at": "2026-12-03T17:00:00+07:00",
    "overdue": False,
}
DOSSIER_DETAIL: Final[dict[str, Any]] = {
    **DOSSIER_SUMMARY,
    "procedure_name": "Đăng ký khai sinh",
    "responsible_agency_name": WARD_NAME,
    "national_status": "processing",
    "received_at": "2026-12-03T01:40:00Z",
    "processed_at": None,
    "finished_at": None,
    "waiting_for_applicant": False,
    "remaining_working_seconds": 16200.0,
    "steps": [],
    "timeline": TIMELINE,
    "lookup_token": LOOKUP_TOKEN,
}
LINKED_DETAIL: Final[dict[str, Any]] = {
    **DOSSIER_DETAIL,
    "code": LINKED_DOSSIER,
    "procedure": "1.900101",
    "procedure_name": "Liên thông thủ tục hành chính: đăng ký khai sinh, đăng ký thường trú, "
    "cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
    "submitted_at": "2026-12-03T01:35:00Z",
    "received_at": "2026-12-03T01:50:00Z",
    "due_at": "2026-12-08T08:50:00+07:00",
    "remaining_working_seconds": 76800.0,
    "steps": STEPS,
    "timeline": [
        _entry("50245070-ed37-4f89-afa4-a9180bf006db", "submitted", 1, "2026-12-03T01:35:00Z"),
        _entry("2f4c1b8e-0a57-4d0e-9c3b-6e1f7d2a8b90", "status", 2, "2026-12-03T01:50:00Z"),
        _entry("6d0e3f1a-94c2-4b7e-8a15-3c9f2e7d4b60", "status", 4, "2026-12-03T01:55:00Z"),
        _entry(
            "c7d2e9a4-3b1f-4e8a-b5c6-0d9e8f7a6b51",
            "step_done",
            4,
            "2026-12-03T04:35:00Z",
            step_index=0,
        ),
    ],
    "lookup_token": "Q8ZC-3NRT-W6HV-P2LK",
}
DOSSIER_PAGE: Final[dict[str, Any]] = {
    "items": [
        DOSSIER_SUMMARY,
        {
            **DOSSIER_SUMMARY,
            "code": LINKED_DOSSIER,
            "procedure": "1.900101",
            "submitted_at": "2026-12-03T01:35:00Z",
            "due_at": "2026-12-08T08:50:00+07:00",
        },
    ],
    "next_cursor": (
        "eyJrIjogWyIyMDI2LTEyLTAzVDAxOjM1OjAwKzAwOjAwIiwgIjAwMC4xNy4yMi5INTYtMjYxMjAzLTAwMDIi"
        "XSwgImYiOiAiMWRkNDEzMWMyZDFmOWU2MCJ9"
    ),
}
GROUP_STATS: Final[dict[str, Any]] = {
    "agency": WARD,
    "procedure": "1.001193",
    "total": 42,
    "by_status": {"2": 2, "4": 5, "5": 1, "9": 4, "10": 30},
    "processed": 34,
    "on_time": 33,
    "on_time_rate": 0.9706,
    "overdue_open": 1,
    "average_processing_hours": 3.4,
}

# --- citizen lookup -----------------------------------------------------------------

CITIZEN_ENTRIES: Final[list[dict[str, Any]]] = [
    {
        "status": t["status"],
        "status_vi": t["status_vi"],
        "status_en": t["status_en"],
        "time": t["time"],
        "by": WARD_NAME,
    }
    for t in TIMELINE
]
CITIZEN_STEP: Final[dict[str, Any]] = {"agency_name": "Công an tỉnh Thanh Hóa", "state": "active"}
CITIZEN_DOSSIER: Final[dict[str, Any]] = {
    "code": DOSSIER,
    "procedure": "1.001193",
    "procedure_name": "Đăng ký khai sinh",
    "agency_name": WARD_NAME,
    "status": 4,
    "status_vi": "Đang xử lý",
    "status_en": "Processing",
    "submitted_at": "2026-12-03T01:30:00Z",
    "received_at": "2026-12-03T01:40:00Z",
    "due_at": "2026-12-03T17:00:00+07:00",
    "overdue": False,
    "waiting_for_applicant": False,
    "remaining_working_seconds": 16200.0,
    "finished_at": None,
    "steps": [],
    "timeline": CITIZEN_ENTRIES,
}


def _live(state: dict[str, Any]) -> str:
    """The start of a live (Server-Sent Events) stream carrying ``state``."""
    frame = json.dumps(state, ensure_ascii=False)
    return f"retry: 1000\n\nevent: state\nid: {len(state['timeline'])}\ndata: {frame}\n\n"


DOSSIER_LIVE: Final = _live(DOSSIER_DETAIL)
CITIZEN_LIVE: Final = _live(CITIZEN_DOSSIER)

# --- operations ---------------------------------------------------------------------

QUARANTINED: Final[dict[str, Any]] = {
    "partition": 0,
    "offset": 17,
    "timestamp_ms": 1796261472345,
    "event_id": "98c79615-7d15-46dd-9fc4-1721adeb7de3",
    "type": "vn.gov.thanhhoa.dossier.status_changed",
    "source": WARD,
    "subject": DOSSIER,
    "key": DOSSIER,
    "value_bytes": 110,
    "reason": "bad_signature",
    "detail": BAD_SIGNATURE_DETAIL,
    "stage": "api",
    "origin": "http/v1/events",
    "rejected_at": "2026-12-03T01:31:12.345Z",
    "replayed_from": None,
}
DEAD_LETTERED: Final[dict[str, Any]] = {
    "partition": 0,
    "offset": 3,
    "timestamp_ms": 1796267141000,
    "event_id": "e3b0a7c2-58d4-4f1e-9a6b-2c7d8e9f0a13",
    "type": "vn.gov.thanhhoa.dossier.submitted",
    "source": "000.90.02.H56",
    "subject": "000.90.02.H56-261203-0007",
    "key": "000.90.02.H56-261203-0007",
    "value_bytes": 1874,
    "reason": "retries-exhausted",
    "detail": "5 attempt(s); last error peer-unavailable: connection refused",
    "stage": "connector:civil-status-quangphu",
    "origin": "hub.agency.000.90.02.H56.inbox/0/42",
    "rejected_at": "2026-12-03T03:05:41.000Z",
    "replayed_from": None,
}
REJECTED_PAGE: Final[dict[str, Any]] = {
    "items": [QUARANTINED],
    "next_cursor": "eyJwIjogeyIwIjogMTh9LCAiciI6IG51bGx9",
}
REPLAYED: Final[list[dict[str, Any]]] = [
    {"status": "replayed", "topic": "hub.ingress", "event_id": QUARANTINED["event_id"]},
    {
        "status": "replayed",
        "topic": "hub.agency.000.90.02.H56.inbox",
        "event_id": DEAD_LETTERED["event_id"],
    },
]
READINESS: Final[dict[str, Any]] = {
    "status": "ready",
    "checks": {"kafka": True, "registry": True, "dossier_view": True, "schema_registry": True},
}

COMPONENT_EXAMPLES: Final[dict[type, list[Any]]] = {
    DossierDetail: [DOSSIER_DETAIL, LINKED_DETAIL],
    DossierSummaryOut: [DOSSIER_SUMMARY],
    DossierPage: [DOSSIER_PAGE, {"items": [], "next_cursor": None}],
    StepOut: STEPS[:2],
    TimelineOut: TIMELINE[2:],
}
"""Examples of the dossier views (``hub_api.dossier_query``), by model class."""
