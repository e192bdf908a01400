"""streams.track: the dossier table (status, timeline, due date, waiting time).

One agent per dossier partition reads every accepted dossier, payment and document
event, applies it to the dossier's state with the pure lifecycle, publishes the new state
on the compacted ``hub.dossier-state`` topic (the API's read path), and then routes it.
An illegal transition is quarantined: not applied, not delivered. A timer emits
DossierOverdue once per due date (a deterministic event id makes a repeat after a restart
a duplicate that the table ignores).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from registry.calendar import WorkingCalendar
from registry.errors import IllegalTransitionError
from registry.lifecycle import DossierState, apply, is_dossier_overdue, needs_overdue_event
from schemas import CloudEvent, KafkaMessage, SchemaError
from streams._records import message_of, origin_of
from streams.app import app
from streams.dossier_events import OVERDUE, RoutingError, lifecycle_events
from streams.route import deliver, is_own_announcement
from streams.runtime import utc_now
from streams.verification import decode_reason
from streams.wiring import dossier_topics, emit, metrics, names, quarantine, runtime

log = logging.getLogger(__name__)

dossiers_table = app.Table("dossiers", default=None, value_type=bytes)
_OVERDUE_IDS = uuid.UUID("0b6c7a8e-5d7f-4c43-8f3e-2a3a9d1c5e77")
_overdue_sent: set[str] = set()
_calendars: dict[int, WorkingCalendar] = {}


def calendar() -> WorkingCalendar:
    """The working-day calendar of the current catalog (rebuilt when the catalog changes)."""
    catalog = runtime.registry.catalog()
    found = _calendars.get(id(catalog))
    if found is None:
        _calendars.clear()
        found = _calendars[id(catalog)] = catalog.calendar()
    return found


def load_state(code: str) -> DossierState | None:
    raw = dossiers_table.get(code)
    return DossierState.model_validate_json(raw) if raw is not None else None


def advance(event: CloudEvent, state: DossierState | None) -> DossierState | None:
    """The dossier's state after ``event`` (IllegalTransitionError/RoutingError if refused)."""
    new = state
    for step in lifecycle_events(event, state, runtime.registry.catalog()):
        new = apply(new, step, calendar=calendar())
    return new


@app.agent(dossier_topics)  # type: ignore[untyped-decorator]  # faust has no types
async def track(stream: Any) -> None:
    """Apply, publish and route each dossier event; bad ones go to quarantine."""
    async for event in stream.events():
        message, origin = message_of(event), origin_of(event)
        try:
            await _handle(message, origin)
        except Exception as exc:
            log.exception("tracking failed on %s", origin)
            await quarantine(
                message, "internal_error", f"{type(exc).__name__}: {exc}", "track", origin
            )


async def _handle(message: KafkaMessage, origin: str) -> None:
    if is_own_announcement(message, runtime.settings.agency_id):
        return  # routed and delivered when it was emitted; it changes no dossier state
    try:
        event = runtime.codec.decode(message)
    except SchemaError as exc:
        await quarantine(message, decode_reason(exc), str(exc), "track", origin)
        return
    state = load_state(event.subject)
    try:
        new = advance(event, state)
    except IllegalTransitionError as exc:
        detail = f"{exc.reason}: {exc}"
        await quarantine(message, "illegal_transition", detail, "track", origin)
        return
    except RoutingError as exc:
        await quarantine(message, exc.reason, str(exc), "route", origin)
        return
    if new is not None and new is not state:
        encoded = new.model_dump_json().encode()
        dossiers_table[event.subject] = encoded
        await emit(names.dossier_state, KafkaMessage(event.subject.encode(), encoded))
    started = time.perf_counter()
    try:
        await deliver(message, event, runtime.registry.catalog())
    except RoutingError as exc:
        await quarantine(message, exc.reason, str(exc), "route", origin)
    metrics.routed(time.perf_counter() - started)


def overdue_event(state: DossierState, now: datetime) -> CloudEvent:
    """The DossierOverdue for ``state``; its id depends only on the dossier and due date."""
    assert state.due_at is not None
    late = calendar().working_time_between(state.due_at, now)
    return CloudEvent(
        type=OVERDUE,
        source=runtime.settings.agency_id,
        subject=state.code,
        id=str(uuid.uuid5(_OVERDUE_IDS, f"{state.code}|{state.due_at.isoformat()}")),
        data={
            "dossier_code": state.code,
            "procedure_code": state.procedure,
            "agency_id": state.responsible_agency,
            "due_at": state.due_at,
            "detected_at": now,
            "overdue_working_days": int(late.total_seconds() // (8 * 3600)),
            "status": int(state.status),
        },
    )


@app.timer(runtime.settings.streams.overdue_scan_interval_s)  # type: ignore[untyped-decorator]
async def detect_overdue() -> None:
    """Emit DossierOverdue for each dossier of this worker's partitions that just ran late,
    and count the table's dossiers by status and agency for ``/metrics`` on the way."""
    now = utc_now()
    by_status: Counter[tuple[str, str]] = Counter()
    overdue: Counter[str] = Counter()
    for code, raw in list(dossiers_table.items()):
        state = DossierState.model_validate_json(raw)
        agency = state.responsible_agency
        by_status[(state.status.name.lower(), agency)] += 1
        late = is_dossier_overdue(state, calendar(), now)
        overdue[agency] += late
        if runtime.signer is None or not (late and needs_overdue_event(state, calendar(), now)):
            continue
        event = overdue_event(state, now)
        if event.id in _overdue_sent:
            continue  # sent; the table learns it when the event comes back through here
        await emit(names.events("dossier"), runtime.sign(event))
        _overdue_sent.add(event.id)
        log.info("dossier %s overdue (due %s)", code, state.due_at)
    metrics.set_dossiers(by_status, overdue)
