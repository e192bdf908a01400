"""streams.route: deliver each accepted dossier event to the inboxes it belongs in.

Called by the dossier agent (streams.track) once the event has passed the lifecycle, so
an illegal transition is never delivered. The ``routes`` table keeps, per dossier, the
handling agency, the linked-procedure steps and the submission to forward to each next
agency; the hub announces every hand-over with a signed DossierRouted event.
"""

from __future__ import annotations

import asyncio
import uuid

from registry import Catalog
from schemas import CloudEvent, KafkaMessage
from streams._records import message_from_json, message_to_json
from streams.app import table
from streams.dossier_events import (
    ROUTED,
    SUBMITTED,
    RouteDecision,
    RouteState,
    RoutingError,
    route,
)
from streams.wiring import emit, metrics, names, runtime

routes_table = table("routes", default=None, value_type=bytes)
_ROUTED_TYPE = ROUTED.encode()
_ROUTED_IDS = uuid.UUID("6f1d0c52-3f7e-4d1e-9a57-1b0d6c2f4e11")


def route_state(code: str) -> RouteState | None:
    raw = routes_table.get(code)
    return RouteState.model_validate_json(raw) if raw is not None else None


async def _inbox(target: str) -> str:
    if names.inbox(target) in runtime.known_topics:
        return names.inbox(target)
    return await asyncio.get_running_loop().run_in_executor(None, runtime.ensure_inbox, target)


def _routed_event(event: CloudEvent, decision: RouteDecision, state: RouteState) -> CloudEvent:
    step = decision.linked_step
    ident = uuid.uuid5(_ROUTED_IDS, f"{event.subject}|{step}|{decision.routed_to}")
    return CloudEvent(
        type=ROUTED,
        source=runtime.settings.agency_id,
        subject=event.subject,
        id=str(ident),
        data={
            "dossier_code": event.subject,
            "procedure_code": state.procedure,
            "from_agency_id": decision.routed_from or state.receiving_agency,
            "to_agency_id": decision.routed_to,
            "routed_at": event.timestamp,
            "linked_procedure_code": state.procedure if state.steps else None,
            "linked_step": step,
            "note": None,
        },
    )


async def deliver(message: KafkaMessage, event: CloudEvent, catalog: Catalog) -> None:
    """Route one accepted, tracked event (RoutingError for the caller to quarantine)."""
    state = route_state(event.subject)
    if event.type == SUBMITTED and state is not None:
        if state.submitted_event_id != event.id:
            raise RoutingError(
                "duplicate_dossier", f"dossier {event.subject} was already submitted"
            )
        state = None  # the same submission read again: route it again (idempotent downstream)
    decision = route(event, state, catalog)
    new_state = decision.state
    if new_state is not None and event.type == SUBMITTED:
        new_state = new_state.model_copy(
            update={"submission": message_to_json(message), "submitted_event_id": event.id}
        )
    if new_state is not None:
        routes_table[event.subject] = new_state.model_dump_json().encode()
    for target in decision.inboxes:
        await emit(await _inbox(target), message)
    if decision.inboxes:
        metrics.arrived(event.type, event.timestamp.timestamp())
    current = new_state or state
    if decision.forward_submission and current is not None and decision.routed_to:
        await emit(await _inbox(decision.routed_to), message_from_json(current.submission))
    if decision.routed_to is not None and current is not None and event.type != ROUTED:
        announcement = _routed_event(event, decision, current)
        routed = runtime.sign(announcement)
        await emit(names.events("dossier"), routed)
        # Its subscribers get it now; the dossier agent skips the hub's own announcements.
        for target in route(announcement, current, catalog).inboxes:
            await emit(await _inbox(target), routed)


def is_own_announcement(message: KafkaMessage, hub_agency: str) -> bool:
    """A DossierRouted the hub itself emitted (already delivered by ``deliver``)."""
    headers = dict(message.headers)
    return headers.get("ce_type") == _ROUTED_TYPE and headers.get("ce_source") == (
        hub_agency.encode()
    )
