"""Mail templates, a campaign's sender, and Word letter templates (issue 16, agent desktop).

* a `MailTemplate` is an e-mail an agent sends a lead in one click: subject and body with the
  lead's merge fields (`{first_name}`… of `contact_center/lead_fields.py`), for one campaign or
  (`campaign_id` NULL) for every campaign of the tenant;
* `CampaignMailSettings` holds the address the campaign's mails come from (one row per campaign:
  the offer being replaced sends "from the campaign's own sender address");
* a `DocumentTemplate` is an uploaded `.docx` (docxtpl/Jinja fields `{{ first_name }}`,
  `{{ answers.interested }}`), kept as a file under the data directory like the tenant's media
  (`tenants/<id>/documents/<random>.docx`); `fields` lists the names it uses, checked at upload.

New tables only (0036); every row is tenant-owned and reached through `TenantScope`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime, utcnow


class MailTemplate(TenantOwned, Base):
    """One e-mail template of a tenant, for one campaign or all of them."""

    __tablename__ = "mail_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CampaignMailSettings(TenantOwned, Base):
    """The sender of a campaign's mails (`From: sender_name <sender_address>`)."""

    __tablename__ = "campaign_mail_settings"
    __table_args__ = (UniqueConstraint("campaign_id"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    sender_address: Mapped[str] = mapped_column(String(254))
    sender_name: Mapped[str] = mapped_column(String(100), default="")


class DocumentTemplate(TenantOwned, Base):
    """An uploaded Word letter template; the file lives at `path` under the data directory."""

    __tablename__ = "document_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
