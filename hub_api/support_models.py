"""Request and response bodies of the support and procedure-finder endpoints."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry import Catalog, Deadline
from registry.procedure_search import ProcedureHit, ProcedureIndex, index_for
from registry.support import SupportState

Kind = Literal["question", "complaint", "feedback"]
Channel = Literal["web", "app", "phone", "counter"]
Preferred = Literal["email", "sms", "push", "none"]
_CODE = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$"
SUGGESTIONS = 3
"""Finder suggestions shown with each request to the answering agency."""


class SupportRequestIn(BaseModel):
    """A citizen's question, complaint or feedback (hỏi đáp, phản ánh, kiến nghị)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind = "question"
    question: str = Field(description="1 to HUB_SUPPORT_MAX_QUESTION_CHARS characters")
    channel: Channel = "web"
    dossier_code: str | None = Field(default=None, pattern=_CODE)
    procedure_code: str | None = Field(default=None, pattern=_CODE)
    contact_name: str = Field(min_length=1, max_length=200)
    contact_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ]{8,15}$")
    contact_email: str | None = Field(default=None, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}$")
    preferred_channel: Preferred = "email"
    language: Literal["vi", "en"] = "vi"


class SupportAccepted(BaseModel):
    """Where to follow the request: its id and the lookup token to show to the citizen."""

    request_id: str
    lookup_token: str
    status_url: str
    live_url: str


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: str = Field(min_length=1, max_length=10_000)
    actor: str | None = Field(default=None, max_length=100)
    close: bool = False


class CommandAccepted(BaseModel):
    request_id: str
    command_id: str


class ProcedureMatch(BaseModel):
    """A procedure finder hit: what the citizen needs to know to apply."""

    code: str
    name_vi: str
    name_en: str
    score: float
    responsible_agency: str | None
    required_documents: list[str]
    deadline: Deadline
    fee_vnd: int | None
    fee_note: str | None


class AnswerOut(BaseModel):
    agency_name: str
    answer: str
    answered_at: datetime


class CitizenSupport(BaseModel):
    """What the citizen sees of a request."""

    request_id: str
    kind: str
    question: str
    status: str
    agency_name: str
    respond_by: datetime
    overdue: bool
    dossier_code: str | None
    answers: list[AnswerOut]


class AgencySupport(CitizenSupport):
    """What the answering agency (and operators) see: also contacts and routing."""

    agency_id: str
    reason: str
    note: str | None
    procedure_code: str | None
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    preferred_channel: str
    language: str
    requested_at: datetime
    suggestions: list[ProcedureMatch] = Field(
        description="the procedure finder's best matches for the question, to answer with"
    )


def procedure_match(hit: ProcedureHit) -> ProcedureMatch:
    """A finder hit as the API answers it (the search endpoint and the suggestions)."""
    p = hit.procedure
    return ProcedureMatch(
        code=p.code,
        name_vi=p.name_vi,
        name_en=p.name_en,
        score=hit.score,
        responsible_agency=p.responsible_agency,
        required_documents=p.required_documents,
        deadline=p.deadline,
        fee_vnd=p.fee_vnd,
        fee_note=p.fee_note,
    )


@functools.lru_cache(maxsize=4096)
def _hits(index: ProcedureIndex, question: str) -> tuple[ProcedureHit, ...]:
    # an inbox lists the same questions again and again; a new catalog is a new index
    return tuple(index.search(question, SUGGESTIONS))


def suggestions(catalog: Catalog, question: str) -> list[ProcedureMatch]:
    """What the finder (the same index as ``/v1/procedures/search``) suggests answering with."""
    return [procedure_match(hit) for hit in _hits(index_for(catalog), question)]


def citizen_view(state: SupportState, catalog: Catalog, now: datetime) -> CitizenSupport:
    return CitizenSupport(**_common(state, catalog, now))


def agency_view(state: SupportState, catalog: Catalog, now: datetime) -> AgencySupport:
    return AgencySupport(
        **_common(state, catalog, now),
        agency_id=state.agency_id,
        reason=state.reason,
        note=state.note,
        procedure_code=state.procedure_code,
        contact_name=state.contact_name,
        contact_phone=state.contact_phone,
        contact_email=state.contact_email,
        preferred_channel=state.preferred_channel,
        language=state.language,
        requested_at=state.requested_at,
        suggestions=suggestions(catalog, state.question),
    )


def _name(catalog: Catalog, agency: str) -> str:
    found = catalog.agencies.get(agency)
    return found.name_vi if found is not None else agency


def _common(state: SupportState, catalog: Catalog, now: datetime) -> dict[str, object]:
    return {
        "request_id": state.request_id,
        "kind": state.kind,
        "question": state.question,
        "status": state.status,
        "agency_name": _name(catalog, state.agency_id),
        "respond_by": state.respond_by,
        "overdue": state.status == "assigned" and now > state.respond_by,
        "dossier_code": state.dossier_code,
        "answers": [
            AnswerOut(
                agency_name=_name(catalog, a.agency_id), answer=a.answer, answered_at=a.answered_at
            )
            for a in state.answers
        ],
    }
