"""Outbound contact center: campaigns, their agents, lead batches, leads, attempts, DNC (issue 15).

The shapes the dialer builds on:

* a `Campaign` says how to dial (method, ratio, drop target), with which caller ID (`local`:
  the tenant number sharing the longest prefix with the callee, or one fixed tenant number),
  when (a window in the *callee's* local time), how often (max attempts, retry delay per
  outcome) and whom (agents: extensions of the tenant, and agent groups: the tenant's ACD
  queues, whose members count as agents; an optional postal-code focus);
* every import is one `LeadBatch`; a `Lead` belongs to exactly one batch, so rolling a batch
  back deletes exactly its leads and, through them, their `LeadAttempt` history;
* a `DncEntry` is tenant-wide (`campaign_id` NULL) or for one campaign;
* `CampaignAgentTime` sums, per campaign and UTC day, the agent-seconds its agents were logged
  in and busy (talking or wrapping up a dialer call): the occupancy of the campaign's stats.

Every table is tenant-owned (`tenant_id`), queried through `TenantScope`. Numbers are E.164
strings normalised with phonenumbers before they are stored.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import _enum


class DialMethod(StrEnum):
    """How the dialer paces calls (the pacers are `contact_center/pacing.py`'s)."""

    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    RATIO = "ratio"
    PREDICTIVE = "predictive"


class CampaignStatus(StrEnum):
    """draft → running ⇄ paused → stopped (a stopped campaign may be started again)."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class LeadStatus(StrEnum):
    """Where a lead is in its life: `new` until first dialled, `retry` while attempts remain,
    `in-call` while the dialer holds it, `done` once dispositioned, `exhausted` at max attempts,
    `dnc` when a DNC entry added after import caught it at dial time."""

    NEW = "new"
    RETRY = "retry"
    IN_CALL = "in-call"
    DONE = "done"
    EXHAUSTED = "exhausted"
    DNC = "dnc"


class Campaign(TenantOwned, Base):
    """One outbound campaign of a tenant."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint("ratio >= 1", name="ratio_at_least_one"),
        CheckConstraint("drop_target > 0 AND drop_target < 1", name="drop_target_share"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
    )

    name: Mapped[str] = mapped_column(String(100))
    dial_method: Mapped[DialMethod] = mapped_column(_enum(DialMethod, "campaign_dial_method"))
    ratio: Mapped[float] = mapped_column(Float, default=1.0)
    drop_target: Mapped[float] = mapped_column(Float, default=0.03)
    # "local" (longest shared prefix among the tenant's numbers) or one fixed E.164 number
    caller_id: Mapped[str] = mapped_column(String(20), default="local")
    # "HH:MM-HH:MM" in the called party's local time (contact_center/calling_window.py)
    calling_window: Mapped[str] = mapped_column(String(11), default="09:00-20:00")
    # the callee's weekdays it may be called on, "mon-fri" or "mon,wed,fri", and whether the
    # legal hours and public holidays of the callee's country apply (country_rules.py), 0028
    calling_days: Mapped[str] = mapped_column(String(30), default="mon-sun",
                                              server_default="mon-sun")  # fmt: skip
    legal_rules: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    # seconds before the next attempt, per outcome: {"busy": 600, "no-answer": 3600, ...}
    retry_delays: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # postal codes the dialer restricts itself to now ([] = every lead); changed on the fly
    postal_focus: Mapped[list[str]] = mapped_column(JSON, default=list)
    # answering-machine detection on answered calls (media/amd.py; outcome `machine`), 0029
    amd: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CampaignAgent(TenantOwned, Base):
    """An extension of the tenant assigned to a campaign."""

    __tablename__ = "campaign_agents"
    __table_args__ = (UniqueConstraint("campaign_id", "extension_id"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), index=True
    )


class CampaignAgentGroup(TenantOwned, Base):
    """An ACD queue of the tenant assigned to a campaign: its members are the campaign's agents
    too, resolved live (`contact_center/campaign_agents.py`), so a member added to the queue
    later takes campaign calls without touching the campaign (0031)."""

    __tablename__ = "campaign_agent_groups"
    __table_args__ = (UniqueConstraint("campaign_id", "queue_id"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)


class LeadBatch(TenantOwned, Base):
    """One import: what came in, from which file, read with which encoding."""

    __tablename__ = "lead_batches"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255), default="")
    encoding: Mapped[str | None] = mapped_column(String(16))  # None for XLSX
    imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    dnc_filtered: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)


class Lead(TenantOwned, Base):
    """A person to call in one campaign (one number per lead and campaign)."""

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        Index("ix_leads_campaign_status_next", "campaign_id", "status", "next_attempt_at"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("lead_batches.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[LeadStatus] = mapped_column(
        _enum(LeadStatus, "lead_status"), default=LeadStatus.NEW
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LeadAttempt(TenantOwned, Base):
    """One call placed to a lead: the history that goes when the lead's batch is rolled back."""

    __tablename__ = "lead_attempts"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # answered, no-answer, busy, failed, machine, dropped (pacing.Outcome's kinds)
    outcome: Mapped[str] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(64))
    extension_id: Mapped[int | None] = mapped_column(
        ForeignKey("extensions.id", ondelete="SET NULL")
    )
    caller_id: Mapped[str | None] = mapped_column(String(20))
    call_id: Mapped[str | None] = mapped_column(String(200))
    talk_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # the dialer's pacing history (0024): how long it rang, how long the agent wrapped up
    ring_seconds: Mapped[int] = mapped_column(Integer, default=0)
    wrap_seconds: Mapped[int] = mapped_column(Integer, default=0)


class DncEntry(TenantOwned, Base):
    """A number never to call: for the whole tenant (`campaign_id` NULL) or one campaign."""

    __tablename__ = "dnc_entries"
    __table_args__ = (Index("ix_dnc_entries_tenant_number", "tenant_id", "number"),)

    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")


class CampaignAgentTime(TenantOwned, Base):
    """Agent-seconds of one campaign on one UTC day, summed by the dialer (`occupancy.py`)."""

    __tablename__ = "campaign_agent_time"
    __table_args__ = (UniqueConstraint("campaign_id", "day"),)

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    logged_in_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    busy_seconds: Mapped[float] = mapped_column(Float, default=0.0)
