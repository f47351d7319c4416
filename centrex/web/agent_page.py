"""The agent desktop (issue 16): `/agent` — log in to campaigns, ready / pause / log out, the
screen pop of the dialer's lead (card and script), the disposition, keyboard shortcuts, and the
panels of the other parts (appointments, mail, day statistics).

The page is rendered once; `static/agent_desktop.js` does the rest over the API, with the
portal session cookie: `PUT/GET /api/v1/agents/{extension}/session`, the events WebSocket
(`LeadOffered` for the agent's own extension pops the lead), `GET /api/v1/leads/{id}` and
`GET /api/v1/leads/{id}/script` (no script: the page says so), `PUT .../answers`,
`POST .../disposition`.

Why the strings are rendered into the page: the panels of other helpers are ES modules that
translate through `window.centrexT(key)`; every key of the `agent.` catalog (this page's) and
of the `agent_panels.` catalogs (`locales/<lang>/agent_panels_<owner>.json`, each panel
owner's) is rendered as one JSON block, in the viewer's language.

Who: a logged-in user with an extension (an agent, a supervisor, an admin who takes calls);
without one, the page explains it with status 403. An agent sees only its own extensions and
the campaigns it is an agent of.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.calls.features import agent_state as agents
from centrex.contact_center.agent_sessions import get_session
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.dispositions import list_dispositions
from centrex.data.models import Campaign, Tenant
from centrex.web.i18n import catalog
from centrex.web.phone_page import own_extensions, sipjs_installed
from centrex.web.portal import WEB_DIR, PageContext, language_for, page, render

router = APIRouter(include_in_schema=False)

PREFIXES = ("agent.", "agent_panels.")
SHORTCUTS = (("F2", "agent.ready"), ("F3", "agent.pause"), ("F4", "agent.hangup"),
             ("F8", "agent.dispose"))  # fmt: skip
PANEL_SCRIPTS = ("agent_appointments.js", "agent_mail.js", "agent_stats.js")  # C, M, T


def page_strings(language: str) -> dict[str, str]:
    """Every `agent.` and `agent_panels.` key in `language` (English where it has none)."""
    english, own = catalog("en"), catalog(language)
    return {k: own.get(k) or v for k, v in sorted(english.items()) if k.startswith(PREFIXES)}


def panel_scripts() -> list[str]:
    """The panels' modules that are installed (a part not merged yet is left out, not a 404)."""
    return [f"/static/{name}" for name in PANEL_SCRIPTS if (WEB_DIR / "static" / name).is_file()]


async def _campaigns(ctx: PageContext, extension: str) -> list[dict[str, Any]]:
    """The tenant's campaigns this extension is an agent of (directly or through a group)."""
    found: list[dict[str, Any]] = []
    for campaign in await ctx.scope.list(Campaign, order_by=Campaign.name):
        members = await campaign_agents(ctx.session, ctx.scope.tenant_id, campaign.id)
        if extension in {m.number for m in members}:
            found.append({"id": campaign.id, "name": campaign.name,
                          "status": campaign.status.value})  # fmt: skip
    return found


@router.get("/agent")
async def agent_desktop(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        if ctx.principal.tenant_id is not None:
            ctx.tenant = await ctx.session.get(Tenant, ctx.principal.tenant_id)
        numbers = await own_extensions(ctx)
        if not numbers:
            return render(request, "agent.html", ctx.principal, status_code=403,
                          tenant=ctx.tenant, agent=None)  # fmt: skip
        extension = numbers[0]
        now = ctx.services.clock.utcnow()
        data = {
            "extension": extension,
            "extensions": numbers,
            "campaigns": await _campaigns(ctx, extension),
            "pause_reasons": [{"code": c, "label": label}
                              for c, label in await agents.pause_reasons(ctx.scope)],
            "dispositions": await list_dispositions(ctx.scope),
            "session": await get_session(ctx.scope, extension, now),
            "phone_library": sipjs_installed(),
        }  # fmt: skip
        return render(
            request,
            "agent.html",
            ctx.principal,
            tenant=ctx.tenant,
            agent=data,
            agent_strings=page_strings(language_for(request, ctx.principal)),
            shortcuts=SHORTCUTS,
            panel_scripts=panel_scripts(),
            phone_extensions=numbers,
            phone_library=data["phone_library"],
        )
