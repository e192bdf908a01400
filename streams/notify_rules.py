"""Pure rules of streams.notify: who is told what, on which channel, in which language.

The applicant's contact and preferences come from the submission: the applicant's phone
and e-mail, and the portal's form fields ``notify_channels`` (``"sms,email"``),
``notify_language`` (``vi``/``en``), ``notify_opt_out`` (true: nothing is sent) and
``push_device`` (the VNeID/portal app's device id for push). Without ``notify_channels``,
every channel with an address is used. A notification's id is derived from the event it is
about and the channel, so the same event never yields two notifications on one channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from registry.calendar import WORKING_DAY, WorkingCalendar
from schemas.support_topics import CHANNELS

__all__ = [
    "Contact",
    "Pending",
    "contact_from_submission",
    "dossier_messages",
    "notification_data",
    "notification_id",
    "reminder_due",
    "reminder_message",
    "support_answer_message",
]

_IDS = uuid.UUID("3c9e5a1f-7b2d-4e8a-b6c4-0d1f2e3a4b5c")
_VN = ZoneInfo("Asia/Ho_Chi_Minh")
T = "vn.gov.thanhhoa"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pending(_Model):
    """Something the applicant must do by a date (supplement or payment)."""

    kind: str  # "supplement" | "payment"
    due_at: datetime
    source_event_id: str
    reminded: bool = False


class Contact(_Model):
    """Where and how to reach a dossier's applicant."""

    dossier_code: str
    phone: str | None = None
    email: str | None = None
    push_device: str | None = None
    channels: tuple[str, ...] = ()
    language: str = "vi"
    opt_out: bool = False
    pending: Pending | None = None

    def addresses(self) -> list[tuple[str, str]]:
        """(channel, recipient) for every chosen channel with an address; none if opted out."""
        if self.opt_out:
            return []
        found = {"sms": self.phone, "email": self.email, "push": self.push_device}
        return [(c, found[c] or "") for c in self.channels if found.get(c)]


def _channels(raw: Any, available: Mapping[str, str | None]) -> tuple[str, ...]:
    if isinstance(raw, str) and raw.strip():
        wanted = [c.strip().lower() for c in raw.split(",")]
        return tuple(c for c in CHANNELS if c in wanted)
    return tuple(c for c in CHANNELS if available.get(c))


def contact_from_submission(data: Mapping[str, Any]) -> Contact:
    """The contact of a DossierSubmitted's applicant, with the portal's preferences."""
    applicant = data.get("applicant") or {}
    form = data.get("form_fields") or {}
    device = form.get("push_device")
    available = {
        "sms": applicant.get("phone"),
        "email": applicant.get("email"),
        "push": device if isinstance(device, str) else None,
    }
    language = str(form.get("notify_language") or "vi").lower()
    return Contact(
        dossier_code=str(data["dossier_code"]),
        phone=available["sms"],
        email=available["email"],
        push_device=available["push"],
        channels=_channels(form.get("notify_channels"), available),
        language=language if language in ("vi", "en") else "vi",
        opt_out=form.get("notify_opt_out") in (True, "true", "1", "yes"),
    )


def notification_id(source_event_id: str, channel: str, kind: str = "") -> str:
    """Deterministic: one notification per (event, kind, channel), whatever the re-reads."""
    return str(uuid.uuid5(_IDS, f"{source_event_id}|{kind}|{channel}"))


def _when(moment: datetime) -> str:
    return moment.astimezone(_VN).strftime("%H:%M %d/%m/%Y")


_STATUS = {
    2: ("đã được tiếp nhận", "has been accepted"),
    3: ("không được tiếp nhận", "was not accepted"),
    4: ("đang được xử lý", "is being processed"),
    5: ("cần bổ sung giấy tờ", "needs more documents"),
    6: ("cần nộp phí, lệ phí", "needs a payment"),
    7: ("đã được rút theo yêu cầu", "was withdrawn at your request"),
    8: ("đã dừng xử lý", "processing was stopped"),
    9: ("đã có kết quả", "has a result ready"),
    10: ("đã trả kết quả", "result has been returned"),
}


def _pick(language: str, vi: str, en: str) -> str:
    return en if language == "en" else vi


def dossier_messages(
    ce_type: str, data: Mapping[str, Any], language: str
) -> list[tuple[str, str, str]]:
    """(kind, title, body) for a dossier event the applicant should hear about."""
    code = str(data.get("dossier_code"))
    hoso = _pick(language, f"Hồ sơ {code}", f"Dossier {code}")
    if ce_type == f"{T}.dossier.status_changed":
        status = int(data.get("status") or 0)
        if status not in _STATUS or status in (5, 6):  # 5, 6 come with their own events
            return []
        vi, en = _STATUS[status]
        text = f"{hoso} {_pick(language, vi, en)}."
        return [("status_changed", _pick(language, "Cập nhật hồ sơ", "Dossier update"), text)]
    if ce_type == f"{T}.dossier.accepted":
        vi, en = _STATUS[2]
        due = data.get("due_at")
        extra = _pick(language, f" Hẹn trả: {_when(due)}.", f" Due: {_when(due)}.") if due else ""
        return [("status_changed", _pick(language, "Đã tiếp nhận", "Accepted"), f"{hoso} "
                 f"{_pick(language, vi, en)}.{extra}")]  # fmt: skip
    if ce_type == f"{T}.dossier.supplement_requested":
        docs = ", ".join(data.get("required_documents") or []) or str(data.get("reason", ""))
        by = data.get("respond_by")
        deadline = _pick(language, f" Hạn: {_when(by)}.", f" By {_when(by)}.") if by else ""
        body = _pick(language, f"{hoso} cần bổ sung: {docs}.", f"{hoso} needs: {docs}.")
        title = _pick(language, "Yêu cầu bổ sung hồ sơ", "Documents requested")
        return [("supplement_requested", title, body + deadline)]
    if ce_type == f"{T}.payment.requested":
        amount = f"{int(data.get('total_amount_vnd') or 0):,}".replace(",", ".")
        by = data.get("pay_by")
        deadline = _pick(language, f" Hạn: {_when(by)}.", f" By {_when(by)}.") if by else ""
        body = _pick(language, f"{hoso}: cần nộp {amount} đồng.", f"{hoso}: please pay "
                     f"{amount} VND.")  # fmt: skip
        return [("payment_requested", _pick(language, "Nộp phí", "Payment due"), body + deadline)]
    if ce_type == f"{T}.dossier.result_issued":
        body = _pick(language, f"{hoso} đã có kết quả.", f"{hoso}: the result is ready.")
        return [("result_issued", _pick(language, "Có kết quả", "Result ready"), body)]
    if ce_type == f"{T}.dossier.overdue":
        body = _pick(
            language,
            f"{hoso} đã quá hạn giải quyết. Cơ quan xin lỗi và sẽ thông báo ngày hẹn mới.",
            f"{hoso} is late. The agency apologises and will send a new date.",
        )
        return [("dossier_overdue", _pick(language, "Hồ sơ trễ hạn", "Dossier late"), body)]
    return []


def reminder_message(contact: Contact, pending: Pending) -> tuple[str, str, str]:
    """(kind, title, body) of the reminder before a supplement or payment is due."""
    lang, code, when = contact.language, contact.dossier_code, _when(pending.due_at)
    if pending.kind == "payment":
        title = _pick(lang, "Nhắc hạn nộp phí", "Payment reminder")
        body = _pick(lang, f"Hồ sơ {code}: hạn nộp phí là {when}.", f"Dossier {code}: "
                     f"payment is due by {when}.")  # fmt: skip
        return "payment_reminder", title, body
    title = _pick(lang, "Nhắc hạn bổ sung hồ sơ", "Supplement reminder")
    body = _pick(lang, f"Hồ sơ {code}: hạn bổ sung giấy tờ là {when}.", f"Dossier {code}: "
                 f"please send the documents by {when}.")  # fmt: skip
    return "supplement_reminder", title, body


def support_answer_message(language: str, request_id: str, answer: str) -> tuple[str, str, str]:
    """(kind, title, body) of an agency's answer to a support request."""
    title = _pick(language, f"Trả lời yêu cầu {request_id}", f"Answer to {request_id}")
    return "support_answered", title, answer


def notification_data(
    *,
    kind: str,
    channel: str,
    recipient: str,
    language: str,
    title: str,
    body: str,
    source_event_id: str,
    created_at: datetime,
    dossier_code: str | None = None,
    support_request_id: str | None = None,
) -> dict[str, Any]:
    """The Notification record's data."""
    if channel == "sms":
        body = f"{title}: {body}"[:459]  # at most 3 concatenated SMS parts (Unicode: 153 x 3)
    return {
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "language": language,
        "title": title,
        "body": body,
        "dossier_code": dossier_code,
        "support_request_id": support_request_id,
        "source_event_id": source_event_id,
        "created_at": created_at,
    }


def reminder_due(
    pending: Pending, calendar: WorkingCalendar, now: datetime, lead_working_days: float
) -> bool:
    """Remind once, when the deadline is at most ``lead_working_days`` working days away."""
    if pending.reminded or now >= pending.due_at:
        return False
    return calendar.working_time_between(now, pending.due_at) <= WORKING_DAY * lead_working_days
