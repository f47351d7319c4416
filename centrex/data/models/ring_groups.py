"""Ring groups: a number of the tenant's plan that rings several members (issue 12, item 3).

A group is one tenant-owned row (its number, strategy, ring time and fallback) and its members
in order. A member is a *target string*: one of the tenant's extension numbers or an E.164
number reached through the tenant's trunks; provisioning checks which at write time, the call
feature (`calls/features/ring_group.py`) again at ring time (an extension deleted since is
skipped, never looked up in another tenant).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned
from centrex.data.models.tenancy import _enum


class RingStrategy(StrEnum):
    """How a group's members are rung (`calls/features/ring_strategies.py` orders them)."""

    SIMULTANEOUS = "simultaneous"
    SEQUENTIAL = "sequential"
    ROUND_ROBIN = "round-robin"
    LONGEST_IDLE = "longest-idle"
    PAGE = "page"  # paging: every member auto-answers and hears the caller (features/paging.py)


class RingGroup(TenantOwned, Base):
    """One ring group of a tenant, reached by dialling `number`."""

    __tablename__ = "ring_groups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("ring_seconds > 0", name="ring_seconds_positive"),
    )

    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")
    strategy: Mapped[RingStrategy] = mapped_column(
        _enum(RingStrategy, "ring_strategy"), default=RingStrategy.SIMULTANEOUS
    )
    ring_seconds: Mapped[int] = mapped_column(Integer, default=20)
    fallback: Mapped[str | None] = mapped_column(String(100))


class RingGroupMember(TenantOwned, Base):
    """One member of a group, at its position (0 first)."""

    __tablename__ = "ring_group_members"
    __table_args__ = (UniqueConstraint("group_id", "position"),)

    group_id: Mapped[int] = mapped_column(
        ForeignKey("ring_groups.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(32))
