"""Routes built once per process and shared by every application made from the same routers.

Why: `FastAPI.include_router` rebuilds each route's dependency tree and response models
(pydantic TypeAdapters) for the app it is included in, ~0.5 s for Centrex's API and portal on
a small VM. A server builds one app and does not care; the test suite builds one app per test
(each with its own database and services) and paid that thousands of times. The built route
objects hold no per-app state: services reach handlers through `request.app.state` and the
middleware, so the same route objects can serve several apps. What `include_router` adds beyond
routes (startup/shutdown handlers, dependency overrides) is not used by Centrex's routers; a
router that needs them must be included the usual way.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

__all__ = ["include_routers"]

# keyed by the routers' identities: module-level routers live as long as the process
_built: dict[tuple[int, ...], tuple[BaseRoute, ...]] = {}


def include_routers(app: FastAPI, *routers: APIRouter) -> None:
    """`app.include_router` for each router, building the routes only the first time."""
    key = tuple(id(router) for router in routers)
    routes = _built.get(key)
    if routes is None:
        holder = APIRouter()
        for router in routers:
            if router.on_startup or router.on_shutdown:
                raise TypeError("a router with startup/shutdown handlers needs include_router")
            holder.include_router(router)
        routes = _built[key] = tuple(holder.routes)
    app.router.routes.extend(routes)
