"""Notification rules: preferences, messages per event, reminders, deterministic ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from registry import load_catalog
from schemas.examples import example_data
from streams.notify_rules import (
    Contact,
    Pending,
    contact_from_submission,
    dossier_messages,
    notification_data,
    notification_id,
    reminder_due,
    reminder_message,
    support_answer_message,
)

T = "vn.gov.thanhhoa"
CALENDAR = load_catalog().calendar()


def submission(**form: Any) -> dict[str, Any]:
    data = example_data("DossierSubmitted")
    return {**data, "form_fields": {**data["form_fields"], **form}}


def test_default_channels_are_those_with_an_address() -> None:
    contact = contact_from_submission(submission())
    assert contact.channels == ("sms", "email")
    assert contact.addresses() == [("sms", "0912345678"), ("email", "hong.le@example.vn")]
    assert contact.language == "vi"


def test_preferences_choose_channels_and_language() -> None:
    contact = contact_from_submission(
        submission(notify_channels="email, push", notify_language="en", push_device="dev-1")
    )
    assert contact.addresses() == [("email", "hong.le@example.vn"), ("push", "dev-1")]
    assert contact.language == "en"


@pytest.mark.parametrize("value", [True, "true", "yes"])
def test_opt_out_sends_nothing(value: Any) -> None:
    assert contact_from_submission(submission(notify_opt_out=value)).addresses() == []


def test_a_chosen_channel_without_an_address_is_skipped() -> None:
    contact = contact_from_submission(submission(notify_channels="push"))
    assert contact.addresses() == []


def test_messages_per_event_in_both_languages() -> None:
    data = {**example_data("SupplementRequested"), "dossier_code": "D-1"}
    [(kind, title, body)] = dossier_messages(f"{T}.dossier.supplement_requested", data, "vi")
    assert kind == "supplement_requested"
    assert "Giấy chứng nhận kết hôn" in body
    assert "Hạn:" in body
    assert title == "Yêu cầu bổ sung hồ sơ"
    [(_, title_en, body_en)] = dossier_messages(f"{T}.dossier.supplement_requested", data, "en")
    assert title_en == "Documents requested"
    assert body_en.startswith("Dossier D-1")
    payment = dossier_messages(f"{T}.payment.requested", example_data("PaymentRequested"), "vi")
    assert "8.000 đồng" in payment[0][2]


def test_status_changes_that_have_their_own_event_are_not_repeated() -> None:
    data = example_data("DossierStatusChanged")
    assert dossier_messages(f"{T}.dossier.status_changed", {**data, "status": 5}, "vi") == []
    assert dossier_messages(f"{T}.dossier.status_changed", {**data, "status": 4}, "vi")
    assert dossier_messages(f"{T}.document.attached", data, "vi") == []


def test_reminder_once_within_the_lead_time() -> None:
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Thanh Hóa
    soon = Pending(kind="supplement", due_at=now + timedelta(hours=5), source_event_id="e1")
    later = soon.model_copy(update={"due_at": now + timedelta(days=7)})
    assert reminder_due(soon, CALENDAR, now, 1.0)
    assert not reminder_due(later, CALENDAR, now, 1.0)
    assert not reminder_due(soon.model_copy(update={"reminded": True}), CALENDAR, now, 1.0)
    assert not reminder_due(soon, CALENDAR, now + timedelta(hours=6), 1.0)  # already past


def test_reminder_texts() -> None:
    contact = Contact(dossier_code="D-1", phone="0912345678", channels=("sms",))
    due = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    kind, _, body = reminder_message(contact, Pending(kind="payment", due_at=due,
                                                      source_event_id="e"))  # fmt: skip
    assert kind == "payment_reminder"
    assert "17:00 02/03/2026" in body
    assert support_answer_message("en", "HT-1", "ok")[1] == "Answer to HT-1"


def test_ids_are_deterministic_per_event_kind_and_channel() -> None:
    assert notification_id("e1", "sms", "k") == notification_id("e1", "sms", "k")
    assert len({notification_id("e1", c, k) for c in ("sms", "email") for k in "ab"}) == 4


def test_sms_body_is_bounded() -> None:
    data = notification_data(
        kind="k", channel="sms", recipient="0912345678", language="vi", title="T",
        body="x" * 2000, source_event_id="e", created_at=datetime.now(UTC),
    )  # fmt: skip
    assert len(data["body"]) <= 459
    assert data["body"].startswith("T: ")
