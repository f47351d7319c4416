"""/api/v1/health (readiness: database and SIP listener) and /metrics (Prometheus text).

Both are unauthenticated, like the probes and scrapers that call them. Neither says anything
about a tenant: health names components, metrics carry no tenant label (`centrex.ops.metrics`).
Put /metrics behind the reverse proxy's access rules when the HTTP port is public.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from centrex import __version__
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.ops.health import HealthChecks
from centrex.ops.metrics import CONTENT_TYPE, Metrics

router = APIRouter(responses=PROBLEM_RESPONSES)


class CheckOut(BaseModel):
    status: str
    detail: str | None = None


class Health(BaseModel):
    status: str
    version: str
    checks: dict[str, CheckOut] = {}


@router.get(
    "/api/v1/health",
    tags=["ops"],
    response_model=Health,
    responses={503: {"model": Health, "description": "a check failed (named in `checks`)"}},
)
async def health(request: Request) -> JSONResponse:
    """200 when every check passes, else 503 with the failing checks and why."""
    checks: HealthChecks = getattr(request.app.state, "health", None) or HealthChecks()
    healthy, results = await checks.run()
    body = Health(
        status="ok" if healthy else "failing",
        version=__version__,
        checks={name: CheckOut(status=r.status, detail=r.detail) for name, r in results.items()},
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


@router.get("/metrics", tags=["ops"], include_in_schema=False)
async def metrics(request: Request) -> Response:
    found: Metrics | None = getattr(request.app.state, "metrics", None)
    if found is None:
        return Response("metrics are not enabled\n", status_code=404, media_type="text/plain")
    return Response(found.render(), media_type=CONTENT_TYPE)
