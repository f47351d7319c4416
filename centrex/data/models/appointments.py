"""Appointments booked by agents and the campaigns' CalDAV calendars (issue 16).

An appointment belongs to a campaign (its shared calendar), optionally to a lead (who is met)
and to an extension (the agent who booked it or who goes). It carries its iCalendar `uid` so
the same event is recognised on the CalDAV server, the server's `etag` of the last version
exchanged, and its sync state: ``pending`` (a local change the server has not seen yet),
``synced``, ``failed`` (the last push failed: `last_error` says why; retried on every pass).
`remote`: the event was created on the server and pulled in. `deleted`: removed locally but
the server still has it (a tombstone, hidden from every list, dropped once the server's copy
is deleted), so a local deletion is never lost while the server is down.

`CampaignCalendar` holds where a campaign's calendar lives: URL, user and the secret (Fernet,
`centrex.data.secrets_box`; never returned by the API), when it was last synchronised and the
last error. `lease_until` is the sync's lease: one pass per calendar at a time, whatever the
number of processes (a guarded UPDATE claims it, like the hopper's claim).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime, utcnow

MAX_UID = 1000  # RFC 5545 sets no limit; longer UIDs from a server are skipped (logged)


class SyncState(StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


class Appointment(TenantOwned, Base):
    """One appointment of a campaign's calendar."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "uid"),
        Index("ix_appointments_when", "tenant_id", "campaign_id", "starts_at"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), index=True
    )
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uid: Mapped[str] = mapped_column(String(MAX_UID))
    etag: Mapped[str] = mapped_column(Text, default="")
    sync_state: Mapped[str] = mapped_column(String(16), default=SyncState.PENDING.value)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CampaignCalendar(TenantOwned, Base):
    """Where a campaign's appointments are synchronised (CalDAV)."""

    __tablename__ = "campaign_calendars"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(Text, default="")  # Fernet token, "" for none
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
