"""Portal page for one user of a tenant (`/tenant/users/{id}`, issue 21): edit the name,
e-mail, role and language, reset the portal password, delete the user.

The forms call `centrex.provisioning.users`, the service behind `/api/v1/users`, so page and API
accept and refuse the same things. A refused form changes nothing (rolled-back savepoint) and
says why in the viewer's language. Another tenant's user is not found in this tenant's scope:
404, as in the API.

The password reset draws a strong random password and shows it once, on the answer to the
reset form only: it is stored as its Argon2id hash and cannot be shown again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.data.models import User, UserRole
from centrex.errors import ValidationFailed
from centrex.provisioning import users as service
from centrex.provisioning.credentials import generate_password
from centrex.provisioning.views import user_view
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, require_admin, translate_for

router = APIRouter(include_in_schema=False)

MAX_NAME = 200  # users.name, and the API's `Name`
ROLES = tuple(r.value for r in UserRole)

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "invalid-name": "user_page.error_name",
    "invalid-email": "user_page.error_email",
    "email-taken": "user_page.error_email_taken",
    "invalid-language": "user_page.error_language",
    "validation-failed": "user_page.error_role",  # the service's role check has no own id
}


def _view(user: User) -> dict[str, object]:
    return {**user_view(user), "can_log_in": user.password_hash is not None}


def _edit(
    ctx: PageContext,
    user: User,
    flash: str = "",
    kind: str = "ok",
    new_password: str = "",
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    current = _view(user)
    return render(
        ctx.request,
        "user_edit.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        user=current,
        values=values or {k: str(current[k]) for k in ("name", "email", "role", "language")},
        roles=ROLES,
        new_password=new_password,
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/users/{user_id}")
async def edit_user(request: Request, user_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return _edit(ctx, await service.get_user(ctx.scope, user_id))


@router.post("/tenant/users/{user_id}")
async def update_user(request: Request, user_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        user = await service.get_user(ctx.scope, user_id)  # 404: not this tenant's
        typed = {k: form.get(k, "") for k in ("name", "email", "role", "language")}

        async def work() -> str:
            if len(typed["name"].strip()) > MAX_NAME:
                raise ValidationFailed(f"a name has at most {MAX_NAME} characters",
                                       error_id="invalid-name", field="name")  # fmt: skip
            await service.update_user(ctx.scope, user, name=typed["name"],
                                      email=typed["email"][:300], role=typed["role"][:30],
                                      language=typed["language"][:10])  # fmt: skip
            return translate_for(ctx)("user_page.saved", name=user.name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        if kind == "error":
            await ctx.session.refresh(user)  # the stored values, not the refused ones
            return _edit(ctx, user, flash, kind, values=typed)
        return _edit(ctx, user, flash, kind)


@router.post("/tenant/users/{user_id}/password")
async def reset_password(request: Request, user_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        user = await service.get_user(ctx.scope, user_id)  # 404: not this tenant's
        password = generate_password()
        await service.update_user(ctx.scope, user, password=password)
        t = translate_for(ctx)
        return _edit(ctx, user, t("user_page.password_reset", name=user.name), "ok", password)


@router.post("/tenant/users/{user_id}/delete")
async def delete_user(request: Request, user_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        await check_csrf(request, ctx.principal)
        user = await service.get_user(ctx.scope, user_id)  # 404: not this tenant's
        name = user.name
        await service.delete_user(ctx.scope, user_id)
        return render(
            request,
            "users.html",
            ctx.principal,
            tenant=ctx.tenant,
            tenant_query=ctx.tenant_query,
            users=[user_view(u) for u in await service.list_users(ctx.scope)],
            flash=translate_for(ctx)("user_page.deleted", name=name),
            flash_kind="ok",
        )
