"""Errors of the HTTP API and the one place where any error becomes a status code.

Every error answer is ``application/problem+json`` (RFC 9457) with a stable ``type`` URI
``https://hub.thanhhoa.gov.vn/problems/<slug>``. Handlers raise the API's own errors
(below) or let domain errors of ``schemas``, ``security`` and ``registry`` through;
:data:`_TABLE` maps each class to its status and slug, nowhere else knows codes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
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

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(default="", examples=["no dossier 000.00.06.H56-260302-0001"])
    instance: str | None = None


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


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json answers with these status codes."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
        }
        for code in codes
    }


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
