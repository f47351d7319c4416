"""Scheduled callbacks of outbound campaigns (issue 15 item 5).

A callback is a promise made to a lead ("call me back Tuesday at 10"): at `due_at` (a UTC
instant, computed from the wall-clock time the agent typed in the *lead's* time zone, kept in
`zone` and `local_time` so the promise can be shown as it was made) the dialer calls the lead
again, ahead of new leads. `extension_id` set: a personal callback for that agent (SET NULL
when the extension is deleted: the campaign's agents take it over); NULL: any agent of the
campaign. `attempts` counts the calls placed for it; a callback nobody answered is retried
and, after the last try, `missed` (reported, never silently dropped). Tenant-owned like every
contact-center table; deleting the lead (batch rollback) or the campaign deletes it.
`promised_by` is who made the promise, as a display name ("Alice Agent (102)", a token's role,
"CLI"; issue 16: the desktop's notice names them); NULL for callbacks promised before it was
recorded.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import _enum


class CallbackStatus(StrEnum):
    """scheduled → placed (the dialer holds it) → done | scheduled again (retry) | missed;
    cancelled by a person before it was placed."""

    SCHEDULED = "scheduled"
    PLACED = "placed"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class ScheduledCallback(TenantOwned, Base):
    """One callback promised to a lead of a campaign."""

    __tablename__ = "campaign_callbacks"
    __table_args__ = (Index("ix_campaign_callbacks_due", "tenant_id", "status", "due_at"),)

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    zone: Mapped[str] = mapped_column(String(64))
    local_time: Mapped[str] = mapped_column(String(16))  # "YYYY-MM-DDTHH:MM" in `zone`
    status: Mapped[CallbackStatus] = mapped_column(
        _enum(CallbackStatus, "callback_status"), default=CallbackStatus.SCHEDULED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
    promised_by: Mapped[str | None] = mapped_column(String(200))
