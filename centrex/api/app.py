"""The FastAPI application factory (routes are added per resource in `api/routes/`)."""

from __future__ import annotations

from fastapi import FastAPI

from centrex import __version__


def create_app() -> FastAPI:
    """Build the HTTP application: REST API under /api/v1 and the portal."""
    app = FastAPI(
        title="Centrex",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
    )

    @app.get("/api/v1/health", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
