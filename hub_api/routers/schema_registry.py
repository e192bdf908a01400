"""The Confluent-compatible Schema Registry REST API, mounted at ``/schema-registry``.

Standard Confluent clients and serializers work against it unchanged: same paths, bodies,
media type and error bodies (``error_code``, ``message``). Handlers stay thin: the work is
in :class:`registry.schema_store.SchemaStore`; errors map to codes in one table here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from hub_settings import HubSettings
from registry.schema_store import SchemaStore, SchemaVersion
from schemas import (
    CompatibilityLevel,
    IncompatibleSchemaError,
    InvalidCompatibilityLevelError,
    InvalidSchemaError,
    InvalidVersionError,
    SchemaError,
    SchemaNotFoundError,
    StoreUnavailableError,
    SubjectConfigNotFoundError,
    SubjectNotFoundError,
    VersionNotFoundError,
)

MEDIA_TYPE: Final = "application/vnd.schemaregistry.v1+json"
PREFIX: Final = "/schema-registry"
STATE_ATTRIBUTE: Final = "schema_store"

# Confluent error code per error class; the HTTP status is its first three digits.
_ERROR_CODES: Final[dict[type[SchemaError], int]] = {
    SubjectNotFoundError: 40401,
    VersionNotFoundError: 40402,
    SchemaNotFoundError: 40403,
    SubjectConfigNotFoundError: 40408,
    IncompatibleSchemaError: 409,
    InvalidSchemaError: 42201,
    InvalidVersionError: 42202,
    InvalidCompatibilityLevelError: 42203,
    StoreUnavailableError: 50002,
}


class RegistryResponse(JSONResponse):
    """JSON with the schema registry's media type."""

    media_type = MEDIA_TYPE


def error_response(error_code: int, message: str) -> RegistryResponse:
    """A Confluent error body with the HTTP status its code implies."""
    status = error_code if error_code < 1000 else int(str(error_code)[:3])
    return RegistryResponse({"error_code": error_code, "message": message}, status_code=status)


def _code_of(exc: SchemaError) -> int:
    for cls in type(exc).__mro__:
        if cls in _ERROR_CODES:
            return _ERROR_CODES[cls]
    return 50001


class _RegistryRoute(APIRoute):
    """Turns schema errors and bad request bodies into Confluent error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SchemaError as exc:
                return error_response(_code_of(exc), str(exc))
            except RequestValidationError as exc:
                return error_response(422, f"Unprocessable request: {exc.errors()}")

        return route


router = APIRouter(
    route_class=_RegistryRoute, default_response_class=RegistryResponse, tags=["schema registry"]
)


def get_store(request: Request) -> SchemaStore:
    """The process's schema store, set on ``app.state`` by :func:`attach_schema_registry`."""
    store = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if not isinstance(store, SchemaStore):
        raise StoreUnavailableError("the schema store is not running")
    return store


Store = Annotated[SchemaStore, Depends(get_store)]
JsonBody = Annotated[Any, Body()]


def _schema_of(body: Any) -> str:
    """The schema text of a register/lookup/compatibility body (AVRO only, no references)."""
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise InvalidSchemaError("request body must be an object with a 'schema' string")
    if body.get("schemaType", "AVRO") != "AVRO":
        raise InvalidSchemaError(f"unsupported schemaType {body['schemaType']!r}; only AVRO")
    if body.get("references"):
        raise InvalidSchemaError("schema references are not supported; inline named types")
    schema: str = body["schema"]
    return schema


def _version_body(entry: SchemaVersion) -> dict[str, Any]:
    return {
        "subject": entry.subject,
        "version": entry.version,
        "id": entry.schema_id,
        "schema": entry.schema,
    }


def _level_of(body: Any) -> CompatibilityLevel:
    if not isinstance(body, dict) or not isinstance(body.get("compatibility"), str):
        raise InvalidCompatibilityLevelError("body must be an object with a 'compatibility'")
    return CompatibilityLevel.parse(body["compatibility"])


@router.get("/")
def root() -> dict[str, Any]:
    """Confluent answers its root with an empty object (used as a health probe)."""
    return {}


@router.get("/schemas/types")
def schema_types() -> list[str]:
    """The schema formats this registry accepts."""
    return ["AVRO"]


@router.get("/schemas/ids/{schema_id}")
def schema_by_id(schema_id: int, store: Store) -> dict[str, Any]:
    """The schema with a global id."""
    return {"schema": store.schema_by_id(schema_id)}


@router.get("/subjects")
def subjects(store: Store, deleted: bool = False) -> list[str]:
    """Every subject."""
    return store.subjects(include_deleted=deleted)


@router.get("/subjects/{subject}/versions")
def versions(subject: str, store: Store, deleted: bool = False) -> list[int]:
    """The version numbers of a subject."""
    return [e.version for e in store.versions(subject, include_deleted=deleted)]


@router.post("/subjects/{subject}/versions")
def register(subject: str, body: JsonBody, store: Store) -> dict[str, Any]:
    """Register a schema under a subject (idempotent); returns its global id."""
    return {"id": store.register(subject, _schema_of(body))}


@router.get("/subjects/{subject}/versions/{version}")
def get_version(subject: str, version: str, store: Store, deleted: bool = False) -> dict[str, Any]:
    """One version of a subject (a number, ``latest`` or -1)."""
    return _version_body(store.get_version(subject, version, include_deleted=deleted))


@router.get("/subjects/{subject}/versions/{version}/schema")
def get_version_schema(subject: str, version: str, store: Store) -> Response:
    """Only the schema text of one version."""
    return Response(store.get_version(subject, version).schema, media_type=MEDIA_TYPE)


@router.post("/subjects/{subject}")
def lookup(subject: str, body: JsonBody, store: Store, deleted: bool = False) -> dict[str, Any]:
    """Is this schema registered under the subject? Returns its version and id."""
    return _version_body(store.lookup(subject, _schema_of(body), include_deleted=deleted))


@router.delete("/subjects/{subject}/versions/{version}")
def delete_version(subject: str, version: str, store: Store) -> int:
    """Soft-delete one version."""
    return store.delete_version(subject, version)


@router.delete("/subjects/{subject}")
def delete_subject(subject: str, store: Store) -> list[int]:
    """Soft-delete every version of a subject."""
    return store.delete_subject(subject)


@router.post("/compatibility/subjects/{subject}/versions/{version}")
def compatibility(
    subject: str, version: str, body: JsonBody, store: Store, verbose: bool = False
) -> dict[str, Any]:
    """Would this schema pass the subject's rule against that version?"""
    result = store.check(subject, version, _schema_of(body))
    answer: dict[str, Any] = {"is_compatible": result.compatible}
    if verbose:
        answer["messages"] = list(result.messages)
    return answer


@router.get("/config")
def get_global_config(store: Store) -> dict[str, Any]:
    """The global compatibility level."""
    return {"compatibilityLevel": store.get_level().value}


@router.put("/config")
def put_global_config(body: JsonBody, store: Store) -> dict[str, Any]:
    """Set the global compatibility level."""
    return {"compatibility": store.set_level(_level_of(body)).value}


@router.get("/config/{subject}")
def get_subject_config(
    subject: str,
    store: Store,
    defaultToGlobal: bool = False,  # noqa: N803 - Confluent's name
) -> dict[str, Any]:
    """A subject's own compatibility level (or the global one, with defaultToGlobal)."""
    level = store.get_level(subject, default_to_global=defaultToGlobal)
    return {"compatibilityLevel": level.value}


@router.put("/config/{subject}")
def put_subject_config(subject: str, body: JsonBody, store: Store) -> dict[str, Any]:
    """Set a subject's compatibility level."""
    return {"compatibility": store.set_level(_level_of(body), subject).value}


@router.delete("/config/{subject}")
def delete_subject_config(subject: str, store: Store) -> dict[str, Any]:
    """Remove a subject's own level (it follows the global one again)."""
    return {"compatibilityLevel": store.delete_level(subject).value}


def attach_schema_registry(
    app: FastAPI,
    settings: HubSettings,
    *,
    topic: str | None = None,
    store: SchemaStore | None = None,
) -> None:
    """Mount the registry and run its store for the app's lifetime (FastAPI lifespan).

    A ``store`` passed in is used as is and left to its owner to start and stop.
    """
    app.include_router(router, prefix=PREFIX)
    if store is not None:
        setattr(app.state, STATE_ATTRIBUTE, store)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        owned = store is None
        running = store or SchemaStore(settings, topic=topic)
        if owned:
            await run_in_threadpool(running.start)
        setattr(application.state, STATE_ATTRIBUTE, running)
        try:
            async with previous(application) as state:
                yield state
        finally:
            if owned:
                await run_in_threadpool(running.stop)

    app.router.lifespan_context = lifespan
