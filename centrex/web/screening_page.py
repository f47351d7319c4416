"""Portal page for a tenant's call screening (`/tenant/screening`, issue 21): the blocklist and
the allowlist side by side — list, add, delete.

The forms call `centrex.provisioning.screening`, the service behind `/api/v1/blocklist` and
`/api/v1/allowlist`, so page and API accept and refuse the same patterns, directions, actions
and extensions. A refused form changes nothing (its work runs in a rolled-back savepoint) and
says why in the viewer's language: the service's `error_id` picks the sentence, its message is
the detail. Another tenant's entry is not found in this tenant's scope: 404, as in the API.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.calls.features.screening_rules import MAX_PATTERN, ListKind
from centrex.errors import NotFound
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import screening as service
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, require_admin, translate_for

router = APIRouter(include_in_schema=False)

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "screening-bad-pattern": "screening.error_pattern",
    "screening-bad-direction": "screening.error_direction",
    "screening-bad-action": "screening.error_action",
    "screening-extension-unknown": "screening.error_extension",
    "screening-entry-exists": "screening.error_exists",
    "screening-bad-list": "screening.error_list",
}

LIST_KEYS = {ListKind.BLOCK: "screening.blocklist", ListKind.ALLOW: "screening.allowlist"}


def _kind(value: str) -> ListKind:
    """The list a form or URL names (`block`/`allow`); anything else is not a list: 404."""
    try:
        return ListKind(value.strip().lower())
    except ValueError:
        raise NotFound(f"no screening list {value[:20]!r}", error_id="screening-bad-list") from None


async def _page(
    ctx: PageContext, flash: str = "", kind: str = "ok", form: Mapping[str, str] | None = None
) -> HTMLResponse:
    lists = [
        {
            "kind": k.value,
            "title": LIST_KEYS[k],
            "entries": await service.list_entries(ctx.scope, k),
        }
        for k in (ListKind.BLOCK, ListKind.ALLOW)
    ]
    extensions = await extension_service.list_extensions(ctx.scope)
    return render(
        ctx.request,
        "screening.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        lists=lists,
        extensions=[{"number": e.number, "name": e.display_name} for e in extensions],
        max_pattern=MAX_PATTERN,
        values=dict(form or {}) if kind == "error" else {},
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/screening")
async def screening(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _page(ctx)


@router.post("/tenant/screening")
async def add_entry(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            chosen = _kind(form.get("list", ""))
            view = await service.add_entry(
                ctx.scope,
                chosen,
                pattern=form.get("pattern", "")[: MAX_PATTERN * 2],
                direction=form.get("direction", "")[:20],
                extension=form.get("extension", "")[:20] or None,
                action=form.get("action", "reject")[:20] or "reject",
            )
            t = translate_for(ctx)
            return t("screening.added", pattern=view["pattern"], list=t(LIST_KEYS[chosen]))

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form)


@router.post("/tenant/screening/{list_kind}/{entry_id}/delete")
async def delete_entry(request: Request, list_kind: str, entry_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        chosen = _kind(list_kind)
        view = await service.get_entry(ctx.scope, chosen, entry_id)  # 404: not this tenant's
        await service.delete_entry(ctx.scope, chosen, entry_id)
        t = translate_for(ctx)
        return await _page(
            ctx, t("screening.deleted", pattern=view["pattern"], list=t(LIST_KEYS[chosen]))
        )
