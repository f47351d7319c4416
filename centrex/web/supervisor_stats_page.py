"""The supervisor's statistics page (`/supervisor/stats`, issue 16 item 2), linked from the
console: choose a campaign and a period (from/until dates, today by default), see a table per
agent and the campaign's totals, download the same period as PDF or Excel, and the campaign's
export (leads, script answers, appointments) as Excel.

The table is built by `static/supervisor_stats.js` from the JSON stats API
(`GET /api/v1/campaigns/{id}/stats?since=&until=`), so the page shows exactly what the API
answers. The downloads are this module's routes, not the API's: a `<a download>` cannot send
the `Centrex-Tenant` header a platform admin or partner needs (the console proxies the
recording audio for the same reason), so they take `?tenant=` like every portal page and hand
the same `since`/`until` to the same renderers (`api/stats_export.py`, `campaign_workbook.py`).
The script computes the period once, `since` = the from date at 00:00 UTC and `until` = the
day after the until date at 00:00 UTC (the API's days are UTC days), and uses that one query
for the table and for both documents. Another tenant's campaign is 404 on every route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from centrex.api.stats_export import Since, Until, stats_answer
from centrex.api.supervision import may_supervise
from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center.campaign_workbook import campaign_workbook
from centrex.contact_center.stats_documents import XLSX_TYPE
from centrex.errors import Forbidden
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, language_for, page, render

router = APIRouter(include_in_schema=False)

# What the script shows by itself (the table's headings, messages), handed to it as a JSON data
# block so every visible string goes through the catalogs.
SCRIPT_KEYS = tuple(
    f"supervisor_stats.{key}"
    for key in (
        "agent",
        "calls",
        "contacts",
        "talk",
        "wrap",
        "ring",
        "pause_reason",
        "pause_total",
        "idle",
        "logged_in",
        "occupancy",
        "dispositions",
        "appointments",
        "total",
        "no_agents",
        "loading",
        "shown",
        "bad_period",
        "failed",
        "no_campaign",
    )
)


def script_strings(t: Translate) -> dict[str, str]:
    return {key: t(key) for key in SCRIPT_KEYS}


def _require_supervisor(ctx: PageContext) -> None:
    if not may_supervise(ctx.principal):
        raise Forbidden("supervisors and tenant administrators only")


@router.get("/supervisor/stats")
async def supervisor_stats(
    request: Request, campaign: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    """The page; `?campaign=ID` preselects a campaign (another tenant's is 404)."""
    async with page(request, need_tenant=True) as ctx:
        _require_supervisor(ctx)
        if campaign is not None:
            await campaign_service.get_campaign_by_id(ctx.scope, campaign)
        campaigns = await campaign_service.list_campaigns(ctx.scope)
        t = translator(language_for(request, ctx.principal))
        return render(
            request,
            "supervisor_stats.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            campaigns=[{"id": c.id, "name": c.name} for c in campaigns],
            selected=campaign if campaign is not None else (campaigns[0].id if campaigns else None),
            today=ctx.services.clock.utcnow().date().isoformat(),
            strings=script_strings(t),
        )


async def _document(
    request: Request, campaign_id: int, fmt: str, since: Since, until: Until
) -> Response:
    async with page(request, need_tenant=True) as ctx:
        _require_supervisor(ctx)
        found = await campaign_service.get_campaign_by_id(ctx.scope, campaign_id)
        now = ctx.services.clock.utcnow()
        answer = await stats_answer(ctx.scope, found, now, fmt, since, until)
        if not isinstance(answer, Response):  # pdf and xlsx are documents, never JSON
            raise TypeError(f"stats_answer gave no document for format {fmt}")
        return answer


@router.get("/supervisor/stats/{campaign_id}/stats.pdf")
async def stats_pdf(
    request: Request, campaign_id: int, since: Since = None, until: Until = None
) -> Response:
    """The period's statistics as the API's PDF (reportlab, with the chart)."""
    return await _document(request, campaign_id, "pdf", since, until)


@router.get("/supervisor/stats/{campaign_id}/stats.xlsx")
async def stats_xlsx(
    request: Request, campaign_id: int, since: Since = None, until: Until = None
) -> Response:
    """The period's statistics as the API's workbook (Agents, Campaign, Dispositions)."""
    return await _document(request, campaign_id, "xlsx", since, until)


@router.get("/supervisor/stats/{campaign_id}/export.xlsx")
async def campaign_export(request: Request, campaign_id: int) -> Response:
    """The campaign's leads (fields, custom fields, script answers) and appointments."""
    async with page(request, need_tenant=True) as ctx:
        _require_supervisor(ctx)
        found = await campaign_service.get_campaign_by_id(ctx.scope, campaign_id)
        content = await campaign_workbook(ctx.scope, found)
        disposition = f'attachment; filename="campaign-{found.id}-export.xlsx"'
        return Response(content, media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})
