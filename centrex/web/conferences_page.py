"""Portal page for a tenant's conference rooms (`/tenant/conferences`): each room's number,
name, PINs, recording, size and who is in it right now (the live rooms of this `serve`
process, as the API reads them), and the forms to create, edit and delete a room.

The forms call `centrex.provisioning.conferences`, the service behind `/api/v1/conferences`,
so the page and the API accept and refuse the same things. A refused form changes nothing (its
work runs in a savepoint, see `ring_groups_page.attempt`) and says why in the viewer's
language. Another tenant's room is not found in this tenant's scope: 404, as in the API.
An empty PIN field means "no PIN" (the edit form clears a PIN that way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import Conference
from centrex.provisioning import conferences as service
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, int_field, require_admin, translate_for

router = APIRouter(include_in_schema=False)

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "conference-bad-number": "conferences.error_number",
    "conference-exists": "conferences.error_exists",
    "conference-number-taken": "conferences.error_number_taken",
    "conference-bad-pin": "conferences.error_pin",
    "conference-same-pins": "conferences.error_same_pins",
    "conference-bad-max-members": "conferences.error_max_members",
}

FIELDS = ("number", "name", "pin", "moderator_pin", "max_members")


def _size(form: Mapping[str, str], default: int) -> int:
    return int_field(form, "max_members", "conference-bad-max-members", default)


def _values(room: Conference | None, form: Mapping[str, str] | None) -> dict[str, Any]:
    """What the form shows: the room's values, or what was typed when it was refused."""
    if form is not None:
        values: dict[str, Any] = {k: form.get(k, "")[:100] for k in FIELDS}
        values["record"] = bool(form.get("record"))
        return values
    if room is None:
        return {"max_members": str(service.DEFAULT_MAX_MEMBERS), "record": False}
    return {
        "number": room.number,
        "name": room.name,
        "pin": room.pin or "",
        "moderator_pin": room.moderator_pin or "",
        "max_members": str(room.max_members),
        "record": room.record,
    }


async def _page(
    ctx: PageContext,
    *,
    editing: Conference | None = None,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    rooms = []
    if editing is None:
        for room in await service.list_conferences(ctx.scope):
            live = await ctx.services.conferences.participants(ctx.scope.tenant_id, room.id)
            rooms.append({**service.conference_dict(room),
                          "participants": [p["caller"] for p in live]})  # fmt: skip
    return render(
        ctx.request,
        "conferences.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        rooms=rooms,
        editing=service.conference_dict(editing) if editing is not None else None,
        values=_values(editing, form if kind == "error" else None),
        limits=(service.MIN_MAX_MEMBERS, service.MAX_MAX_MEMBERS),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/conferences")
async def tenant_conferences(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _page(ctx)


@router.post("/tenant/conferences")
async def create_conference(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            room = await service.create_conference(
                ctx.scope,
                number=form.get("number", "")[:100],
                name=form.get("name", "")[:100],
                pin=form.get("pin", "")[:100] or None,
                moderator_pin=form.get("moderator_pin", "")[:100] or None,
                record=bool(form.get("record")),
                max_members=_size(form, service.DEFAULT_MAX_MEMBERS),
            )
            return translate_for(ctx)("conferences.created", number=room.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash=flash, kind=kind, form=form)


@router.get("/tenant/conferences/{room_id}")
async def edit_conference(request: Request, room_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _page(ctx, editing=await service.get_conference_by_id(ctx.scope, room_id))


@router.post("/tenant/conferences/{room_id}")
async def update_conference(request: Request, room_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        room = await service.get_conference_by_id(ctx.scope, room_id)  # 404: not this tenant's

        async def work() -> str:
            pin = form.get("pin", "").strip()[:100]
            moderator_pin = form.get("moderator_pin", "").strip()[:100]
            changed = await service.update_conference(
                ctx.scope,
                room,
                number=form.get("number", "")[:100],
                name=form.get("name", "")[:100],
                pin=pin or None,
                moderator_pin=moderator_pin or None,
                record=bool(form.get("record")),
                max_members=_size(form, room.max_members),
                clear_pin=not pin,
                clear_moderator_pin=not moderator_pin,
            )
            return translate_for(ctx)("conferences.saved", number=changed.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(room)  # the rolled-back values, not the refused ones
            return await _page(ctx, editing=room, flash=flash, kind=kind, form=form)
        return await _page(ctx, flash=flash, kind=kind)


@router.post("/tenant/conferences/{room_id}/delete")
async def delete_conference(request: Request, room_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        room = await service.get_conference_by_id(ctx.scope, room_id)  # 404: not this tenant's
        number = room.number
        await service.delete_conference(ctx.scope, room)
        return await _page(ctx, flash=translate_for(ctx)("conferences.deleted", number=number))
