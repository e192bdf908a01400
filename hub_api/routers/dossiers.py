"""Dossier tracking: one dossier, filtered lists, live status (SSE) and statistics.

Served from the API's live view of ``hub.dossier-state``. An agency sees only dossiers
it is a party to; any other dossier answers 404 exactly like an unknown one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from hub_api.auth import Principal, Role, auth_context, is_party, require
from hub_api.dossier_query import (
    DossierDetail,
    DossierFilter,
    DossierPage,
    detail_of,
    page_of,
    summary_of,
)
from hub_api.errors import (
    ForbiddenError,
    InvalidCursorError,
    MalformedRequestError,
    NotFoundError,
    invalid_request_example,
    problem_responses,
)
from hub_api.routers import openapi_examples as ex
from hub_api.services import Services, get_services
from registry.lifecycle import DossierState
from registry.statistics import aggregate, summarize

router = APIRouter(tags=["dossiers"])

Services_ = Annotated[Services, Depends(get_services)]
Reader = Annotated[Principal, Depends(require(Role.AGENCY, Role.OPERATOR, Role.ADMIN))]
_HEARTBEAT_S = 15.0
_CODES = (400, 401, 403, 404, 422, 429)
_ONE = f"/v1/dossiers/{ex.DOSSIER}"
_NOT_VISIBLE = NotFoundError(f"no dossier {ex.DOSSIER} visible to this credential")
_ONE_ERRORS = problem_responses(*_CODES, instance=_ONE, examples={404: [_NOT_VISIBLE]})
_LIVE_ERRORS = problem_responses(*_CODES, instance=f"{_ONE}/live", examples={404: [_NOT_VISIBLE]})
_LIST_ERRORS = problem_responses(
    *_CODES,
    instance="/v1/dossiers",
    examples={
        400: [
            InvalidCursorError("the cursor belongs to a query with other filters"),
            MalformedRequestError("from/to need a UTC offset, e.g. 2026-03-01T00:00:00+07:00"),
        ],
        403: [ForbiddenError("an agency credential lists only its own dossiers")],
        422: [
            invalid_request_example(
                "/v1/dossiers",
                ("query", "status"),
                "Input should be less than or equal to 10",
                "less_than_equal",
            )
        ],
    },
)
_STATS_ERRORS = problem_responses(
    *_CODES,
    instance="/v1/statistics",
    examples={403: [ForbiddenError("an agency credential sees only its own statistics")]},
)


class GroupStatsOut(BaseModel):
    """Counts and timeliness of one (responsible agency, procedure) pair."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.GROUP_STATS]})

    agency: str
    procedure: str
    total: int
    by_status: dict[str, int] = Field(description="status code -> number of dossiers")
    processed: int
    on_time: int
    on_time_rate: float | None
    overdue_open: int
    average_processing_hours: float | None


def _now() -> datetime:
    return datetime.now(UTC)


def visible_state(services: Services, principal: Principal, code: str) -> DossierState:
    """The dossier if this caller may see it; NotFoundError otherwise (no existence leak)."""
    state = services.dossiers.get(code)
    if state is None or not is_party(principal, state):
        raise NotFoundError(f"no dossier {code} visible to this credential")
    return state


@router.get(
    "/v1/dossiers/{code}",
    response_model=DossierDetail,
    responses=_ONE_ERRORS,
    summary="A dossier's status, timeline and deadline",
)
def get_dossier(
    code: str, principal: Reader, services: Services_, request: Request
) -> DossierDetail:
    """Status, timeline, due date, remaining working time, overdue flag and linked steps."""
    state = visible_state(services, principal, code)
    token = auth_context(request).lookup.issue(state.code)
    return detail_of(state, services.registry.catalog(), services.calendar(), _now(), token)


@router.get(
    "/v1/dossiers",
    response_model=DossierPage,
    responses=_LIST_ERRORS,
    summary="Dossiers by agency, status, overdue flag and submission time",
)
def list_dossiers(
    principal: Reader,
    services: Services_,
    agency: Annotated[str | None, Query(max_length=64, description="a party agency")] = None,
    status: Annotated[int | None, Query(ge=1, le=10)] = None,
    overdue: bool | None = None,
    since: Annotated[
        datetime | None, Query(alias="from", description="submitted at or after")
    ] = None,
    until: Annotated[datetime | None, Query(alias="to", description="submitted before")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
) -> DossierPage:
    """One page, oldest submission first; follow ``next_cursor`` for the next page."""
    if principal.role is Role.AGENCY:
        if agency is not None and agency != principal.agency:
            raise ForbiddenError("an agency credential lists only its own dossiers")
        agency = principal.agency
    if any(m is not None and m.tzinfo is None for m in (since, until)):
        raise MalformedRequestError("from/to need a UTC offset, e.g. 2026-03-01T00:00:00+07:00")
    flt = DossierFilter(agency, status, overdue, since, until)
    calendar, now = services.calendar(), _now()
    page, next_cursor = page_of(services.dossiers.states(), flt, calendar, now, limit, cursor)
    return DossierPage(items=[summary_of(s, calendar, now) for s in page], next_cursor=next_cursor)


@router.get(
    "/v1/statistics",
    response_model=list[GroupStatsOut],
    responses=_STATS_ERRORS,
    summary="Dossier statistics per responsible agency and procedure",
)
def statistics(
    principal: Reader,
    services: Services_,
    agency: Annotated[str | None, Query(max_length=64)] = None,
    procedure: Annotated[str | None, Query(max_length=64)] = None,
) -> list[GroupStatsOut]:
    """Counts by status, on-time rate and average working hours (waiting time excluded)."""
    if principal.role is Role.AGENCY:
        if agency is not None and agency != principal.agency:
            raise ForbiddenError("an agency credential sees only its own statistics")
        agency = principal.agency
    calendar, now = services.calendar(), _now()
    summaries = (
        summarize(s, calendar, now)
        for s in services.dossiers.states()
        if (agency is None or s.responsible_agency == agency)
        and (procedure is None or s.procedure == procedure)
    )
    return [
        GroupStatsOut(
            agency=g.agency,
            procedure=g.procedure,
            total=g.total,
            by_status={str(int(k)): v for k, v in sorted(g.by_status.items())},
            processed=g.processed,
            on_time=g.on_time,
            on_time_rate=g.on_time_rate,
            overdue_open=g.overdue_open,
            average_processing_hours=g.average_processing_hours,
        )
        for g in aggregate(summaries)
    ]


def live_response(
    request: Request,
    services: Services,
    state: DossierState,
    render: Callable[[DossierState], BaseModel],
) -> StreamingResponse:
    """An SSE stream: the current state at once, then every new state as it arrives."""
    return StreamingResponse(
        _events(request, services, state, render),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _frame(state: DossierState, render: Callable[[DossierState], BaseModel]) -> bytes:
    body = json.dumps(render(state).model_dump(mode="json"), ensure_ascii=False)
    return f"event: state\nid: {len(state.timeline)}\ndata: {body}\n\n".encode()


async def _events(
    request: Request,
    services: Services,
    state: DossierState,
    render: Callable[[DossierState], BaseModel],
) -> AsyncIterator[bytes]:
    queue = services.dossiers.subscribe(state.code)
    services.metrics.sse_clients.inc()
    try:
        yield b"retry: 1000\n\n"
        current = services.dossiers.get(state.code) or state
        yield _frame(current, render)
        while not await request.is_disconnected():
            try:
                update = await asyncio.wait_for(queue.get(), timeout=_HEARTBEAT_S)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield _frame(update, render)
    finally:
        services.dossiers.unsubscribe(state.code, queue)
        services.metrics.sse_clients.dec()


@router.get(
    "/v1/dossiers/{code}/live",
    responses={
        200: {
            "content": {"text/event-stream": {"example": ex.DOSSIER_LIVE}},
            "description": "state events",
        },
        **_LIVE_ERRORS,
    },
    response_class=StreamingResponse,
    summary="Live status of a dossier (Server-Sent Events)",
)
def live(code: str, principal: Reader, services: Services_, request: Request) -> StreamingResponse:
    """``event: state`` with the dossier detail as JSON, on connect and on each change."""
    state = visible_state(services, principal, code)
    calendar = services.calendar()
    catalog = services.registry.catalog()
    token = auth_context(request).lookup.issue(state.code)
    return live_response(
        request, services, state, lambda s: detail_of(s, catalog, calendar, _now(), token)
    )
