"""/api/v1/conferences: a tenant's conference rooms (`number`, `name`, `pin`, `moderator_pin`,
`record`, `max_members`) and their live participants.

The rules are `centrex.provisioning.conferences`' (a number the tenant already uses is 409
`conference-number-taken`). `GET /{id}/participants` lists who is in the room now (id, caller,
caller_name, muted, moderator, joined_at, waiting: a member waiting for the moderator);
`POST /{id}/participants/{pid}/mute|unmute` and `DELETE /{id}/participants/{pid}` (kick) act
on one. The live side is the conference app's (`apps/conference/live.py`, in this same `serve`
process), reached through the `ConferenceSource` protocol like live calls are. Another
tenant's room is 404 everywhere, its participants included: the room is looked up in the
caller's tenant first. Tenant admins only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, IdPath, Strict
from centrex.api.services import ApiServices
from centrex.provisioning import conferences as service

router = APIRouter(prefix="/api/v1/conferences", tags=["conferences"], responses=PROBLEM_RESPONSES)

RoomNumber = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[0-9]+$")]
Pin = Annotated[str, StringConstraints(min_length=3, max_length=8, pattern=r"^[0-9]+$")]
Label = Annotated[str, StringConstraints(max_length=100, pattern=NO_CONTROL)]
Size = Annotated[int, Field(ge=service.MIN_MAX_MEMBERS, le=service.MAX_MAX_MEMBERS)]


class ConferenceIn(Strict):
    number: RoomNumber
    name: Label = ""
    pin: Pin | None = None
    moderator_pin: Pin | None = None
    record: bool = False
    max_members: Size = service.DEFAULT_MAX_MEMBERS


class ConferencePatch(Strict):
    number: RoomNumber | None = None
    name: Label | None = None
    pin: Pin | None = None
    moderator_pin: Pin | None = None
    record: bool | None = None
    max_members: Size | None = None


class ConferenceOut(BaseModel):
    id: int
    number: str
    name: str
    pin: str | None
    moderator_pin: str | None
    record: bool
    max_members: int


class ParticipantOut(BaseModel):
    id: int
    caller: str
    caller_name: str
    muted: bool
    moderator: bool
    joined_at: str
    waiting: bool = False


class Participants(BaseModel):
    total: int
    items: list[ParticipantOut]


def _svc(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


@router.get("", response_model=Page[ConferenceOut])
async def list_conferences(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    rooms = [service.conference_dict(r) for r in await service.list_conferences(scope)]
    return paginate(
        rooms, query, orders=("id", "number", "name"), default="number",
        searchable=("number", "name"),
    )  # fmt: skip


@router.post("", status_code=201, response_model=ConferenceOut)
async def create_conference(
    body: ConferenceIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    room = await service.create_conference(
        scope, number=body.number, name=body.name, pin=body.pin,
        moderator_pin=body.moderator_pin, record=body.record, max_members=body.max_members,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/conferences/{room.id}"
    return service.conference_dict(room)


@router.get("/{conference_id}", response_model=ConferenceOut)
async def get_conference(conference_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return service.conference_dict(await service.get_conference_by_id(scope, conference_id))


@router.patch("/{conference_id}", response_model=ConferenceOut)
async def update_conference(
    conference_id: IdPath, body: ConferencePatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Change what is given; `"pin": null` / `"moderator_pin": null` remove a PIN."""
    require_tenant_admin(caller)
    room = await service.get_conference_by_id(scope, conference_id)
    given = body.model_fields_set
    room = await service.update_conference(
        scope, room, number=body.number, name=body.name, pin=body.pin,
        moderator_pin=body.moderator_pin, record=body.record, max_members=body.max_members,
        clear_pin="pin" in given and body.pin is None,
        clear_moderator_pin="moderator_pin" in given and body.moderator_pin is None,
    )  # fmt: skip
    return service.conference_dict(room)


@router.delete("/{conference_id}", status_code=204)
async def delete_conference(conference_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.delete_conference(scope, await service.get_conference_by_id(scope, conference_id))
    return Response(status_code=204)


@router.get("/{conference_id}/participants", response_model=Participants)
async def list_participants(
    request: Request, conference_id: IdPath, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Who is in the room now (an empty list when nobody is)."""
    require_tenant_admin(caller)
    room = await service.get_conference_by_id(scope, conference_id)
    items = await _svc(request).conferences.participants(scope.tenant_id, room.id)
    return {"total": len(items), "items": items}


async def _mute(
    request: Request, scope: Scope, conference_id: int, participant_id: int, muted: bool
) -> dict[str, Any]:
    room = await service.get_conference_by_id(scope, conference_id)
    return await _svc(request).conferences.set_muted(scope.tenant_id, room.id, participant_id,
                                                     muted)  # fmt: skip


@router.post("/{conference_id}/participants/{participant_id}/mute", response_model=ParticipantOut)
async def mute_participant(
    request: Request, conference_id: IdPath, participant_id: IdPath, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Nobody hears the participant any more (it still hears the room)."""
    require_tenant_admin(caller)
    return await _mute(request, scope, conference_id, participant_id, True)


@router.post("/{conference_id}/participants/{participant_id}/unmute", response_model=ParticipantOut)
async def unmute_participant(
    request: Request, conference_id: IdPath, participant_id: IdPath, scope: Scope, caller: Caller
) -> dict[str, Any]:
    require_tenant_admin(caller)
    return await _mute(request, scope, conference_id, participant_id, False)


@router.delete("/{conference_id}/participants/{participant_id}", status_code=204)
async def kick_participant(
    request: Request, conference_id: IdPath, participant_id: IdPath, scope: Scope, caller: Caller
) -> Response:
    """Hang the participant up; the others hear the exit tone."""
    require_tenant_admin(caller)
    room = await service.get_conference_by_id(scope, conference_id)
    await _svc(request).conferences.kick(scope.tenant_id, room.id, participant_id)
    return Response(status_code=204)
