"""The FastAPI application factory: one router per resource, wired here."""

from __future__ import annotations

from fastapi import FastAPI

from hub_api.routers.schema_registry import attach_schema_registry
from hub_settings import HubSettings, load_settings


def create_app(settings: HubSettings | None = None) -> FastAPI:
    """Build the hub's HTTP application for ``settings`` (read from the environment if None)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="Thanh Hóa Integration Hub",
        description="Inter-agency integration bus of Thanh Hóa province (LGSP).",
        version="0.1.0",
    )
    app.state.settings = settings

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    # Routers are included below, one per resource.
    attach_schema_registry(app, settings)
    return app
