"""The tenant's do-not-call list and its own disposition codes (`/tenant/dnc`).

The forms call `centrex.contact_center.dnc` and `centrex.contact_center.dispositions`, the
services behind `/api/v1/dnc` and `/api/v1/dispositions`: a number is normalised to E.164 by
the tenant's region (a number that is not one is refused with the service's reason), a system
disposition cannot be added again nor removed. The list shown is the tenant list (campaign
entries are made by dispositions such as `dnc` and show on the campaign's own lead data).
Another tenant's entry is not found in this tenant's scope: 404. Tenant administrators and
supervisors.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.contact_center import dispositions as disposition_service
from centrex.contact_center import dnc as service
from centrex.web.campaigns_page import require_manager
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, translate_for

router = APIRouter(include_in_schema=False)

ERROR_KEYS = {
    "dnc-bad-number": "dnc.error_number",
    "dnc-bad-note": "dnc.error_note",
    "disposition-bad-code": "dnc.error_code",
    "disposition-bad-label": "dnc.error_label",
    "disposition-exists": "dnc.error_exists",
    "disposition-system": "dnc.error_system",
    "disposition-not-found": "dnc.error_unknown",
}


async def _dnc_page(ctx: PageContext, flash: str = "", kind: str = "ok",
                    typed: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    return render(
        ctx.request,
        "dnc.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        entries=await service.list_entries(ctx.scope),
        dispositions=await disposition_service.list_dispositions(ctx.scope),
        values=typed if kind == "error" and typed else {},
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/dnc")
async def dnc(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        return await _dnc_page(ctx)


@router.post("/tenant/dnc")
async def add_number(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        number, note = form.get("number", "")[:40], form.get("note", "")[:300]

        async def work() -> str:
            done = await service.add_number(ctx.scope, number, None, note)
            key = "dnc.added" if done["added"] else "dnc.already"
            return translate_for(ctx)(key, number=number.strip())

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _dnc_page(ctx, flash, kind, {"number": number, "note": note})


@router.post("/tenant/dnc/{entry_id}/delete")
async def remove_number(request: Request, entry_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        entry = await service.get_entry(ctx.scope, entry_id)  # 404: not this tenant's
        number = entry.number
        await service.remove_entry(ctx.scope, entry)
        return await _dnc_page(ctx, translate_for(ctx)("dnc.removed", number=number))


@router.post("/tenant/dispositions")
async def add_disposition(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        code, label = form.get("code", "").strip()[:64], form.get("label", "")[:300]

        async def work() -> str:
            await disposition_service.add_disposition(ctx.scope, code=code, label=label,
                                                      final=form.get("final") == "on")  # fmt: skip
            return translate_for(ctx)("dnc.disposition_added", code=code)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _dnc_page(ctx, flash, kind, {"code": code, "label": label})


@router.post("/tenant/dispositions/{code}/delete")
async def remove_disposition(request: Request, code: str) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        code = code[:64]

        async def work() -> str:
            await disposition_service.remove_disposition(ctx.scope, code)
            return translate_for(ctx)("dnc.disposition_removed", code=code)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _dnc_page(ctx, flash, kind)
