"""Portal pages for a tenant's ring groups: list, create, edit, delete (`/tenant/ring-groups`).

The forms call `centrex.provisioning.ring_groups`, the service behind `/api/v1/ring-groups`, so
the page and the API accept and refuse the same things. A refused form changes nothing (its
work runs in a savepoint that is rolled back) and the page says why in the viewer's language:
the service's stable `error_id` picks the sentence, the service's own message follows as the
detail (it names the offending member or number). Another tenant's group is simply not found
in this tenant's scope: 404, as in the API.

Members are typed one per line in ring order (a sequential group rings them top to bottom), so
reordering is moving a line; the page lists the tenant's extensions beside the field.

`attempt`, `int_field` and `lines` are shared with `queues_page.py`, whose forms work the same.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import CallFlow
from centrex.errors import CentrexError, Forbidden, ValidationFailed
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import ring_groups as service
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)

# The strategies as the select shows them (the service's names are the option values).
STRATEGY_KEYS = {
    "simultaneous": "ring_groups.strategy_simultaneous",
    "sequential": "ring_groups.strategy_sequential",
    "round-robin": "ring_groups.strategy_round_robin",
    "longest-idle": "ring_groups.strategy_longest_idle",
    "page": "ring_groups.strategy_page",
}

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "ring-group-bad-number": "ring_groups.error_number",
    "ring-group-number-taken": "ring_groups.error_number_taken",
    "ring-group-exists": "ring_groups.error_exists",
    "ring-group-bad-strategy": "ring_groups.error_strategy",
    "ring-group-bad-ring-seconds": "ring_groups.error_ring_seconds",
    "ring-group-no-members": "ring_groups.error_no_members",
    "ring-group-too-many-members": "ring_groups.error_too_many",
    "ring-group-member-unknown": "ring_groups.error_member_unknown",
    "ring-group-duplicate-member": "ring_groups.error_duplicate",
    "ring-group-page-outside-member": "ring_groups.error_page_outside",
    "ring-group-undialable": "ring_groups.error_undialable",
    "ring-group-no-mailbox": "ring_groups.error_no_mailbox",
    "ring-group-fallback-unknown": "ring_groups.error_fallback_unknown",
}

MAX_FIELD = 200  # no form field the services accept is longer


def translate_for(ctx: PageContext) -> Translate:
    return translator(language_for(ctx.request, ctx.principal))


def require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


async def attempt(
    ctx: PageContext, work: Callable[[], Awaitable[str]], errors: Mapping[str, str]
) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok"), or (why, "error") with nothing kept."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        t = translate_for(ctx)
        key = errors.get(exc.error_id)
        reason = t(key, detail=exc.message) if key else exc.message
        return t("error.generic", message=reason), "error"


def int_field(form: Mapping[str, str], name: str, error_id: str, default: int) -> int:
    """A whole number from the form (its field empty: `default`), else the service's error."""
    text = form.get(name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"-?[0-9]{1,6}", text):
        raise ValidationFailed(f"{name.replace('_', ' ')}: {text[:20]!r} is not a whole number",
                               error_id=error_id, field=name)  # fmt: skip
    return int(text)


def lines(text: str) -> list[str]:
    """The entries of a textarea, one per line (commas also separate), blanks dropped."""
    return [part.strip() for part in re.split(r"[\n,;]+", text[:4000]) if part.strip()]


def _strategies(t: Translate) -> list[tuple[str, str]]:
    return [(value, t(key)) for value, key in STRATEGY_KEYS.items()]


def _seconds(form: Mapping[str, str], default: int) -> int:
    return int_field(form, "ring_seconds", "ring-group-bad-ring-seconds", default)


async def _choices(ctx: PageContext) -> dict[str, Any]:
    """What the forms propose: the tenant's extensions and call flows (fallback targets)."""
    extensions = await extension_service.list_extensions(ctx.scope)
    flows = await ctx.scope.list(CallFlow, order_by=CallFlow.name)
    return {
        "extensions": [{"number": e.number, "name": e.display_name} for e in extensions],
        "flows": [f.name for f in flows],
    }


async def _list_page(
    ctx: PageContext, flash: str = "", kind: str = "ok", form: Mapping[str, str] | None = None
) -> HTMLResponse:
    t = translate_for(ctx)
    labels = dict(_strategies(t))
    groups = []
    for view in await service.list_ring_groups(ctx.scope):
        row = view.as_dict()
        row["strategy_label"] = labels.get(row["strategy"], row["strategy"])
        row["targets"] = list(view.members)
        groups.append(row)
    return render(
        ctx.request,
        "ring_groups.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        groups=groups,
        editing=None,
        strategies=_strategies(t),
        default_seconds=service.DEFAULT_RING_SECONDS,
        limits=(service.MIN_RING_SECONDS, service.MAX_RING_SECONDS),
        values=dict(form or {}) if kind == "error" else {},
        flash=flash,
        flash_kind=kind,
        **await _choices(ctx),
    )


async def _edit_page(
    ctx: PageContext,
    view: service.GroupView,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    t = translate_for(ctx)
    current = view.as_dict()
    values = {
        "number": current["number"],
        "name": current["name"],
        "strategy": current["strategy"],
        "ring_seconds": str(current["ring_seconds"]),
        "members": "\n".join(view.members),
        "fallback": current["fallback"] or "",
    }
    if form is not None and kind == "error":  # show what was typed, to correct it
        values.update({k: form.get(k, "") for k in values})
    return render(
        ctx.request,
        "ring_groups.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        groups=[],
        editing=current,
        strategies=_strategies(t),
        default_seconds=service.DEFAULT_RING_SECONDS,
        limits=(service.MIN_RING_SECONDS, service.MAX_RING_SECONDS),
        values=values,
        flash=flash,
        flash_kind=kind,
        **await _choices(ctx),
    )


@router.get("/tenant/ring-groups")
async def ring_groups(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _list_page(ctx)


@router.post("/tenant/ring-groups")
async def create_ring_group(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            created = await service.create_ring_group(
                ctx.scope,
                number=form.get("number", "")[:MAX_FIELD],
                name=form.get("name", "")[:100],
                strategy=form.get("strategy", "simultaneous")[:MAX_FIELD],
                ring_seconds=_seconds(form, service.DEFAULT_RING_SECONDS),
                members=lines(form.get("members", "")),
                fallback=form.get("fallback", "")[:100] or None,
            )
            return translate_for(ctx)("ring_groups.created", number=created.group.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _list_page(ctx, flash, kind, form)


@router.get("/tenant/ring-groups/{group_id}")
async def edit_ring_group(request: Request, group_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _edit_page(ctx, await service.get_ring_group_by_id(ctx.scope, group_id))


@router.post("/tenant/ring-groups/{group_id}")
async def update_ring_group(request: Request, group_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        view = await service.get_ring_group_by_id(ctx.scope, group_id)  # 404: not this tenant's

        async def work() -> str:
            fallback = form.get("fallback", "").strip()[:100]
            changed = await service.update_ring_group(
                ctx.scope,
                view,
                number=form.get("number", "")[:MAX_FIELD],
                name=form.get("name", "")[:100],
                strategy=form.get("strategy", "")[:MAX_FIELD],
                ring_seconds=_seconds(form, view.group.ring_seconds),
                members=lines(form.get("members", "")),
                fallback=fallback or None,
                clear_fallback=not fallback,
            )
            return translate_for(ctx)("ring_groups.saved", number=changed.group.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(view.group)  # the rolled-back values, not the refused ones
            view = await service.get_ring_group_by_id(ctx.scope, group_id)
            return await _edit_page(ctx, view, flash, kind, form)
        return await _list_page(ctx, flash, kind)


@router.post("/tenant/ring-groups/{group_id}/delete")
async def delete_ring_group(request: Request, group_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        view = await service.get_ring_group_by_id(ctx.scope, group_id)  # 404: not this tenant's
        number = view.group.number
        await service.delete_ring_group(ctx.scope, view)
        return await _list_page(ctx, translate_for(ctx)("ring_groups.deleted", number=number))
