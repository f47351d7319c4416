"""Portal page for a tenant's conference rooms: each room's number, name, PINs, recording, size
and who is in it right now (the live rooms of this `serve` process, as the API reads them)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.errors import Forbidden
from centrex.provisioning import conferences as service
from centrex.web.portal import page, render

router = APIRouter(include_in_schema=False)


@router.get("/tenant/conferences")
async def tenant_conferences(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        if not ctx.principal.is_tenant_admin:
            raise Forbidden("tenant administrators only")
        rooms = []
        for room in await service.list_conferences(ctx.scope):
            live = await ctx.services.conferences.participants(ctx.scope.tenant_id, room.id)
            rooms.append({**service.conference_dict(room),
                          "participants": [p["caller"] for p in live]})  # fmt: skip
        return render(
            request,
            "conferences.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            rooms=rooms,
        )
