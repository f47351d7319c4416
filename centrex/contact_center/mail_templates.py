"""E-mails to leads: templates, a campaign's sender address, and sending one to a lead.

Why checked at save: a template is written once and sent hundreds of times, so an unknown field
(`{compnay}`) is refused when the template is saved (422 `template-field-unknown`, naming every
unknown name), against the names its campaign's leads carry (`lead_fields.known_fields` of the
custom keys of the campaign's leads; a tenant-wide template: of every lead of the tenant).
Merging never fails afterwards: a field one lead lacks merges as "" (`lead_fields.merge`).

Sending goes through the process's `Mailer` (`centrex/apps/mail.py`) and its durable outbox
(`mail_outbox`): the message is stored first, then handed to SMTP. A refusal (recipient
refused, server down) answers 502 `mail-refused` with the server's reason, and the row stays
pending: the outbox worker retries it with backoff, so nothing the agent sent is lost. Without
SMTP configured (the demo) the mail is written as an `.eml` file, as voicemail mails are.

The recipient is the lead's `email` custom field (the column of the imported file); the sender
is the campaign's (`campaign_mail_settings`), required: a mail "from the campaign" must not go
out from a made-up address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from centrex.apps.mail import Mailer, new_message
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.contact_center.lead_fields import known_fields, lead_fields, merge, unknown_fields
from centrex.data.models import (
    CampaignMailSettings,
    Lead,
    MailOutboxEntry,
    MailTemplate,
    OutboxStatus,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed

MAX_NAME = 100
MAX_SUBJECT = 500
MAX_BODY = 20_000
MAX_SENDER_NAME = 100
EMAIL_KEYS = ("email", "e_mail", "mail")  # the lead's custom field holding its address
_ADDRESS = re.compile(r"^[^\s@<>\"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MailRefused(CentrexError):
    """The SMTP server did not take the mail; it is kept in the outbox and retried (502)."""

    status = 502
    error_id = "mail-refused"


# ------------------------------------------------------------------------------ known fields


async def custom_keys(scope: TenantScope, campaign_id: int | None) -> set[str]:
    """The custom keys the leads of a campaign (None: of the whole tenant) carry.

    One lead per import batch is read: a batch's leads all have the file's columns, so this is
    exact and stays one small query for campaigns of hundreds of thousands of leads.
    """
    where = [] if campaign_id is None else [Lead.campaign_id == campaign_id]
    first = scope.select(Lead, *where).with_only_columns(func.min(Lead.id)).group_by(Lead.batch_id)
    stmt = select(Lead.custom).where(Lead.tenant_id == scope.tenant_id, Lead.id.in_(first))
    keys: set[str] = set()
    for custom in (await scope.session.scalars(stmt)).all():
        if isinstance(custom, dict):
            keys.update(str(key) for key in custom)
    return keys


async def known_for(scope: TenantScope, campaign_id: int | None) -> set[str]:
    """The merge fields a template of `campaign_id` (None: tenant-wide) may use."""
    return known_fields(await custom_keys(scope, campaign_id))


def refuse_unknown(unknown: Sequence[str], field: str) -> None:
    """The one error for a template naming fields nobody has."""
    if unknown:
        names = ", ".join(unknown)
        raise ValidationFailed(
            f"unknown field{'s' if len(unknown) > 1 else ''} in the template: {names}",
            error_id="template-field-unknown",
            field=field,
        )


async def check_fields(
    scope: TenantScope, campaign_id: int | None, subject: str, body: str
) -> None:
    known = await known_for(scope, campaign_id)
    in_subject = unknown_fields(subject, known)
    unknown = in_subject + [n for n in unknown_fields(body, known) if n not in in_subject]
    refuse_unknown(unknown, "subject" if in_subject else "body")


# ------------------------------------------------------------------------------ templates


def _text(value: str, field: str, limit: int, *, lines: bool = False) -> str:
    clean = value.strip() if not lines else value.replace("\r\n", "\n").strip("\n")
    if not clean.strip() or len(clean) > limit:
        raise ValidationFailed(
            f"{field}: 1 to {limit} characters are needed",
            error_id=f"mail-template-bad-{field}",
            field=field,
        )
    if _CONTROL.search(clean.replace("\n", "").replace("\t", "")):
        raise ValidationFailed(
            f"{field}: control characters are not allowed",
            error_id=f"mail-template-bad-{field}",
            field=field,
        )
    return clean


def template_dict(template: MailTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "campaign_id": template.campaign_id,
        "name": template.name,
        "subject": template.subject,
        "body": template.body,
        "updated_at": template.updated_at.isoformat(),
    }


async def list_templates(scope: TenantScope, campaign_id: int | None = None) -> list[MailTemplate]:
    """Every template, or those usable in one campaign (its own and the tenant-wide ones)."""
    if campaign_id is None:
        return list(await scope.list(MailTemplate, order_by=MailTemplate.name))
    await get_campaign_by_id(scope, campaign_id)
    rows = await scope.list(MailTemplate, order_by=MailTemplate.name)
    return [t for t in rows if t.campaign_id in (None, campaign_id)]


async def get_template(scope: TenantScope, template_id: int) -> MailTemplate:
    found = await scope.first(MailTemplate, MailTemplate.id == template_id)
    if found is None:
        raise NotFound(f"mail template {template_id} not found", error_id="mail-template-not-found")
    return found


async def _check_name(scope: TenantScope, name: str, own_id: int | None = None) -> str:
    clean = _text(name, "name", MAX_NAME)
    other = await scope.first(MailTemplate, MailTemplate.name == clean)
    if other is not None and other.id != own_id:
        raise Conflict(
            f"a mail template is called {clean!r} already",
            error_id="mail-template-name-taken",
            field="name",
        )
    return clean


async def create_template(
    scope: TenantScope,
    *,
    name: str,
    subject: str,
    body: str,
    campaign_id: int | None,
    now: datetime,
) -> MailTemplate:
    """A new template, its fields checked against its campaign's leads (module docstring)."""
    if campaign_id is not None:
        await get_campaign_by_id(scope, campaign_id)
    clean = await _check_name(scope, name)
    subject = _text(subject, "subject", MAX_SUBJECT)
    body = _text(body, "body", MAX_BODY, lines=True)
    await check_fields(scope, campaign_id, subject, body)
    made = scope.add(
        MailTemplate(
            campaign_id=campaign_id,
            name=clean,
            subject=subject,
            body=body,
            updated_at=now,
            created_at=now,
        )
    )
    await scope.session.flush()
    return made


async def update_template(
    scope: TenantScope,
    template_id: int,
    *,
    name: str,
    subject: str,
    body: str,
    campaign_id: int | None,
    now: datetime,
) -> MailTemplate:
    """Replace a template's name, subject, body and campaign (checked as at creation)."""
    template = await get_template(scope, template_id)
    if campaign_id is not None:
        await get_campaign_by_id(scope, campaign_id)
    clean = await _check_name(scope, name, template.id)
    subject = _text(subject, "subject", MAX_SUBJECT)
    body = _text(body, "body", MAX_BODY, lines=True)
    await check_fields(scope, campaign_id, subject, body)
    template.name, template.subject, template.body = clean, subject, body
    template.campaign_id, template.updated_at = campaign_id, now
    await scope.session.flush()
    return template


async def delete_template(scope: TenantScope, template_id: int) -> None:
    await scope.remove(await get_template(scope, template_id))
    await scope.session.flush()


# ------------------------------------------------------------------------------ the sender


def check_address(address: str) -> str:
    clean = address.strip()
    if len(clean) > 254 or not _ADDRESS.match(clean):
        raise ValidationFailed(
            f"{clean[:60]!r} is not an e-mail address",
            error_id="mail-sender-bad-address",
            field="sender_address",
        )
    return clean


def settings_dict(campaign_id: int, row: CampaignMailSettings | None) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "sender_address": row.sender_address if row else "",
        "sender_name": row.sender_name if row else "",
        "configured": row is not None,
    }


async def mail_settings(scope: TenantScope, campaign_id: int) -> dict[str, Any]:
    await get_campaign_by_id(scope, campaign_id)
    row = await scope.first(CampaignMailSettings, CampaignMailSettings.campaign_id == campaign_id)
    return settings_dict(campaign_id, row)


async def set_mail_settings(
    scope: TenantScope, campaign_id: int, *, sender_address: str, sender_name: str
) -> dict[str, Any]:
    """Set (or replace) the campaign's sender."""
    await get_campaign_by_id(scope, campaign_id)
    address = check_address(sender_address)
    name = sender_name.strip()
    if len(name) > MAX_SENDER_NAME or _CONTROL.search(name):
        raise ValidationFailed(
            f"a sender name of at most {MAX_SENDER_NAME} characters",
            error_id="mail-sender-bad-name",
            field="sender_name",
        )
    row = await scope.first(CampaignMailSettings, CampaignMailSettings.campaign_id == campaign_id)
    if row is None:
        row = scope.add(
            CampaignMailSettings(campaign_id=campaign_id, sender_address=address, sender_name=name)
        )
    else:
        row.sender_address, row.sender_name = address, name
    await scope.session.flush()
    return settings_dict(campaign_id, row)


# ------------------------------------------------------------------------------ leads


async def lead_for(scope: TenantScope, lead_id: int, extension_ids: set[int] | None) -> Lead:
    """A lead of the tenant; for an agent (`extension_ids` its own) only one of a campaign it
    works on: any other lead is 404, as another tenant's is (issue 16 item 3)."""
    lead = await scope.first(Lead, Lead.id == lead_id)
    if lead is not None and extension_ids is not None:
        agents = await campaign_agents(scope.session, scope.tenant_id, lead.campaign_id)
        if not {a.extension_id for a in agents} & extension_ids:
            lead = None
    if lead is None:
        raise NotFound(f"lead {lead_id} not found", error_id="lead-not-found")
    return lead


async def visible_to(
    scope: TenantScope, campaign_id: int | None, extension_ids: set[int] | None
) -> bool:
    """A template of `campaign_id` is for this caller: managers (None) and tenant-wide
    templates always, an agent's only for a campaign it works on."""
    if extension_ids is None or campaign_id is None:
        return True
    agents = await campaign_agents(scope.session, scope.tenant_id, campaign_id)
    return bool({a.extension_id for a in agents} & extension_ids)


def merge_fields(lead: Lead) -> dict[str, str]:
    return lead_fields(
        number=lead.number, name=lead.name, postal_code=lead.postal_code, custom=lead.custom or {}
    )


def recipient_of(lead: Lead, fields: dict[str, str]) -> str:
    for key in EMAIL_KEYS:
        value = fields.get(key, "").strip()
        if value:
            if not _ADDRESS.match(value):
                raise ValidationFailed(
                    f"the lead's e-mail address {value[:60]!r} is not valid",
                    error_id="lead-email-invalid",
                    field="email",
                )
            return formataddr((lead.name, value)) if lead.name else value
    raise ValidationFailed(
        "this lead has no e-mail address (custom field 'email')",
        error_id="lead-email-missing",
        field="email",
    )


async def compose(
    scope: TenantScope, lead: Lead, template_id: int, *, now: datetime
) -> EmailMessage:
    """The mail `template_id` makes for `lead`: merged, from the campaign's sender."""
    template = await get_template(scope, template_id)
    if template.campaign_id not in (None, lead.campaign_id):
        raise ValidationFailed(
            "this template belongs to another campaign than the lead's",
            error_id="mail-template-other-campaign",
            field="template_id",
        )
    sender = await scope.first(
        CampaignMailSettings, CampaignMailSettings.campaign_id == lead.campaign_id
    )
    if sender is None:
        raise ValidationFailed(
            "the lead's campaign has no sender address (mail settings)",
            error_id="mail-sender-missing",
            field="template_id",
        )
    fields = merge_fields(lead)
    subject = " ".join(merge(template.subject, fields).split())  # no header folding tricks
    return new_message(
        sender=formataddr((sender.sender_name, sender.sender_address)),
        recipient=recipient_of(lead, fields),
        subject=subject,
        body=merge(template.body, fields),
        now=now,
    )


def message_dict(message: EmailMessage) -> dict[str, Any]:
    body = message.get_content() if message.get_content_type() == "text/plain" else ""
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "body": str(body),
    }


async def send_to_lead(
    scope: TenantScope, mailer: Mailer, lead: Lead, template_id: int, *, now: datetime
) -> dict[str, Any]:
    """Queue and send the mail; `MailRefused` (502) when SMTP refused it, the row kept."""
    message = await compose(scope, lead, template_id, now=now)
    queued = await mailer.submit(scope.tenant_id, message)
    view = message_dict(message)
    if isinstance(queued, Path):
        return {**view, "status": "written", "outbox_id": None}
    async with mailer.database.session() as session:
        entry = await session.scalar(
            select(MailOutboxEntry).where(
                MailOutboxEntry.id == queued, MailOutboxEntry.tenant_id == scope.tenant_id
            )
        )
        status, error = (entry.status, entry.last_error) if entry else (OutboxStatus.PENDING, "")
    if status is not OutboxStatus.SENT:
        raise MailRefused(
            f"the mail server refused the mail ({error or 'no answer'}); it is "
            f"kept in the outbox (entry {queued}) and will be retried"
        )
    return {**view, "status": "sent", "outbox_id": queued}
