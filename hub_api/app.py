"""The FastAPI application factory: one router per resource, wired here.

The lifespan starts the shared resources (registry view, dossier view, Kafka producers)
after the schema registry's store, and stops them in reverse order. Tests may pass
ready-made :class:`~hub_api.services.Services` (then nothing is started here).
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub_api import errors, support_models
from hub_api.auth import AuthContext, CredentialStore, LookupTokens
from hub_api.errors import PayloadTooLargeError, install_handlers, response_for
from hub_api.metrics import ApiMetrics
from hub_api.ratelimit import TokenBuckets
from hub_api.routers import (
    citizen,
    dossiers,
    events,
    openapi_examples,
    operations,
    registry,
    registry_examples,
    support,
)
from hub_api.routers.schema_registry import STATE_ATTRIBUTE, attach_schema_registry
from hub_api.services import Services, start_services
from hub_settings import HubSettings, load_settings
from registry.schema_store import SchemaStore

log = logging.getLogger(__name__)

_ROUTERS = (events, dossiers, support, registry, operations, citizen)

_DESCRIPTION = """\
Inter-agency integration bus of Thanh Hóa province (LGSP, *trục liên thông*).

**Authentication**: an API key `<key id>.<secret>` as `X-API-Key` or `Authorization:
Bearer`. Roles: `agency` (publish as itself, read the dossiers it is party to), `operator`
(read everything, quarantine and dead-letter), `admin` (also registry writes). Registry
reads, health and metrics are public; the citizen lookup needs the dossier code and its
lookup token. Every error is `application/problem+json` (RFC 9457) with a stable `type`
under `https://hub.thanhhoa.gov.vn/problems/`.
"""


def _auth_context(settings: HubSettings) -> AuthContext:
    secret = settings.api.lookup_secret
    if secret is None:
        log.warning("HUB_API_LOOKUP_SECRET is not set: lookup tokens last only this process")
        raw = secrets.token_bytes(32)
    else:
        raw = secret.get_secret_value().encode()
    return AuthContext(
        credentials=CredentialStore.from_file(settings.api.credentials_file),
        limiter=TokenBuckets(settings.api.rate_per_s, settings.api.rate_burst),
        lookup=LookupTokens(raw),
    )


class BodyLimit:
    """Refuses request bodies over ``max_bytes`` with a 413 problem (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = PayloadTooLargeError(f"the body exceeds {self.max_bytes} bytes")
        declared = dict(scope.get("headers", ())).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await response_for(too_large, scope.get("path"))(scope, receive, send)
            return
        seen = 0
        exceeded = False

        async def counting() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise too_large
            return message

        async def guarded(message: Message) -> None:
            # whatever the app answers once the limit was hit (FastAPI turns a failed body
            # read into a 400), the client gets the 413 problem instead
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await response_for(too_large, scope.get("path"))(scope, receive, send)

        await self.app(scope, counting, guarded)


_LOCAL_TIME = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}


def _local_times(node: Any) -> None:
    """pydantic documents ``datetime.time`` as JSON Schema ``format: time``, which requires
    a UTC offset; the catalog's times (e.g. a same-day cutoff "15:00:00") are local wall
    times without one, so document them by pattern instead.
    """
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node.update(_LOCAL_TIME)
        for child in node.values():
            _local_times(child)
    elif isinstance(node, list):
        for child in node:
            _local_times(child)


def _own_examples(model: type) -> list[Any] | None:
    extra = getattr(model, "model_config", {}).get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return examples if isinstance(examples, list) else None


def _documented_examples() -> dict[str, list[Any]]:
    """Examples by component name: the routers' and errors' models' own, then those of the
    models defined below the routers (dossier views, catalog entries).
    """
    found: dict[str, list[Any]] = {}
    for module in (*_ROUTERS, errors, support_models):
        for value in vars(module).values():
            own = _own_examples(value) if isinstance(value, type) else None
            if own is not None and value.__module__ == module.__name__:
                found[value.__name__] = own
    for models in (openapi_examples.COMPONENT_EXAMPLES, registry_examples.COMPONENT_EXAMPLES):
        for model, examples in models.items():
            found.setdefault(model.__name__, examples)
    return found


def _component_examples(document: dict[str, Any]) -> None:
    """Set the components' examples exactly as documented. FastAPI encodes the document
    with ``exclude_none``, which also drops the nulls inside examples (the required
    ``finished_at: null`` of a dossier in progress), and cannot see the examples of models
    defined outside the routers.
    """
    schemas = document.get("components", {}).get("schemas", {})
    for name, examples in _documented_examples().items():
        if name in schemas:
            schemas[name]["examples"] = copy.deepcopy(examples)


def _openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _local_times(document)
            _component_examples(document)
        assert app.openapi_schema is not None
        return app.openapi_schema

    return openapi


def create_app(
    settings: HubSettings | None = None,
    *,
    services: Services | None = None,
    auth: AuthContext | None = None,
) -> FastAPI:
    """Build the hub's HTTP application for ``settings`` (read from the environment if None)."""
    settings = settings or load_settings()
    metrics = services.metrics if services is not None else ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        if services is not None:
            yield {}
            return
        store = getattr(app.state, STATE_ATTRIBUTE)
        assert isinstance(store, SchemaStore)
        running = await run_in_threadpool(start_services, settings, store, metrics)
        app.state.services = running
        try:
            yield {}
        finally:
            await run_in_threadpool(running.close)

    app = FastAPI(
        title="Thanh Hóa Integration Hub",
        description=_DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth = auth or _auth_context(settings)
    if services is not None:
        app.state.services = services
    install_handlers(app)
    app.middleware("http")(metrics.middleware)
    app.add_middleware(BodyLimit, max_bytes=settings.api.max_body_bytes)
    for module in _ROUTERS:
        app.include_router(module.router)
    app.mount("/citizen/static", StaticFiles(directory=citizen.STATIC_DIR), name="citizen-static")
    # The schema registry wraps the lifespan above, so its store runs first.
    attach_schema_registry(app, settings, topic=settings.schemas_topic)
    app.openapi = _openapi_of(app)  # type: ignore[method-assign]
    return app
