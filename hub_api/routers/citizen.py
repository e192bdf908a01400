"""The citizen lookup (tra cứu hồ sơ): a small page and its two public endpoints.

A citizen gives the dossier code and the lookup token printed on the receipt (or shown
by the portal at submission). A missing token is 401; a wrong token and an unknown
dossier both answer the same 404, so the endpoint does not reveal which codes exist.
The answer leaves out internal details (notes, actors' ids, the token itself).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from hub_api.auth import anonymous, auth_context
from hub_api.dossier_query import detail_of
from hub_api.errors import (
    NotAuthenticatedError,
    NotFoundError,
    ProblemExample,
    problem_responses,
)
from hub_api.routers import openapi_examples as ex
from hub_api.routers.dossiers import live_response
from hub_api.services import Services, get_services
from registry.lifecycle import DossierState

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["citizen"], dependencies=[Depends(anonymous)])

Services_ = Annotated[Services, Depends(get_services)]
Token = Annotated[str | None, Query(max_length=64, description="lookup token from the receipt")]
TokenHeader = Annotated[str | None, Header(alias="X-Lookup-Token", max_length=64)]
_PROBLEMS: dict[int, list[ProblemExample]] = {
    401: [NotAuthenticatedError("the lookup token from the receipt is required")],
    404: [NotFoundError("no dossier with this code and lookup token")],
}
_ERRORS = problem_responses(
    401, 404, 422, 429, instance=f"/v1/citizen/dossiers/{ex.DOSSIER}", examples=_PROBLEMS
)
_LIVE_ERRORS = problem_responses(
    401, 404, 422, 429, instance=f"/v1/citizen/dossiers/{ex.DOSSIER}/live", examples=_PROBLEMS
)


class CitizenStep(BaseModel):
    """One agency's step of a linked procedure (liên thông)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.CITIZEN_STEP]})

    agency_name: str
    state: str


class CitizenEntry(BaseModel):
    """One line of the processing history, by the agency's name."""

    model_config = ConfigDict(json_schema_extra={"examples": [*ex.CITIZEN_ENTRIES[2:]]})

    status: int
    status_vi: str
    status_en: str
    time: datetime
    by: str | None


class CitizenDossier(BaseModel):
    """What a citizen may see of a dossier."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.CITIZEN_DOSSIER]})

    code: str
    procedure: str
    procedure_name: str | None
    agency_name: str | None
    status: int
    status_vi: str
    status_en: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    overdue: bool
    waiting_for_applicant: bool
    remaining_working_seconds: float | None
    finished_at: datetime | None
    steps: list[CitizenStep]
    timeline: list[CitizenEntry]


def _citizen_view(state: DossierState, services: Services) -> CitizenDossier:
    d = detail_of(state, services.registry.catalog(), services.calendar(), datetime.now(UTC))
    return CitizenDossier(
        code=d.code,
        procedure=d.procedure,
        procedure_name=d.procedure_name,
        agency_name=d.responsible_agency_name,
        status=d.status,
        status_vi=d.status_vi,
        status_en=d.status_en,
        submitted_at=d.submitted_at,
        received_at=d.received_at,
        due_at=d.due_at,
        overdue=d.overdue,
        waiting_for_applicant=d.waiting_for_applicant,
        remaining_working_seconds=d.remaining_working_seconds,
        finished_at=d.finished_at,
        steps=[CitizenStep(agency_name=s.agency_name or s.agency, state=s.state) for s in d.steps],
        timeline=[
            CitizenEntry(
                status=t.status,
                status_vi=t.status_vi,
                status_en=t.status_en,
                time=t.time,
                by=t.actor_name,
            )
            for t in d.timeline
        ],
    )


def _lookup(request: Request, services: Services, code: str, token: str | None) -> DossierState:
    if not token:
        raise NotAuthenticatedError("the lookup token from the receipt is required")
    state = services.dossiers.get(code)
    if not auth_context(request).lookup.check(code, token) or state is None:
        raise NotFoundError("no dossier with this code and lookup token")
    return state


@router.get(
    "/v1/citizen/dossiers/{code}",
    response_model=CitizenDossier,
    responses=_ERRORS,
    summary="Citizen lookup of a dossier (code + lookup token)",
)
def citizen_dossier(
    code: str,
    request: Request,
    services: Services_,
    token: Token = None,
    x_lookup_token: TokenHeader = None,
) -> CitizenDossier:
    """Status, due date and timeline of a dossier, for its applicant."""
    state = _lookup(request, services, code, token or x_lookup_token)
    return _citizen_view(state, services)


@router.get(
    "/v1/citizen/dossiers/{code}/live",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"example": ex.CITIZEN_LIVE}},
            "description": "state events",
        },
        **_LIVE_ERRORS,
    },
    summary="Live status for the citizen page (Server-Sent Events)",
)
def citizen_live(
    code: str,
    request: Request,
    services: Services_,
    token: Token = None,
    x_lookup_token: TokenHeader = None,
) -> StreamingResponse:
    """``event: state`` with the citizen view, on connect and on each change."""
    state = _lookup(request, services, code, token or x_lookup_token)
    return live_response(request, services, state, lambda s: _citizen_view(s, services))


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/citizen/")


@router.get("/citizen/", include_in_schema=False)
def citizen_page() -> FileResponse:
    """Trang tra cứu hồ sơ (the citizen lookup page)."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")
