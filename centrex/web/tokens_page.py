"""Portal page for API tokens: list those within reach, create one (shown once), revoke."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import Role
from centrex.data.reach import Reach
from centrex.errors import CentrexError, Forbidden, ValidationFailed
from centrex.provisioning import tokens as token_service
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)


def _roles(ctx: PageContext) -> list[str]:
    if ctx.principal.role == Role.PLATFORM_ADMIN:
        return ["tenant-admin", "platform-admin", "partner"]
    if ctx.principal.role == Role.PARTNER:
        return ["tenant-admin", "partner"]
    return ["tenant-admin"]


async def _tokens_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")
    reach = Reach.of(ctx.session, ctx.principal)
    tokens = await token_service.list_tokens(reach)
    domains = {t.id: t.domain for t in await reach.tenants()}
    return render(
        ctx.request,
        "tokens.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        tokens=[token_service.token_view(t) for t in tokens],
        domains=domains,
        roles=_roles(ctx),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tokens")
async def tokens(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        return await _tokens_page(ctx)


@router.post("/tokens")
async def create_token(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        form = await check_csrf(request, ctx.principal)
        t = translator(language_for(request, ctx.principal))
        now = ctx.services.clock.utcnow()
        try:
            days = form.get("expires_days", "")
            expires = now + timedelta(days=int(days)) if days else None
            role = Role(form.get("role", "tenant-admin"))
        except ValueError as exc:
            error = ValidationFailed(f"invalid token request: {exc}"[:300])
            return await _tokens_page(ctx, t("error.generic", message=error.message), "error")
        try:
            async with ctx.session.begin_nested():
                created = await token_service.mint_token(
                    Reach.of(ctx.session, ctx.principal),
                    role=role,
                    now=now,
                    name=form.get("name", ""),
                    tenant=form.get("tenant") or None,
                    expires_at=expires,
                )
        except CentrexError as exc:
            return await _tokens_page(ctx, t("error.generic", message=exc.message), "error")
        return await _tokens_page(ctx, t("tokens.created", token=created.secret))


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: int) -> HTMLResponse:
    async with page(request) as ctx:
        await check_csrf(request, ctx.principal)
        await token_service.revoke_token(
            Reach.of(ctx.session, ctx.principal), token_id, now=ctx.services.clock.utcnow()
        )
        return await _tokens_page(ctx)
