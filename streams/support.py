"""streams.support: citizen support requests, routed, tracked and signed by the hub.

The API (which holds no signing key) writes commands to ``hub.support.commands``: a
request, an answer, a close. This agent checks each one, decides who must answer
(:func:`registry.support.route_request`: the agency handling the dossier, the procedure's
responsible agency, else the helpdesk with a note), and emits hub-signed SupportRequested,
SupportAssigned, SupportAnswered, SupportClosed and SupportOverdue events on
``hub.events.support`` and into the answering agency's inbox. Each request's state goes to
the ``support`` table and the compacted ``hub.support-state`` topic (the API's read path).

Commands about a dossier are keyed by its dossier code and the commands topic has as many
partitions as the dossier topics, so the dossier table (``streams.track``) of the same
partition is local. Event ids derive from the command id: a re-read command re-emits the
same ids, and the state's ``seen`` list makes it a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from registry.support import (
    KINDS,
    SupportAnswer,
    SupportState,
    needs_support_overdue,
    overdue_working_days,
    respond_by,
    response_working_days,
    route_request,
)
from schemas import CloudEvent, KafkaMessage, SchemaError
from schemas.support_topics import CHANNELS, notification_channel, support_commands, support_state
from streams._records import message_of, origin_of
from streams.app import app, table
from streams.notify import send_notifications
from streams.notify_rules import support_answer_message
from streams.runtime import utc_now
from streams.track import calendar, load_state
from streams.verification import decode_reason
from streams.wiring import _raw_topic, emit, names, quarantine, runtime

log = logging.getLogger(__name__)

S = "vn.gov.thanhhoa.support"
REQUESTED, ASSIGNED, ANSWERED = f"{S}.requested", f"{S}.assigned", f"{S}.answered"
CLOSED, OVERDUE = f"{S}.closed", f"{S}.overdue"
_IDS = uuid.UUID("9a4f6c2e-1b3d-4e5f-8a7b-6c5d4e3f2a1b")

prefix = runtime.settings.topic_prefix
commands_topic = _raw_topic(support_commands(prefix))
support_table = table("support", default=None, value_type=bytes)
_overdue_sent: set[str] = set()


class SupportRefusedError(Exception):
    """A command that cannot be applied; ``reason`` names it in quarantine."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@app.on_worker_init.connect  # type: ignore[untyped-decorator]  # faust has no types
def _support_topics(app: Any = None, **_: Any) -> None:
    """The commands, support-state and per-channel notification topics (idempotent)."""
    streams = runtime.settings.streams
    parts, replicas = streams.partitions, streams.replication_factor
    wanted = [
        NewTopic(support_commands(prefix), streams.partitions, streams.replication_factor),
        NewTopic(
            support_state(prefix),
            streams.partitions,
            streams.replication_factor,
            topic_configs={"cleanup.policy": "compact"},
        ),
        *(NewTopic(notification_channel(prefix, c), parts, replicas) for c in CHANNELS),
    ]
    admin = KafkaAdminClient(**runtime.settings.kafka_client_config())
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing, wait_for_metadata=True)
    except KafkaError as exc:
        raise RuntimeError(f"cannot create support topics: {exc}") from exc
    finally:
        admin.close()


def load_request(request_id: str) -> SupportState | None:
    raw = support_table.get(request_id)
    return SupportState.model_validate_json(raw) if raw is not None else None


async def _save(state: SupportState) -> None:
    encoded = state.model_dump_json().encode()
    support_table[state.request_id] = encoded
    await emit(support_state(prefix), KafkaMessage(state.request_id.encode(), encoded))


def _event(ce_type: str, subject: str, command_id: str, data: dict[str, Any]) -> CloudEvent:
    ident = str(uuid.uuid5(_IDS, f"{command_id}|{ce_type}"))
    return CloudEvent(ce_type, runtime.settings.agency_id, subject, data, id=ident)


async def _publish(event: CloudEvent, agency: str | None) -> None:
    """Sign; emit on hub.events.support and, when given, into the agency's inbox."""
    signed = runtime.sign(event)
    await emit(names.events("support"), signed)
    if agency is not None:
        inbox = names.inbox(agency)
        if inbox not in runtime.known_topics:
            loop = asyncio.get_running_loop()
            inbox = await loop.run_in_executor(None, runtime.ensure_inbox, agency)
        await emit(inbox, signed)


@app.agent(commands_topic)  # type: ignore[untyped-decorator]  # faust has no types
async def support(stream: Any) -> None:
    """Apply each support command; refused ones go to quarantine with the reason."""
    async for event in stream.events():
        message, origin = message_of(event), origin_of(event)
        try:
            command = runtime.codec.decode(message)
            await _apply(command)
        except SchemaError as exc:
            await quarantine(message, decode_reason(exc), str(exc), "support", origin)
        except SupportRefusedError as exc:
            await quarantine(message, exc.reason, str(exc), "support", origin)
        except Exception as exc:
            log.exception("support failed on %s", origin)
            await quarantine(
                message, "internal_error", f"{type(exc).__name__}: {exc}", "support", origin
            )


async def _apply(command: CloudEvent) -> None:
    data = dict(command.data)
    if command.type == REQUESTED:
        await _requested(command, data)
        return
    state = load_request(str(data.get("request_id")))
    if state is None:
        raise SupportRefusedError("unknown_support_request", f"no request {data.get('request_id')}")
    if command.id in state.seen:
        return
    if command.type == ANSWERED:
        await _answered(command, data, state)
    elif command.type == CLOSED:
        if state.status != "closed":
            await _publish(_event(CLOSED, state.subject, command.id, data), None)
        await _save(state.with_seen(command.id, status="closed", closed_at=data["closed_at"]))
    elif command.type == OVERDUE:
        if needs_support_overdue(state, data["detected_at"]):
            await _publish(_event(OVERDUE, state.subject, command.id, data), state.agency_id)
        await _save(state.with_seen(command.id, overdue_emitted=True))
    else:
        raise SupportRefusedError("unsupported_command", f"{command.type} is not a support command")


async def _requested(command: CloudEvent, data: dict[str, Any]) -> None:
    support = runtime.settings.support
    question = str(data.get("question") or "").strip()
    if not question or len(question) > support.max_question_chars:
        raise SupportRefusedError("invalid_question", "the question is empty or too long")
    if data.get("kind") not in KINDS:
        raise SupportRefusedError("invalid_kind", f"kind must be one of {KINDS}")
    request_id = str(data["request_id"])
    if load_request(request_id) is not None:
        return  # the same request read again: already routed
    dossier_code = data.get("dossier_code")
    dossier = load_state(dossier_code) if dossier_code == command.subject else None
    catalog = runtime.registry.catalog()
    routing = route_request(
        catalog,
        support.helpdesk_agency,
        dossier_code=dossier_code,
        dossier=dossier,
        procedure_code=data.get("procedure_code"),
    )
    now = utc_now()
    days = response_working_days(catalog, routing, support.response_working_days)
    deadline = respond_by(calendar(), deadline_start(data, now), days)
    requested = {**data, "question": question, "note": routing.note}
    await _publish(_event(REQUESTED, command.subject, command.id, requested), routing.agency_id)
    assigned = {
        "request_id": request_id,
        "agency_id": routing.agency_id,
        "dossier_code": dossier_code,
        "procedure_code": routing.procedure_code or data.get("procedure_code"),
        "assigned_at": now,
        "respond_by": deadline,
        "reason": routing.reason,
        "note": routing.note,
    }
    await _publish(_event(ASSIGNED, command.subject, command.id, assigned), routing.agency_id)
    fields = set(SupportState.model_fields) - {"procedure_code"}
    state = SupportState(
        **{k: v for k, v in requested.items() if k in fields},
        subject=command.subject,
        agency_id=routing.agency_id,
        reason=routing.reason,
        respond_by=deadline,
        procedure_code=assigned["procedure_code"],
        seen=(command.id,),
    )
    await _save(state)
    log.info(
        "support %s -> %s (%s), %g working days",
        request_id,
        routing.agency_id,
        routing.reason,
        days,
    )


async def _answered(command: CloudEvent, data: dict[str, Any], state: SupportState) -> None:
    if state.status == "closed":
        raise SupportRefusedError("support_closed", f"request {state.request_id} is closed")
    if data.get("agency_id") != state.agency_id:
        raise SupportRefusedError(
            "not_assigned_agency", f"request {state.request_id} is assigned to {state.agency_id}"
        )
    event = _event(ANSWERED, state.subject, command.id, data)
    await _publish(event, None)
    answer = SupportAnswer(
        agency_id=state.agency_id,
        answer=str(data["answer"]),
        answered_at=data["answered_at"],
        actor=data.get("actor"),
    )
    await _save(state.with_seen(command.id, status="answered", answers=(*state.answers, answer)))
    addresses = {"email": state.contact_email, "sms": state.contact_phone}
    chosen = addresses.get(state.preferred_channel)
    if chosen:
        await send_notifications(
            state.subject,
            event.id,
            [(state.preferred_channel, chosen)],
            state.language,
            support_answer_message(state.language, state.request_id, answer.answer),
            dossier_code=state.dossier_code,
            support_request_id=state.request_id,
        )


def deadline_start(data: dict[str, Any], now: datetime) -> datetime:
    """When the response clock starts: the request time the API stamped (never later than
    now), so a worker that is behind or re-reads a command does not move the deadline."""
    asked = data.get("requested_at")
    return min(asked, now) if isinstance(asked, datetime) else now


@app.timer(runtime.settings.streams.overdue_scan_interval_s)  # type: ignore[untyped-decorator]
async def detect_support_overdue() -> None:
    """Ask the agent (through the commands topic) to report requests past their deadline."""
    now = utc_now()
    for request_id, raw in list(support_table.items()):
        state = SupportState.model_validate_json(raw)
        if not needs_support_overdue(state, now):
            continue
        ident = str(uuid.uuid5(_IDS, f"{request_id}|{state.respond_by.isoformat()}"))
        if ident in _overdue_sent:
            continue
        data = {
            "request_id": request_id,
            "agency_id": state.agency_id,
            "respond_by": state.respond_by,
            "detected_at": now,
            "overdue_working_days": overdue_working_days(calendar(), state.respond_by, now),
        }
        command = CloudEvent(OVERDUE, runtime.settings.agency_id, state.subject, data, id=ident)
        await emit(support_commands(prefix), runtime.codec.encode(command))
        _overdue_sent.add(ident)
