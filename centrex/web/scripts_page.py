"""Portal pages for call scripts (issue 16): `/tenant/scripts` (list, create, delete) and
`/tenant/scripts/{id}` (edit the definition, bind it to campaigns).

Why a form over a JSON text area, and no rule of its own: a script is pages, questions, branches
and objections (`contact_center/script_rules.py`), which JSON says in full; a tenant admin edits
them as fields (`/static/scripts_form.js`: the start page, pages with their merge-field chips,
questions, each answer's "go to page", the page's next, objections), and the form rewrites the
JSON text area (folded under "Advanced", still editable) that the form posts, so the two never
disagree. The page's script (`/static/scripts_editor.js`) sends the text as it changes to
`POST /api/v1/scripts/validate` (with the session cookie and its CSRF token) and lists every
problem the platform's validator finds, page and question named, and the form shows each on the
page or question it is on, so a dangling branch shows before saving. Saving posts the form to
the same service the API uses (`centrex.contact_center.scripts`); a refused form changes nothing
(rolled-back savepoint), says why in the viewer's language, lists the problems and shows the
text as typed so it can be fixed. Tenant admins and supervisors; another tenant's
script is 404.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from centrex.contact_center import scripts as service
from centrex.contact_center.lead_fields import BUILT_IN
from centrex.contact_center.script_rules import ScriptInvalid, ScriptIssue
from centrex.data.models import Campaign, Role
from centrex.errors import CentrexError, Forbidden, ValidationFailed
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import translate_for

router = APIRouter(include_in_schema=False)

MAX_DEFINITION = 200_000  # characters of JSON a form may post

STARTER: dict[str, Any] = {
    "start": "intro",
    "pages": [
        {"id": "intro", "title": "Hello", "text": "Hello {first_name}",
         "questions": [{"id": "interested", "label": "Interested?", "type": "yesno",
                        "branches": {"yes": "offer", "no": "bye"}}]},
        {"id": "offer", "title": "Our offer", "text": "", "next": "bye"},
        {"id": "bye", "title": "Goodbye", "text": "Thank you, {name}."},
    ],
    "objections": [{"id": "price", "label": "Too expensive", "rebuttal": "..."}],
}  # fmt: skip

# The service's error ids -> a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "script-name-taken": "scripts.error_name_taken",
    "script-bad-name": "scripts.error_name",
    "script-json": "scripts.error_json",
}
# The strings the editor's script shows (translated here, handed over in data attributes).
JS_STRINGS = tuple(
    f"scripts.{key}"
    for key in (
        "live_valid", "live_json",
        "form_start", "form_pages", "form_page", "form_id", "form_title_field", "form_text",
        "form_fields_hint", "form_question", "form_label", "form_type", "type_text",
        "type_choice", "type_yesno", "form_yes", "form_no", "form_options", "form_option",
        "form_goto", "form_goto_none", "form_next", "form_next_none", "form_missing",
        "form_add_page", "form_add_question", "form_add_option", "form_add_objection",
        "form_remove", "form_up", "form_down", "form_objections", "form_rebuttal",
        "form_json_broken",
    )
)  # fmt: skip


def require_editor(ctx: PageContext) -> None:
    if not (ctx.principal.is_tenant_admin or ctx.principal.role is Role.SUPERVISOR):
        raise Forbidden("tenant administrators and supervisors only")


def _definition(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if len(text) <= MAX_DEFINITION else None
    except ValueError as exc:
        raise ValidationFailed(f"{exc}", error_id="script-json", field="definition") from exc
    if not isinstance(value, dict):
        raise ValidationFailed(
            f"the definition is a JSON object of at most {MAX_DEFINITION} characters",
            error_id="script-json",
            field="definition",
        )
    return value


async def _campaigns(ctx: PageContext) -> list[Campaign]:
    return list(await ctx.scope.list(Campaign, order_by=Campaign.name))


async def _field_names(ctx: PageContext, script_id: int | None) -> list[str]:
    """The merge fields the form offers as chips: the built-in ones and those the leads of the
    script's campaigns carry (the form adds the definition's own ``fields``)."""
    names: set[str] = set()
    if script_id is not None:
        for campaign_id in await service.bound_campaigns(ctx.scope, script_id):
            names |= await service.campaign_field_names(ctx.scope, campaign_id) or set()
    return [*BUILT_IN, *sorted(names - set(BUILT_IN))]


def _pretty(definition: Any) -> str:
    return json.dumps(definition, indent=2, ensure_ascii=False)


async def _work(
    ctx: PageContext, work: Callable[[], Awaitable[str]]
) -> tuple[str, str, list[ScriptIssue]]:
    """Run a form's work in a savepoint: (message, kind, the script's problems if refused)."""
    t = translate_for(ctx)
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok", []
    except ScriptInvalid as exc:
        return t("scripts.error_invalid", count=len(exc.issues)), "error", list(exc.issues)
    except CentrexError as exc:
        key = ERROR_KEYS.get(exc.error_id)
        reason = t(key, detail=exc.message) if key else exc.message
        return t("error.generic", message=reason), "error", []


def _js(ctx: PageContext) -> dict[str, str]:
    t = translate_for(ctx)
    return {key.split(".", 1)[1]: t(key) for key in JS_STRINGS}


async def _list_page(
    ctx: PageContext,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
    issues: list[ScriptIssue] | None = None,
) -> HTMLResponse:
    names = {c.id: c.name for c in await _campaigns(ctx)}
    values = dict(form or {}) if kind == "error" else {}
    return render(
        ctx.request, "scripts.html", ctx.principal, tenant=ctx.tenant,
        tenant_query=ctx.tenant_query, scripts=await service.list_scripts(ctx.scope),
        campaign_names=names, values=values, starter=_pretty(STARTER), issues=issues or [],
        js=_js(ctx), fields=await _field_names(ctx, None), flash=flash, flash_kind=kind,
    )  # fmt: skip


async def _edit_page(
    ctx: PageContext,
    script_id: int,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
    issues: list[ScriptIssue] | None = None,
) -> HTMLResponse:
    script = await service.get_script(ctx.scope, script_id)
    view = await service.view(ctx.scope, script)
    values = dict(form or {}) if kind == "error" else {}
    return render(
        ctx.request, "scripts_edit.html", ctx.principal, tenant=ctx.tenant,
        tenant_query=ctx.tenant_query, script=view, text=values.get("definition")
        or _pretty(view["definition"]), name=values.get("name") or view["name"],
        campaigns=await _campaigns(ctx), issues=issues or [], js=_js(ctx),
        fields=await _field_names(ctx, script_id), flash=flash, flash_kind=kind,
    )  # fmt: skip


@router.get("/tenant/scripts")
async def scripts(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        return await _list_page(ctx)


@router.post("/tenant/scripts")
async def create_script(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            made = await service.create_script(
                ctx.scope, name=form.get("name", "")[:200],
                definition=_definition(form.get("definition", "")), now=ctx.services.clock.utcnow(),
            )  # fmt: skip
            return translate_for(ctx)("scripts.created", name=made.name)

        flash, kind, issues = await _work(ctx, work)
        return await _list_page(ctx, flash, kind, form, issues)


@router.get("/tenant/scripts/{script_id}")
async def edit_script(request: Request, script_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        return await _edit_page(ctx, script_id)


@router.post("/tenant/scripts/{script_id}")
async def save_script(request: Request, script_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        form = await check_csrf(request, ctx.principal)
        await service.get_script(ctx.scope, script_id)  # 404: not this tenant's

        async def work() -> str:
            saved = await service.update_script(
                ctx.scope, script_id, now=ctx.services.clock.utcnow(),
                name=form.get("name", "")[:200], definition=_definition(form.get("definition", "")),
            )  # fmt: skip
            return translate_for(ctx)("scripts.saved", name=saved.name)

        flash, kind, issues = await _work(ctx, work)
        return await _edit_page(ctx, script_id, flash, kind, form, issues)


@router.post("/tenant/scripts/{script_id}/campaigns")
async def bind_campaign(request: Request, script_id: int) -> HTMLResponse:
    """Bind (`use=1`) or unbind (`use=0`) the script for one campaign of the tenant."""
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        form = await check_csrf(request, ctx.principal)
        script = await service.get_script(ctx.scope, script_id)  # 404: not this tenant's
        text = form.get("campaign_id", "")
        campaign_id = int(text) if text.isdigit() and len(text) <= 9 else 0

        async def work() -> str:
            t = translate_for(ctx)
            if form.get("use") == "0":
                current = await service.campaign_script(ctx.scope, campaign_id)
                if current is not None and current.id == script.id:
                    await service.bind_campaign(ctx.scope, campaign_id, None)
                return t("scripts.unbound")
            await service.bind_campaign(ctx.scope, campaign_id, script.id)
            return t("scripts.bound")

        flash, kind, issues = await _work(ctx, work)
        return await _edit_page(ctx, script_id, flash, kind, None, issues)


@router.post("/tenant/scripts/{script_id}/delete")
async def delete_script(request: Request, script_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_editor(ctx)
        await check_csrf(request, ctx.principal)
        script = await service.get_script(ctx.scope, script_id)  # 404: not this tenant's
        name = script.name

        async def work() -> str:
            await service.delete_script(ctx.scope, script_id)
            return translate_for(ctx)("scripts.deleted", name=name)

        flash, kind, issues = await _work(ctx, work)
        return await _list_page(ctx, flash, kind, None, issues)
