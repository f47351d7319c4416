"""Portal page of a tenant's settings: its storage use against its quota, and the people the
provider calls about it (IT admin, firewall admin, IT partner, PBX partner: the contacts of the
seed contract form), each added, changed or removed here.

Storage is `storage.usage` (what every upload is checked against); contacts are the services of
/api/v1/tenants/{id}/contacts (`provider.set_contact`, one per kind, and `delete_contact`), and
the form's fields are checked with the API's own input types (`centrex.api.schemas`) so a value
the API would refuse is refused here with a message, nothing written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from centrex.api.schemas import Name, OptName, Phone
from centrex.data.models import ContactKind
from centrex.errors import CentrexError, Conflict, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import provider, storage
from centrex.web.i18n import translator
from centrex.web.portal import PageContext, check_csrf, language_for, page, render

router = APIRouter(include_in_schema=False)

KINDS = tuple(k.value for k in ContactKind)
FIELDS: dict[str, TypeAdapter[str]] = {
    "name": TypeAdapter(Name),
    "email": TypeAdapter(OptName),
    "phone": TypeAdapter(Phone),
}


def _t(ctx: PageContext) -> Callable[..., str]:
    return translator(language_for(ctx.request, ctx.principal))


def _require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (error message, "error")."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return _t(ctx)("error.generic", message=exc.message), "error"


def contact_fields(form: dict[str, str]) -> dict[str, str | None]:
    """name, email, phone from the form, each as the API's ContactIn accepts it ("" → None)."""
    values: dict[str, str | None] = {}
    for field, adapter in FIELDS.items():
        text = form.get(field, "").strip()
        if not text and field != "name":
            values[field] = None
            continue
        try:
            values[field] = adapter.validate_python(text)
        except PydanticError:
            raise ValidationFailed(f"the contact's {field} is not valid",
                                   error_id=f"invalid-{field}", field=field) from None  # fmt: skip
    return values


def _kind(value: str) -> str:
    if value not in KINDS:
        raise NotFound(f"no contact kind {value[:40]!r}", error_id="contact-kind-unknown")
    return value


def _usage(raw: dict[str, int]) -> dict[str, Any]:
    used, quota = raw["used_bytes"], raw["quota_bytes"]
    return {
        **raw,
        "used_mb": f"{used / storage.MIB:.1f}",
        "quota_mb": quota // storage.MIB,
        "percent": min(100, round(100 * used / quota)) if quota else 100,
        "full": used >= quota,
    }


async def settings_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    contacts = [provider.contact_view(c) for c in await provider.list_contacts(ctx.scope)]
    taken = {c["kind"] for c in contacts}
    return render(
        ctx.request,
        "settings.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        usage=_usage(await storage.usage(ctx.scope)),
        contacts=contacts,
        free_kinds=[k for k in KINDS if k not in taken],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/settings")
async def tenant_settings(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        return await settings_page(ctx)


@router.post("/tenant/settings")
async def tenant_settings_form(request: Request) -> HTMLResponse:
    """The contact forms post to the page's own address (a reload or a language switch stays
    on it): `action` add, edit or delete, `kind` the contact's kind."""
    async with page(request, need_tenant=True) as ctx:
        _require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        action = ACTIONS.get(form.get("action", ""))
        if action is None:
            raise NotFound("no such form", error_id="form-not-found")
        return await action(ctx, form)


async def _add(ctx: PageContext, form: dict[str, str]) -> HTMLResponse:
    """A contact of a kind the tenant has none of (an existing one is changed in its row)."""

    async def work() -> str:
        kind = form.get("kind", "")
        if kind not in KINDS:
            raise ValidationFailed(f"contact kind {kind[:40]!r} is unknown", field="kind")
        if await _find(ctx, kind):
            raise Conflict(f"there is already a {kind} contact: change it in its row",
                           error_id="contact-exists")  # fmt: skip
        fields = contact_fields(form)
        contact = await provider.set_contact(
            ctx.scope, kind, name=fields["name"] or "", email=fields["email"], phone=fields["phone"]
        )
        return _t(ctx)("settings.contact_added", name=contact.name)

    flash, kind = await _attempt(ctx, work)
    return await settings_page(ctx, flash, kind)


async def _edit(ctx: PageContext, form: dict[str, str]) -> HTMLResponse:
    chosen = _kind(form.get("kind", ""))
    if not await _find(ctx, chosen):
        raise NotFound(f"no {chosen} contact", error_id="contact-not-found")

    async def work() -> str:
        fields = contact_fields(form)
        contact = await provider.set_contact(
            ctx.scope,
            chosen,
            name=fields["name"] or "",
            email=fields["email"],
            phone=fields["phone"],
        )
        return _t(ctx)("settings.contact_saved", name=contact.name)

    flash, kind = await _attempt(ctx, work)
    return await settings_page(ctx, flash, kind)


async def _delete(ctx: PageContext, form: dict[str, str]) -> HTMLResponse:
    await provider.delete_contact(ctx.scope, _kind(form.get("kind", "")))  # none of it: 404
    return await settings_page(ctx, _t(ctx)("settings.contact_deleted"))


async def _find(ctx: PageContext, kind: str) -> bool:
    return any(c.kind.value == kind for c in await provider.list_contacts(ctx.scope))


ACTIONS: dict[str, Callable[[PageContext, dict[str, str]], Awaitable[HTMLResponse]]] = {
    "add": _add,
    "edit": _edit,
    "delete": _delete,
}
