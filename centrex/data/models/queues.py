"""ACD queues and their agents (issue 13, items 4, 5 and 7).

* `queues`: a number of the tenant's plan (`500`) whose callers wait with music on hold until
  an agent answers; strategy, wrap-up, maximum wait, fallback, service level, and the skill
  level an agent needs (`min_level`, the skills strategy offers the highest level first).
  `moh_id` (issue 21) is the queue's own music on hold.
* `queue_members`: an extension of the tenant in a queue with its level (1-10); `static`
  members are configured, dynamic ones joined with `*50<queue>` or the API and leave at logout.
* `agent_states`: one row per extension that changed its agent state (no row: ready); the pause
  reason is the label of a `pause_reasons` row (per tenant, codes 1-99 dialled after `*52`).
* `queue_calls` and `agent_events`: the logs the statistics are computed from — one row per
  caller that entered a queue (waited, answered by whom, talked, abandoned, overflowed), and one
  row per finished agent interval (ring, talk, wrap-up, pause by reason).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime
from centrex.data.models.tenancy import _enum


class QueueStrategy(StrEnum):
    """Which ready agent is offered the next caller (`calls/features/queue_strategies.py`)."""

    RING_ALL = "ring-all"
    LONGEST_IDLE = "longest-idle"
    ROUND_ROBIN = "round-robin"
    FEWEST_CALLS = "fewest-calls"
    SKILLS = "skills"


class AgentMode(StrEnum):
    """What an agent chose (busy and wrap-up are live states, never stored here)."""

    READY = "ready"
    PAUSED = "paused"
    LOGGED_OUT = "logged-out"


class QueueOutcome(StrEnum):
    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    OVERFLOWED = "overflowed"


class CallQueue(TenantOwned, Base):
    """One ACD queue of a tenant, reached by dialling `number`."""

    __tablename__ = "queues"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("max_wait_seconds > 0", name="max_wait_positive"),
    )

    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), default="")
    strategy: Mapped[QueueStrategy] = mapped_column(
        _enum(QueueStrategy, "queue_strategy"), default=QueueStrategy.LONGEST_IDLE
    )
    ring_seconds: Mapped[int] = mapped_column(Integer, default=15)
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=10)
    max_wait_seconds: Mapped[int] = mapped_column(Integer, default=300)
    fallback: Mapped[str | None] = mapped_column(String(100))
    announce_position: Mapped[bool] = mapped_column(Boolean, default=False)
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20)
    min_level: Mapped[int] = mapped_column(Integer, default=1)
    # "press 1 to be called back" (apps/queue/callback.py): the caller may hang up and keep
    # its place; it is rung `callback_attempts` times, `callback_retry_seconds` apart
    callback: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=3)
    callback_retry_seconds: Mapped[int] = mapped_column(Integer, default=30)
    # the queue's own music on hold (a media file of the tenant, kind moh or prompt); none: the
    # tenant's latest MOH upload, else the generated default (`apps/moh.py`)
    moh_id: Mapped[int | None] = mapped_column(ForeignKey("media_files.id", ondelete="SET NULL"))


class QueueMember(TenantOwned, Base):
    """An extension of the tenant answering a queue, with its skill level for it."""

    __tablename__ = "queue_members"
    __table_args__ = (UniqueConstraint("queue_id", "extension"),)

    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer, default=1)
    static: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class PauseReason(TenantOwned, Base):
    """A pause reason agents choose with `*52<code>` (each tenant gets three by default)."""

    __tablename__ = "pause_reasons"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))


class AgentStateRecord(TenantOwned, Base):
    """The agent state an extension chose, and since when."""

    __tablename__ = "agent_states"
    __table_args__ = (UniqueConstraint("tenant_id", "extension"),)

    extension: Mapped[str] = mapped_column(String(32))
    mode: Mapped[AgentMode] = mapped_column(_enum(AgentMode, "agent_mode"))
    reason: Mapped[str] = mapped_column(String(64), default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class QueueCall(TenantOwned, Base):
    """One caller's stay in a queue (the statistics' `offered` are these rows)."""

    __tablename__ = "queue_calls"

    queue_number: Mapped[str] = mapped_column(String(32), index=True)
    call_id: Mapped[str] = mapped_column(String(255))
    caller: Mapped[str] = mapped_column(String(64), default="")
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    outcome: Mapped[QueueOutcome] = mapped_column(_enum(QueueOutcome, "queue_outcome"))
    wait_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    agent: Mapped[str | None] = mapped_column(String(32))
    talk_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # a caller that pressed 1: `requested` while its entry waits (outcome still `waiting`),
    # `answered` once it took the callback, `failed` when every attempt went unanswered
    callback: Mapped[str | None] = mapped_column(String(16))
    callback_number: Mapped[str | None] = mapped_column(String(64))


class AgentEvent(TenantOwned, Base):
    """One finished interval of an agent: `ring`, `talk`, `wrap-up` or `pause` (`reason`)."""

    __tablename__ = "agent_events"

    extension: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    queue_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
