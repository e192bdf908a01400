"""HTTP ingress: ``POST /v1/events`` (one signed event) and ``/v1/events/batch``.

The body is a CloudEvents JSON envelope whose extension attributes carry the signature
headers of docs/signing.md (``sigkeyid``, ``sigalg``, ``signature``, and for batches
``sigroot``, ``sigsize``, ``sigleaf``, ``sigpath``). The event body is either
``data_base64`` (the Confluent wire-format value the agency signed) or ``data`` (JSON,
encoded here with the registered writer schema of its type: the agency must have signed
exactly that canonical Avro encoding). The API answers 202 only after Kafka
acknowledged the write to ``hub.ingress``; a re-sent event id is acknowledged again
without a second write. A bad signature is quarantined and answered with a problem.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from hub_api.auth import AuthContext, Principal, Role, auth_context, require
from hub_api.errors import (
    BATCH_INDEX,
    EventIdConflictError,
    EventQuarantinedError,
    ForbiddenError,
    InvalidEventError,
    MalformedRequestError,
    ProblemExample,
    invalid_request_example,
    problem_responses,
)
from hub_api.routers import openapi_examples as ex
from hub_api.services import RecentEvents, Services, get_services
from schemas import EVENT_TYPES, CloudEvent, KafkaMessage, UnknownEventTypeError, format_time
from schemas.message import (
    AVRO_CONTENT_TYPE,
    CE_ID,
    CE_SOURCE,
    CE_SPECVERSION,
    CE_SUBJECT,
    CE_TIME,
    CE_TYPE,
    CONTENT_TYPE,
    SPECVERSION,
    parse_time,
)
from schemas.rejects import Rejection, reject
from security import EventRejected, parse_event_time, verify_event

router = APIRouter(prefix="/v1/events", tags=["events"])

_KNOWN_TYPES = frozenset(e.ce_type for e in EVENT_TYPES)
_SUBMITTED = "vn.gov.thanhhoa.dossier.submitted"
_SIG_FIELDS = ("sigkeyid", "sigalg", "signature", "sigroot", "sigsize", "sigleaf", "sigpath")
_Text = Annotated[str, Field(min_length=1, max_length=256)]


def _at(index: int, error: Exception) -> Exception:
    """``error`` as raised for the event at ``index`` of a batch (for the examples)."""
    setattr(error, BATCH_INDEX, index)
    return error


_FORBIDDEN = f"this credential publishes as {ex.WARD}, not {ex.JUSTICE}"
_UNKNOWN_TYPE = "unknown event type 'vn.gov.thanhhoa.dossier.approved'"
_ONE_BODY = "give exactly one of data (JSON) or data_base64 (Avro)"
_EVENT_PROBLEMS: dict[int, list[ProblemExample]] = {
    400: [MalformedRequestError("data_base64 is not valid base64")],
    403: [ForbiddenError(_FORBIDDEN)],
    409: [EventIdConflictError(f"event id {ex.EVENT_ID} was accepted with other content")],
    422: [
        EventQuarantinedError(
            f"signature check failed (bad_signature): {ex.BAD_SIGNATURE_DETAIL}; "
            "the event was stored in quarantine",
            reason="bad_signature",
            event_id=ex.EVENT_ID,
            quarantined=True,
        ),
        UnknownEventTypeError(_UNKNOWN_TYPE),
        InvalidEventError(_ONE_BODY),
        invalid_request_example("/v1/events", ("body", "signature"), "Field required", "missing"),
    ],
}
_BATCH_PROBLEMS: dict[int, list[ProblemExample]] = {
    400: [_at(1, MalformedRequestError("data_base64 is not valid base64"))],
    403: [_at(0, ForbiddenError(_FORBIDDEN))],
    409: [EventIdConflictError(f"event id {ex.EVENT_ID} was accepted with other content")],
    422: [
        _at(1, UnknownEventTypeError(_UNKNOWN_TYPE)),
        _at(0, InvalidEventError(_ONE_BODY)),
        invalid_request_example(
            "/v1/events/batch",
            ("body", "events"),
            "List should have at most 500 items after validation, not 501",
            "too_long",
        ),
    ],
}
_CODES = (400, 401, 403, 409, 413, 422, 429, 503)


class EventEnvelope(BaseModel):
    """A signed event: CloudEvents attributes, the body, the signature attributes."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [ex.ENVELOPE_AVRO, ex.ENVELOPE_JSON]}
    )

    specversion: Literal["1.0"] = "1.0"
    id: _Text
    source: _Text = Field(description="agency id of the publisher, e.g. 000.00.06.H56")
    type: _Text = Field(description="e.g. vn.gov.thanhhoa.dossier.submitted")
    subject: _Text = Field(description="the dossier code")
    time: _Text = Field(description="RFC 3339 with offset, exactly as signed")
    datacontenttype: Literal["application/avro", "application/json"] | None = None
    data: dict[str, Any] | None = Field(default=None, description="the record as JSON")
    data_base64: str | None = Field(
        default=None, max_length=2_000_000, description="base64 of the wire-format value"
    )
    sigkeyid: _Text
    sigalg: _Text | None = None
    signature: _Text
    sigroot: _Text | None = None
    sigsize: _Text | None = None
    sigleaf: _Text | None = None
    sigpath: str | None = Field(default=None, max_length=4096)


class EventBatch(BaseModel):
    """Several signed events (each signed alone, or one Merkle-batch signature)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ex.EVENT_BATCH]})

    events: list[EventEnvelope] = Field(min_length=1, max_length=500)


class EventAccepted(BaseModel):
    """The event is stored in ``hub.ingress`` (or was already, for a re-send)."""

    model_config = ConfigDict(json_schema_extra={"examples": [*ex.EVENT_ACCEPTED]})

    id: str
    status: Literal["accepted", "duplicate"]
    lookup_token: str | None = Field(
        default=None, description="citizen lookup token, for dossier.submitted events"
    )


class BatchItem(BaseModel):
    """What became of one event of a batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [*ex.BATCH_ITEMS]})

    id: str
    status: Literal["accepted", "duplicate", "quarantined"]
    reason: str | None = None
    detail: str | None = None
    lookup_token: str | None = None


class BatchAccepted(BaseModel):
    """One result per event, in the order of the batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [ex.BATCH_ACCEPTED]})

    results: list[BatchItem]


@dataclass(frozen=True, slots=True)
class _Prepared:
    envelope: EventEnvelope
    message: KafkaMessage
    key: str
    digest: bytes


def _headers(e: EventEnvelope) -> tuple[tuple[str, bytes], ...]:
    return (
        (CE_ID, e.id.encode()),
        (CE_SOURCE, e.source.encode()),
        (CE_TYPE, e.type.encode()),
        (CE_SUBJECT, e.subject.encode()),
        (CE_TIME, e.time.encode()),
        (CE_SPECVERSION, SPECVERSION.encode()),
        (CONTENT_TYPE, AVRO_CONTENT_TYPE.encode()),
    )


def _signature_headers(e: EventEnvelope) -> tuple[tuple[str, bytes], ...]:
    out = []
    for name in _SIG_FIELDS:
        value = getattr(e, name)
        if value is not None:
            try:
                out.append((f"ce_{name}", value.encode("ascii")))
            except UnicodeEncodeError:
                raise InvalidEventError(f"{name} must be ASCII") from None
    return tuple(out)


def _prepare(e: EventEnvelope, principal: Principal, services: Services) -> _Prepared:
    """The Kafka message of an envelope; raises for anything the caller must fix."""
    if principal.agency != e.source:
        raise ForbiddenError(f"this credential publishes as {principal.agency}, not {e.source}")
    if e.type not in _KNOWN_TYPES:
        raise UnknownEventTypeError(f"unknown event type {e.type!r}")
    parse_time(e.time)  # InvalidHeaderError (a DecodeError) -> 422
    if (e.data is None) == (e.data_base64 is None):
        raise InvalidEventError("give exactly one of data (JSON) or data_base64 (Avro)")
    if e.data is not None:
        encoded = services.codec.encode(
            CloudEvent(e.type, e.source, e.subject, e.data, id=e.id, time=e.time)
        )
        message = KafkaMessage(encoded.key, encoded.value, encoded.headers)
    else:
        try:
            value = base64.b64decode(e.data_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise MalformedRequestError("data_base64 is not valid base64") from None
        message = KafkaMessage(e.subject.encode(), value, _headers(e))
        services.codec.decode(message)  # DecodeError -> 422 before anything is stored
    message = KafkaMessage(message.key, message.value, message.headers + _signature_headers(e))
    return _Prepared(e, message, f"{e.source}/{e.id}", RecentEvents.digest(message))


def _check_signature(p: _Prepared, services: Services) -> EventRejected | None:
    at = parse_event_time(p.envelope.time.encode())
    try:
        verify_event(
            p.message.headers,
            p.message.value,
            services.registry.keys(),
            source_agency=p.envelope.source,
            at=at,
        )
    except EventRejected as exc:
        return exc
    return None


def _quarantine(p: _Prepared, exc: EventRejected, services: Services) -> None:
    rejection = Rejection(
        reason=exc.reason.value,
        detail=exc.detail,
        stage="api",
        origin="http/v1/events",
        time=format_time(datetime.now(UTC)),
    )
    services.send(services.topics.quarantine, [reject(p.message, rejection)])
    services.metrics.events.labels("quarantined").inc()


def _duplicate(p: _Prepared, recent: RecentEvents) -> bool:
    seen = recent.seen(p.key)
    if seen is None:
        return False
    if seen != p.digest:
        raise EventIdConflictError(f"event id {p.envelope.id} was accepted with other content")
    return True


def _token(p: _Prepared, auth: AuthContext) -> str | None:
    return auth.lookup.issue(p.envelope.subject) if p.envelope.type == _SUBMITTED else None


Services_ = Annotated[Services, Depends(get_services)]
Publisher = Annotated[Principal, Depends(require(Role.AGENCY))]


@router.post(
    "",
    status_code=202,
    response_model=EventAccepted,
    responses=problem_responses(*_CODES, instance="/v1/events", examples=_EVENT_PROBLEMS),
    summary="Publish one signed event",
)
def post_event(
    envelope: EventEnvelope, principal: Publisher, services: Services_, request: Request
) -> EventAccepted:
    """Store a signed event in ``hub.ingress``; 202 after Kafka's acknowledgement."""
    prepared = _prepare(envelope, principal, services)
    auth = auth_context(request)
    if _duplicate(prepared, services.recent):
        services.metrics.events.labels("duplicate").inc()
        return EventAccepted(
            id=envelope.id, status="duplicate", lookup_token=_token(prepared, auth)
        )
    rejected = _check_signature(prepared, services)
    if rejected is not None:
        _quarantine(prepared, rejected, services)
        raise EventQuarantinedError(
            f"signature check failed ({rejected.reason.value}): {rejected.detail}; "
            "the event was stored in quarantine",
            reason=rejected.reason.value,
            event_id=envelope.id,
            quarantined=True,
        )
    services.send(services.topics.ingress, [prepared.message])
    services.recent.add(prepared.key, prepared.digest)
    services.metrics.events.labels("accepted").inc()
    return EventAccepted(id=envelope.id, status="accepted", lookup_token=_token(prepared, auth))


@router.post(
    "/batch",
    status_code=202,
    response_model=BatchAccepted,
    responses=problem_responses(*_CODES, instance="/v1/events/batch", examples=_BATCH_PROBLEMS),
    summary="Publish several signed events",
)
def post_batch(
    batch: EventBatch, principal: Publisher, services: Services_, request: Request
) -> BatchAccepted:
    """Validate all events first (any invalid one fails the whole batch with its index);
    then quarantine those whose signature fails and store the rest in one acknowledged
    write. Each result says accepted, duplicate or quarantined.
    """
    prepared: list[_Prepared] = []
    for index, envelope in enumerate(batch.events):
        try:
            prepared.append(_prepare(envelope, principal, services))
        except Exception as exc:
            setattr(exc, BATCH_INDEX, index)  # the problem names the failing event
            raise
    auth = auth_context(request)
    results: list[BatchItem] = []
    to_send: list[_Prepared] = []
    for p in prepared:
        if _duplicate(p, services.recent) or any(q.key == p.key for q in to_send):
            results.append(BatchItem(id=p.envelope.id, status="duplicate"))
            continue
        rejected = _check_signature(p, services)
        if rejected is not None:
            _quarantine(p, rejected, services)
            results.append(
                BatchItem(
                    id=p.envelope.id,
                    status="quarantined",
                    reason=rejected.reason.value,
                    detail=rejected.detail,
                )
            )
            continue
        to_send.append(p)
        results.append(BatchItem(id=p.envelope.id, status="accepted", lookup_token=_token(p, auth)))
    if to_send:
        services.send(services.topics.ingress, [p.message for p in to_send])
        for p in to_send:
            services.recent.add(p.key, p.digest)
        services.metrics.events.labels("accepted").inc(len(to_send))
    return BatchAccepted(results=results)
