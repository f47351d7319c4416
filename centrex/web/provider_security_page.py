"""Provider page for SIP security: the sources banned for failing authentication, with unban.

The bans are the registrar's (`registrar/security.py`: too many wrong digest answers within a
window ban the source host for a while, and the transport guard drops its packets); the page
reads and lifts them through `ctx.services.bans` (`api/ban_list.py`). Platform admin only: a ban
protects the whole platform, not one partner's tenants.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.errors import NotFound
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.provider_forms import attempt, require_platform_admin, t_of, text_field

router = APIRouter(include_in_schema=False)


async def _render(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    bans = sorted(ctx.services.bans.banned().items())
    return render(
        ctx.request,
        "provider_security.html",
        ctx.principal,
        bans=[{"host": host, "seconds": int(left + 0.999)} for host, left in bans],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/provider/security")
async def security_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        return await _render(ctx)


@router.post("/provider/security/unban")
async def unban(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            host = text_field(form, "host", 100)
            if not ctx.services.bans.unban(host):
                raise NotFound(f"{host} is not banned", error_id="ban-not-found")
            return t_of(ctx)("provider_security.unbanned", host=host)

        return await _render(ctx, *await attempt(ctx, work))
