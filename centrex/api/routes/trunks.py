"""/api/v1/trunks and /api/v1/outbound-routes: the provider's carriers (platform admin only).

Trunk passwords are encrypted at rest and never echoed; the view says only whether one is set.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Session, require_platform_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, Count, IdPath, Strict
from centrex.provisioning import provider
from centrex.provisioning import trunks as service
from centrex.provisioning.views import route_view, trunk_view

router = APIRouter(prefix="/api/v1", tags=["trunks"], responses=PROBLEM_RESPONSES)

Host = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:\[\]-]+$")
]
ShortName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
Secret = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
Port = Annotated[int, Field(ge=1, le=65535)]
Priority = Annotated[int, Field(ge=1, le=1000)]
Prefix = Annotated[str, StringConstraints(max_length=20, pattern=r"^\+?[0-9]*$")]


class TrunkIn(Strict):
    name: ShortName
    host: Host
    port: Port = 5060
    priority: Priority = 1
    transport: Literal["udp", "tcp", "tls"] = "udp"
    username: ShortName | None = None
    password: Secret | None = None
    max_calls: Count | None = None
    registers: bool = Field(default=False, alias="register")
    enabled: bool = True


class TrunkPatch(Strict):
    host: Host | None = None
    port: Port | None = None
    priority: Priority | None = None
    transport: Literal["udp", "tcp", "tls"] | None = None
    username: ShortName | None = None
    password: Secret | None = None
    max_calls: Count | None = None
    registers: bool | None = Field(default=None, alias="register")
    enabled: bool | None = None


class TrunkOut(BaseModel):
    id: int
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    has_password: bool
    priority: int
    enabled: bool
    max_calls: int | None
    registers: bool = Field(alias="register")


class RouteIn(Strict):
    name: ShortName
    prefix: Prefix = ""
    trunks: Annotated[list[ShortName], Field(min_length=1, max_length=20)]


class RouteOut(BaseModel):
    id: int
    name: str
    prefix: str
    trunks: list[str]


@router.get("/trunks", response_model=Page[TrunkOut], tags=["trunks"])
async def list_trunks(session: Session, caller: Caller, query: Listing) -> dict[str, Any]:
    require_platform_admin(caller)
    views = [trunk_view(t) for t in await service.list_trunks(session)]
    return paginate(
        views, query, orders=("id", "name", "priority", "host"), searchable=("name", "host")
    )


@router.post("/trunks", status_code=201, response_model=TrunkOut)
async def create_trunk(
    request: Request, body: TrunkIn, session: Session, caller: Caller, response: Response
) -> dict[str, Any]:
    require_platform_admin(caller)
    trunk = await service.create_trunk(
        session, request.app.state.services.secret_box, **body.model_dump(by_alias=True)
    )
    response.headers["Location"] = f"/api/v1/trunks/{trunk.id}"
    return trunk_view(trunk)


@router.get("/trunks/{trunk_id}", response_model=TrunkOut)
async def get_trunk(trunk_id: IdPath, session: Session, caller: Caller) -> dict[str, Any]:
    require_platform_admin(caller)
    return trunk_view(await provider.get_trunk_by_id(session, trunk_id))


@router.patch("/trunks/{trunk_id}", response_model=TrunkOut)
async def update_trunk(
    request: Request, trunk_id: IdPath, body: TrunkPatch, session: Session, caller: Caller
) -> dict[str, Any]:
    require_platform_admin(caller)
    trunk = await provider.get_trunk_by_id(session, trunk_id)
    await provider.update_trunk(
        session,
        request.app.state.services.secret_box,
        trunk,
        **body.model_dump(exclude_unset=True, by_alias=True),
    )
    return trunk_view(trunk)


@router.delete("/trunks/{trunk_id}", status_code=204)
async def delete_trunk(trunk_id: IdPath, session: Session, caller: Caller) -> Response:
    require_platform_admin(caller)
    await provider.delete_trunk(session, trunk_id)
    return Response(status_code=204)


@router.get("/outbound-routes", response_model=Page[RouteOut], tags=["trunks"])
async def list_routes(session: Session, caller: Caller, query: Listing) -> dict[str, Any]:
    require_platform_admin(caller)
    views = [route_view(r, t) for r, t in await service.list_routes(session)]
    return paginate(views, query, orders=("id", "name", "prefix"), searchable=("name", "prefix"))


@router.post("/outbound-routes", status_code=201, response_model=RouteOut)
async def create_route(
    body: RouteIn, session: Session, caller: Caller, response: Response
) -> dict[str, Any]:
    require_platform_admin(caller)
    route = await service.create_route(
        session, name=body.name, prefix=body.prefix, trunk_names=body.trunks
    )
    response.headers["Location"] = f"/api/v1/outbound-routes/{route.id}"
    return route_view(*await provider.get_route(session, route.id))


@router.get("/outbound-routes/{route_id}", response_model=RouteOut)
async def get_route(route_id: IdPath, session: Session, caller: Caller) -> dict[str, Any]:
    require_platform_admin(caller)
    return route_view(*await provider.get_route(session, route_id))


@router.delete("/outbound-routes/{route_id}", status_code=204)
async def delete_route(route_id: IdPath, session: Session, caller: Caller) -> Response:
    require_platform_admin(caller)
    await provider.delete_route(session, route_id)
    return Response(status_code=204)
