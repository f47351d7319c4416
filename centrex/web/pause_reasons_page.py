"""Portal page for a tenant's agent pause reasons (`/tenant/pause-reasons`, issue 21): list,
add, rename, delete — the reasons agents pick with `*52<code>` or the API.

The forms call `centrex.provisioning.pause_reasons` (the list is the one
`/api/v1/agents/pause-reasons` shows). A refused form changes nothing (rolled-back savepoint)
and says why in the viewer's language; another tenant's reason is 404.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.provisioning import pause_reasons as service
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, require_admin, translate_for

router = APIRouter(include_in_schema=False)

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "pause-reason-bad-code": "pause_reasons.error_code",
    "pause-reason-code-taken": "pause_reasons.error_code_taken",
    "pause-reason-bad-label": "pause_reasons.error_label",
    "pause-reason-label-taken": "pause_reasons.error_label_taken",
    "pause-reason-in-use": "pause_reasons.error_in_use",
    "pause-reason-last": "pause_reasons.error_last",
}


async def _page(
    ctx: PageContext, flash: str = "", kind: str = "ok", form: Mapping[str, str] | None = None
) -> HTMLResponse:
    return render(
        ctx.request,
        "pause_reasons.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        reasons=await service.list_reasons(ctx.scope),
        limits=(service.MIN_CODE, service.MAX_CODE, service.MAX_LABEL),
        values=dict(form or {}) if kind == "error" else {},
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/pause-reasons")
async def pause_reasons(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _page(ctx)


@router.post("/tenant/pause-reasons")
async def add_reason(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            view = await service.add_reason(
                ctx.scope, code=form.get("code", "")[:10], label=form.get("label", "")[:200]
            )
            return translate_for(ctx)("pause_reasons.added", code=view["code"], label=view["label"])

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form)


@router.post("/tenant/pause-reasons/{reason_id}")
async def rename_reason(request: Request, reason_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        await service.get_reason(ctx.scope, reason_id)  # 404: not this tenant's

        async def work() -> str:
            view = await service.rename_reason(
                ctx.scope, reason_id, label=form.get("label", "")[:200]
            )
            return translate_for(ctx)(
                "pause_reasons.renamed", code=view["code"], label=view["label"]
            )

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)


@router.post("/tenant/pause-reasons/{reason_id}/delete")
async def delete_reason(request: Request, reason_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        await service.get_reason(ctx.scope, reason_id)  # 404: not this tenant's

        async def work() -> str:
            view = await service.delete_reason(ctx.scope, reason_id)
            return translate_for(ctx)(
                "pause_reasons.deleted", code=view["code"], label=view["label"]
            )

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)
