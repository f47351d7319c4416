"""/api/v1/mail-templates, campaign senders, letter templates, and mail/letters for a lead.

* `GET /mail-templates?campaign_id=` (a campaign's own and the tenant-wide ones), `POST`,
  `GET/PUT/DELETE /mail-templates/{id}`: `{"name", "subject", "body", "campaign_id"?}`; a field
  the campaign's leads do not have is 422 `template-field-unknown` naming each unknown name;
* `GET/PUT /campaigns/{id}/mail-settings` `{"sender_address", "sender_name"}`: the campaign's
  sender, which every mail to its leads comes from;
* `POST /leads/{id}/mail/preview` and `POST /leads/{id}/mail` `{"template_id"}`: the merged
  mail, shown or sent through SMTP; refused by the server: 502 `mail-refused` with its reason,
  the mail kept in the outbox and retried (`centrex.contact_center.mail_templates`);
* `GET /document-templates?campaign_id=`, `POST /document-templates` (multipart `file`, `name`,
  `campaign_id`?), `DELETE /document-templates/{id}`: Word letter templates;
* `GET /leads/{id}/documents`: the letter templates usable for this lead; `POST
  /leads/{id}/documents` `{"template_id", "format": "docx" | "pdf"}`: the merged letter (PDF
  where LibreOffice is installed, else 501 `pdf-converter-missing`).

Who may: tenant admins and supervisors manage templates and senders; agents read them and mail
or merge for leads of the campaigns they work on (any other lead is 404, as another tenant's
is); a plain user is 403.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from centrex.api.auth import Caller, Now, Principal, Scope, own_extension_ids
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Page
from centrex.api.routes.voicemail import Store
from centrex.api.schemas import MAX_INT, IdPath, Strict, text
from centrex.apps.mail import Mailer
from centrex.contact_center import mail_merge as letters
from centrex.contact_center import mail_templates as service
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.data.models import Role
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed

router = APIRouter(prefix="/api/v1", tags=["mail templates"], responses=PROBLEM_RESPONSES)

CampaignRef = Annotated[int | None, Query(ge=1, le=MAX_INT)]
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {letters.DOCX_TYPE: {}, letters.PDF_TYPE: {}},
        "description": "the merged letter",
    },
}


class MailUnavailable(CentrexError):
    """The process was started without a mailer (503)."""

    status = 503
    error_id = "mail-unavailable"


class TemplateIn(Strict):
    name: Annotated[str, text(service.MAX_NAME, 1)]
    subject: Annotated[str, text(service.MAX_SUBJECT, 1)]
    # a body has lines: only NUL is refused here, the service checks the rest
    body: Annotated[str, Field(min_length=1, max_length=service.MAX_BODY, pattern=r"^[^\x00]*$")]
    campaign_id: int | None = Field(default=None, ge=1, le=MAX_INT)


class TemplateOut(BaseModel):
    id: int
    campaign_id: int | None
    name: str
    subject: str
    body: str
    updated_at: str


class SettingsIn(Strict):
    sender_address: Annotated[str, text(254, 3)]
    sender_name: Annotated[str, text(service.MAX_SENDER_NAME)] = ""


class SettingsOut(BaseModel):
    campaign_id: int
    sender_address: str
    sender_name: str
    configured: bool


class MailIn(Strict):
    template_id: int = Field(ge=1, le=MAX_INT)


class MailOut(BaseModel):
    model_config = {"populate_by_name": True}

    sender: str = Field(alias="from")
    to: str
    subject: str
    body: str
    status: str | None = None
    outbox_id: int | None = None


class DocumentOut(BaseModel):
    id: int
    campaign_id: int | None
    name: str
    filename: str
    size_bytes: int
    fields: list[str]
    created_at: str


class LetterIn(Strict):
    template_id: int = Field(ge=1, le=MAX_INT)
    format: Literal["docx", "pdf"] = "docx"


# ------------------------------------------------------------------------------ who may


def _manager(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role is Role.SUPERVISOR):
        raise Forbidden("only a tenant administrator or a supervisor may do this")


def _agent(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role in (Role.SUPERVISOR, Role.AGENT)):
        raise Forbidden("only an agent, a supervisor or a tenant administrator may do this")


async def _mine(scope: TenantScope, caller: Principal) -> set[int] | None:
    """The caller's extensions when it is an agent; None (every lead) for managers."""
    _agent(caller)
    if caller.is_tenant_admin or caller.role is Role.SUPERVISOR:
        return None
    return await own_extension_ids(scope, caller) or set()


def _mailer(request: Request) -> Mailer:
    """The process's mailer (`create_app(mailer=...)`, which `server.py` passes)."""
    mailer = getattr(request.app.state, "mailer", None)
    if not isinstance(mailer, Mailer):
        raise MailUnavailable("this server was started without a mailer: no mail can be sent")
    return mailer


async def _campaign_filter(scope: TenantScope, campaign_id: int | None) -> int | None:
    if campaign_id is not None:
        await get_campaign_by_id(scope, campaign_id)
    return campaign_id


# ------------------------------------------------------------------------------ mail templates


@router.get("/mail-templates", response_model=Page[TemplateOut])
async def list_templates(
    scope: Scope, caller: Caller, campaign_id: CampaignRef = None
) -> dict[str, Any]:
    mine = await _mine(scope, caller)
    rows = await service.list_templates(scope, campaign_id)
    items = [service.template_dict(t) for t in rows
             if await service.visible_to(scope, t.campaign_id, mine)]  # fmt: skip
    return {"total": len(items), "items": items}


@router.post("/mail-templates", status_code=201, response_model=TemplateOut)
async def create_template(
    body: TemplateIn, scope: Scope, caller: Caller, now: Now, response: Response
) -> dict[str, Any]:
    _manager(caller)
    made = await service.create_template(
        scope,
        name=body.name,
        subject=body.subject,
        body=body.body,
        campaign_id=body.campaign_id,
        now=now,
    )
    response.headers["Location"] = f"/api/v1/mail-templates/{made.id}"
    return service.template_dict(made)


@router.get("/mail-templates/{template_id}", response_model=TemplateOut)
async def get_template(template_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    mine = await _mine(scope, caller)
    template = await service.get_template(scope, template_id)
    if not await service.visible_to(scope, template.campaign_id, mine):
        raise NotFound(f"mail template {template_id} not found",
                       error_id="mail-template-not-found")  # fmt: skip
    return service.template_dict(template)


@router.put("/mail-templates/{template_id}", response_model=TemplateOut)
async def update_template(
    template_id: IdPath, body: TemplateIn, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    _manager(caller)
    changed = await service.update_template(
        scope,
        template_id,
        name=body.name,
        subject=body.subject,
        body=body.body,
        campaign_id=body.campaign_id,
        now=now,
    )
    return service.template_dict(changed)


@router.delete("/mail-templates/{template_id}", status_code=204)
async def delete_template(template_id: IdPath, scope: Scope, caller: Caller) -> Response:
    _manager(caller)
    await service.delete_template(scope, template_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------ campaign sender


@router.get("/campaigns/{campaign_id}/mail-settings", response_model=SettingsOut)
async def get_settings(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    _agent(caller)
    return await service.mail_settings(scope, campaign_id)


@router.put("/campaigns/{campaign_id}/mail-settings", response_model=SettingsOut)
async def put_settings(
    campaign_id: IdPath, body: SettingsIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    _manager(caller)
    return await service.set_mail_settings(
        scope, campaign_id, sender_address=body.sender_address, sender_name=body.sender_name
    )


# ------------------------------------------------------------------------------ mail to a lead


@router.post("/leads/{lead_id}/mail/preview", response_model=MailOut, response_model_by_alias=True)
async def preview_mail(
    lead_id: IdPath, body: MailIn, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    """The mail as it would go out (merged, with its sender and recipient); nothing is sent."""
    lead = await service.lead_for(scope, lead_id, await _mine(scope, caller))
    message = await service.compose(scope, lead, body.template_id, now=now)
    return service.message_dict(message)


@router.post("/leads/{lead_id}/mail", response_model=MailOut, response_model_by_alias=True)
async def send_mail(
    lead_id: IdPath, body: MailIn, scope: Scope, caller: Caller, now: Now, request: Request
) -> dict[str, Any]:
    """Send the lead the merged mail from its campaign's sender (502 if SMTP refuses it)."""
    lead = await service.lead_for(scope, lead_id, await _mine(scope, caller))
    await service.compose(scope, lead, body.template_id, now=now)  # 4xx before any mailer
    return await service.send_to_lead(scope, _mailer(request), lead, body.template_id, now=now)


# ------------------------------------------------------------------------------ letter templates


@router.get("/document-templates", response_model=Page[DocumentOut])
async def list_documents(
    scope: Scope, caller: Caller, campaign_id: CampaignRef = None
) -> dict[str, Any]:
    mine = await _mine(scope, caller)
    rows = await letters.list_documents(scope, await _campaign_filter(scope, campaign_id))
    items = [letters.document_dict(row) for row in rows
             if await service.visible_to(scope, row.campaign_id, mine)]  # fmt: skip
    return {"total": len(items), "items": items}


@router.post("/document-templates", status_code=201, response_model=DocumentOut)
async def upload_document(
    file: UploadFile,
    name: Annotated[str, Form(min_length=1, max_length=letters.MAX_NAME)],
    scope: Scope,
    caller: Caller,
    store: Store,
    response: Response,
    campaign_id: Annotated[int | None, Form(ge=1, le=MAX_INT)] = None,
) -> dict[str, Any]:
    """Upload a Word `.docx` letter template (checked: a real .docx, every field known)."""
    _manager(caller)
    data = await file.read(letters.MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ValidationFailed(
            "the uploaded file is empty", error_id="document-not-docx", field="file"
        )
    row = await letters.upload_document(
        scope,
        store,
        data,
        name=name,
        filename=file.filename or "letter.docx",
        campaign_id=campaign_id,
    )
    response.headers["Location"] = f"/api/v1/document-templates/{row.id}"
    return letters.document_dict(row)


@router.delete("/document-templates/{document_id}", status_code=204)
async def delete_document(
    document_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    _manager(caller)
    await letters.delete_document(scope, store, document_id)
    return Response(status_code=204)


@router.get("/leads/{lead_id}/documents", response_model=Page[DocumentOut])
async def lead_documents(lead_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """The letter templates usable for this lead (its campaign's and the tenant-wide ones)."""
    lead = await service.lead_for(scope, lead_id, await _mine(scope, caller))
    items = [
        letters.document_dict(r) for r in await letters.list_documents(scope, lead.campaign_id)
    ]
    return {"total": len(items), "items": items}


@router.post("/leads/{lead_id}/documents", response_class=Response, responses=FILE_RESPONSES)
async def merge_letter(
    lead_id: IdPath, body: LetterIn, scope: Scope, caller: Caller, store: Store
) -> Response:
    """The letter merged with the lead's fields and script answers, as .docx or PDF."""
    lead = await service.lead_for(scope, lead_id, await _mine(scope, caller))
    content, filename, media_type = await letters.merge_for_lead(
        scope, store, lead, body.template_id, body.format
    )
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
