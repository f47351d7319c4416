"""/api/v1/ring-groups: a tenant's ring groups (Wazo-like fields: `number`, `name`, `strategy`,
`ring_seconds`, `members` as `[{"target": "102"}, …]`, `fallback`).

A member is an extension of the caller's tenant or an outside number; another tenant's
extension is unknown here (422 `ring-group-member-unknown`), another tenant's group is 404. The
rules are `centrex.provisioning.ring_groups`'. PATCH replaces the members when they are given;
`"fallback": null` clears the fallback.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, IdPath, Strict
from centrex.provisioning import ring_groups as service

router = APIRouter(prefix="/api/v1/ring-groups", tags=["ring-groups"], responses=PROBLEM_RESPONSES)

GroupNumber = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[0-9]+$")]
Label = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
Target = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\+?[0-9 ]+$")]
Dest = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
StrategyName = Literal["simultaneous", "sequential", "round-robin", "longest-idle", "page"]
Seconds = Annotated[int, Field(ge=service.MIN_RING_SECONDS, le=service.MAX_RING_SECONDS)]


class MemberIn(Strict):
    target: Target


Members = Annotated[list[MemberIn], Field(min_length=1, max_length=service.MAX_MEMBERS)]


class GroupIn(Strict):
    number: GroupNumber
    name: Label = ""
    strategy: StrategyName = "simultaneous"
    ring_seconds: Seconds = service.DEFAULT_RING_SECONDS
    members: Members
    fallback: Dest | None = None


class GroupPatch(Strict):
    number: GroupNumber | None = None
    name: Label | None = None
    strategy: StrategyName | None = None
    ring_seconds: Seconds | None = None
    members: Members | None = None
    fallback: Dest | None = None


class MemberOut(BaseModel):
    target: str


class GroupOut(BaseModel):
    id: int
    number: str
    name: str
    strategy: str
    ring_seconds: int
    members: list[MemberOut]
    fallback: str | None


@router.get("", response_model=Page[GroupOut])
async def list_ring_groups(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    views = [v.as_dict() for v in await service.list_ring_groups(scope)]
    return paginate(
        views, query, orders=("id", "number", "name"), default="number",
        searchable=("number", "name"),
    )  # fmt: skip


@router.post("", status_code=201, response_model=GroupOut)
async def create_ring_group(
    body: GroupIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.create_ring_group(
        scope,
        number=body.number,
        name=body.name,
        strategy=body.strategy,
        ring_seconds=body.ring_seconds,
        members=[m.target for m in body.members],
        fallback=body.fallback,
    )
    response.headers["Location"] = f"/api/v1/ring-groups/{view.group.id}"
    return view.as_dict()


@router.get("/{group_id}", response_model=GroupOut)
async def get_ring_group(group_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return (await service.get_ring_group_by_id(scope, group_id)).as_dict()


@router.patch("/{group_id}", response_model=GroupOut)
async def update_ring_group(
    group_id: IdPath, body: GroupPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.get_ring_group_by_id(scope, group_id)
    given = body.model_fields_set
    view = await service.update_ring_group(
        scope,
        view,
        number=body.number,
        name=body.name,
        strategy=body.strategy,
        ring_seconds=body.ring_seconds,
        members=[m.target for m in body.members] if body.members is not None else None,
        fallback=body.fallback,
        clear_fallback="fallback" in given and body.fallback is None,
    )
    return view.as_dict()


@router.delete("/{group_id}", status_code=204)
async def delete_ring_group(group_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_ring_group(scope, await service.get_ring_group_by_id(scope, group_id))
    return Response(status_code=204)
