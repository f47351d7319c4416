"""/api/v1/queues: a tenant's ACD queues, and `/api/v1/queues/{id}/stats`.

Fields: `number`, `name`, `strategy` (ring-all, longest-idle, round-robin, fewest-calls,
skills), `members` as `[{"extension": "102", "level": 5}, …]`, `wrap_up_seconds`,
`max_wait_seconds`, `ring_seconds`, `fallback`, `announce_position`, `service_level_seconds`,
`min_level`, `callback` ("press 1 to be called back", off), `callback_attempts` (1-10, 3) and
`callback_retry_seconds` (5-3600, 30), `moh` (the id of a media file of the tenant, kind moh
or prompt, that waiting callers hear; null: the tenant's default music; another tenant's file
is unknown: 422 `queue-moh-unknown`). A member is an extension of the caller's tenant
(another tenant's is unknown: 422 `queue-member-unknown`), another tenant's queue is 404.
PATCH replaces the static members when given; `"fallback": null` clears the fallback. The
statistics are the CLI's `queue stats` JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Now, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, IdPath, Strict
from centrex.provisioning import queues as service
from centrex.provisioning.queue_wallboard import wallboard

router = APIRouter(prefix="/api/v1/queues", tags=["queues"], responses=PROBLEM_RESPONSES)

QueueNumber = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[0-9]+$")]
Label = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
Ext = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9]+$")]
Dest = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
StrategyName = Annotated[str, StringConstraints(pattern="^(" + "|".join(service.STRATEGIES) + ")$")]
Level = Annotated[int, Field(ge=service.MIN_LEVEL, le=service.MAX_LEVEL)]


_L = service.LIMITS
WrapUp = Annotated[int, Field(ge=_L["wrap_up_seconds"][0], le=_L["wrap_up_seconds"][1])]
MaxWait = Annotated[int, Field(ge=_L["max_wait_seconds"][0], le=_L["max_wait_seconds"][1])]
Ring = Annotated[int, Field(ge=_L["ring_seconds"][0], le=_L["ring_seconds"][1])]
ServiceLevel = Annotated[
    int, Field(ge=_L["service_level_seconds"][0], le=_L["service_level_seconds"][1])
]
Retry = Annotated[
    int, Field(ge=_L["callback_retry_seconds"][0], le=_L["callback_retry_seconds"][1])
]
Attempts = Annotated[int, Field(ge=service.CALLBACK_ATTEMPTS[0], le=service.CALLBACK_ATTEMPTS[1])]
MediaId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class MemberIn(Strict):
    extension: Ext
    level: Level = 1


Members = Annotated[list[MemberIn], Field(min_length=1, max_length=service.MAX_MEMBERS)]


class QueueIn(Strict):
    number: QueueNumber
    name: Label = ""
    strategy: StrategyName = "longest-idle"
    members: Members
    wrap_up_seconds: WrapUp = service.LIMITS["wrap_up_seconds"][2]
    max_wait_seconds: MaxWait = service.LIMITS["max_wait_seconds"][2]
    ring_seconds: Ring = service.LIMITS["ring_seconds"][2]
    service_level_seconds: ServiceLevel = service.LIMITS["service_level_seconds"][2]
    fallback: Dest | None = None
    announce_position: bool = False
    min_level: Level = 1
    callback: bool = False
    callback_attempts: Attempts = service.CALLBACK_ATTEMPTS[2]
    callback_retry_seconds: Retry = _L["callback_retry_seconds"][2]
    moh: MediaId | None = None


class QueuePatch(Strict):
    number: QueueNumber | None = None
    name: Label | None = None
    strategy: StrategyName | None = None
    members: Members | None = None
    wrap_up_seconds: WrapUp | None = None
    max_wait_seconds: MaxWait | None = None
    ring_seconds: Ring | None = None
    service_level_seconds: ServiceLevel | None = None
    fallback: Dest | None = None
    announce_position: bool | None = None
    min_level: Level | None = None
    callback: bool | None = None
    callback_attempts: Attempts | None = None
    callback_retry_seconds: Retry | None = None
    moh: MediaId | None = None


class MemberOut(BaseModel):
    extension: str
    level: int
    static: bool


class QueueOut(BaseModel):
    id: int
    number: str
    name: str
    strategy: str
    members: list[MemberOut]
    wrap_up_seconds: int
    max_wait_seconds: int
    ring_seconds: int
    service_level_seconds: int
    fallback: str | None
    announce_position: bool
    min_level: int
    callback: bool
    callback_attempts: int
    callback_retry_seconds: int
    moh: int | None


def _members(members: list[MemberIn]) -> list[str]:
    return [f"{m.extension}:{m.level}" for m in members]


@router.get("", response_model=Page[QueueOut])
async def list_queues(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    views = [v.as_dict() for v in await service.list_queues(scope)]
    return paginate(views, query, orders=("id", "number", "name"), default="number",
                    searchable=("number", "name"))  # fmt: skip


@router.post("", status_code=201, response_model=QueueOut)
async def create_queue(
    body: QueueIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.create_queue(
        scope, number=body.number, name=body.name, strategy=body.strategy,
        members=_members(body.members), wrap_up_seconds=body.wrap_up_seconds,
        max_wait_seconds=body.max_wait_seconds, ring_seconds=body.ring_seconds,
        service_level_seconds=body.service_level_seconds, fallback=body.fallback,
        announce_position=body.announce_position, min_level=body.min_level,
        callback=body.callback, callback_attempts=body.callback_attempts,
        callback_retry_seconds=body.callback_retry_seconds, moh=body.moh,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/queues/{view.queue.id}"
    return view.as_dict()


@router.get("/{queue_id}", response_model=QueueOut)
async def get_queue(queue_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return (await service.get_queue_by_id(scope, queue_id)).as_dict()


@router.patch("/{queue_id}", response_model=QueueOut)
async def update_queue(
    queue_id: IdPath, body: QueuePatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    require_tenant_admin(caller)
    view = await service.get_queue_by_id(scope, queue_id)
    given = body.model_fields_set
    view = await service.update_queue(
        scope, view, number=body.number, name=body.name, strategy=body.strategy,
        members=_members(body.members) if body.members is not None else None,
        fallback=body.fallback, clear_fallback="fallback" in given and body.fallback is None,
        announce_position=body.announce_position, min_level=body.min_level,
        wrap_up_seconds=body.wrap_up_seconds, max_wait_seconds=body.max_wait_seconds,
        ring_seconds=body.ring_seconds, service_level_seconds=body.service_level_seconds,
        callback=body.callback, callback_attempts=body.callback_attempts,
        callback_retry_seconds=body.callback_retry_seconds,
        moh=body.moh, clear_moh="moh" in given and body.moh is None,
    )  # fmt: skip
    return view.as_dict()


@router.delete("/{queue_id}", status_code=204)
async def delete_queue(queue_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_queue(scope, await service.get_queue_by_id(scope, queue_id))
    return Response(status_code=204)


@router.get("/{queue_id}/stats")
async def queue_stats(
    queue_id: IdPath,
    scope: Scope,
    caller: Caller,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> dict[str, Any]:
    """Offered, answered, abandoned, service level, waits, talk; per agent (CLI `queue stats`)."""
    require_tenant_admin(caller)
    view = await service.get_queue_by_id(scope, queue_id)
    return await service.stats(scope, view, since=_utc(since), until=_utc(until))


@router.get("/{queue_id}/wallboard")
async def queue_wallboard(
    queue_id: IdPath, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    """Callers waiting, the longest wait, agents by state, today's service level (the portal's
    wallboard reads it again on every queue or call event)."""
    require_tenant_admin(caller)
    view = await service.get_queue_by_id(scope, queue_id)
    return await wallboard(scope, view, now)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
