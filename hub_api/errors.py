"""Errors of the HTTP API and the one place where any error becomes a status code.

Every error answer is ``application/problem+json`` (RFC 9457) with a stable ``type`` URI
``https://hub.thanhhoa.gov.vn/problems/<slug>``. Handlers raise the API's own errors
(below) or let domain errors of ``schemas``, ``security`` and ``registry`` through;
:data:`_TABLE` maps each class to its status and slug, nowhere else knows codes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub_api.rejected import ReplayError
from registry.errors import CatalogError, RegistryError
from registry.publishing import PublishError
from schemas import (
    DecodeError,
    EncodeError,
    SchemaError,
    SchemaNotFoundError,
    StoreUnavailableError,
    SubjectNotFoundError,
    UnknownEventTypeError,
)
from security import EventRejected

log = logging.getLogger(__name__)

PROBLEM_BASE: Final = "https://hub.thanhhoa.gov.vn/problems/"
PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
BATCH_INDEX: Final = "batch_index"
"""Attribute a batch handler sets on an error: the index of the event at fault."""


class ApiError(Exception):
    """Root of the API layer's own errors; ``extra`` becomes problem extension members."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotAuthenticatedError(ApiError):
    """No credential, or one the hub does not know."""


class ForbiddenError(ApiError):
    """A known credential whose role or agency may not do this."""


class NotFoundError(ApiError):
    """Nothing there, or nothing this caller may see (the two are never told apart)."""


class MalformedRequestError(ApiError):
    """The request cannot be read at all (not JSON, bad base64...)."""


class InvalidCursorError(ApiError):
    """A pagination cursor that this API did not issue for this query."""


class InvalidEventError(ApiError):
    """The event envelope is readable but not acceptable (attributes, data, source)."""


class EventIdConflictError(ApiError):
    """The event id was already accepted with different content."""


class EventQuarantinedError(ApiError):
    """The event was refused (bad signature...) and stored in quarantine."""


class RateLimitedError(ApiError):
    """The credential used up its request budget; ``retry_after`` seconds until the next."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLargeError(ApiError):
    """The request body is larger than ``HUB_API_MAX_BODY_BYTES``."""


class NotReadyError(ApiError):
    """A dependency (Kafka, a registry view) is not available yet."""


class Problem(BaseModel):
    """An RFC 9457 problem detail; extension members may follow."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_BASE + "not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no dossier 000.17.22.H56-261203-0001 visible to this credential",
                    "instance": "/v1/dossiers/000.17.22.H56-261203-0001",
                },
                {
                    "type": PROBLEM_BASE + "signature-rejected",
                    "title": "Event rejected and quarantined",
                    "status": 422,
                    "detail": "signature check failed (bad_signature): signature does not "
                    "verify with key '000.17.22.H56:9aa82755437858ce'; "
                    "the event was stored in quarantine",
                    "instance": "/v1/events",
                    "reason": "bad_signature",
                    "event_id": "a16fb87f-77fa-4bf6-b038-08887fc7ad2b",
                    "quarantined": True,
                },
            ]
        },
    )

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(
        default="", examples=["no dossier 000.17.22.H56-261203-0001 visible to this credential"]
    )
    instance: str | None = Field(default=None, examples=["/v1/dossiers/000.17.22.H56-261203-0001"])


# class -> (status, slug, title); the most specific class in an error's MRO wins.
_TABLE: Final[dict[type[BaseException], tuple[int, str, str]]] = {
    NotAuthenticatedError: (401, "unauthenticated", "Authentication required"),
    ForbiddenError: (403, "forbidden", "Not allowed"),
    NotFoundError: (404, "not-found", "Not found"),
    MalformedRequestError: (400, "malformed-request", "Malformed request"),
    InvalidCursorError: (400, "invalid-cursor", "Invalid pagination cursor"),
    InvalidEventError: (422, "invalid-event", "Invalid event"),
    EventIdConflictError: (409, "event-id-conflict", "Event id already used"),
    EventQuarantinedError: (422, "signature-rejected", "Event rejected and quarantined"),
    RateLimitedError: (429, "rate-limited", "Too many requests"),
    NotReadyError: (503, "not-ready", "Service not ready"),
    PayloadTooLargeError: (413, "payload-too-large", "Request body too large"),
    ReplayError: (422, "not-replayable", "Record cannot be replayed"),
    UnknownEventTypeError: (422, "unknown-event-type", "Unknown event type"),
    EncodeError: (422, "invalid-event-data", "Event data does not fit its schema"),
    DecodeError: (422, "undecodable-event", "Event body cannot be decoded"),
    SubjectNotFoundError: (422, "schema-not-registered", "Event schema not registered"),
    SchemaNotFoundError: (422, "schema-not-registered", "Event schema not registered"),
    StoreUnavailableError: (503, "unavailable", "Dependency unavailable"),
    SchemaError: (422, "schema-error", "Schema error"),
    EventRejected: (422, "signature-rejected", "Event rejected"),
    CatalogError: (422, "invalid-catalog", "Invalid catalog entry"),
    PublishError: (503, "publish-failed", "Kafka did not acknowledge"),
    RegistryError: (404, "not-found", "Not found"),
}
_HTTP_SLUGS: Final[dict[int, tuple[str, str]]] = {
    400: ("malformed-request", "Malformed request"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}
_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Malformed request or invalid cursor",
    401: "Missing or unknown credential",
    403: "Credential not allowed to do this",
    404: "Not found (or not visible to this caller)",
    409: "Conflict",
    413: "Request body too large",
    422: "Request readable but not acceptable",
    429: "Rate limit exceeded (see Retry-After)",
    503: "A dependency is not available",
}


def problem_type(slug: str) -> str:
    """The stable ``type`` URI of a problem slug."""
    return PROBLEM_BASE + slug


ProblemExample = BaseException | Mapping[str, Any]
"""An OpenAPI example of a problem: an error (rendered exactly as the API renders it) or
a ready problem body."""

_TEXT = {"type": "string"}
_HEADERS: Final[dict[int, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {"description": 'Bearer realm="thanhhoa-hub"', "schema": _TEXT}},
    429: {"Retry-After": {"description": "seconds until the next request", "schema": _TEXT}},
}


def problem_example(error: BaseException, instance: str | None = None) -> dict[str, Any]:
    """The problem body the API answers for ``error`` at path ``instance``."""
    return _body(response_for(error, instance))


def invalid_request_example(
    instance: str, loc: Sequence[str | int], msg: str, kind: str
) -> dict[str, Any]:
    """The problem for a request that does not match the API's schema (422), or for a
    body that is not JSON at all (``kind`` ``json_invalid``, 400)."""
    error = RequestValidationError([{"type": kind, "loc": tuple(loc), "msg": msg}])
    return _body(_validation_response(error, instance))


def _body(response: JSONResponse) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(bytes(response.body))
    return body


_AT_MOST_500 = "Input should be less than or equal to 500"


def _default_examples(code: int, instance: str | None) -> list[ProblemExample]:
    """What most routes answer with ``code`` (routes may document their own instead)."""
    where = instance or ""  # no instance: dropped from the examples by the caller
    defaults: dict[int, list[ProblemExample]] = {
        400: [invalid_request_example(where, ("body", 12), "JSON decode error", "json_invalid")],
        401: [NotAuthenticatedError("an API key is required (X-API-Key or Authorization: Bearer)")],
        403: [ForbiddenError("this needs one of the roles: admin, operator")],
        404: [_body(problem(404, "not-found", "Not found", "Not Found", where))],
        409: [EventIdConflictError("event id was accepted with other content")],
        413: [PayloadTooLargeError("the body exceeds 1000000 bytes")],
        422: [invalid_request_example(where, ("query", "limit"), _AT_MOST_500, "less_than_equal")],
        429: [RateLimitedError("rate limit of 20/s exceeded", retry_after=0.05)],
        503: [PublishError("Kafka did not acknowledge the publish to hub.ingress: timed out")],
    }
    return defaults.get(code, [])


def _examples_of(examples: Sequence[ProblemExample], instance: str | None) -> dict[str, Any]:
    """OpenAPI Example Objects keyed by problem slug."""
    out: dict[str, Any] = {}
    for example in examples:
        body = (
            problem_example(example, instance)
            if isinstance(example, BaseException)
            else dict(example)
        )
        if instance is None:
            body.pop("instance", None)
        slug = str(body["type"]).removeprefix(PROBLEM_BASE)
        key = f"{slug}-{len(out) + 1}" if slug in out else slug
        out[key] = {"summary": str(body["title"]), "value": body}
    return out


def problem_responses(
    *codes: int,
    instance: str | None = None,
    examples: Mapping[int, Sequence[ProblemExample]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json answers with these status codes.

    Each code carries examples as the API really renders them: the route's ``examples``
    for the code (errors it raises, or ready bodies), else the usual ones for the code;
    ``instance`` is an example request path of the route.
    """
    ref = {"$ref": "#/components/schemas/Problem"}
    given = examples or {}
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        media: dict[str, Any] = {"schema": ref}
        found = _examples_of(given.get(code) or _default_examples(code, instance), instance)
        if found:
            media["examples"] = found
        response: dict[str, Any] = {
            "model": Problem,
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: media},
        }
        if code in _HEADERS:
            response["headers"] = _HEADERS[code]
        out[code] = response
    return out


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": problem_type(slug),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _classify(exc: BaseException) -> tuple[int, str, str] | None:
    for cls in type(exc).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    return None


def _extra_of(exc: BaseException) -> dict[str, Any]:
    index = getattr(exc, BATCH_INDEX, None)
    extra: dict[str, Any] = {} if index is None else {"index": index}
    if isinstance(exc, ApiError):
        return {**extra, **exc.extra}
    if isinstance(exc, EventRejected):
        return {**extra, "reason": exc.reason.value}
    if isinstance(exc, CatalogError):
        return {
            **extra,
            "issues": [
                {"file": i.file, "entry": i.entry, "field": i.field, "message": i.message}
                for i in exc.issues
            ],
        }
    return extra


def response_for(exc: BaseException, instance: str | None = None) -> JSONResponse:
    """The problem response for any error (500 for what the table does not know)."""
    found = _classify(exc)
    if found is None:
        log.error("unhandled error", exc_info=exc)
        return problem(500, "internal-error", "Internal error", "unexpected error", instance)
    status, slug, title = found
    headers = None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, int(exc.retry_after + 0.999)))}
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="thanhhoa-hub"'}
    detail = exc.detail if isinstance(exc, ApiError | EventRejected) else str(exc)
    return problem(status, slug, title, detail, instance, _extra_of(exc), headers)


def _validation_response(exc: RequestValidationError, instance: str) -> JSONResponse:
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e["type"]}
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(
            400, "malformed-json", "Malformed JSON", "the body is not valid JSON", instance
        )
    return problem(
        422,
        "validation-error",
        "Invalid request",
        "the request does not match the API's schema",
        instance,
        {"errors": errors},
    )


def install_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        return response_for(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_response(exc, request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem(exc.status_code, slug, title, detail, request.url.path, headers=exc.headers)

    for cls in (ApiError, SchemaError, EventRejected, RegistryError):
        app.add_exception_handler(cls, on_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_error)
