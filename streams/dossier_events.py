"""What a hub event means for a dossier: lifecycle steps (track) and deliveries (route).

Pure functions over the decoded event, the registry catalog and the agent's state, so
that the tracking and routing agents interpret every event the same way. A linked
procedure's step is done when the step's agency issues its result (ResultIssued); the
dossier is processed (status 9) when the last step is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from registry import Catalog
from registry.errors import RegistryError
from registry.lifecycle import DossierEvent, DossierState, EventType, current_step
from schemas import CloudEvent

T = "vn.gov.thanhhoa"
SUBMITTED = f"{T}.dossier.submitted"
ROUTED = f"{T}.dossier.routed"
OVERDUE = f"{T}.dossier.overdue"
RESULT_ISSUED = f"{T}.dossier.result_issued"
PAYMENT_COMPLETED = f"{T}.payment.completed"

_STATUS_OF: Mapping[str, int] = {
    f"{T}.dossier.accepted": 2,
    f"{T}.dossier.rejected": 3,
    f"{T}.dossier.supplement_requested": 5,
    f"{T}.dossier.supplement_received": 4,
    f"{T}.payment.requested": 6,
}


class RoutingError(RegistryError):
    """The registry cannot say where a dossier goes (``reason``: a quarantine code)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_TIME_FIELDS = (
    "submitted_at",
    "accepted_at",
    "rejected_at",
    "changed_at",
    "requested_at",
    "received_at",
    "issued_at",
    "paid_at",
)


def business_time(data: Mapping[str, Any], fallback: datetime) -> datetime:
    """When it happened at the agency (the body's own time field), else ``ce_time``.

    Deadlines run on the agency's clock: a dossier accepted at the counter at 10:00 and
    sent at 10:05 was received at 10:00.
    """
    for name in _TIME_FIELDS:
        value = data.get(name)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return fallback


def handling_plan(data: Mapping[str, Any], catalog: Catalog) -> tuple[str, list[str], Any]:
    """(responsible agency, linked-step agencies, deadline) of a submitted dossier."""
    code = str(data.get("procedure_code", ""))
    receiving = str(data.get("receiving_agency_id", ""))
    try:
        procedure = catalog.procedure(code)
    except RegistryError:
        raise RoutingError(
            "unknown_procedure", f"procedure {code!r} is not in the registry"
        ) from None
    try:
        steps = [str(a) for a in catalog.chain_agencies(code, receiving)]
        responsible = steps[0] if steps else str(catalog.responsible_agency(code, receiving))
    except RegistryError as exc:
        raise RoutingError("unknown_agency", str(exc)) from None
    if responsible not in catalog.agencies:
        raise RoutingError("unknown_agency", f"agency {responsible} is not in the registry")
    return responsible, steps, procedure.deadline


def lifecycle_events(
    event: CloudEvent, state: DossierState | None, catalog: Catalog
) -> list[DossierEvent]:
    """The lifecycle events ``event`` stands for; empty when it does not change tracking."""
    data = event.data
    when = business_time(data, event.timestamp)
    common: dict[str, Any] = {
        "event_id": event.id,
        "dossier_code": event.subject,
        "time": when,
        "actor": str(data.get("actor") or event.source),
        "note": data.get("note") if isinstance(data.get("note"), str) else None,
    }
    if event.type == SUBMITTED:
        responsible, steps, deadline = handling_plan(data, catalog)
        return [
            DossierEvent(
                **common,
                type=EventType.SUBMITTED,
                procedure=str(data["procedure_code"]),
                responsible_agency=responsible,
                deadline=deadline,
                steps=tuple(steps),
            )
        ]
    if event.type == OVERDUE:
        return [DossierEvent(**common, type=EventType.OVERDUE)]
    if event.type == RESULT_ISSUED:
        return _result(event, state, common)
    if event.type == PAYMENT_COMPLETED:
        paying = state is not None and int(state.status) == 6
        return [DossierEvent(**common, type=EventType.STATUS, status=4)] if paying else []
    status = _STATUS_OF.get(event.type)
    if status is None and event.type.endswith(".status_changed"):
        status = int(data["status"])
    if status is None:
        return []
    return [DossierEvent(**common, type=EventType.STATUS, status=status)]


def _result(
    event: CloudEvent, state: DossierState | None, common: dict[str, Any]
) -> list[DossierEvent]:
    step = current_step(state) if state is not None else None
    done = DossierEvent(**common, type=EventType.STATUS, status=9)
    if state is None or step is None or step.agency != event.source:
        return [done]  # with linked steps pending, the lifecycle refuses this (quarantine)
    finished = DossierEvent(
        **{**common, "event_id": f"{event.id}#step{step.index}"},
        type=EventType.STEP_DONE,
        step_index=step.index,
    )
    last = step.index == len(state.steps) - 1
    return [finished, done] if last else [finished]


class RouteState(BaseModel):
    """The routing table's entry for one dossier."""

    model_config = ConfigDict(frozen=True)

    procedure: str
    receiving_agency: str
    handler: str
    steps: tuple[str, ...] = ()
    step: int = 0
    submission: str = ""
    """The DossierSubmitted record as JSON (key, value, headers in base64), forwarded to
    each next agency of a linked procedure."""
    submitted_event_id: str = ""


@dataclass(frozen=True)
class RouteDecision:
    """Where one event goes: agency/system inboxes, and a DossierRouted to emit (if any)."""

    inboxes: list[str] = field(default_factory=list)
    routed_to: str | None = None
    routed_from: str | None = None
    linked_step: int | None = None
    forward_submission: bool = False
    state: RouteState | None = None


def _subscribers(event: CloudEvent, procedure: str | None, catalog: Catalog) -> list[str]:
    return [s.subscriber for s in catalog.subscribers_for(event.type, procedure)]


def _unique(targets: list[str], exclude: str) -> list[str]:
    seen: dict[str, None] = {}
    for target in targets:
        if target != exclude:
            seen.setdefault(target)
    return list(seen)


def route(event: CloudEvent, state: RouteState | None, catalog: Catalog) -> RouteDecision:
    """The deliveries for ``event`` given the dossier's routing state."""
    if event.type == SUBMITTED:
        handler, steps, _ = handling_plan(event.data, catalog)
        procedure = str(event.data["procedure_code"])
        new = RouteState(
            procedure=procedure,
            receiving_agency=str(event.data.get("receiving_agency_id", event.source)),
            handler=handler,
            steps=tuple(steps),
        )
        targets = [handler, *_subscribers(event, procedure, catalog)]
        return RouteDecision(
            inboxes=_unique(targets, event.source),
            routed_to=handler,
            routed_from=new.receiving_agency,
            linked_step=0 if steps else None,
            state=new,
        )
    if state is None:
        raise RoutingError(
            "unknown_dossier",
            f"{event.type} for dossier {event.subject} that the hub has not seen submitted",
        )
    targets = [state.handler, *_subscribers(event, state.procedure, catalog)]
    if event.type == ROUTED:
        return RouteDecision(inboxes=_unique(_subscribers(event, state.procedure, catalog), ""))
    step_done = (
        event.type == RESULT_ISSUED
        and state.steps
        and state.step + 1 < len(state.steps)
        and event.source == state.steps[state.step]
    )
    if not step_done:
        return RouteDecision(inboxes=_unique(targets, event.source))
    nxt = state.steps[state.step + 1]
    advanced = state.model_copy(update={"step": state.step + 1, "handler": nxt})
    return RouteDecision(
        inboxes=_unique([*targets, nxt], event.source),
        routed_to=nxt,
        routed_from=state.handler,
        linked_step=state.step + 1,
        forward_submission=True,
        state=advanced,
    )
