"""Request and response bodies of the support and procedure-finder endpoints."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from registry import Catalog, Deadline
from registry.procedure_search import ProcedureHit, ProcedureIndex, index_for
from registry.support import SupportState

Kind = Literal["question", "complaint", "feedback"]
Channel = Literal["web", "app", "phone", "counter"]
Preferred = Literal["email", "sms", "push", "none"]
_CODE = r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,63}$"
SUGGESTIONS = 3
"""Finder suggestions shown with each request to the answering agency."""

# One story for the OpenAPI examples: a citizen asks Sở Tư pháp about her criminal-record
# certificate dossier; the department answers with the finder's suggestion at hand.
_REQUEST_ID = "HT-261203-5f2c9a1e"
_DOSSIER = "000.00.06.H56-261201-0042"
_QUESTION = "Hồ sơ cấp phiếu lý lịch tư pháp của tôi khi nào có kết quả?"
_ANSWER_TEXT = "Hồ sơ đang được thẩm định; kết quả trả trong 3 ngày làm việc."
_MATCH: JsonDict = {
    "code": "2.000488",
    "name_vi": "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam",
    "name_en": "Criminal record certificate",
    "score": 7.42,
    "responsible_agency": "000.00.06.H56",
    "required_documents": ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp"],
    "deadline": {"amount": 10, "unit": "working_days", "same_day_cutoff": None},
    "fee_vnd": None,
    "fee_note": "Theo Thông tư 16/2025/TT-BTC",
}
_ANSWER: JsonDict = {
    "agency_name": "Sở Tư pháp",
    "answer": _ANSWER_TEXT,
    "answered_at": "2026-12-03T14:05:00+07:00",
}
_CITIZEN_VIEW: JsonDict = {
    "request_id": _REQUEST_ID,
    "kind": "question",
    "question": _QUESTION,
    "status": "answered",
    "agency_name": "Sở Tư pháp",
    "respond_by": "2026-12-08T09:30:00+07:00",
    "overdue": False,
    "dossier_code": _DOSSIER,
    "answers": [_ANSWER],
}


def _examples(*examples: JsonDict) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class SupportRequestIn(BaseModel):
    """A citizen's question, complaint or feedback (hỏi đáp, phản ánh, kiến nghị)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "question",
                    "question": _QUESTION,
                    "channel": "web",
                    "dossier_code": _DOSSIER,
                    "contact_name": "Lê Thị Hồng",
                    "contact_email": "hong.le@example.vn",
                    "preferred_channel": "email",
                    "language": "vi",
                }
            ]
        },
    )

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

    model_config = _examples(
        {
            "request_id": _REQUEST_ID,
            "lookup_token": "q7PzX2mVh0kR9wYt3bN6",
            "status_url": f"/v1/support/requests/{_REQUEST_ID}",
            "live_url": f"/v1/support/requests/{_REQUEST_ID}/live",
        }
    )

    request_id: str
    lookup_token: str
    status_url: str
    live_url: str


class AnswerIn(BaseModel):
    """An agency's answer to a request; ``close`` also closes it."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"answer": _ANSWER_TEXT, "actor": "cb.tuphap"}]},
    )

    answer: str = Field(min_length=1, max_length=10_000)
    actor: str | None = Field(default=None, max_length=100)
    close: bool = False


class CommandAccepted(BaseModel):
    model_config = _examples(
        {"request_id": _REQUEST_ID, "command_id": "0b8e6c1d-6f6a-4b7e-9a55-3f0e2d1c4b7a"}
    )
    request_id: str
    command_id: str


class ProcedureMatch(BaseModel):
    """A procedure finder hit: what the citizen needs to know to apply."""

    model_config = _examples(_MATCH)

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
    model_config = _examples(_ANSWER)
    agency_name: str
    answer: str
    answered_at: datetime


class CitizenSupport(BaseModel):
    """What the citizen sees of a request."""

    model_config = _examples(_CITIZEN_VIEW)

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

    model_config = _examples(
        {
            **_CITIZEN_VIEW,
            "agency_id": "000.00.06.H56",
            "reason": "dossier",
            "note": None,
            "procedure_code": "2.000488",
            "contact_name": "Lê Thị Hồng",
            "contact_phone": "0912 345 678",
            "contact_email": "hong.le@example.vn",
            "preferred_channel": "email",
            "language": "vi",
            "requested_at": "2026-12-03T08:15:00+07:00",
            "suggestions": [_MATCH],
        }
    )

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
