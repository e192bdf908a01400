"""Realistic example data for every event type: demo traffic, tests and benchmarks.

Codes follow the Thanh Hóa facts: agency ids ``NNN.NN.NN.H56``, dossier codes
``<agency>-<YYMMDD>-<NNNN>``, procedure 1.001193 (đăng ký khai sinh), fees in VND.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.catalog import EVENT_TYPES, EventType
from schemas.message import CloudEvent

COMMUNE = "000.17.22.H56"
JUSTICE = "000.00.06.H56"
DOSSIER = "000.17.22.H56-250715-0001"
PROCEDURE = "1.001193.000.00.00.H56"
HELPDESK = "000.00.14.H56"
SUPPORT = "HT-250715-1f2e3d4c"
_AT = datetime(2025, 7, 15, 2, 30, tzinfo=UTC)


def _document(name: str, index: int) -> dict[str, Any]:
    return {
        "name": name,
        "media_type": "application/pdf",
        "size_bytes": 184_320 + index,
        "sha256": f"{index:02x}" * 32,
        "storage_uri": f"s3://hub-documents/{DOSSIER}/{index}.pdf",
        "document_type_code": f"GT{index:03d}",
    }


def _fee() -> dict[str, Any]:
    return {"code": "LP01", "description": "Lệ phí đăng ký khai sinh", "amount_vnd": 8_000}


def example_data(record: str) -> dict[str, Any]:
    """Example record data for the event record named ``record`` (short name)."""
    base = {"dossier_code": DOSSIER, "procedure_code": PROCEDURE, "agency_id": COMMUNE}
    examples: dict[str, dict[str, Any]] = {
        "DossierSubmitted": {
            "dossier_code": DOSSIER,
            "procedure_code": PROCEDURE,
            "receiving_agency_id": COMMUNE,
            "applicant": {
                "kind": "CITIZEN",
                "full_name": "Lê Thị Hồng",
                "citizen_id": "038190001234",
                "business_id": None,
                "phone": "0912345678",
                "email": "hong.le@example.vn",
                "address": "Phường Hạc Thành, tỉnh Thanh Hóa",
            },
            "channel": "ONLINE",
            "submitted_at": _AT,
            "documents": [
                _document("Tờ khai đăng ký khai sinh", 1),
                _document("Giấy chứng sinh", 2),
                _document("Giấy tờ tùy thân của người đi đăng ký", 3),
            ],
            "form_fields": {
                "child_name": "Nguyễn Minh Khang",
                "child_birth_date": "2025-07-10",
                "child_gender": "male",
                "birth_place": "Bệnh viện Đa khoa tỉnh Thanh Hóa",
                "registered_on_time": True,
                "children_count": 2,
                "weight_kg": 3.2,
                "father_name": None,
            },
            "fees": [_fee()],
            "note": None,
        },
        "DossierAccepted": {
            **base,
            "accepted_at": _AT,
            "due_at": _AT + timedelta(hours=8),
            "actor": "canbo.motcua",
            "note": None,
        },
        "DossierRejected": {
            **base,
            "rejected_at": _AT,
            "reason": "Thiếu giấy chứng sinh",
            "actor": "canbo.motcua",
        },
        "DossierStatusChanged": {
            **base,
            "status": 4,
            "previous_status": 2,
            "changed_at": _AT,
            "actor": "canbo.tuphap",
            "note": "Chuyển xử lý",
        },
        "SupplementRequested": {
            **base,
            "requested_at": _AT,
            "reason": "Bổ sung bản sao giấy đăng ký kết hôn",
            "required_documents": ["Giấy chứng nhận kết hôn"],
            "respond_by": _AT + timedelta(days=5),
            "actor": "canbo.tuphap",
        },
        "SupplementReceived": {
            **base,
            "received_at": _AT,
            "documents": [_document("Giấy chứng nhận kết hôn", 4)],
            "note": None,
        },
        "DossierRouted": {
            "dossier_code": DOSSIER,
            "procedure_code": PROCEDURE,
            "from_agency_id": COMMUNE,
            "to_agency_id": JUSTICE,
            "routed_at": _AT,
            "linked_procedure_code": "LT.KS-TT-BHYT",
            "linked_step": 2,
            "note": None,
        },
        "DossierOverdue": {
            **base,
            "due_at": _AT,
            "detected_at": _AT + timedelta(days=1),
            "overdue_working_days": 1,
            "status": 4,
        },
        "ResultIssued": {
            **base,
            "issued_at": _AT,
            "result_document": _document("Giấy khai sinh (bản chính)", 9),
            "delivery_method": "POSTAL",
            "result_number": "125/2025/KS",
            "note": None,
        },
        "PaymentRequested": {
            **base,
            "payment_code": "1.001193.01",
            "fees": [_fee()],
            "total_amount_vnd": 8_000,
            "requested_at": _AT,
            "pay_by": None,
        },
        "PaymentCompleted": {
            "dossier_code": DOSSIER,
            "agency_id": COMMUNE,
            "payment_code": "1.001193.01",
            "transaction_id": "PAYGOV-20250715-000123",
            "amount_vnd": 8_000,
            "paid_at": _AT,
            "provider": "Nền tảng thanh toán quốc gia",
        },
        "PaymentFailed": {
            "dossier_code": DOSSIER,
            "agency_id": COMMUNE,
            "payment_code": "1.001193.01",
            "transaction_id": None,
            "amount_vnd": 8_000,
            "failed_at": _AT,
            "result_code": "07",
            "reason": "Giao dịch bị từ chối",
        },
        "DocumentAttached": {
            "dossier_code": DOSSIER,
            "agency_id": COMMUNE,
            "document": _document("Biên bản xác minh", 5),
            "attached_at": _AT,
            "actor": None,
        },
        **_support_examples(),
    }
    return examples[record]


def _support_examples() -> dict[str, dict[str, Any]]:
    """Hỗ trợ, phản ánh kiến nghị and notifications (citizen support)."""
    ref = {"request_id": SUPPORT}
    return {
        "SupportRequested": {
            **ref,
            "kind": "question",
            "question": "Hồ sơ khai sinh của con tôi đã quá hạn, khi nào tôi nhận được kết quả?",
            "channel": "web",
            "dossier_code": DOSSIER,
            "procedure_code": None,
            "contact_name": "Lê Thị Hồng",
            "contact_phone": "0912345678",
            "contact_email": "hong.le@example.vn",
            "preferred_channel": "email",
            "language": "vi",
            "requested_at": _AT,
            "note": None,
        },
        "SupportAssigned": {
            **ref,
            "agency_id": COMMUNE,
            "dossier_code": DOSSIER,
            "procedure_code": PROCEDURE,
            "assigned_at": _AT,
            "respond_by": _AT + timedelta(days=7),
            "reason": "dossier",
            "note": None,
        },
        "SupportAnswered": {
            **ref,
            "agency_id": COMMUNE,
            "answer": "Hồ sơ đang chờ ký, kết quả trả trong ngày mai.",
            "answered_at": _AT + timedelta(hours=3),
            "actor": "canbo.hotich",
        },
        "SupportClosed": {
            **ref,
            "agency_id": COMMUNE,
            "closed_at": _AT + timedelta(hours=4),
            "reason": "answered",
            "actor": None,
        },
        "SupportOverdue": {
            **ref,
            "agency_id": HELPDESK,
            "respond_by": _AT,
            "detected_at": _AT + timedelta(days=1),
            "overdue_working_days": 1,
        },
        "Notification": {
            "kind": "supplement_reminder",
            "channel": "sms",
            "recipient": "0912345678",
            "language": "vi",
            "title": "Nhắc hạn bổ sung hồ sơ",
            "body": f"Hồ sơ {DOSSIER}: hạn bổ sung giấy tờ là 17:00 ngày 20/07/2025.",
            "dossier_code": DOSSIER,
            "support_request_id": None,
            "source_event_id": "7d3f0c7e-5a9b-4c1e-9f00-3c1f2b7a9e10",
            "created_at": _AT,
        },
    }


def example_event(event_type: EventType | str = EVENT_TYPES[0]) -> CloudEvent:
    """An example CloudEvent of ``event_type`` (an EventType or a ce_type string)."""
    if isinstance(event_type, str):
        event_type = next(e for e in EVENT_TYPES if e.ce_type == event_type)
    return CloudEvent(
        type=event_type.ce_type,
        source=COMMUNE,
        subject=DOSSIER,
        data=example_data(event_type.record),
    )
