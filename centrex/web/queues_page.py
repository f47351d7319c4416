"""Portal pages for a tenant's ACD queues: list, create, edit, delete (`/tenant/queues`).

The forms call `centrex.provisioning.queues`, the service behind `/api/v1/queues`: members in
order (`EXT` or `EXT:LEVEL`, one per line), strategy, ring time, wrap-up, maximum wait and the
overflow target the caller goes to after it, position announcements, the callback offer.
Agents who joined by themselves (`*50`, the API's agent state) are dynamic members: shown, and
kept when the static members are replaced, as the service does.

Music on hold: a queue may name its own file (a MOH upload or a prompt of the tenant, the
service's `moh`); without one `apps/moh.py` plays the tenant's latest MOH upload, else the
built-in melody, and the page names that file. Pause reasons are the tenant's too
(`*52<code>`): the page lists them and links to `/api/v1/agents/pause-reasons`.

Refused forms change nothing and say why (see `ring_groups_page.py`, whose helpers these forms
share); another tenant's queue is 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import MediaFile, MediaKind
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import queues as service
from centrex.web.i18n import Translate
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, int_field, lines, require_admin, translate_for

router = APIRouter(include_in_schema=False)

STRATEGY_KEYS = {
    "ring-all": "queues.strategy_ring_all",
    "longest-idle": "queues.strategy_longest_idle",
    "round-robin": "queues.strategy_round_robin",
    "fewest-calls": "queues.strategy_fewest_calls",
    "skills": "queues.strategy_skills",
}

ERROR_KEYS = {
    "queue-bad-number": "queues.error_number",
    "queue-number-taken": "queues.error_number_taken",
    "queue-exists": "queues.error_exists",
    "queue-bad-strategy": "queues.error_strategy",
    "queue-bad-seconds": "queues.error_seconds",
    "queue-bad-level": "queues.error_level",
    "queue-bad-attempts": "queues.error_attempts",
    "queue-no-members": "queues.error_no_members",
    "queue-too-many-members": "queues.error_too_many",
    "queue-member-unknown": "queues.error_member_unknown",
    "queue-duplicate-member": "queues.error_duplicate",
    "queue-fallback-unknown": "queues.error_fallback_unknown",
    "queue-moh-unknown": "queues.error_moh_unknown",
}

SECONDS = ("ring_seconds", "wrap_up_seconds", "max_wait_seconds", "service_level_seconds",
           "callback_retry_seconds")  # fmt: skip
CHECKBOXES = ("announce_position", "callback")


def _strategies(t: Translate) -> list[tuple[str, str]]:
    return [(value, t(key)) for value, key in STRATEGY_KEYS.items()]


def _settings(form: Mapping[str, str], current: Mapping[str, Any]) -> dict[str, Any]:
    """The numbers and switches of the form (an empty number field keeps `current`'s)."""
    values: dict[str, Any] = {
        name: int_field(form, name, "queue-bad-seconds", int(current[name])) for name in SECONDS
    }
    values["min_level"] = int_field(form, "min_level", "queue-bad-level", current["min_level"])
    values["callback_attempts"] = int_field(form, "callback_attempts", "queue-bad-attempts",
                                            current["callback_attempts"])  # fmt: skip
    for name in CHECKBOXES:
        values[name] = form.get(name) == "on"
    return values


def _defaults() -> dict[str, Any]:
    values: dict[str, Any] = {name: limits[2] for name, limits in service.LIMITS.items()}
    values.update(min_level=service.MIN_LEVEL, callback_attempts=service.CALLBACK_ATTEMPTS[2],
                  announce_position=False, callback=False, strategy="longest-idle")  # fmt: skip
    return values


def _member_lines(view: service.QueueView) -> str:
    return "\n".join(
        m.extension if m.level == 1 else f"{m.extension}:{m.level}"
        for m in view.members
        if m.static
    )


async def _context(ctx: PageContext) -> dict[str, Any]:
    """What every queue page shows beside the form: extensions, music on hold, pause reasons."""
    t = translate_for(ctx)
    extensions = await extension_service.list_extensions(ctx.scope)
    # the file the queue plays while callers wait: the latest MOH upload (apps/moh.py)
    moh = await ctx.scope.list(MediaFile, MediaFile.kind == MediaKind.MOH,
                               order_by=MediaFile.id.desc(), limit=1)  # fmt: skip
    has_queue = bool(await service.list_queues(ctx.scope))
    playable = await ctx.scope.list(MediaFile, MediaFile.kind.in_(service.MOH_KINDS),
                                    order_by=MediaFile.name)  # fmt: skip
    return {
        "moh_choices": [{"id": m.id, "name": m.name, "kind": m.kind.value} for m in playable],
        "extensions": [{"number": e.number, "name": e.display_name} for e in extensions],
        "moh": moh[0].name if moh else None,
        # the defaults are written on first use, as creating a queue does: only once one exists
        "pause_reasons": await service.pause_reasons(ctx.scope) if has_queue else [],
        "strategies": _strategies(t),
        "limits": {
            **{k: (v[0], v[1]) for k, v in service.LIMITS.items()},
            "min_level": (service.MIN_LEVEL, service.MAX_LEVEL),
            "callback_attempts": service.CALLBACK_ATTEMPTS[:2],
        },
    }


async def _list_page(
    ctx: PageContext, flash: str = "", kind: str = "ok", form: Mapping[str, str] | None = None
) -> HTMLResponse:
    labels = dict(_strategies(translate_for(ctx)))
    queues = []
    for view in await service.list_queues(ctx.scope):
        row = view.as_dict()
        row["strategy_label"] = labels.get(row["strategy"], row["strategy"])
        queues.append(row)
    values = _defaults()
    if form is not None and kind == "error":  # what was typed, to correct it
        values.update(form)
        values.update({name: form.get(name) == "on" for name in CHECKBOXES})
    return render(
        ctx.request,
        "queues.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        queues=queues,
        editing=None,
        dynamic=[],
        values=values,
        flash=flash,
        flash_kind=kind,
        **await _context(ctx),
    )


async def _edit_page(
    ctx: PageContext,
    view: service.QueueView,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
) -> HTMLResponse:
    current = view.as_dict()
    values = {**current, "members": _member_lines(view), "fallback": current["fallback"] or ""}
    if form is not None and kind == "error":
        values.update(form)
        values.update({name: form.get(name) == "on" for name in CHECKBOXES})
    return render(
        ctx.request,
        "queues.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        queues=[],
        editing=current,
        dynamic=[m.extension for m in view.members if not m.static],
        values=values,
        flash=flash,
        flash_kind=kind,
        **await _context(ctx),
    )


@router.get("/tenant/queues")
async def queues(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _list_page(ctx)


@router.post("/tenant/queues")
async def create_queue(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            fallback = form.get("fallback", "").strip()[:100]
            created = await service.create_queue(
                ctx.scope,
                number=form.get("number", "")[:200],
                name=form.get("name", "")[:100],
                strategy=form.get("strategy", "longest-idle")[:200],
                members=lines(form.get("members", "")),
                fallback=fallback or None,
                moh=int_field(form, "moh", "queue-moh-unknown", 0) or None,
                **_settings(form, _defaults()),
            )
            return translate_for(ctx)("queues.created", number=created.queue.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _list_page(ctx, flash, kind, form)


@router.get("/tenant/queues/{queue_id}")
async def edit_queue(request: Request, queue_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _edit_page(ctx, await service.get_queue_by_id(ctx.scope, queue_id))


@router.post("/tenant/queues/{queue_id}")
async def update_queue(request: Request, queue_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        view = await service.get_queue_by_id(ctx.scope, queue_id)  # 404: not this tenant's

        async def work() -> str:
            fallback = form.get("fallback", "").strip()[:100]
            moh = int_field(form, "moh", "queue-moh-unknown", 0)
            changed = await service.update_queue(
                ctx.scope,
                view,
                number=form.get("number", "")[:200],
                name=form.get("name", "")[:100],
                strategy=form.get("strategy", "")[:200],
                members=lines(form.get("members", "")),
                fallback=fallback or None,
                clear_fallback=not fallback,
                moh=moh or None,
                clear_moh=not moh,
                **_settings(form, view.as_dict()),
            )
            return translate_for(ctx)("queues.saved", number=changed.queue.number)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(view.queue)  # the rolled-back values, not the refused ones
            view = await service.get_queue_by_id(ctx.scope, queue_id)
            return await _edit_page(ctx, view, flash, kind, form)
        return await _list_page(ctx, flash, kind)


@router.post("/tenant/queues/{queue_id}/delete")
async def delete_queue(request: Request, queue_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        view = await service.get_queue_by_id(ctx.scope, queue_id)  # 404: not this tenant's
        number = view.queue.number
        await service.delete_queue(ctx.scope, view)
        return await _list_page(ctx, translate_for(ctx)("queues.deleted", number=number))
