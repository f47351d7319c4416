"""Provider live view: the calls and registrations of every tenant in reach, the tenant shown.

The lists come from the same live sources as /api/v1/calls and /api/v1/registrations
(`api/live.py` over `ctx.services`), asked tenant by tenant for exactly the tenants the
principal reaches (`Reach`): a platform admin sees all, a partner its own tenants only, and a
tenant role is refused (403) — it has /tenant/calls for its own. The page subscribes to
/api/v1/events (which applies the same reach) and re-reads itself when a call or a registration
changes (`static/provider_live.js`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.api.live import calls_of, registrations_of
from centrex.data.reach import Reach
from centrex.provisioning import tenants as tenant_service
from centrex.web.portal import page, render
from centrex.web.provider_forms import require_staff

router = APIRouter(include_in_schema=False)


@router.get("/provider/live")
async def live_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_staff(ctx)
        calls: list[dict[str, Any]] = []
        registrations: list[dict[str, Any]] = []
        tenants = await Reach.of(ctx.session, ctx.principal).tenants()
        for tenant in tenants:
            scope = tenant_service.scope_of(ctx.session, tenant)
            shown = {"tenant": tenant.domain, "tenant_name": tenant.name, "tenant_id": tenant.id}
            calls += [{**c, **shown} for c in await calls_of(ctx.services, scope, ctx.principal)]
            registrations += [
                {**r, **shown} for r in await registrations_of(ctx.services, scope, ctx.principal)
            ]
        calls.sort(key=lambda c: c.get("started_at") or "")
        return render(
            request,
            "provider_live.html",
            ctx.principal,
            calls=calls,
            registrations=registrations,
            tenant_count=len(tenants),
        )
