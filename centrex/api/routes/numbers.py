"""/api/v1/numbers: the tenant's DIDs (assign, re-point, release) and /api/v1/number-ranges
(the provider's blocks, platform admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import (
    Caller,
    Now,
    Scope,
    Session,
    require_platform_admin,
    require_tenant_admin,
)
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import IdPath, OptName, RefId, Strict
from centrex.data.models import CallQueue, Conference, Extension, Number, RingGroup, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import numbers as service
from centrex.provisioning import provider
from centrex.provisioning.views import number_view, range_view

router = APIRouter(prefix="/api/v1", tags=["numbers"], responses=PROBLEM_RESPONSES)

E164 = Annotated[str, StringConstraints(min_length=3, max_length=20, pattern=r"^\+?[0-9 ]+$")]


class NumberIn(Strict):
    e164: E164
    extension_id: RefId | None = None
    ring_group_id: RefId | None = None  # or a ring group: its members ring
    conference_id: RefId | None = None  # or a conference room: callers join it
    queue_id: RefId | None = None  # or an ACD queue: callers wait for an agent


class NumberPatch(Strict):
    extension_id: RefId | None = None
    ring_group_id: RefId | None = None
    conference_id: RefId | None = None
    queue_id: RefId | None = None


class NumberOut(BaseModel):
    id: int
    e164: str
    state: str
    tenant_id: int | None
    extension_id: int | None
    extension: str | None
    ring_group_id: int | None = None
    ring_group: str | None = None
    conference_id: int | None = None
    queue_id: int | None = None
    range_id: int | None


class RangeIn(Strict):
    first: E164
    last: E164
    description: OptName = ""


class RangeOut(BaseModel):
    id: int
    first: str
    last: str
    description: str
    size: int | None = None


async def _extension(scope: TenantScope, extension_id: int | None) -> Extension | None:
    if extension_id is None:
        return None
    extension = await scope.first(Extension, Extension.id == extension_id)
    if extension is None:
        raise NotFound(
            f"extension {extension_id} not found",
            error_id="extension-not-found",
            field="extension_id",
        )
    return extension


async def _group(scope: TenantScope, group_id: int | None) -> RingGroup | None:
    if group_id is None:
        return None
    group = await scope.first(RingGroup, RingGroup.id == group_id)
    if group is None:
        raise NotFound(f"ring group {group_id} not found", error_id="ring-group-not-found",
                       field="ring_group_id")  # fmt: skip
    return group


async def _room(scope: TenantScope, room_id: int | None) -> Conference | None:
    if room_id is None:
        return None
    room = await scope.first(Conference, Conference.id == room_id)
    if room is None:
        raise NotFound(f"conference {room_id} not found", error_id="conference-not-found",
                       field="conference_id")  # fmt: skip
    return room


async def _queue(scope: TenantScope, queue_id: int | None) -> CallQueue | None:
    if queue_id is None:
        return None
    queue = await scope.first(CallQueue, CallQueue.id == queue_id)
    if queue is None:
        raise NotFound(f"queue {queue_id} not found", error_id="queue-not-found",
                       field="queue_id")  # fmt: skip
    return queue


def _one_destination(body: NumberIn | NumberPatch) -> None:
    chosen = [name for name in ("extension_id", "ring_group_id", "conference_id", "queue_id")
              if getattr(body, name) is not None]  # fmt: skip
    if len(chosen) > 1:
        raise ValidationFailed(
            "a number goes to one extension, ring group, conference room or queue",
            error_id="number-two-destinations",
            field=chosen[-1],
        )  # fmt: skip


async def _view(scope: TenantScope, number: Number) -> dict[str, Any]:
    extension = await _extension(scope, number.extension_id) if number.extension_id else None
    group = await scope.first(RingGroup, RingGroup.id == number.ring_group_id)
    view = number_view(number, extension.number if extension else None,
                       group.number if group is not None else None)  # fmt: skip
    return {**view, "conference_id": number.conference_id, "queue_id": number.queue_id}


async def _get(scope: TenantScope, number_id: int) -> Number:
    number = await scope.first(Number, Number.id == number_id)
    if number is None:
        raise NotFound(f"number {number_id} not found", error_id="number-not-found")
    return number


@router.get("/numbers", response_model=Page[NumberOut])
async def list_numbers(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    views = [await _view(scope, n) for n in await service.list_numbers(scope)]
    return paginate(
        views, query, orders=("id", "e164", "extension"), default="e164", searchable=("e164",)
    )


@router.post("/numbers", status_code=201, response_model=NumberOut)
async def assign_number(
    body: NumberIn, scope: Scope, caller: Caller, session: Session, response: Response, now: Now
) -> dict[str, Any]:
    """Give a DID to the tenant, optionally routed to one of its extensions."""
    require_tenant_admin(caller)
    _one_destination(body)
    extension = await _extension(scope, body.extension_id)
    group = await _group(scope, body.ring_group_id)
    room = await _room(scope, body.conference_id)
    queue = await _queue(scope, body.queue_id)
    tenant = await session.get(Tenant, scope.tenant_id)
    number = await service.assign_number(
        scope,
        body.e164,
        now=now,
        country=tenant.country if tenant else None,
        extension_number=extension.number if extension else None,
        ring_group_number=group.number if group else None,
        conference_number=room.number if room else None,
        queue_number=queue.number if queue else None,
    )
    response.headers["Location"] = f"/api/v1/numbers/{number.id}"
    return await _view(scope, number)


@router.get("/numbers/{number_id}", response_model=NumberOut)
async def get_number(number_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return await _view(scope, await _get(scope, number_id))


@router.patch("/numbers/{number_id}", response_model=NumberOut)
async def route_number(
    number_id: IdPath, body: NumberPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Point the number at another extension, ring group, room or queue (all null: none)."""
    require_tenant_admin(caller)
    _one_destination(body)
    number = await _get(scope, number_id)
    extension = await _extension(scope, body.extension_id)
    group = await _group(scope, body.ring_group_id)
    room = await _room(scope, body.conference_id)
    queue = await _queue(scope, body.queue_id)
    number.extension_id = extension.id if extension else None
    number.ring_group_id = group.id if group else None
    number.conference_id = room.id if room else None
    number.queue_id = queue.id if queue else None
    await scope.session.flush()
    return await _view(scope, number)


@router.delete("/numbers/{number_id}", status_code=204)
async def release_number(number_id: IdPath, scope: Scope, caller: Caller, now: Now) -> Response:
    """Take the number back from the tenant; it ages before anyone else may get it."""
    require_tenant_admin(caller)
    number = await _get(scope, number_id)
    await service.release_number(scope, number.e164, now=now)
    return Response(status_code=204)


@router.get("/number-ranges", response_model=Page[RangeOut])
async def list_ranges(session: Session, caller: Caller, query: Listing) -> dict[str, Any]:
    require_platform_admin(caller)
    views = [
        range_view(r, await provider.range_size(session, r.id))
        for r in await service.list_ranges(session)
    ]
    return paginate(
        views, query, orders=("id", "first", "last"), searchable=("first", "description")
    )


@router.post("/number-ranges", status_code=201, response_model=RangeOut)
async def add_range(
    body: RangeIn, session: Session, caller: Caller, response: Response
) -> dict[str, Any]:
    require_platform_admin(caller)
    number_range, size = await service.add_range(
        session, body.first, body.last, description=body.description
    )
    response.headers["Location"] = f"/api/v1/number-ranges/{number_range.id}"
    return range_view(number_range, size)


@router.get("/number-ranges/{range_id}", response_model=RangeOut)
async def get_range(range_id: IdPath, session: Session, caller: Caller) -> dict[str, Any]:
    require_platform_admin(caller)
    number_range = await provider.get_range(session, range_id)
    return range_view(number_range, await provider.range_size(session, range_id))


@router.delete("/number-ranges/{range_id}", status_code=204)
async def delete_range(range_id: IdPath, session: Session, caller: Caller) -> Response:
    require_platform_admin(caller)
    await provider.delete_range(session, range_id)
    return Response(status_code=204)
