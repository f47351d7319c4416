"""Portal page for the e-mails and letters agents send leads (`/tenant/mail-templates`, issue 16):
mail templates (list, create, edit, delete), each campaign's sender address, and Word letter
templates (upload, delete).

The forms call the same services as `/api/v1/mail-templates` and `/api/v1/document-templates`
(`centrex.contact_center.mail_templates`, `mail_merge`): a template naming a field the leads do
not have is refused with the unknown names, the form keeping what was typed; a refused form
changes nothing (rolled-back savepoint). Tenant admins and supervisors; another tenant's
template is 404.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from centrex.contact_center import mail_merge as letters
from centrex.contact_center import mail_templates as service
from centrex.contact_center.campaigns import list_campaigns
from centrex.contact_center.lead_fields import BUILT_IN
from centrex.data.models import CampaignMailSettings, Role
from centrex.errors import Forbidden, ValidationFailed
from centrex.web.audio_common import upload_form
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.ring_groups_page import attempt, translate_for

router = APIRouter(include_in_schema=False)

# The services' error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "template-field-unknown": "mail_templates.error_fields",
    "mail-template-name-taken": "mail_templates.error_name_taken",
    "document-template-name-taken": "mail_templates.error_name_taken",
    "mail-template-bad-name": "mail_templates.error_text",
    "mail-template-bad-subject": "mail_templates.error_text",
    "mail-template-bad-body": "mail_templates.error_text",
    "mail-sender-bad-address": "mail_templates.error_sender",
    "mail-sender-bad-name": "mail_templates.error_sender",
    "document-not-docx": "mail_templates.error_docx",
    "document-template-invalid": "mail_templates.error_docx",
    "document-too-large": "mail_templates.error_docx",
    "document-template-bad-name": "mail_templates.error_text",
}


def require_manager(ctx: PageContext) -> None:
    if not (ctx.principal.is_tenant_admin or ctx.principal.role is Role.SUPERVISOR):
        raise Forbidden("tenant administrators and supervisors only")


def _campaign_field(form: Mapping[str, str]) -> int | None:
    text = form.get("campaign_id", "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationFailed("choose a campaign from the list", field="campaign_id")
    return int(text)


async def _page(
    ctx: PageContext,
    flash: str = "",
    kind: str = "ok",
    form: Mapping[str, str] | None = None,
    edit: int | None = None,
) -> HTMLResponse:
    scope = ctx.scope
    campaigns = await list_campaigns(scope)
    senders = {row.campaign_id: row for row in await scope.list(CampaignMailSettings)}
    templates = await service.list_templates(scope)
    editing = next((t for t in templates if t.id == edit), None)
    values: dict[str, str] = {}
    if editing is not None:
        values = {
            "name": editing.name,
            "subject": editing.subject,
            "body": editing.body,
            "campaign_id": str(editing.campaign_id or ""),
        }
    if kind == "error" and form:
        values = dict(form)
    return render(
        ctx.request,
        "mail_templates.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        campaigns=campaigns,
        names={c.id: c.name for c in campaigns},
        senders=senders,
        templates=templates,
        documents=await letters.list_documents(scope),
        editing=editing,
        values=values,
        built_in=", ".join(f"{{{name}}}" for name in BUILT_IN),
        limits=(service.MAX_NAME, service.MAX_SUBJECT, service.MAX_BODY),
        flash=flash,
        flash_kind=kind,
    )


def _edit_id(request: Request) -> int | None:
    text = request.query_params.get("edit", "")
    return int(text) if text.isdigit() and len(text) < 10 else None


@router.get("/tenant/mail-templates")
async def mail_templates(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        edit = _edit_id(request)
        if edit is not None:
            await service.get_template(ctx.scope, edit)  # 404: not this tenant's
        return await _page(ctx, edit=edit)


@router.post("/tenant/mail-templates")
async def create_template(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            made = await service.create_template(
                ctx.scope,
                name=form.get("name", "")[:200],
                subject=form.get("subject", "")[:600],
                body=form.get("body", "")[: service.MAX_BODY + 1],
                campaign_id=_campaign_field(form),
                now=ctx.services.clock.utcnow(),
            )
            return translate_for(ctx)("mail_templates.created", name=made.name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form)


@router.post("/tenant/mail-templates/{template_id:int}")
async def update_template(request: Request, template_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        await service.get_template(ctx.scope, template_id)  # 404: not this tenant's

        async def work() -> str:
            changed = await service.update_template(
                ctx.scope,
                template_id,
                name=form.get("name", "")[:200],
                subject=form.get("subject", "")[:600],
                body=form.get("body", "")[: service.MAX_BODY + 1],
                campaign_id=_campaign_field(form),
                now=ctx.services.clock.utcnow(),
            )
            return translate_for(ctx)("mail_templates.saved", name=changed.name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind, form, edit=template_id if kind == "error" else None)


@router.post("/tenant/mail-templates/{template_id:int}/delete")
async def delete_template(request: Request, template_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        name = (await service.get_template(ctx.scope, template_id)).name  # 404: not this tenant's

        async def work() -> str:
            await service.delete_template(ctx.scope, template_id)
            return translate_for(ctx)("mail_templates.deleted", name=name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)


@router.post("/tenant/mail-templates/senders/{campaign_id}")
async def set_sender(request: Request, campaign_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        form = await check_csrf(request, ctx.principal)
        await service.mail_settings(ctx.scope, campaign_id)  # 404: not this tenant's

        async def work() -> str:
            view = await service.set_mail_settings(
                ctx.scope,
                campaign_id,
                sender_address=form.get("sender_address", "")[:300],
                sender_name=form.get("sender_name", "")[:200],
            )
            return translate_for(ctx)("mail_templates.sender_saved", address=view["sender_address"])

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)


@router.post("/tenant/mail-templates/letters")
async def upload_letter(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        async with upload_form(ctx) as form:
            upload = (await request.form()).get("file")
            store = ctx.services.media_store

            async def work() -> str:
                if not isinstance(upload, UploadFile):
                    raise ValidationFailed("choose a .docx file", error_id="document-not-docx")
                data = await upload.read(letters.MAX_UPLOAD_BYTES + 1)
                row = await letters.upload_document(
                    ctx.scope, store, data, name=form.get("name", "")[:200],
                    filename=upload.filename or "letter.docx", campaign_id=_campaign_field(form),
                )  # fmt: skip
                return translate_for(ctx)("mail_templates.letter_added", name=row.name)

            flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)


@router.post("/tenant/mail-templates/letters/{document_id}/delete")
async def delete_letter(request: Request, document_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_manager(ctx)
        await check_csrf(request, ctx.principal)
        name = (await letters.get_document(ctx.scope, document_id)).name  # 404: not this tenant's

        async def work() -> str:
            await letters.delete_document(ctx.scope, ctx.services.media_store, document_id)
            return translate_for(ctx)("mail_templates.letter_deleted", name=name)

        flash, kind = await attempt(ctx, work, ERROR_KEYS)
        return await _page(ctx, flash, kind)
