"""Portal pages for a tenant's leads (`/tenant/leads`, issue 21): search by text, status and
campaign, one page of results at a time; a lead's card (fields, custom fields, the merge
fields scripts and letters see, every call attempt); a campaign's export as CSV or XLSX.

Everything reads through the services of `/api/v1/leads` (`contact_center/leads.py`:
`search_leads`, `lead_history`, `export_rows`; `lead_export.py` writes the files), so the page
finds, shows and exports exactly what the API does. Importing stays on the campaign's page (a
batch belongs to a campaign): the list and the card link there. A filter the service refuses
(an unknown status, a page that is not a number) says why and shows nothing; another tenant's
campaign or lead is 404, as in the API. Tenant administrators only, like the API's routes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from centrex.contact_center import leads as service
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.contact_center.lead_export import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from centrex.contact_center.lead_fields import lead_fields
from centrex.data.models import Campaign, LeadStatus
from centrex.errors import CentrexError, ValidationFailed
from centrex.web.portal import PageContext, page, render
from centrex.web.ring_groups_page import require_admin, translate_for

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
STATUSES = tuple(s.value for s in LeadStatus)
FORMATS = ("csv", "xlsx")
MAX_TEXT = 200  # as the API's `query`
MAX_INT = 2**31 - 1

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "lead-bad-status": "leads.error_status",
    "lead-bad-filter": "leads.error_filter",
}


def _number(text: str, name: str, default: int | None) -> int | None:
    """A positive whole number from the query string (blank: `default`)."""
    value = text.strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_INT:
        raise ValidationFailed(f"{name}: {value[:20]!r} is not a positive whole number",
                               error_id="lead-bad-filter", field=name)  # fmt: skip
    return int(value)


def _link(ctx: PageContext, path: str, **params: Any) -> str:
    """`path` with the staff's `tenant=` and every non-empty parameter."""
    query: dict[str, Any] = {}
    if ctx.tenant is not None and ctx.principal.is_staff:
        query["tenant"] = ctx.tenant.domain
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    return f"{path}?{urlencode(query)}" if query else path


async def _campaign(ctx: PageContext, campaign_id: int | None) -> Campaign | None:
    return await get_campaign_by_id(ctx.scope, campaign_id) if campaign_id else None


def _message(ctx: PageContext, exc: CentrexError) -> str:
    t = translate_for(ctx)
    key = ERROR_KEYS.get(exc.error_id)
    return t("error.generic", message=t(key, detail=exc.message) if key else exc.message)


async def _list(ctx: PageContext, error: CentrexError | None = None) -> HTMLResponse:
    """The search form and one page of results (`error`: a refused export, said on top)."""
    params = ctx.request.query_params
    text = params.get("q", "")[:MAX_TEXT]
    status = params.get("status", "").strip()[:20]
    values = {"q": text, "status": status, "campaign_id": params.get("campaign_id", "")[:12]}
    campaigns = sorted(await ctx.scope.list(Campaign), key=lambda c: c.name.lower())
    found: dict[str, Any] = {"total": 0, "items": []}
    number, campaign = 1, None
    try:
        campaign_id = _number(values["campaign_id"], "campaign_id", None)
        number = _number(params.get("page", "")[:12], "page", 1) or 1
        campaign = await _campaign(ctx, campaign_id)  # another tenant's: 404
        if status:
            service.check_status(status)
        if error is None:
            found = await service.search_leads(
                ctx.scope, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE,
                campaign=campaign, status=status or None, query=text or None,
            )  # fmt: skip
    except ValidationFailed as exc:
        error = error or exc
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    here = {"q": text, "status": status, "campaign_id": campaign.id if campaign else None}
    return render(
        ctx.request,
        "leads.html",
        ctx.principal,
        status_code=422 if error is not None else 200,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        leads=found["items"],
        total=found["total"],
        page_number=number,
        pages=pages,
        previous=_link(ctx, "/tenant/leads", **here, page=number - 1) if number > 1 else "",
        next=_link(ctx, "/tenant/leads", **here, page=number + 1) if number < pages else "",
        lead_link=lambda lead_id: _link(ctx, f"/tenant/leads/{lead_id}"),
        campaigns=campaigns,
        campaign=campaign,
        statuses=STATUSES,
        formats=FORMATS,
        values=values,
        flash=_message(ctx, error) if error is not None else "",
        flash_kind="error" if error is not None else "ok",
    )


@router.get("/tenant/leads")
async def leads(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _list(ctx)


@router.get("/tenant/leads/export", response_model=None)
async def export_leads(request: Request) -> Response:
    """A campaign's leads as the API's export (`GET /api/v1/leads/export`), as a download."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        params = request.query_params
        kind = params.get("format", "csv")
        try:
            campaign_id = _number(params.get("campaign_id", "")[:12], "campaign_id", None)
            if campaign_id is None:
                raise ValidationFailed("choose the campaign to export", error_id="lead-bad-filter",
                                       field="campaign_id")  # fmt: skip
            if kind not in FORMATS:
                raise ValidationFailed(f"a format is csv or xlsx, not {kind[:20]!r}",
                                       error_id="lead-bad-filter", field="format")  # fmt: skip
        except ValidationFailed as exc:
            return await _list(ctx, exc)
        campaign = await get_campaign_by_id(ctx.scope, campaign_id)  # another tenant's: 404
        headers, rows = await service.export_rows(ctx.scope, campaign)
        if kind == "xlsx":
            data, media_type = to_xlsx(headers, rows, campaign.name), XLSX_TYPE
        else:
            data, media_type = to_csv(headers, rows), CSV_TYPE
        disposition = f'attachment; filename="leads-{campaign.id}.{kind}"'
        return Response(data, media_type=media_type, headers={
            "Content-Disposition": disposition, "Cache-Control": "no-store",
        })  # fmt: skip


@router.get("/tenant/leads/{lead_id}")
async def lead_detail(request: Request, lead_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        lead = await service.get_lead(ctx.scope, lead_id)  # another tenant's: 404
        campaign = await get_campaign_by_id(ctx.scope, lead.campaign_id)
        merged = lead_fields(number=lead.number, name=lead.name,
                             postal_code=lead.postal_code, custom=lead.custom)  # fmt: skip
        return render(
            request,
            "lead_detail.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            lead=service.lead_dict(lead, campaign.name),
            campaign=campaign,
            custom=sorted((str(k), "" if v is None else str(v)) for k, v in lead.custom.items()),
            merge_fields=sorted(merged.items()),
            history=await service.lead_history(ctx.scope, lead),
            back=_link(ctx, "/tenant/leads", campaign_id=campaign.id),
        )
