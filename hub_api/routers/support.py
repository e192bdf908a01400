"""Citizen support (hỗ trợ, phản ánh kiến nghị) and the procedure finder.

A citizen submits a request (rate limited per client address, question length checked)
and gets its id and a lookup token to follow it, live over SSE. The API holds no signing
key: it writes a command to ``hub.support.commands``; ``streams.support`` routes it, signs
the events and publishes the request's state, which this router reads back through
:class:`~hub_api.support_view.SupportView`. Agencies list, open and answer the requests
assigned to them, each with the procedure finder's top suggestions for its question (the
in-memory index of ``/v1/procedures/search``); operators see all, with statistics per agency.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from kafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool

from hub_api.auth import Principal, Role, anonymous, auth_context, client_key, require
from hub_api.errors import (
    InvalidEventError,
    NotFoundError,
    NotReadyError,
    RateLimitedError,
    problem_responses,
)
from hub_api.ratelimit import TokenBuckets
from hub_api.services import KafkaSender, Services, get_services
from hub_api.support_models import (
    AgencySupport,
    AnswerIn,
    CitizenSupport,
    CommandAccepted,
    ProcedureMatch,
    SupportAccepted,
    SupportRequestIn,
    agency_view,
    citizen_view,
    procedure_match,
)
from hub_api.support_view import SupportView, ensure_support_topics
from registry.procedure_search import index_for
from registry.support import SupportState, new_request_id, support_stats
from schemas import CloudEvent
from schemas.support_topics import support_commands, support_state

router = APIRouter(tags=["support"])

Services_ = Annotated[Services, Depends(get_services)]
Agency = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPERATOR, Role.ADMIN))]
Token = Annotated[str | None, Query(max_length=64, description="lookup token of the request")]
_PUBLIC = [Depends(anonymous)]
_S = "vn.gov.thanhhoa.support"
_HEARTBEAT_S = 15.0
_VIEW_LOCK = threading.Lock()


def support_view(request: Request) -> SupportView:
    """The app's support view, started on first use (tests may set ``app.state``)."""
    state = request.app.state
    with _VIEW_LOCK:
        view = getattr(state, "support_view", None)
        if view is None:
            services = get_services(request)
            _ensure_topics(services)
            topic = support_state(services.settings.topic_prefix)
            view = SupportView(services.settings.kafka_client_config(), topic).start(wait_s=5)
            state.support_view = view
            services._closers.append(view.stop)
    assert isinstance(view, SupportView)
    return view


View = Annotated[SupportView, Depends(support_view)]


def _submit_limiter(request: Request, services: Services) -> TokenBuckets:
    state = request.app.state
    limiter = getattr(state, "support_limiter", None)
    if limiter is None:
        s = services.settings.support
        limiter = state.support_limiter = TokenBuckets(s.submit_rate_per_s, s.submit_burst)
    assert isinstance(limiter, TokenBuckets)
    return limiter


_ENSURED: set[str] = set()


def _ensure_topics(services: Services) -> None:
    """The support topics exist even before the first worker started (Kafka only)."""
    prefix = services.settings.topic_prefix
    if isinstance(services.send, KafkaSender) and prefix not in _ENSURED:
        try:
            ensure_support_topics(services.settings)
        except KafkaError as exc:
            raise NotReadyError(f"cannot create the support topics: {exc}") from exc
        _ENSURED.add(prefix)


def _send(services: Services, event: CloudEvent) -> None:
    _ensure_topics(services)
    topic = support_commands(services.settings.topic_prefix)
    services.send(topic, [services.codec.encode(event)])


def _command(services: Services, ce_type: str, subject: str, data: dict[str, Any]) -> CloudEvent:
    return CloudEvent(ce_type, services.settings.agency_id, subject, data, id=str(uuid.uuid4()))


@router.post(
    "/v1/support/requests",
    status_code=202,
    response_model=SupportAccepted,
    responses=problem_responses(400, 413, 422, 429, 503),
    dependencies=_PUBLIC,
    summary="Submit a support request (question, complaint, feedback)",
)
def submit(body: SupportRequestIn, request: Request, services: Services_) -> SupportAccepted:
    """Routed to the agency handling the dossier or procedure, else to the helpdesk."""
    wait = _submit_limiter(request, services).take(client_key(request))
    if wait is not None:
        raise RateLimitedError("too many support requests from this address", wait)
    limit = services.settings.support.max_question_chars
    if not body.question or len(body.question) > limit:
        raise InvalidEventError(f"the question must have 1 to {limit} characters")
    now = datetime.now(UTC)
    request_id = new_request_id(now)
    data = {**body.model_dump(), "request_id": request_id, "requested_at": now, "note": None}
    subject = body.dossier_code or request_id  # co-partitioned with the dossier's events
    _send(services, _command(services, f"{_S}.requested", subject, data))
    base = f"/v1/support/requests/{request_id}"
    return SupportAccepted(
        request_id=request_id,
        lookup_token=auth_context(request).lookup.issue(request_id),
        status_url=base,
        live_url=f"{base}/live",
    )


def _check_token(request: Request, request_id: str, token: str | None) -> None:
    if not token or not auth_context(request).lookup.check(request_id, token):
        raise NotFoundError("no support request with this id and lookup token")


@router.get(
    "/v1/support/requests/{request_id}",
    response_model=CitizenSupport,
    responses=problem_responses(404, 422, 429),
    dependencies=_PUBLIC,
    summary="A support request, for the citizen (id + lookup token)",
)
def citizen_request(
    request_id: str, request: Request, services: Services_, view: View, token: Token = None
) -> CitizenSupport:
    _check_token(request, request_id, token)
    state = view.get(request_id)
    if state is None:
        raise NotFoundError("not routed yet; try again in a moment")
    return citizen_view(state, services.registry.catalog(), datetime.now(UTC))


@router.get(
    "/v1/support/requests/{request_id}/live",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        **problem_responses(404, 422, 429),
    },
    dependencies=_PUBLIC,
    summary="Follow a support request live (Server-Sent Events)",
)
def citizen_live(
    request_id: str, request: Request, services: Services_, view: View, token: Token = None
) -> StreamingResponse:
    """``event: state`` with the citizen view on connect (once routed) and on each change."""
    _check_token(request, request_id, token)
    return StreamingResponse(
        _events(request, services, view, request_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _frame(state: SupportState, services: Services) -> bytes:
    body = citizen_view(state, services.registry.catalog(), datetime.now(UTC))
    text = json.dumps(body.model_dump(mode="json"), ensure_ascii=False)
    return f"event: state\nid: {len(state.seen)}\ndata: {text}\n\n".encode()


async def _events(
    request: Request, services: Services, view: SupportView, request_id: str
) -> AsyncIterator[bytes]:
    queue = view.subscribe(request_id)
    try:
        yield b"retry: 1000\n\n"
        current = view.get(request_id)
        yield _frame(current, services) if current else b"event: pending\ndata: {}\n\n"
        while not await request.is_disconnected():
            try:
                update = await asyncio.wait_for(queue.get(), timeout=_HEARTBEAT_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield _frame(update, services)
    finally:
        view.unsubscribe(request_id, queue)


def _visible(principal: Principal, state: SupportState) -> bool:
    return principal.role is not Role.AGENCY or principal.agency == state.agency_id


@router.get(
    "/v1/support/inbox",
    response_model=list[AgencySupport],
    responses=problem_responses(401, 403, 422, 429),
    summary="Support requests assigned to the caller's agency (operators: all)",
)
def inbox(
    principal: Agency,
    services: Services_,
    view: View,
    status: Annotated[str | None, Query(pattern="^(assigned|answered|closed)$")] = None,
    agency: Annotated[str | None, Query(max_length=32)] = None,
) -> list[AgencySupport]:
    now, catalog = datetime.now(UTC), services.registry.catalog()
    found = [
        agency_view(s, catalog, now)
        for s in view.states()
        if _visible(principal, s)
        and (status is None or s.status == status)
        and (agency is None or s.agency_id == agency)
    ]
    return sorted(found, key=lambda s: s.requested_at)


def _assigned(principal: Principal, view: SupportView, request_id: str) -> SupportState:
    state = view.get(request_id)
    if state is None or not _visible(principal, state):
        raise NotFoundError(f"no support request {request_id} for this agency")
    return state


@router.get(
    "/v1/support/inbox/{request_id}",
    response_model=AgencySupport,
    responses=problem_responses(401, 403, 404, 422, 429),
    summary="One support request of the caller's agency, with answer suggestions",
)
def inbox_request(
    request_id: str, principal: Agency, services: Services_, view: View
) -> AgencySupport:
    state = _assigned(principal, view, request_id)
    return agency_view(state, services.registry.catalog(), datetime.now(UTC))


@router.post(
    "/v1/support/requests/{request_id}/answer",
    status_code=202,
    response_model=CommandAccepted,
    responses=problem_responses(400, 401, 403, 404, 413, 422, 429, 503),
    summary="Answer a support request (the assigned agency)",
)
def answer(
    request_id: str, body: AnswerIn, principal: Agency, services: Services_, view: View
) -> CommandAccepted:
    state = _assigned(principal, view, request_id)
    if state.status == "closed":
        raise InvalidEventError(f"request {request_id} is closed")
    now = datetime.now(UTC)
    data = {
        "request_id": request_id,
        "agency_id": state.agency_id,
        "answer": body.answer,
        "answered_at": now,
        "actor": body.actor or principal.key_id,
    }
    command = _command(services, f"{_S}.answered", state.subject, data)
    _send(services, command)
    if body.close:
        closed = {
            "request_id": request_id,
            "agency_id": state.agency_id,
            "closed_at": now,
            "reason": "answered",
            "actor": data["actor"],
        }
        _send(services, _command(services, f"{_S}.closed", state.subject, closed))
    return CommandAccepted(request_id=request_id, command_id=command.id)


@router.get(
    "/v1/support/stats",
    responses=problem_responses(401, 403, 422, 429),
    summary="Support statistics per agency (open, answered, overdue, response time)",
)
def stats(principal: Agency, services: Services_, view: View) -> list[dict[str, Any]]:
    states = [s for s in view.states() if _visible(principal, s)]
    rows = support_stats(states, services.calendar(), datetime.now(UTC))
    return [vars(row) for row in rows]


@router.get(
    "/v1/procedures/search",
    response_model=list[ProcedureMatch],
    responses=problem_responses(422, 429),
    dependencies=_PUBLIC,
    summary="Find procedures by a free-text Vietnamese question (ranked, BM25)",
)
async def search_procedures(
    services: Services_,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[ProcedureMatch]:
    """E.g. ``đăng ký khai sinh cho con`` or ``dang ky khai sinh``: birth registration first."""
    catalog = services.registry.catalog()
    hits = await run_in_threadpool(lambda: index_for(catalog).search(q, limit))
    return [procedure_match(h) for h in hits]
