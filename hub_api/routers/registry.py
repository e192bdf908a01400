"""Registry endpoints: agencies and procedures (public reads, admin writes).

Search matches codes and Vietnamese or English names without regard to case or
diacritics ("thanh hoa" finds "Thanh Hóa", "dang ky khai sinh" finds "Đăng ký khai sinh").
Writes build the whole candidate catalog and run the same validation as
``hub registry apply`` (``registry.build_catalog``), then publish only the changes.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, ValidationError

from hub_api.auth import Principal, Role, anonymous, require
from hub_api.errors import ForbiddenError, NotFoundError, problem_responses
from hub_api.routers import registry_examples as ex
from hub_api.routers.openapi_examples import JUSTICE
from hub_api.services import Services, get_services
from registry import (
    Agency,
    CalendarOverride,
    Catalog,
    CatalogError,
    CatalogIssue,
    EntryKind,
    Procedure,
    Subscription,
    build_catalog,
)
from registry._catalog_checks import Located
from registry.model import AgencyLevel, ProcedureLevel

router = APIRouter(tags=["registry"])

Services_ = Annotated[Services, Depends(get_services)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
_PUBLIC = [Depends(anonymous)]
_SOURCE = "api"
_ADMIN_ONLY = ForbiddenError("this needs one of the roles: admin")


def _read_errors(instance: str, missing: str | None = None) -> dict[int | str, dict[str, Any]]:
    examples = {404: [NotFoundError(missing)]} if missing else {}
    return problem_responses(404, 422, 429, instance=instance, examples=examples)


def _write_errors(
    instance: str, issue: CatalogIssue, *codes: int
) -> dict[int | str, dict[str, Any]]:
    return problem_responses(
        *codes,
        instance=instance,
        examples={403: [_ADMIN_ONLY], 422: [CatalogError([issue])]},
    )


_WRITE_CODES = (400, 401, 403, 413, 422, 429, 503)
_AGENCY_PATH = f"/v1/agencies/{JUSTICE}"
_PROCEDURE_PATH = "/v1/procedures/1.001193"
_AGENCY_ISSUE = CatalogIssue(_SOURCE, f"agency:{JUSTICE}", "parent", "unknown agency 000.00.99.H56")
_STILL_USED = CatalogIssue(
    _SOURCE, "procedure:1.900101", "chain.0.procedure", "unknown procedure 1.001193"
)
_PROCEDURE_ISSUE = CatalogIssue(
    _SOURCE,
    "1.001193",
    "deadline.amount",
    "Input should be a valid number, unable to parse string as a number",
)
_WRITES = threading.Lock()  # one admin write at a time: each diffs against the view


def fold(text: str) -> str:
    """Lower-case ASCII-ish form for searching: diacritics stripped, đ -> d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _matches(query: str | None, *fields: str | None) -> bool:
    if not query:
        return True
    wanted = fold(query).split()
    haystack = " ".join(fold(f) for f in fields if f)
    return all(word in haystack for word in wanted)


class ChangeOut(BaseModel):
    """One published change of the registry."""

    model_config = ConfigDict(json_schema_extra={"examples": ex.APPLY_RESULT["changes"]})

    action: str
    kind: str
    key: str


class ApplyResult(BaseModel):
    """The changes published to ``hub.registry`` (none if the entry was already so)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.APPLY_RESULT, {"changes": []}]})

    changes: list[ChangeOut]


@router.get(
    "/v1/agencies",
    response_model=list[Agency],
    responses=_read_errors("/v1/agencies"),
    dependencies=_PUBLIC,
)
def agencies(
    services: Services_,
    q: Annotated[str | None, Query(max_length=200, description="code or name")] = None,
    level: AgencyLevel | None = None,
) -> list[Agency]:
    """Agencies (departments, communes, national systems) matching the search."""
    return [
        a
        for a in services.registry.catalog().agencies.values()
        if (level is None or a.level is level) and _matches(q, a.id, a.name_vi, a.name_en)
    ]


@router.get(
    "/v1/agencies/{agency_id}",
    response_model=Agency,
    responses=_read_errors("/v1/agencies/000.00.99.H56", "no agency 000.00.99.H56"),
    dependencies=_PUBLIC,
)
def agency(agency_id: str, services: Services_) -> Agency:
    found = services.registry.catalog().agencies.get(agency_id)
    if found is None:
        raise NotFoundError(f"no agency {agency_id}")
    return found


@router.get(
    "/v1/procedures",
    response_model=list[Procedure],
    responses=_read_errors("/v1/procedures"),
    dependencies=_PUBLIC,
)
def procedures(
    services: Services_,
    q: Annotated[str | None, Query(max_length=200, description="code or name")] = None,
    level: ProcedureLevel | None = None,
    agency: Annotated[str | None, Query(max_length=64, description="responsible agency")] = None,
) -> list[Procedure]:
    """Administrative procedures matching the search (by code, instance code or name)."""
    return [
        p
        for p in services.registry.catalog().procedures.values()
        if (level is None or p.level is level)
        and (agency is None or p.responsible_agency == agency)
        and _matches(q, p.code, p.instance_code, p.name_vi, p.name_en)
    ]


@router.get(
    "/v1/procedures/{code}",
    response_model=Procedure,
    responses=_read_errors("/v1/procedures/1.009999", "no procedure 1.009999"),
    dependencies=_PUBLIC,
)
def procedure(code: str, services: Services_) -> Procedure:
    """A procedure by national code or the province's instance code."""
    catalog = services.registry.catalog()
    found = catalog.procedures.get(code) or next(
        (p for p in catalog.procedures.values() if p.instance_code == code), None
    )
    if found is None:
        raise NotFoundError(f"no procedure {code}")
    return found


def _validated(model: type[Agency] | type[Procedure], key: str, body: Any) -> Agency | Procedure:
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        raise CatalogError(
            [
                CatalogIssue(_SOURCE, key, ".".join(str(p) for p in e["loc"]) or "-", e["msg"])
                for e in exc.errors()
            ]
        ) from None
    ident = parsed.id if isinstance(parsed, Agency) else parsed.code
    if ident != key:
        raise CatalogError([CatalogIssue(_SOURCE, key, "id", f"body names {ident}, path {key}")])
    return parsed


def _apply(
    services: Services, kind: EntryKind, key: str, entry: Agency | Procedure | None
) -> ApplyResult:
    with _WRITES:
        return _apply_locked(services, kind, key, entry)


def _apply_locked(
    services: Services, kind: EntryKind, key: str, entry: Agency | Procedure | None
) -> ApplyResult:
    items: list[Located] = []
    for (k, ident), model in services.registry.catalog().entries().items():
        if (k, ident) != (kind, key):
            assert isinstance(model, Agency | Procedure | Subscription | CalendarOverride)
            items.append(Located(_SOURCE, f"{k.value}:{ident}", model))
    if entry is not None:
        items.append(Located(_SOURCE, f"{kind.value}:{key}", entry))
    candidate: Catalog = build_catalog(items)  # CatalogError with every issue -> 422
    changes = services.registry.apply(candidate)
    return ApplyResult(
        changes=[ChangeOut(action=str(c.action), kind=str(c.kind), key=str(c.key)) for c in changes]
    )


@router.put(
    "/v1/agencies/{agency_id}",
    response_model=ApplyResult,
    responses=_write_errors(_AGENCY_PATH, _AGENCY_ISSUE, *_WRITE_CODES),
)
def put_agency(
    agency_id: str,
    body: Annotated[dict[str, Any], Body(description="an Agency", examples=[ex.AGENCY])],
    _: Admin,
    services: Services_,
) -> ApplyResult:
    """Create or replace an agency (admin); validated with the whole catalog."""
    entry = _validated(Agency, agency_id, body)
    return _apply(services, EntryKind.AGENCY, agency_id, entry)


@router.put(
    "/v1/procedures/{code}",
    response_model=ApplyResult,
    responses=_write_errors(_PROCEDURE_PATH, _PROCEDURE_ISSUE, *_WRITE_CODES),
)
def put_procedure(
    code: str,
    body: Annotated[dict[str, Any], Body(description="a Procedure", examples=[ex.PROCEDURE])],
    _: Admin,
    services: Services_,
) -> ApplyResult:
    """Create or replace a procedure (admin); validated with the whole catalog."""
    entry = _validated(Procedure, code, body)
    return _apply(services, EntryKind.PROCEDURE, code, entry)


@router.delete(
    "/v1/procedures/{code}",
    response_model=ApplyResult,
    responses=_write_errors(_PROCEDURE_PATH, _STILL_USED, 401, 403, 404, 422, 429, 503),
)
def delete_procedure(code: str, _: Admin, services: Services_) -> ApplyResult:
    """Remove a procedure (admin); refused if anything still refers to it."""
    if code not in services.registry.catalog().procedures:
        raise NotFoundError(f"no procedure {code}")
    return _apply(services, EntryKind.PROCEDURE, code, None)
