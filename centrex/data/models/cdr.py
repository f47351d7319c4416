"""Call detail records: one row per call and one per leg (filled by the call layer)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import _enum


class Direction(StrEnum):
    INTERNAL = "internal"
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class Disposition(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"
    CANCELLED = "cancelled"


class HangupSide(StrEnum):
    CALLER = "caller"
    CALLEE = "callee"
    SYSTEM = "system"


class Cdr(TenantOwned, Base):
    """One call as billing sees it. `ended_at` is NULL while the call is live (crash recovery)."""

    __tablename__ = "cdrs"

    call_id: Mapped[str] = mapped_column(String(200), index=True)
    caller: Mapped[str] = mapped_column(String(100))
    callee: Mapped[str] = mapped_column(String(100))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    billsec: Mapped[int] = mapped_column(Integer, default=0)
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition, "disposition"))
    hangup_cause: Mapped[str | None] = mapped_column(String(100))
    hangup_side: Mapped[HangupSide | None] = mapped_column(_enum(HangupSide, "hangup_side"))
    trunk_id: Mapped[int | None] = mapped_column(ForeignKey("trunks.id", ondelete="SET NULL"))
    extension: Mapped[str | None] = mapped_column(String(5))
    rate_prefix: Mapped[str | None] = mapped_column(String(20))
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    # NULL while the call waits to be rated (the live rater's queue, `billing/live_rating.py`)
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class CdrLeg(TenantOwned, Base):
    """One leg of a call (inbound leg, each outbound attempt)."""

    __tablename__ = "cdr_legs"

    cdr_id: Mapped[int] = mapped_column(ForeignKey("cdrs.id", ondelete="CASCADE"), index=True)
    leg_index: Mapped[int] = mapped_column(Integer, default=0)
    peer: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disposition: Mapped[Disposition | None] = mapped_column(_enum(Disposition, "leg_disposition"))
    hangup_cause: Mapped[str | None] = mapped_column(String(100))
    trunk_id: Mapped[int | None] = mapped_column(ForeignKey("trunks.id", ondelete="SET NULL"))
    # the extension that transferred the call to this leg's party (REFER, Replaces), if any
    transferred_by: Mapped[str | None] = mapped_column(String(100))
