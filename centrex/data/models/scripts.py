"""Call scripts, which script a campaign uses, and the answers an agent gave for a lead (issue 16).

* `Script`: a tenant's script, its name unique per tenant, its `definition` the JSON that
  `contact_center/script_rules.py` validates (pages, questions, branches, objections);
* `CampaignScript`: the script a campaign's agents read (at most one per campaign). A table of its
  own rather than a column on `campaigns`, so the campaign table is not rebuilt; deleting the
  script or the campaign removes the link (ON DELETE CASCADE on both);
* `LeadAnswer`: one answer to one question of the script for one lead, by question id
  (unique per lead and question: answering again replaces the value). The question id is kept
  as a string, so editing the script later never rewrites the answers already given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime, utcnow


class Script(TenantOwned, Base):
    """One call script of a tenant."""

    __tablename__ = "scripts"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CampaignScript(TenantOwned, Base):
    """The script a campaign uses (one per campaign)."""

    __tablename__ = "campaign_scripts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )
    script_id: Mapped[int] = mapped_column(ForeignKey("scripts.id", ondelete="CASCADE"), index=True)


class LeadAnswer(TenantOwned, Base):
    """A lead's answer to one script question."""

    __tablename__ = "lead_answers"
    __table_args__ = (UniqueConstraint("lead_id", "question"),)

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text, default="")
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
