"""Fake commune civil-status registry (hộ tịch): SOAP 1.1, document/literal.

Operations: ``RegisterBirth`` (a delivery, keyed by ``IdempotencyKey``),
``GetRegistrationStatus`` and ``GetStatusChanges`` (a feed with a sequence cursor, for
pollers). Tests move a dossier on with :meth:`CivilStatusPeer.set_status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from lxml import etree  # type: ignore[import-untyped]

from connectors.peers._log import Outcome
from connectors.peers._soap import Operation, SoapFaultError, SoapPeer, SoapVersion, build

NS = "urn:thanhhoa:hotich:v1"
ACCEPTED_STATUS = 2  # Được tiếp nhận
_REQUIRED = ("DossierCode", "ChildName", "BirthDate", "CommuneCode", "IdempotencyKey")


@dataclass(frozen=True)
class StatusChange:
    """One entry of the registry's change feed."""

    sequence: int
    dossier_code: str
    status: int
    note: str
    changed_at: datetime


class CivilStatusPeer(SoapPeer):
    """Hộ tịch registry. WS-Security UsernameToken is checked when ``username`` is set."""

    name: ClassVar[str] = "civil-status"
    version = SoapVersion.SOAP11
    namespace = NS
    path = "/ws/civil-status"
    wsdl_name = "civil_status.wsdl"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._registrations: list[dict[str, Any]] = []
        self._changes: list[StatusChange] = []

    def operations(self) -> Mapping[str, Operation]:
        return {
            "RegisterBirth": Operation(self._register_birth, "IdempotencyKey", "DossierCode"),
            "GetRegistrationStatus": Operation(self._get_status, None, "DossierCode"),
            "GetStatusChanges": Operation(self._get_changes),
        }

    # -- test-side state -------------------------------------------------------------
    def registrations(self) -> list[dict[str, Any]]:
        """Births registered so far (one per accepted RegisterBirth), in order."""
        with self._lock:
            return [dict(r) for r in self._registrations]

    def set_status(self, dossier_code: str, status: int, note: str = "") -> StatusChange:
        """Move a dossier to a new status (as an officer would); appends to the feed."""
        if not 1 <= status <= 10:
            raise ValueError("status must be 1..10")
        with self._lock:
            change = StatusChange(
                len(self._changes) + 1, dossier_code, status, note, datetime.now(UTC)
            )
            self._changes.append(change)
            return change

    def changes(self) -> list[StatusChange]:
        with self._lock:
            return list(self._changes)

    def reset_state(self) -> None:
        self._registrations.clear()
        self._changes.clear()

    def admin_actions(self) -> Mapping[str, Any]:
        def set_status(data: dict[str, Any]) -> dict[str, Any]:
            change = self.set_status(
                str(data["dossier_code"]), int(data["status"]), str(data.get("note", ""))
            )
            return {"sequence": change.sequence}

        return {"set_status": set_status}

    # -- operations (called under the state lock) --------------------------------------
    def _register_birth(self, fields: dict[str, Any]) -> tuple[Outcome, etree._Element]:
        missing = [f for f in _REQUIRED if not fields.get(f)]
        if missing:
            raise SoapFaultError("invalidRequest", f"Thiếu trường bắt buộc: {', '.join(missing)}")
        try:
            born = date.fromisoformat(str(fields["BirthDate"])[:10])
        except ValueError as exc:
            raise SoapFaultError("invalidRequest", "BirthDate không hợp lệ") from exc
        if born > datetime.now(UTC).date():
            raise SoapFaultError("invalidRequest", "BirthDate ở tương lai")
        number = f"{len(self._registrations) + 1:06d}/{datetime.now(UTC).year}"
        self._registrations.append({**fields, "RegistrationNumber": number})
        self.set_status(str(fields["DossierCode"]), ACCEPTED_STATUS, "Đã tiếp nhận hồ sơ")
        reply = {
            "RegistrationNumber": number,
            "Status": ACCEPTED_STATUS,
            "Message": "Đăng ký khai sinh thành công",
        }
        return Outcome.ACCEPTED, build(NS, "RegisterBirthResponse", reply)

    def _get_status(self, fields: dict[str, Any]) -> tuple[Outcome, etree._Element]:
        dossier = str(fields.get("DossierCode") or "")
        latest = next((c for c in reversed(self._changes) if c.dossier_code == dossier), None)
        if latest is None:
            raise SoapFaultError("notFound", f"Không tìm thấy hồ sơ {dossier}")
        reply = {
            "DossierCode": dossier,
            "Status": latest.status,
            "Note": latest.note,
            "UpdatedAt": latest.changed_at.isoformat(),
        }
        return Outcome.ANSWERED, build(NS, "GetRegistrationStatusResponse", reply)

    def _get_changes(self, fields: dict[str, Any]) -> tuple[Outcome, etree._Element]:
        try:
            after = int(fields.get("AfterSequence") or 0)
            limit = int(fields.get("MaxItems") or 100)
        except ValueError as exc:
            raise SoapFaultError("invalidRequest", "AfterSequence/MaxItems không hợp lệ") from exc
        page = [c for c in self._changes if c.sequence > after][:limit]
        items = [
            build(
                NS,
                "Change",
                {
                    "Sequence": c.sequence,
                    "DossierCode": c.dossier_code,
                    "Status": c.status,
                    "Note": c.note,
                    "ChangedAt": c.changed_at.isoformat(),
                },
            )
            for c in page
        ]
        last = page[-1].sequence if page else after
        return Outcome.ANSWERED, build(
            NS, "GetStatusChangesResponse", {"Change": items, "LastSequence": last}
        )
