"""The switchboard (attendant console): a lamp per extension, the tenant's ringing, answered and
parked calls, and buttons that answer, transfer, park, hold and hang up through the call control
API (`/api/v1/calls/...`).

The page is rendered with the lamps as they are now (so it is right before any script runs);
`static/switchboard.js` then follows presence and call events on `/api/v1/events` and acts
through the REST API with the session cookie and its CSRF token, like any other API client.
Why a page of its own and not part of the live calls page: the attendant works with the lamps
and the call lists side by side, and the actions need an "attendant's extension" that the
calls page has no use for.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import Extension
from centrex.errors import Forbidden
from centrex.provisioning import extensions as extension_service
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, language_for, page, render

router = APIRouter(include_in_schema=False)

LAMP_STATES = ("idle", "ringing", "busy", "dnd", "offline")

# What the script shows by itself (state names, buttons it creates, its messages): handed to
# it as a JSON data block in the page, so every visible string goes through the catalogs.
SCRIPT_KEYS = (
    "sb.answer",
    "sb.transfer",
    "sb.park",
    "sb.hold",
    "sb.resume",
    "sb.hangup",
    "sb.retrieve",
    "sb.select",
    "sb.selected",
    "sb.held",
    "sb.no_attendant",
    "sb.no_target",
    "sb.done",
    "sb.failed",
    "sb.pick_lamp",
    "sb.transferred",
    "sb.parked_in",
    "sb.dialling",
    "common.none",
    *(f"sb.state.{state}" for state in LAMP_STATES),
)


def script_strings(t: Translate) -> dict[str, str]:
    """The translated strings `switchboard.js` needs, keyed as in the catalogs."""
    return {key: t(key) for key in SCRIPT_KEYS}


async def lamps(ctx: PageContext) -> list[dict[str, Any]]:
    """Every extension of the tenant with its lamp now (offline when the live state has none)."""
    assert ctx.tenant is not None
    states = {
        str(item.get("extension")): str(item.get("state", "offline"))
        for item in await ctx.services.presence.list(ctx.tenant.id)
    }
    result = []
    for extension in await extension_service.list_extensions(ctx.scope):
        state = states.get(extension.number, "offline")
        result.append(
            {
                "extension": extension.number,
                "name": extension.display_name,
                "state": state if state in LAMP_STATES else "offline",
            }
        )
    return sorted(result, key=lambda lamp: (len(lamp["extension"]), lamp["extension"]))


async def own_extension(ctx: PageContext) -> str:
    """The logged-in user's first extension in this tenant: the attendant's default line."""
    if ctx.principal.user_id is None:
        return ""
    mine = await ctx.scope.list(Extension, Extension.user_id == ctx.principal.user_id)
    numbers = sorted(e.number for e in mine)
    return numbers[0] if numbers else ""


@router.get("/tenant/switchboard")
async def switchboard(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        if not ctx.principal.is_tenant_admin:
            # the call control API is for tenant administrators; a plain user's page would
            # show buttons that can only fail
            raise Forbidden("tenant administrators only")
        t = translator(language_for(request, ctx.principal))
        return render(
            request,
            "switchboard.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            lamps=await lamps(ctx),
            own_extension=await own_extension(ctx),
            strings=script_strings(t),
        )
