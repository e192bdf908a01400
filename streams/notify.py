"""streams.notify: dossier events and coming deadlines -> notifications for the applicant.

Three parts, all keyed by dossier code (co-partitioned with the dossier table):

- ``notify`` reads every accepted dossier and payment event, keeps the applicant's contact,
  preferences and the pending supplement/payment deadline in the ``contacts`` table, and
  emits one hub-signed Notification per chosen channel to ``hub.notifications``;
- a timer emits a reminder ``reminder_lead_working_days`` before a pending deadline;
- ``dispatch`` reads ``hub.notifications``, drops ids it has already forwarded (the
  ``notifications_sent`` table: a re-read after a restart yields the same ids, see
  :func:`~streams.notify_rules.notification_id`), records reminders as sent, and forwards
  each notification to its channel's topic, where the SMS, e-mail and push connectors
  deliver it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schemas import CloudEvent, KafkaMessage, SchemaError
from schemas.support_topics import CHANNELS, notification_channel
from streams._records import message_of, origin_of
from streams.app import app, table
from streams.notify_rules import (
    Contact,
    Pending,
    contact_from_submission,
    dossier_messages,
    notification_data,
    notification_id,
    reminder_due,
    reminder_message,
)
from streams.runtime import utc_now
from streams.track import calendar
from streams.verification import decode_reason
from streams.wiring import _raw_topic, dossier_topics, emit, names, quarantine, runtime

log = logging.getLogger(__name__)

NOTIFICATION = "vn.gov.thanhhoa.support.notification"
_T = "vn.gov.thanhhoa"
_CLEARS = {f"{_T}.dossier.supplement_received", f"{_T}.payment.completed"}

contacts_table = table("notify-contacts", default=None, value_type=bytes)
sent_table = table("notifications-sent", default=None, value_type=bytes)
notifications_topic = _raw_topic(names.notifications)
_reminded: set[str] = set()


def _contact(code: str) -> Contact | None:
    raw = contacts_table.get(code)
    return Contact.model_validate_json(raw) if raw is not None else None


def _save(contact: Contact) -> None:
    contacts_table[contact.dossier_code] = contact.model_dump_json().encode()


async def send_notifications(
    subject: str,
    source_event_id: str,
    addresses: list[tuple[str, str]],
    language: str,
    message: tuple[str, str, str],
    *,
    dossier_code: str | None = None,
    support_request_id: str | None = None,
) -> None:
    """One signed Notification per (channel, recipient) to ``hub.notifications``."""
    kind, title, body = message
    now = utc_now()
    for channel, recipient in addresses:
        event = CloudEvent(
            type=NOTIFICATION,
            source=runtime.settings.agency_id,
            subject=subject,
            id=notification_id(source_event_id, channel, kind),
            data=notification_data(
                kind=kind,
                channel=channel,
                recipient=recipient,
                language=language,
                title=title,
                body=body,
                source_event_id=source_event_id,
                created_at=now,
                dossier_code=dossier_code,
                support_request_id=support_request_id,
            ),
        )
        await emit(names.notifications, runtime.sign(event))


def _pending(event: CloudEvent, data: Mapping[str, Any]) -> Pending | None:
    if event.type == f"{_T}.dossier.supplement_requested" and data.get("respond_by"):
        return Pending(kind="supplement", due_at=data["respond_by"], source_event_id=event.id)
    if event.type == f"{_T}.payment.requested" and data.get("pay_by"):
        return Pending(kind="payment", due_at=data["pay_by"], source_event_id=event.id)
    return None


@app.agent(dossier_topics)  # type: ignore[untyped-decorator]  # faust has no types
async def notify(stream: Any) -> None:
    """Keep contacts and pending deadlines; notify the applicant of what changed."""
    async for event in stream.events():
        message, origin = message_of(event), origin_of(event)
        try:
            await _handle(message, origin)
        except Exception as exc:
            log.exception("notify failed on %s", origin)
            await quarantine(
                message, "internal_error", f"{type(exc).__name__}: {exc}", "notify", origin
            )


async def _handle(message: KafkaMessage, origin: str) -> None:
    try:
        event = runtime.codec.decode(message)
    except SchemaError as exc:
        log.info("notify: cannot decode %s (%s); track quarantines it", origin, exc)
        return
    data = event.data
    if event.type == f"{_T}.dossier.submitted":
        if _contact(event.subject) is None:
            _save(contact_from_submission(data))
        return
    contact = _contact(event.subject)
    if contact is None:
        return  # not submitted through the hub: no applicant contact known
    pending = _pending(event, data)
    if pending is not None:
        contact = contact.model_copy(update={"pending": pending})
        _save(contact)
    elif event.type in _CLEARS and contact.pending is not None:
        contact = contact.model_copy(update={"pending": None})
        _save(contact)
    for text in dossier_messages(event.type, data, contact.language):
        await send_notifications(
            event.subject,
            event.id,
            contact.addresses(),
            contact.language,
            text,
            dossier_code=contact.dossier_code,
        )


@app.timer(runtime.settings.streams.overdue_scan_interval_s)  # type: ignore[untyped-decorator]
async def remind() -> None:
    """Remind applicants of supplements and payments coming due (once per deadline)."""
    if runtime.signer is None:
        return
    now: datetime = utc_now()
    lead = runtime.settings.support.reminder_lead_working_days
    for code, raw in list(contacts_table.items()):
        contact = Contact.model_validate_json(raw)
        pending = contact.pending
        if pending is None or not reminder_due(pending, calendar(), now, lead):
            continue
        key = f"{code}|{pending.source_event_id}"
        if key in _reminded:
            continue  # sent; the table learns it when dispatch forwards the reminder
        text = reminder_message(contact, pending)
        await send_notifications(
            code,
            pending.source_event_id,
            contact.addresses(),
            contact.language,
            text,
            dossier_code=code,
        )
        _reminded.add(key)
        log.info("reminded %s of its %s due %s", code, pending.kind, pending.due_at)


@app.agent(notifications_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def dispatch(stream: Any) -> None:
    """Forward each notification once to its channel's topic."""
    async for event in stream.events():
        message, origin = message_of(event), origin_of(event)
        try:
            await _dispatch(message, origin)
        except Exception as exc:
            log.exception("dispatch failed on %s", origin)
            await quarantine(
                message, "internal_error", f"{type(exc).__name__}: {exc}", "dispatch", origin
            )


async def _dispatch(message: KafkaMessage, origin: str) -> None:
    try:
        event = runtime.codec.decode(message)
    except SchemaError as exc:
        await quarantine(message, decode_reason(exc), str(exc), "dispatch", origin)
        return
    if sent_table.get(event.id) is not None:
        log.info("notification %s already forwarded; not again", event.id)
        return
    channel = str(event.data.get("channel"))
    if channel not in CHANNELS:
        await quarantine(message, "unknown_channel", channel, "dispatch", origin)
        return
    await emit(notification_channel(runtime.settings.topic_prefix, channel), message)
    sent_table[event.id] = b"1"
    code = event.data.get("dossier_code")
    if str(event.data.get("kind", "")).endswith("_reminder") and code:
        contact = _contact(str(code))
        pending = contact.pending if contact is not None else None
        if (
            contact is not None
            and pending is not None
            and pending.source_event_id == event.data.get("source_event_id")
        ):
            reminded = pending.model_copy(update={"reminded": True})
            _save(contact.model_copy(update={"pending": reminded}))
