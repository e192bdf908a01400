"""streams.track: the dossier table (status, timeline, due date, waiting time).

One agent per dossier partition reads every accepted dossier, payment and document
event, applies it to the dossier's state with the pure lifecycle, publishes the new state
on the compacted ``hub.dossier-state`` topic (the API's read path), and then routes it.
An illegal transition is quarantined: not applied, not delivered.

A timer emits DossierOverdue once per due date, even across restarts. The event itself,
on the dossier's own partition of the events topic, is the durable "sent" mark: the agent
reads it back and sets ``overdue_emitted`` in the table (and its changelog). So that a
restarted worker, or a new owner of a partition, does not emit it again before reading
it back, the timer waits after each rebalance until the group has committed past the end
offsets it found after the assignment (read your own writes). Its id depends only on the
dossier and due date: a repeat that still gets through under at-least-once (a crash in the
instant between two writes, a rebalance between two live workers) is a duplicate that
the lifecycle ignores and the ``overdue`` table keeps out of the inboxes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError

from registry.calendar import WorkingCalendar
from registry.errors import IllegalTransitionError
from registry.lifecycle import (
    DossierState,
    apply,
    is_dossier_overdue,
    needs_overdue_event,
    overdue_event_id,
)
from schemas import CloudEvent, KafkaMessage, SchemaError
from streams._records import message_of, origin_of
from streams.app import app, table
from streams.dossier_events import OVERDUE, RoutingError, lifecycle_events
from streams.route import deliver, is_own_announcement
from streams.runtime import utc_now
from streams.verification import decode_reason
from streams.wiring import dossier_topics, emit, metrics, names, quarantine, runtime

log = logging.getLogger(__name__)

dossiers_table = table("dossiers", default=None, value_type=bytes)
overdue_table = table("overdue", default=None, key_type=str, value_type=bytes)
"""Dossier code -> id of the DossierOverdue already delivered to its inboxes."""
_overdue_sent: dict[str, str] = {}
"""Dossier code -> DossierOverdue id this worker emitted and the table has not read back."""
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
    if is_delivered_overdue(event):
        log.info("dossier %s: DossierOverdue %s repeated, delivered once", event.subject, event.id)
        return
    started = time.perf_counter()
    try:
        await deliver(message, event, runtime.registry.catalog())
    except RoutingError as exc:
        await quarantine(message, exc.reason, str(exc), "route", origin)
    else:
        if event.type == OVERDUE:
            # Recorded after the sends: a crash in between repeats them, never loses them.
            overdue_table[event.subject] = event.id.encode()
    metrics.routed(time.perf_counter() - started)


def is_delivered_overdue(event: CloudEvent) -> bool:
    """A DossierOverdue already delivered to the dossier's inboxes (deduplicated by id)."""
    return event.type == OVERDUE and overdue_table.get(event.subject) == event.id.encode()


def overdue_event(state: DossierState, now: datetime) -> CloudEvent:
    """The DossierOverdue for ``state``; its id depends only on the dossier and due date."""
    assert state.due_at is not None
    late = calendar().working_time_between(state.due_at, now)
    return CloudEvent(
        type=OVERDUE,
        source=runtime.settings.agency_id,
        subject=state.code,
        id=overdue_event_id(state.code, state.due_at),
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


@dataclass
class _ReadBack:
    """The read-back of one rebalance (generation) of this worker."""

    generation: int
    partitions: list[TopicPartition]
    """This worker's partitions of the dossier events topic (where DossierOverdue goes)."""
    barrier: dict[TopicPartition, int] | None = None
    """Their end offsets, looked up after the assignment."""
    done: bool = False


_read_back = _ReadBack(-1, [])


def read_back(
    barrier: Mapping[TopicPartition, int], committed: Mapping[TopicPartition, int]
) -> bool:
    """Whether the group has committed up to ``barrier`` on every one of its partitions."""
    return all(committed.get(tp, 0) >= end for tp, end in barrier.items())


def _group_offsets(
    partitions: list[TopicPartition], barrier: dict[TopicPartition, int] | None
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """(barrier, committed offsets) of ``partitions``; the barrier is looked up if None.

    Blocking (run in an executor). Faust commits an offset only once the agents have
    processed the records before it and the producer (table changelogs too) is flushed."""
    if not partitions:
        return {}, {}
    admin = KafkaAdminClient(**runtime.settings.kafka_client_config())
    try:
        if barrier is None:
            ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in partitions})
            barrier = {tp: ends[tp].offset for tp in partitions}
        group = runtime.settings.streams.app_id
        found = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return barrier, {tp: max(found[tp].offset, 0) for tp in partitions if tp in found}


def _current_read_back() -> _ReadBack:
    """The read-back of the current generation (a new one after each rebalance)."""
    global _read_back
    generation = app.consumer_generation_id
    if generation != _read_back.generation:
        topic = names.events("dossier")
        assigned = sorted(
            TopicPartition(tp.topic, tp.partition)
            for tp in app.consumer.assignment()
            if tp.topic == topic
        )
        # What this worker emitted before was acknowledged, so it lies under the new barrier.
        _overdue_sent.clear()
        _read_back = _ReadBack(generation, assigned)
    return _read_back


async def overdue_read_back() -> bool:
    """Whether every DossierOverdue emitted before this worker's current assignment (by
    itself, or by a worker since killed) is in the table, so that emitting is safe."""
    if app.rebalancing:
        return False  # the table may be half recovered
    current = _current_read_back()
    if current.done:
        return True
    loop = asyncio.get_running_loop()
    try:
        barrier, committed = await loop.run_in_executor(
            None, _group_offsets, current.partitions, current.barrier
        )
    except KafkaError as exc:
        log.warning("overdue detection waits: cannot read the group's offsets (%s)", exc)
        return False
    if current is not _current_read_back() or app.rebalancing:
        return False  # rebalanced meanwhile: start over with the new assignment
    current.barrier, current.done = barrier, read_back(barrier, committed)
    if current.done:
        log.info(
            "overdue detection on: %d partitions read back (generation %d)",
            len(barrier),
            current.generation,
        )
    return current.done


async def _emit_overdue(state: DossierState, now: datetime) -> None:
    """Sign and send one DossierOverdue, and wait until the broker has it."""
    event = overdue_event(state, now)
    if _overdue_sent.get(state.code) == event.id:
        return  # sent; the table learns it when the agent reads it back
    signed = runtime.sign(event)
    await app.producer.send_and_wait(
        names.events("dossier"), signed.key, signed.value, None, None, signed.header_list()
    )
    _overdue_sent[state.code] = event.id
    log.info("dossier %s overdue (due %s)", state.code, state.due_at)


@app.timer(runtime.settings.streams.overdue_scan_interval_s)  # type: ignore[untyped-decorator]
async def detect_overdue() -> None:
    """Emit DossierOverdue for each dossier of this worker's partitions that just ran late
    (once the table has read back earlier emissions), and count the table's dossiers by
    status and agency for ``/metrics`` on the way."""
    now = utc_now()
    by_status: Counter[tuple[str, str]] = Counter()
    overdue: Counter[str] = Counter()
    due: list[DossierState] = []
    for raw in list(dossiers_table.values()):
        state = DossierState.model_validate_json(raw)
        agency = state.responsible_agency
        by_status[(state.status.name.lower(), agency)] += 1
        late = is_dossier_overdue(state, calendar(), now)
        overdue[agency] += late
        if state.overdue_emitted:
            _overdue_sent.pop(state.code, None)  # read back
        elif late and needs_overdue_event(state, calendar(), now):
            due.append(state)
    metrics.set_dossiers(by_status, overdue)
    if runtime.signer is None or not await overdue_read_back():
        return  # the next scan emits them
    for state in due:
        if not await overdue_read_back():
            break  # a rebalance began: the new owner emits them after its read-back
        await _emit_overdue(state, now)
