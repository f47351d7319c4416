"""A campaign's own page (`/tenant/campaigns/{id}`): its settings, postal-code focus, lead
import with the import report, batches with rollback, why the hopper is empty, dispositions.

The import is `centrex.contact_center.lead_import.import_leads`, the service behind the API's
`POST /api/v1/leads/import`: the same file (CSV or XLSX) gives the same report (imported,
rejected lines with their line number and error, DNC filtered, duplicates) and the same batch,
which the rollback button removes exactly (`leads.rollback_batch`). The "why" panel is
`explain.explain_campaign`, what `centrex campaign explain` prints. A batch or campaign of
another tenant is not found in this tenant's scope: 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from centrex.contact_center import campaigns as service
from centrex.contact_center import leads as lead_service
from centrex.contact_center.dispositions import list_dispositions
from centrex.contact_center.explain import explain_campaign
from centrex.contact_center.lead_import import import_leads
from centrex.contact_center.stats import campaign_stats
from centrex.data.models import Campaign
from centrex.errors import NotFound, ValidationFailed
from centrex.web.audio_common import upload_form
from centrex.web.campaigns_page import (
    ERROR_KEYS,
    form_choices,
    form_values,
    require_manager,
    settings_of,
    typed_values,
)
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, lines, translate_for

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 50 * 1024 * 1024  # as the API's import


async def _detail_page(
    ctx: PageContext,
    campaign: Campaign,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
    report: dict[str, Any] | None = None,
) -> HTMLResponse:
    now = ctx.services.clock.utcnow()
    current = await service.campaign_dict(ctx.scope, campaign)
    values = form_values(current)
    if form is not None and kind == "error" and "name" in form:  # the settings form refused
        values = typed_values(form)
    batches = [lead_service.batch_dict(b) for b in
               await lead_service.list_batches(ctx.scope, campaign)]  # fmt: skip
    stats = await campaign_stats(ctx.scope, campaign, now)
    labels = {d["code"]: d["label"] for d in await list_dispositions(ctx.scope)}
    return render(
        ctx.request,
        "campaigns_detail.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        campaign=current,
        values=values,
        batches=batches,
        stats=stats,
        explain=await explain_campaign(ctx.scope, campaign, now),
        dispositions=[(c, labels.get(c, c), n) for c, n in stats["dispositions"].items()],
        report=report,
        flash=flash,
        flash_kind=kind,
        **await form_choices(ctx),
    )


async def _reloaded(ctx: PageContext, campaign_id: int) -> Campaign:
    """The campaign as the database has it after a rolled-back form."""
    found = await service.get_campaign_by_id(ctx.scope, campaign_id)
    await ctx.session.refresh(found)
    return found


@router.get("/tenant/campaigns/{campaign_id}")
async def campaign_detail(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        return await _detail_page(ctx, await service.get_campaign_by_id(ctx.scope, campaign_id))


@router.post("/tenant/campaigns/{campaign_id}")
async def update_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        found = await service.get_campaign_by_id(ctx.scope, campaign_id)  # 404: not this tenant's

        async def work() -> str:
            await service.update_campaign(ctx.scope, found, settings_of(form))
            return translate_for(ctx)("campaigns.saved", name=found.name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            found = await _reloaded(ctx, campaign_id)
        return await _detail_page(ctx, found, flash, kind, form)


@router.post("/tenant/campaigns/{campaign_id}/focus")
async def focus_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    """Set the postal-code focus (prefixes, one per line or comma-separated); empty clears."""
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        found = await service.get_campaign_by_id(ctx.scope, campaign_id)
        codes = [] if "clear" in form else lines(form.get("postal_codes", ""))

        async def work() -> str:
            await service.set_focus(ctx.scope, found, codes[: service.MAX_FOCUS + 1])
            t = translate_for(ctx)
            return (
                t("campaigns.focus_set", codes=", ".join(codes))
                if codes
                else t("campaigns.focus_cleared")
            )

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            found = await _reloaded(ctx, campaign_id)
        return await _detail_page(ctx, found, flash, kind)


@router.post("/tenant/campaigns/{campaign_id}/import")
async def import_file(request: Request, campaign_id: int) -> HTMLResponse:
    """Import an uploaded CSV or XLSX file as one batch and show the import report."""
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        async with upload_form(ctx):
            found = await service.get_campaign_by_id(ctx.scope, campaign_id)
            item = (await request.form()).get("file")
            report: dict[str, Any] = {}

            async def work() -> str:
                if not isinstance(item, UploadFile):
                    raise ValidationFailed("choose a CSV or XLSX file", error_id="lead-file-empty",
                                           field="file")  # fmt: skip
                data = await item.read(MAX_UPLOAD + 1)
                if len(data) > MAX_UPLOAD:
                    raise ValidationFailed(
                        "the file is larger than 50 MB", error_id="lead-file-too-large"
                    )
                result = await import_leads(ctx.scope, found, data,
                                            now=ctx.services.clock.utcnow(),
                                            filename=(item.filename or "")[:200])  # fmt: skip
                report.update(result.as_dict())
                return translate_for(ctx)("campaigns.imported", count=result.imported,
                                          batch=result.batch)  # fmt: skip

            flash, kind = await attempt(ctx, work, ERROR_KEYS)
            return await _detail_page(ctx, found, flash, kind, report=report or None)


@router.post("/tenant/campaigns/{campaign_id}/batches/{batch_id}/rollback")
async def rollback_batch(request: Request, campaign_id: int, batch_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        found = await service.get_campaign_by_id(ctx.scope, campaign_id)
        batch = await lead_service.get_batch(ctx.scope, batch_id)  # 404: not this tenant's
        if batch.campaign_id != found.id:
            raise NotFound(f"batch {batch_id} not found", error_id="batch-not-found")
        done = await lead_service.rollback_batch(ctx.scope, batch)
        flash = translate_for(ctx)("campaigns.rolled_back", batch=batch_id, leads=done["leads"])
        return await _detail_page(ctx, found, flash)
