"""A campaign's CalDAV calendar settings (`/tenant/campaigns/{id}/calendar`, issue 16): the
calendar's URL, user and secret, the last synchronisation and its error, "sync now", removal.

The forms call `centrex.contact_center.appointments` (the service of the API's
`/api/v1/campaigns/{id}/calendar`); the secret is stored encrypted and never shown (an empty
secret field keeps the stored one; "forget the secret" clears it). "Sync now" runs one pass
(`CalendarSync.sync_campaign`) and says what it did or why the server refused. Tenant admins
and supervisors only; another tenant's campaign is 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.contact_center import appointments as service
from centrex.contact_center.caldav_sync import CalendarSync
from centrex.data.models import Campaign, CampaignCalendar
from centrex.data.models.appointments import Appointment
from centrex.errors import NotFound
from centrex.web.campaigns_page import require_manager
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, translate_for

router = APIRouter(include_in_schema=False)

ERROR_KEYS = {
    "calendar-bad-url": "campaign_calendar.error_url",
    "calendar-not-found": "campaign_calendar.error_none",
}


async def _page(
    ctx: PageContext,
    campaign: Campaign,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    found = await ctx.scope.first(CampaignCalendar, CampaignCalendar.campaign_id == campaign.id)
    calendar: dict[str, Any] | None = service.calendar_dict(found) if found else None
    waiting = await ctx.scope.count(Appointment, Appointment.campaign_id == campaign.id,
                                    Appointment.sync_state != "synced")  # fmt: skip
    return render(
        ctx.request,
        "campaign_calendar.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        campaign=campaign,
        calendar=calendar,
        waiting=waiting,
        values=dict(form or {}) if kind == "error" else {},
        flash=flash,
        flash_kind=kind,
    )


def _path(campaign_id: int) -> str:
    return f"/tenant/campaigns/{campaign_id}/calendar"


@router.get("/tenant/campaigns/{campaign_id}/calendar")
async def calendar_page(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        return await _page(ctx, await service.reachable_campaign(ctx.scope, campaign_id, None))


@router.post("/tenant/campaigns/{campaign_id}/calendar")
async def save_calendar(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        campaign = await service.reachable_campaign(ctx.scope, campaign_id, None)

        async def work() -> str:
            secret: str | None = form.get("secret", "")[:500] or None
            if form.get("forget_secret"):
                secret = ""
            await service.set_calendar(ctx.scope, campaign, ctx.services.secret_box,
                                       url=form.get("url", "")[:500],
                                       username=form.get("username", "")[:200],
                                       secret=secret)  # fmt: skip
            return translate_for(ctx)("campaign_calendar.saved")

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, campaign, flash, kind, form)


@router.post("/tenant/campaigns/{campaign_id}/calendar/delete")
async def delete_calendar(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        campaign = await service.reachable_campaign(ctx.scope, campaign_id, None)

        async def work() -> str:
            await service.remove_calendar(ctx.scope, campaign)
            return translate_for(ctx)("campaign_calendar.removed")

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, campaign, flash, kind)


@router.post("/tenant/campaigns/{campaign_id}/calendar/sync")
async def sync_calendar(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        campaign = await service.reachable_campaign(ctx.scope, campaign_id, None)
        t = translate_for(ctx)
        # counted, not loaded: the page below reads the row the pass has just written
        if not await ctx.scope.count(CampaignCalendar, CampaignCalendar.campaign_id == campaign.id):
            raise NotFound(f"campaign {campaign.name!r} has no calendar",
                           error_id="calendar-not-found")  # fmt: skip
        svc = ctx.services
        report = await CalendarSync(svc.database, svc.secret_box, svc.clock).sync_campaign(
            ctx.scope.tenant_id, campaign.id
        )
        if report.busy:
            return await _page(ctx, campaign, t("campaign_calendar.busy"), "error")
        if not report.ok:
            return await _page(ctx, campaign, t("campaign_calendar.failed", error=report.error),
                               "error")  # fmt: skip
        return await _page(
            ctx,
            campaign,
            t(
                "campaign_calendar.synced",
                pushed=report.pushed,
                pulled=report.pulled + report.updated,
                deleted=report.deleted + report.removed,
            ),
        )
