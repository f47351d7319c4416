"""Portal pages for a tenant's outbound campaigns: list, create, start/pause/stop, delete
(`/tenant/campaigns`); the campaign's own page is `campaign_detail_page.py`.

Every form calls `centrex.contact_center.campaigns`, the service behind `/api/v1/campaigns`, so
the page and the API accept and refuse the same things (the API's `campaign-without-agents`
on start, `campaign-running` on delete, ...). A refused form changes nothing (its work runs in
a savepoint that is rolled back) and the page says why in the viewer's language: the service's
stable `error_id` picks the sentence, the service's own message follows as the detail.
Another tenant's campaign is not found in this tenant's scope: 404, as in the API.

Tenant administrators and supervisors (who run campaigns day to day) may use these pages.
The form helpers (`settings_of`, `ERROR_KEYS`, `require_manager`) are shared with the detail
page, whose settings form is the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.contact_center import campaigns as service
from centrex.contact_center.calling_window import DEFAULT_DAYS, DEFAULT_WINDOW
from centrex.contact_center.stats import campaign_stats
from centrex.data.models import Campaign, Role
from centrex.errors import Forbidden, ValidationFailed
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, int_field, lines, translate_for

router = APIRouter(include_in_schema=False)

METHODS = ("preview", "progressive", "ratio", "predictive")

# The services' error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "campaign-bad-name": "campaigns.error_name",
    "campaign-exists": "campaigns.error_exists",
    "campaign-bad-method": "campaigns.error_method",
    "campaign-bad-ratio": "campaigns.error_ratio",
    "campaign-bad-drop-target": "campaigns.error_drop_target",
    "campaign-bad-caller-id": "campaigns.error_caller_id",
    "campaign-caller-id-not-owned": "campaigns.error_caller_id",
    "campaign-bad-window": "campaigns.error_window",
    "campaign-bad-days": "campaigns.error_days",
    "campaign-never-opens": "campaigns.error_never_opens",
    "campaign-bad-max-attempts": "campaigns.error_max_attempts",
    "campaign-bad-priority": "campaigns.error_priority",
    "campaign-agent-unknown": "campaigns.error_agent_unknown",
    "campaign-group-unknown": "campaigns.error_group_unknown",
    "campaign-too-many-groups": "campaigns.error_group_unknown",
    "campaign-without-agents": "campaigns.error_without_agents",
    "campaign-bad-transition": "campaigns.error_transition",
    "campaign-running": "campaigns.error_running",
    "campaign-bad-postal-code": "campaigns.error_postal_code",
    "lead-file-empty": "campaigns.error_file",
    "lead-file-format": "campaigns.error_file",
    "lead-file-encoding": "campaigns.error_file",
    "lead-file-columns": "campaigns.error_file_columns",
    "lead-bad-mapping": "campaigns.error_file_columns",
    "lead-file-too-large": "campaigns.error_file",
}

_NUMBER = re.compile(r"^-?[0-9]{1,3}([.,][0-9]{1,4})?$")


def require_manager(ctx: PageContext) -> None:
    if not (ctx.principal.is_tenant_admin or ctx.principal.role is Role.SUPERVISOR):
        raise Forbidden("tenant administrators and supervisors only")


def decimal_field(form: Mapping[str, str], name: str, error_id: str, default: float) -> float:
    """A decimal number from the form ("1.5" or "1,5"; empty: `default`), else the error."""
    text = form.get(name, "").strip()
    if not text:
        return default
    if not _NUMBER.match(text):
        raise ValidationFailed(f"{name.replace('_', ' ')}: {text[:20]!r} is not a number",
                               error_id=error_id, field=name)  # fmt: skip
    return float(text.replace(",", "."))


def settings_of(form: Mapping[str, str]) -> dict[str, Any]:
    """The settings form as the service's keyword arguments (the drop target typed in %)."""
    drop_pct = decimal_field(form, "drop_pct", "campaign-bad-drop-target",
                             service.DEFAULT_DROP_TARGET * 100)  # fmt: skip
    return {
        "name": form.get("name", "")[:200],
        "method": form.get("method", "progressive")[:40],
        "ratio": decimal_field(form, "ratio", "campaign-bad-ratio", 1.0),
        "drop_target": round(drop_pct / 100, 6),
        "caller_id": form.get("caller_id", "").strip()[:40] or "local",
        "window": form.get("window", "").strip()[:40] or DEFAULT_WINDOW,
        "calling_days": form.get("calling_days", "").strip()[:60] or DEFAULT_DAYS,
        "legal_rules": form.get("legal_rules") == "on",
        "amd": form.get("amd") == "on",
        "max_attempts": int_field(form, "max_attempts", "campaign-bad-max-attempts", 3),
        "priority": int_field(form, "priority", "campaign-bad-priority", 0),
        "agents": lines(form.get("agents", ""))[:500],
        "groups": lines(form.get("groups", ""))[:60],
    }


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """A campaign (as `campaign_dict`) as the settings form shows it."""
    return {
        "name": data["name"],
        "method": data["method"],
        "ratio": f"{data['ratio']:g}",
        "drop_pct": f"{data['drop_target'] * 100:g}",
        "caller_id": data["caller_id"],
        "window": data["window"],
        "calling_days": data["calling_days"],
        "legal_rules": "on" if data["legal_rules"] else "",
        "amd": "on" if data["amd"] else "",
        "max_attempts": str(data["max_attempts"]),
        "priority": str(data["priority"]),
        "agents": ", ".join(data["agents"]),
        "groups": ", ".join(data["groups"]),
    }


def typed_values(form: Mapping[str, str]) -> dict[str, str]:
    """What was typed into a refused settings form, to correct it."""
    keys = form_values({"name": "", "method": "", "ratio": 1.0, "drop_target": 0.0,
                        "caller_id": "", "window": "", "calling_days": "", "legal_rules": False,
                        "amd": False, "max_attempts": 0, "priority": 0, "agents": [],
                        "groups": []})  # fmt: skip
    return {k: form.get(k, "")[:200] for k in keys}


async def form_choices(ctx: PageContext) -> dict[str, Any]:
    """What the settings form proposes: the methods and the tenant's own numbers."""
    t = translate_for(ctx)
    return {
        "methods": [(m, t(f"campaigns.method_{m}")) for m in METHODS],
        "numbers": await service.tenant_numbers(ctx.scope),
    }


async def _row(ctx: PageContext, campaign: Campaign) -> dict[str, Any]:
    row = await service.campaign_dict(ctx.scope, campaign)
    row["stats"] = await campaign_stats(ctx.scope, campaign, ctx.services.clock.utcnow())
    return row


async def _list_page(
    ctx: PageContext, flash: str = "", kind: str = "ok", form: Mapping[str, str] | None = None
) -> HTMLResponse:
    rows = [await _row(ctx, c) for c in await service.list_campaigns(ctx.scope)]
    values = typed_values(form) if form is not None and kind == "error" else {
        "method": "progressive", "ratio": "1", "legal_rules": "on", "max_attempts": "3",
        "drop_pct": f"{service.DEFAULT_DROP_TARGET * 100:g}", "caller_id": "local",
        "window": DEFAULT_WINDOW, "calling_days": DEFAULT_DAYS, "priority": "0",
    }  # fmt: skip
    return render(
        ctx.request,
        "campaigns.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        campaigns=rows,
        values=values,
        flash=flash,
        flash_kind=kind,
        **await form_choices(ctx),
    )


@router.get("/tenant/campaigns")
async def campaigns(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        return await _list_page(ctx)


@router.post("/tenant/campaigns")
async def create_campaign(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            made = await service.create_campaign(ctx.scope, **settings_of(form))
            return translate_for(ctx)("campaigns.created", name=made.name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _list_page(ctx, flash, kind, form)


async def _move(request: Request, campaign_id: int, action: str) -> HTMLResponse:
    """start, pause, stop (the service's transitions) or delete."""
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        found = await service.get_campaign_by_id(ctx.scope, campaign_id)  # 404: not this tenant's
        name = found.name

        async def work() -> str:
            t = translate_for(ctx)
            if action == "delete":
                await service.delete_campaign(ctx.scope, found)
                return t("campaigns.deleted", name=name)
            await service.change_status(ctx.scope, found, action)
            return t("campaigns.moved", name=name, status=t(f"campaigns.status_{found.status}"))

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error" and action != "delete":
            await ctx.session.refresh(found)  # the rolled-back status
        return await _list_page(ctx, flash, kind)


@router.post("/tenant/campaigns/{campaign_id}/start")
async def start_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    return await _move(request, campaign_id, "start")


@router.post("/tenant/campaigns/{campaign_id}/pause")
async def pause_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    return await _move(request, campaign_id, "pause")


@router.post("/tenant/campaigns/{campaign_id}/stop")
async def stop_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    return await _move(request, campaign_id, "stop")


@router.post("/tenant/campaigns/{campaign_id}/delete")
async def delete_campaign(request: Request, campaign_id: int) -> HTMLResponse:
    return await _move(request, campaign_id, "delete")
