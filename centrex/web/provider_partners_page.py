"""Provider pages for partners (resellers) with their tenants, and one tenant's detail: licence,
quota, usage and status history.

Reach is the API's (`data/reach.py`): a platform admin sees every partner and tenant, a partner
only itself and its own tenants, and a tenant out of reach is not found (404), whatever the URL
or form says. Licence (simultaneous calls) and storage quota are edited through the same
`provider.update_tenant` as PATCH /api/v1/tenants/{id}; only a platform admin moves a tenant to
another partner. Status changes go through `tenants.set_status`, which writes the history row.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.api.live import tenant_summary
from centrex.data.models import Language, Role, TenantStatus
from centrex.data.reach import Reach
from centrex.errors import Forbidden, ValidationFailed
from centrex.provisioning import provider, storage
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.platform_views import partner_view
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.provider_forms import (
    attempt,
    int_field,
    require_platform_admin,
    require_staff,
    t_of,
    text_field,
)

router = APIRouter(include_in_schema=False)

# What the status form offers: the API's suspend and activate.
STATUS_CHOICES = (TenantStatus.ACTIVE, TenantStatus.SUSPENDED)


async def _partners_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    reach = Reach.of(ctx.session, ctx.principal)
    tenants = [await tenant_summary(ctx.services, ctx.session, x) for x in await reach.tenants()]
    partners: list[dict[str, Any]] = []
    for partner in await reach.partners():
        view = partner_view(partner)
        view["tenants"] = [x for x in tenants if x["partner_id"] == partner.id]
        partners.append(view)
    direct = [x for x in tenants if x["partner_id"] is None] if reach.is_platform else []
    return render(
        ctx.request,
        "provider_partners.html",
        ctx.principal,
        partners=partners,
        direct=direct,
        is_platform=reach.is_platform,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/provider/partners")
async def partners_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_staff(ctx)
        return await _partners_page(ctx)


@router.post("/provider/partners")
async def create_partner(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            partner = await tenant_service.create_partner(
                ctx.session,
                name=text_field(form, "name"),
                contact_name=text_field(form, "contact_name") or None,
                email=text_field(form, "email", 254) or None,
                phone=text_field(form, "phone", 40) or None,
            )
            return t_of(ctx)("provider_partners.created", name=partner.name)

        return await _partners_page(ctx, *await attempt(ctx, work))


@router.post("/provider/partners/{partner_id}/delete")
async def delete_partner(request: Request, partner_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        await check_csrf(request, ctx.principal)

        async def work() -> str:
            name = (await provider.get_partner(ctx.session, partner_id)).name
            await provider.delete_partner(ctx.session, partner_id)
            return t_of(ctx)("provider_partners.deleted", name=name)

        return await _partners_page(ctx, *await attempt(ctx, work))


# ---------------------------------------------------------------- one tenant


async def _tenant_page(
    ctx: PageContext, tenant_id: int, flash: str = "", kind: str = "ok"
) -> HTMLResponse:
    reach = Reach.of(ctx.session, ctx.principal)
    tenant = await reach.tenant(tenant_id)
    scope = tenant_service.scope_of(ctx.session, tenant)
    summary = await tenant_summary(ctx.services, ctx.session, tenant)
    usage = await provider.tenant_usage(scope)
    used = await storage.usage(scope)
    history = [
        {"status": c.status.value, "changed_at": c.changed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
         "reason": c.reason or ""}
        for c in reversed(await tenant_service.status_history(scope))
    ]  # fmt: skip
    partner = (
        partner_view(await provider.get_partner(ctx.session, tenant.partner_id))
        if tenant.partner_id is not None
        else None
    )
    return render(
        ctx.request,
        "provider_tenant.html",
        ctx.principal,
        x=summary,
        usage=usage,
        storage_used_mb=round(used["used_bytes"] / storage.MIB, 1),
        storage_percent=round(100 * used["used_bytes"] / used["quota_bytes"], 1)
        if used["quota_bytes"]
        else 0,
        history=history,
        partner=partner,
        partners=[partner_view(p) for p in await reach.partners()] if reach.is_platform else [],
        is_platform=reach.is_platform,
        status_choices=[s.value for s in STATUS_CHOICES],
        languages_all=[lang.value for lang in Language],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/provider/tenants/{tenant_id}")
async def tenant_page(request: Request, tenant_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        require_staff(ctx)
        return await _tenant_page(ctx, tenant_id)


def _licence_changes(ctx: PageContext, form: dict[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {
        "name": text_field(form, "name") or None,
        "language": form.get("language") or None,
        "max_calls": int_field(form, "max_calls"),
        "storage_quota_mb": int_field(form, "storage_quota_mb"),
    }
    if "partner_id" in form:
        if ctx.principal.role != Role.PLATFORM_ADMIN:
            raise Forbidden("only a platform admin may move a tenant to another partner")
        changes["partner_id"] = int_field(form, "partner_id")
    return changes


@router.post("/provider/tenants/{tenant_id}")
async def update_tenant(request: Request, tenant_id: int) -> HTMLResponse:
    """The licence form (`form=licence`) or the status form (`form=status`) of the tenant.
    (POST /provider/tenants/{id}/{action} belongs to the dashboard's suspend/activate.)"""
    async with page(request) as ctx:
        require_staff(ctx)
        form = await check_csrf(request, ctx.principal)
        tenant = await Reach.of(ctx.session, ctx.principal).tenant(tenant_id)  # else 404

        async def work() -> str:
            t = t_of(ctx)
            if form.get("form") == "status":
                wanted = form.get("status", "")
                if wanted not in {s.value for s in STATUS_CHOICES}:
                    raise ValidationFailed(f"status {wanted!r} cannot be set here", field="status")
                await tenant_service.set_status(
                    ctx.session,
                    tenant,
                    TenantStatus(wanted),
                    now=ctx.services.clock.utcnow(),
                    reason=text_field(form, "reason", 500) or None,
                )
                return t("provider_partners.status_changed", name=tenant.name,
                         status=t("status." + wanted))  # fmt: skip
            await provider.update_tenant(ctx.session, tenant, **_licence_changes(ctx, form))
            return t("provider_partners.tenant_saved", name=tenant.name)

        flash, kind = await attempt(ctx, work)
        await ctx.session.refresh(tenant)  # a refused form leaves the rolled-back values
        return await _tenant_page(ctx, tenant_id, flash, kind)
