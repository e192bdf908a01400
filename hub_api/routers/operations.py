"""Operations: health, readiness, metrics, quarantine and dead-letter browse and replay."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hub_api.auth import Principal, Role, require
from hub_api.errors import (
    InvalidCursorError,
    NotFoundError,
    NotReadyError,
    ProblemExample,
    problem_responses,
)
from hub_api.rejected import Kind, ReplayError, replay
from hub_api.routers import openapi_examples as ex
from hub_api.services import Services, get_services

router = APIRouter()

Services_ = Annotated[Services, Depends(get_services)]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR, Role.ADMIN))]
_CODES = (400, 401, 403, 404, 422, 429, 503)
_NOT_READY = NotReadyError(
    "not ready: kafka",
    checks={"kafka": False, "registry": True, "dossier_view": True, "schema_registry": True},
)


class Health(BaseModel):
    """The process is up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class Readiness(BaseModel):
    """Every dependency of the API is available."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.READINESS]})

    status: Literal["ready"]
    checks: dict[str, bool]


class RejectedOut(BaseModel):
    """A quarantined or dead-lettered record: the original's attributes and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.QUARANTINED, ex.DEAD_LETTERED]})

    partition: int
    offset: int
    timestamp_ms: int
    event_id: str | None
    type: str | None
    source: str | None
    subject: str | None
    key: str | None
    value_bytes: int
    reason: str = Field(examples=["bad_signature"])
    detail: str
    stage: str
    origin: str
    rejected_at: str
    replayed_from: str | None = None


class RejectedPage(BaseModel):
    """One page of rejected records; follow ``next_cursor`` for more."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.REJECTED_PAGE]})

    items: list[RejectedOut]
    next_cursor: str | None = None


class Replayed(BaseModel):
    """The original was published again, to ``topic``."""

    model_config = ConfigDict(json_schema_extra={"examples": [*ex.REPLAYED]})

    status: Literal["replayed"]
    topic: str
    event_id: str | None


@router.get("/healthz", response_model=Health, tags=["operations"])
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses=problem_responses(503, instance="/readyz", examples={503: [_NOT_READY]}),
    tags=["operations"],
)
async def readyz(services: Services_) -> Readiness:
    """Kafka reachable, registry view loaded, dossier view loaded, schema registry loaded."""
    checks = {
        "kafka": services.dossiers.kafka_reachable,
        "registry": services.registry.loaded,
        "dossier_view": services.dossiers.loaded,
        "schema_registry": await run_in_threadpool(_safe, services.schemas_loaded),
    }
    if not all(checks.values()):
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        raise NotReadyError(f"not ready: {failing}", checks=checks)
    return Readiness(status="ready", checks=checks)


def _safe(check: Any) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


@router.get(
    "/metrics",
    tags=["operations"],
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(services: Services_) -> Response:
    """Prometheus metrics of this API process."""
    services.metrics.dossiers.set(len(services.dossiers))
    return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")


def _encode_cursor(positions: dict[int, int], reason: str | None) -> str:
    raw = json.dumps({"p": {str(k): v for k, v in positions.items()}, "r": reason})
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str, reason: str | None) -> dict[int, int]:
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        positions = {int(k): int(v) for k, v in data["p"].items()}
        same_reason = data["r"] == reason
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidCursorError("the cursor is not one this API issued") from None
    if not same_reason or any(p < 0 or o < 0 for p, o in positions.items()):
        raise InvalidCursorError("the cursor belongs to another query")
    return positions


def _log(services: Services, kind: Kind) -> Any:
    return services.quarantine if kind == "quarantine" else services.deadletter


def _browse(
    services: Services, kind: Kind, limit: int, cursor: str | None, reason: str | None
) -> RejectedPage:
    after = _decode_cursor(cursor, reason) if cursor else None
    records, positions, more = _log(services, kind).browse(after, limit, reason)
    return RejectedPage(
        items=[RejectedOut(**r.summary()) for r in records],
        next_cursor=_encode_cursor(positions, reason) if more else None,
    )


def _get(services: Services, kind: Kind, partition: int, offset: int) -> Any:
    record = _log(services, kind).get(partition, offset)
    if record is None:
        raise NotFoundError(f"no {kind} record at {partition}/{offset}")
    return record


def _replay(services: Services, kind: Kind, partition: int, offset: int) -> Replayed:
    record = _get(services, kind, partition, offset)
    topic = replay(kind, record, services.topics, services.send)
    services.metrics.replays.labels(kind).inc()
    return Replayed(status="replayed", topic=topic, event_id=record.header("ce_id"))


Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=4096)]
Reason = Annotated[str | None, Query(max_length=64, description="only this reason code")]
Partition = Annotated[int, Path(ge=0, le=100_000)]
Offset = Annotated[int, Path(ge=0)]


def _routes(kind: Kind) -> None:
    tag = "quarantine" if kind == "quarantine" else "dead-letter"
    base = f"/v1/{kind}"
    record = f"{base}/0/17"
    missing: dict[int, list[ProblemExample]] = {404: [NotFoundError(f"no {kind} record at 0/17")]}
    not_replayable = dict(missing)
    if kind == "deadletter":
        not_replayable[422] = [ReplayError("dead-letter origin '' is not a hub topic")]

    @router.get(
        base,
        response_model=RejectedPage,
        responses=problem_responses(
            *_CODES,
            instance=base,
            examples={400: [InvalidCursorError("the cursor belongs to another query")]},
        ),
        tags=[tag],
        name=f"browse_{kind}",
    )
    def browse(
        _: Operator,
        services: Services_,
        limit: Limit = 50,
        cursor: Cursor = None,
        reason: Reason = None,
    ) -> RejectedPage:
        """Rejected records, oldest first per partition, with the reason for each."""
        return _browse(services, kind, limit, cursor, reason)

    @router.get(
        base + "/{partition}/{offset}",
        response_model=RejectedOut,
        responses=problem_responses(*_CODES, instance=record, examples=missing),
        tags=[tag],
        name=f"get_{kind}",
    )
    def get_one(
        _: Operator, services: Services_, partition: Partition, offset: Offset
    ) -> RejectedOut:
        """One rejected record."""
        return RejectedOut(**_get(services, kind, partition, offset).summary())

    @router.post(
        base + "/{partition}/{offset}/replay",
        status_code=202,
        response_model=Replayed,
        responses=problem_responses(
            *_CODES,
            instance=f"{record}/replay",
            examples=not_replayable,
        ),
        tags=[tag],
        name=f"replay_{kind}",
    )
    def replay_one(
        _: Operator, services: Services_, partition: Partition, offset: Offset
    ) -> Replayed:
        """Re-publish the original (quarantine: to ingress; dead-letter: to its origin)."""
        return _replay(services, kind, partition, offset)


_routes("quarantine")
_routes("deadletter")
