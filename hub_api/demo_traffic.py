"""Demo citizen traffic for ``hub dev``: dossier (hồ sơ) lifecycles as scripts of events.

Pure planning, no I/O: each dossier gets a procedure from the catalog, a receiving agency,
a mix of traits (supplement, fee, late, refused, withdrawn, linked procedure) and the
valid sequence of events the agencies involved would send (registry/lifecycle.py). The
player (``hub_api.dev_traffic``) signs and sends them. Birth registrations at the ward
whose civil-status registry runs behind a connector are accepted by that registry: the
script waits for the hub to show status 2 instead of sending the acceptance itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from registry import Catalog
from registry.calendar import WorkingCalendar
from registry.model import Procedure

__all__ = [
    "CIVIL_STATUS_WARD",
    "DossierScript",
    "Step",
    "plan_dossiers",
    "signing_agencies",
]

PORTAL = "000.00.01.H56"  # Cổng DVC tỉnh (Văn phòng UBND tỉnh): online submissions
ONE_STOP = "000.00.14.H56"  # Trung tâm Phục vụ hành chính công: counter, fees
PAYMENT_PLATFORM = "000.00.90.G03"  # confirms payments
POSTAL = "000.00.90.G04"  # receives results to deliver
NATIONAL_PORTAL = "000.00.90.G01"  # status sync
CIVIL_STATUS_WARD = "000.90.02.H56"  # Phường Quảng Phú: its hộ tịch registry is a SOAP peer
_REGISTRY_PROCEDURES = ("1.001193", "1.900101")  # accepted by the ward's registry
_NAMES = (
    "Lê Thị Hồng",
    "Nguyễn Văn Nam",
    "Trần Minh Đức",
    "Phạm Thu Trang",
    "Hoàng Văn Hải",
    "Vũ Thị Lan",
    "Đỗ Quang Huy",
    "Bùi Thị Mai",
    "Ngô Đức Thắng",
    "Đặng Ngọc Ánh",
)
_CHILDREN = ("Nguyễn Minh Khang", "Lê Bảo An", "Trần Gia Hân", "Phạm Khánh Linh")

Body = dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One event to send (``record``, signed by ``source``) or, with ``await_status`` /
    ``await_overdue``, a wait until the hub's view of the dossier shows it."""

    record: str
    source: str
    data: Body
    delay_s: float
    time_field: str | None = None
    """Business time field filled when the step is sent (``backdated`` or now)."""
    backdated: datetime | None = None
    await_status: int | None = None
    await_overdue: bool = False


@dataclass
class DossierScript:
    """A dossier's planned life and the status it should end at."""

    code: str
    procedure: str
    responsible: str
    receiving: str
    traits: tuple[str, ...]
    expected_status: int
    steps: list[Step] = field(default_factory=list)


def signing_agencies(scripts: list[DossierScript]) -> set[str]:
    """Every agency that signs an event of these scripts."""
    return {s.source for script in scripts for s in script.steps if s.record}


def _communes(catalog: Catalog) -> list[str]:
    return sorted(a.id for a in catalog.agencies.values() if str(a.level) == "commune")


def _late_received(calendar: WorkingCalendar, procedure: Procedure, now: datetime) -> datetime:
    """A reception time far enough back that the due time has passed by a working day."""
    days = 2
    while days < 200:
        received = (now - timedelta(days=days)).replace(hour=2, minute=0, second=0, microsecond=0)
        if calendar.due_at(received, procedure.deadline) < now - timedelta(days=1):
            return received
        days += 2
    return now - timedelta(days=200)


class _Builder:
    """Builds one script step by step (keeps the common body fields in one place)."""

    def __init__(self, script: DossierScript, rng: random.Random) -> None:
        self.script, self.rng = script, rng
        self.base = {"dossier_code": script.code, "procedure_code": script.procedure}

    def add(
        self,
        record: str,
        source: str,
        data: Body,
        time_field: str | None = None,
        *,
        delay: tuple[float, float] = (0.3, 1.5),
        backdated: datetime | None = None,
        agency: bool = True,
    ) -> None:
        body = {**self.base, **({"agency_id": source} if agency else {}), **data}
        step = Step(record, source, body, self.rng.uniform(*delay), time_field, backdated)
        self.script.steps.append(step)

    def wait(self, *, status: int | None = None, overdue: bool = False) -> None:
        step = Step("", "", {}, 0.5, await_status=status, await_overdue=overdue)
        self.script.steps.append(step)

    def status(self, source: str, status: int, previous: int, note: str | None = None) -> None:
        body = {"status": status, "previous_status": previous, "actor": "canbo", "note": note}
        self.add("DossierStatusChanged", source, body, "changed_at")


def _submission(script: DossierScript, rng: random.Random, catalog: Catalog, online: bool) -> Body:
    procedure = catalog.procedure(script.procedure)
    applicant = rng.choice(_NAMES)
    agency = catalog.agency(script.receiving)
    return {
        "receiving_agency_id": script.receiving,
        "applicant": {
            "kind": "CITIZEN",
            "full_name": applicant,
            "citizen_id": f"0381{rng.randrange(10**8):08d}",
            "business_id": None,
            "phone": f"09{rng.randrange(10**8):08d}",
            "email": None,
            "address": f"{agency.name_vi.removeprefix('Ủy ban nhân dân ')}, tỉnh Thanh Hóa",
        },
        "channel": "ONLINE" if online else "COUNTER",
        "documents": [
            {
                "name": name,
                "media_type": "application/pdf",
                "size_bytes": 120_000 + index * 1_024,
                "sha256": f"{rng.getrandbits(256):064x}",
                "storage_uri": f"s3://hub-documents/{script.code}/{index}.pdf",
                "document_type_code": f"GT{index:03d}",
            }
            for index, name in enumerate(procedure.required_documents[:3], start=1)
        ],
        "form_fields": {
            "child_name": rng.choice(_CHILDREN),
            "birth_date": f"2026-0{rng.randrange(1, 4)}-1{rng.randrange(10)}",
            "father_name": applicant,
        },
        "fees": [],
        "note": None,
    }


def _script(
    catalog: Catalog,
    calendar: WorkingCalendar,
    rng: random.Random,
    procedure: Procedure,
    receiving: str,
    now: datetime,
    next_code: Callable[[str, datetime], str],
    force: str = "",
) -> DossierScript:
    code_ = str(procedure.code)
    chain = [str(a) for a in catalog.chain_agencies(code_, receiving)]
    responsible = chain[0] if chain else str(catalog.responsible_agency(code_, receiving))
    by_registry = receiving == CIVIL_STATUS_WARD and code_ in _REGISTRY_PROCEDURES
    roll = rng.random()
    traits: list[str] = ["linked"] if chain else []
    if by_registry:
        traits.append("registry")
    refused = not by_registry and not force and roll < 0.06
    withdrawn = not refused and not force and 0.06 <= roll < 0.11
    plain = not chain and not refused and not withdrawn
    late = plain and not by_registry and (force == "late" or roll > 0.82)
    fee = procedure.fee_vnd or (rng.choice([50_000, 100_000]) if procedure.fee_note else 0)
    paid = plain and fee > 0 and (force == "paid" or rng.random() < 0.6)
    supplement = plain and (force == "supplement" or rng.random() < 0.25)
    received = _late_received(calendar, procedure, now) if late else now
    traits += [
        t
        for t, on in (
            ("refused", refused),
            ("withdrawn", withdrawn),
            ("late", late),
            ("paid", paid),
            ("supplement", supplement),
        )
        if on
    ]
    final = 3 if refused else 7 if withdrawn else 10
    script = DossierScript(
        next_code(receiving, received), code_, responsible, receiving, tuple(traits), final
    )
    b = _Builder(script, rng)
    online = by_registry or rng.random() < 0.6
    b.add(
        "DossierSubmitted",
        PORTAL if online else receiving,
        _submission(script, rng, catalog, online),
        "submitted_at",
        delay=(0, 0),
        backdated=received if late else None,
        agency=False,
    )
    if refused:
        b.add(
            "DossierRejected",
            responsible,
            {"reason": "Hồ sơ không thuộc thẩm quyền giải quyết", "actor": "canbo.motcua"},
            "rejected_at",
        )
        return script
    if by_registry:
        b.wait(status=2)
    else:
        due = calendar.due_at(received, procedure.deadline)
        b.add(
            "DossierAccepted",
            responsible,
            {"due_at": due, "actor": "canbo.motcua", "note": None},
            "accepted_at",
            backdated=received if late else None,
        )
    if withdrawn:
        b.status(responsible, 7, 2, "Công dân yêu cầu rút hồ sơ")
        return script
    b.status(responsible, 4, 2, "Chuyển xử lý")
    if late:
        b.wait(overdue=True)
    if supplement:
        b.add(
            "SupplementRequested",
            responsible,
            {
                "reason": "Bổ sung bản sao giấy tờ còn thiếu",
                "required_documents": ["Bản sao"],
                "respond_by": None,
                "actor": "canbo",
            },
            "requested_at",
        )
        b.add(
            "SupplementReceived",
            PORTAL,
            {"documents": [], "note": "Đã bổ sung"},
            "received_at",
            delay=(1.0, 3.0),
        )
    if paid:
        fees = [
            {"code": "LP01", "description": f"Lệ phí {procedure.name_vi}"[:120], "amount_vnd": fee}
        ]
        b.add(
            "PaymentRequested",
            ONE_STOP,
            {
                "agency_id": responsible,
                "payment_code": f"{code_}.01",
                "fees": fees,
                "total_amount_vnd": fee,
                "pay_by": None,
            },
            "requested_at",
        )
        b.add(
            "PaymentCompleted",
            PAYMENT_PLATFORM,
            {
                "agency_id": responsible,
                "payment_code": f"{code_}.01",
                "transaction_id": f"PAYGOV-{rng.getrandbits(40):010x}",
                "amount_vnd": fee,
                "provider": "Nền tảng thanh toán quốc gia",
            },
            "paid_at",
            delay=(1.0, 3.0),
        )
    for index, agency in enumerate(chain or [responsible]):
        if index > 0:
            b.status(agency, 4, 4, "Tiếp nhận bước liên thông")
        result = {
            "result_document": {
                "name": "Kết quả giải quyết",
                "media_type": "application/pdf",
                "size_bytes": 90_000,
                "sha256": "ab" * 32,
                "storage_uri": f"s3://hub-results/{script.code}/{index}.pdf",
                "document_type_code": "KQ",
            },
            "delivery_method": rng.choice(["POSTAL", "ONLINE", "COUNTER"]),
            "result_number": f"{rng.randrange(1, 999)}/2026",
            "note": None,
        }
        b.add("ResultIssued", agency, result, "issued_at")
    b.status(responsible, 10, 9, "Đã trả kết quả")
    return script


def plan_dossiers(
    catalog: Catalog,
    count: int,
    next_code: Callable[[str, datetime], str],
    *,
    seed: int | None = None,
    now: datetime | None = None,
) -> list[DossierScript]:
    """``count`` dossier scripts over the catalog's procedures, in a seeded random mix."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    moment = now or datetime.now(UTC)
    calendar = catalog.calendar()
    communes = [c for c in _communes(catalog) if c != CIVIL_STATUS_WARD]
    procedures = sorted(catalog.procedures.values(), key=lambda p: str(p.code))
    scripts: list[DossierScript] = []
    order: list[Procedure] = []
    # The first dossiers show every path once, so even a short run covers them all.
    showcase = [
        ("1.001193", CIVIL_STATUS_WARD, ""),
        ("2.000488", ONE_STOP, "paid"),
        ("2.900001", ONE_STOP, "late"),
        ("1.900006", "", "supplement"),
        ("1.900101", "", ""),
        ("1.900011", "", "paid"),
    ]
    while len(scripts) < count:
        force = ""
        if len(scripts) < len(showcase):
            code_, receiving, force = showcase[len(scripts)]
            procedure = catalog.procedure(code_)
            receiving = receiving or rng.choice(communes)
        else:
            if not order:
                order = procedures[:]
                rng.shuffle(order)
            procedure = order.pop()
            if str(procedure.code) in _REGISTRY_PROCEDURES or rng.random() < 0.1:
                procedure = catalog.procedure(rng.choice(_REGISTRY_PROCEDURES))
                receiving = CIVIL_STATUS_WARD
            elif procedure.responsible_rule is not None:
                receiving = rng.choice(communes)
            else:
                receiving = ONE_STOP
        scripts.append(
            _script(catalog, calendar, rng, procedure, receiving, moment, next_code, force)
        )
    return scripts
