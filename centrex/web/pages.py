"""Portal pages: provider dashboard, tenant administration, and the user's own page.

Forms post back to the page, which answers with the refreshed page and a message (a generated
SIP password is shown in that answer only). A failing form changes nothing: its work runs in a
savepoint that is rolled back, and the page says what was wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from centrex.api.live import calls_of, registration_counts, registrations_of, tenant_summary
from centrex.data.models import (
    Direction,
    Disposition,
    Extension,
    Role,
    SipCredential,
    Tenant,
    TenantStatus,
)
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import cdr_reports
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.provisioning.cdrs import cdr_row, cdrs_to_csv
from centrex.provisioning.numbers import extension_numbers
from centrex.provisioning.views import extension_view, user_view
from centrex.web.call_page import router as call_router
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render
from centrex.web.switchboard_page import router as switchboard_router
from centrex.web.wallboard_page import router as wallboard_router

router = APIRouter(include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _t(ctx: PageContext) -> Callable[..., str]:
    return translator(language_for(ctx.request, ctx.principal))


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return _t(ctx)("error.generic", message=exc.message), "error"


def _require_staff(ctx: PageContext) -> None:
    if not ctx.principal.is_staff:
        raise Forbidden("staff only")


def _require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


# ---------------------------------------------------------------- provider dashboard


async def _provider_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    tenants = await tenant_service.list_tenants(
        ctx.session,
        partner_id=ctx.principal.partner_id if ctx.principal.role == Role.PARTNER else None,
    )
    views = [await tenant_summary(ctx.services, ctx.session, x) for x in tenants]
    return render(
        ctx.request, "provider.html", ctx.principal, tenants=views, flash=flash, flash_kind=kind
    )


@router.get("/provider")
async def provider_dashboard(request: Request) -> Response:
    async with page(request) as ctx:
        if not ctx.principal.is_staff:
            return RedirectResponse("/", status_code=303)
        return await _provider_page(ctx)


@router.post("/provider/tenants")
async def provider_create_tenant(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        _require_staff(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            try:
                digits = int(form.get("extension_digits", "3"))
                max_calls = int(form.get("max_calls", "10"))
            except ValueError as exc:
                raise ValidationFailed("numbers expected", field="max_calls") from exc
            tenant = await tenant_service.create_tenant(
                ctx.session,
                now=ctx.services.clock.utcnow(),
                name=form.get("name", "")[:200],
                domain=form.get("domain", ""),
                extension_digits=digits,
                max_calls=max_calls,
                language=form.get("language", "en"),
                partner_id=ctx.principal.partner_id,
            )
            return _t(ctx)("provider.created", name=tenant.name)

        flash, kind = await _attempt(ctx, work)
        return await _provider_page(ctx, flash, kind)


@router.post("/provider/tenants/{tenant_id}/{action}")
async def provider_tenant_status(request: Request, tenant_id: int, action: str) -> HTMLResponse:
    async with page(request) as ctx:
        _require_staff(ctx)
        await check_csrf(request, ctx.principal)
        tenant = await ctx.session.get(Tenant, tenant_id)
        if tenant is None or (
            ctx.principal.role == Role.PARTNER and tenant.partner_id != ctx.principal.partner_id
        ):
            raise NotFound("tenant not found", error_id="tenant-not-found")
        if action not in ("suspend", "activate"):
            raise NotFound("no such action")
        status = "suspended" if action == "suspend" else "active"
        await tenant_service.set_status(
            ctx.session, tenant, TenantStatus(status), now=ctx.services.clock.utcnow()
        )
        return await _provider_page(ctx)


# ---------------------------------------------------------------- tenant administration


async def _extension_rows(ctx: PageContext, only_user: int | None = None) -> list[dict[str, Any]]:
    scope = ctx.scope
    numbers = await extension_numbers(scope)
    counts = await registration_counts(ctx.services, scope)
    rows = []
    for extension in await extension_service.list_extensions(scope):
        if only_user is not None and extension.user_id != only_user:
            continue
        credential = await scope.first(SipCredential, SipCredential.extension_id == extension.id)
        own = [numbers[extension.id]] if extension.id in numbers else []
        view = extension_view(extension, credential, own)
        view["registered"] = counts.get(view.get("sip_username") or extension.number, 0) > 0
        rows.append(view)
    return rows


async def _extensions_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    return render(
        ctx.request,
        "extensions.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        extensions=await _extension_rows(ctx),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/extensions")
async def tenant_extensions(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await _extensions_page(ctx)


@router.post("/tenant/extensions")
async def tenant_create_extension(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            created = await extension_service.create_extension(
                ctx.scope,
                number=form.get("number", "").strip(),
                name=form.get("name", "")[:200],
                email=form.get("email") or None,
            )
            t = _t(ctx)
            # the mailbox PIN, like the SIP password, exists in clear only in this message
            pin = created.voicemail_pin
            shown_pin = "" if pin is None else " " + t("ext.voicemail_pin", pin=pin)
            if created.generated_password is None:
                return t("ext.created_no_password", number=created.extension.number) + shown_pin
            return (
                t(
                    "ext.created",
                    number=created.extension.number,
                    username=created.credential.username,
                    password=created.generated_password,
                )
                + shown_pin
            )

        flash, kind = await _attempt(ctx, work)
        return await _extensions_page(ctx, flash, kind)


@router.post("/tenant/extensions/{extension_id}/delete")
async def tenant_delete_extension(request: Request, extension_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        await check_csrf(request, ctx.principal)
        extension = await ctx.scope.get(Extension, extension_id)
        number = extension.number
        # the file store create_app was given: the mailbox's audio files go with the extension
        store = ctx.services.media_store
        await extension_service.delete_extension(ctx.scope, number, store)
        return await _extensions_page(ctx, _t(ctx)("ext.deleted", number=number))


async def _users_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    users = [user_view(u) for u in await user_service.list_users(ctx.scope)]
    return render(
        ctx.request,
        "users.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        users=users,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/users")
async def tenant_users(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await _users_page(ctx)


@router.post("/tenant/users")
async def tenant_create_user(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            user = await user_service.create_user(
                ctx.scope,
                name=form.get("name", "")[:200],
                email=form.get("email", ""),
                role=form.get("role", "user"),
                language=form.get("language", "en"),
                password=form.get("password") or None,
            )
            return _t(ctx)("users.created", name=user.name)

        flash, kind = await _attempt(ctx, work)
        return await _users_page(ctx, flash, kind)


def _cdr_filters(request: Request) -> dict[str, Any]:
    """Date (YYYY-MM-DD, whole days in UTC), extension, direction, disposition from the query."""
    query = request.query_params
    values: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for name in ("since", "until"):
        text = query.get(name, "")
        if text:
            try:
                day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError as exc:
                raise ValidationFailed(f"{name} is not a date", field=name) from exc
            values[name] = day + timedelta(days=1) if name == "until" else day
            raw[name] = text
    extension = query.get("extension", "")
    if extension:
        values["extension"] = extension[:5]
        raw["extension"] = extension[:5]
    for name, enum in (("direction", Direction), ("disposition", Disposition)):
        text = query.get(name, "")
        if text:
            if text not in {e.value for e in enum}:
                raise ValidationFailed(f"{name} {text!r} is unknown", field=name)
            values[name] = enum(text)
            raw[name] = text
    return {"query": values, "raw": raw}


@router.get("/tenant/cdrs")
async def tenant_cdrs(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        filters = _cdr_filters(request)
        _total, rows = await cdr_reports.query_cdrs(ctx.scope, limit=200, **filters["query"])
        params = dict(filters["raw"])
        if ctx.principal.is_staff and ctx.tenant is not None:
            params["tenant"] = ctx.tenant.domain
        return render(
            request,
            "cdrs.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            cdrs=[cdr_row(c) for c in rows],
            f=filters["raw"],
            directions=[d.value for d in Direction],
            dispositions=[d.value for d in Disposition],
            export_base="/tenant/cdrs/export?" + urlencode(params),
            own_only=False,
        )


@router.get("/tenant/cdrs/export")
async def tenant_cdrs_export(request: Request) -> Response:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        filters = _cdr_filters(request)
        _total, rows = await cdr_reports.query_cdrs(
            ctx.scope, limit=cdr_reports.MAX_EXPORT_ROWS, **filters["query"]
        )
        assert ctx.tenant is not None
        name = f"cdrs-{ctx.tenant.domain}"
        if request.query_params.get("format") == "xlsx":
            return Response(
                cdr_reports.cdrs_to_xlsx(rows),
                media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
            )
        return Response(
            cdrs_to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )


async def _calls_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    return render(
        ctx.request,
        "calls.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        calls=await calls_of(ctx.services, ctx.scope, ctx.principal),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/calls")
async def tenant_calls(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await _calls_page(ctx)


@router.post("/tenant/calls/hangup")
async def tenant_hangup(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        assert ctx.tenant is not None
        await ctx.services.calls.hangup(ctx.tenant.id, form.get("call_id", "")[:200])
        return await _calls_page(ctx)


# ---------------------------------------------------------------- the user's own page


async def _me_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    extensions = await _extension_rows(ctx, only_user=ctx.principal.user_id)
    numbers = {x["number"] for x in extensions}
    devices = await registrations_of(ctx.services, ctx.scope, ctx.principal)
    _total, rows = await cdr_reports.query_cdrs(ctx.scope, only_extensions=numbers, limit=100)
    return render(
        ctx.request,
        "me.html",
        ctx.principal,
        tenant=ctx.tenant,
        extensions=extensions,
        devices=devices,
        cdrs=[cdr_row(c) for c in rows],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/me")
async def me(request: Request) -> Response:
    async with page(request) as ctx:
        if ctx.principal.user_id is None:
            return RedirectResponse("/", status_code=303)
        ctx.tenant = await ctx.session.get(Tenant, ctx.principal.tenant_id)
        return await _me_page(ctx)


@router.post("/me/sip-password")
async def me_sip_password(request: Request) -> Response:
    async with page(request) as ctx:
        if ctx.principal.user_id is None:
            return RedirectResponse("/", status_code=303)
        ctx.tenant = await ctx.session.get(Tenant, ctx.principal.tenant_id)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            try:
                extension_id = int(form.get("extension_id", "0"))
            except ValueError as exc:
                raise NotFound("extension not found") from exc
            extension = await ctx.scope.first(
                Extension, Extension.id == extension_id, Extension.user_id == ctx.principal.user_id
            )
            if extension is None:
                raise NotFound("extension not found", error_id="extension-not-found")
            generated = await extension_service.set_sip_password(
                ctx.scope, extension, form.get("password") or None
            )
            t = _t(ctx)
            return (
                t("me.password_generated", password=generated)
                if generated
                else t("me.password_changed")
            )

        flash, kind = await _attempt(ctx, work)
        return await _me_page(ctx, flash, kind)


# ---------------------------------------------------------------- the switchboard (its own module)

router.include_router(switchboard_router)
router.include_router(wallboard_router)  # a queue's calls waiting, agents, service level
router.include_router(call_router)  # one live call: its legs and the WebRTC doctor's findings
