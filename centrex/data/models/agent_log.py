"""The agent state log (issue 16): one row per interval an agent spent in one desktop state.

`agent_states` (`queues.py`) holds only an extension's *current* ACD mode; statistics over a
period (talk, wrap-up, ringing, pause time per reason, idle, occupancy) need the history, so
every change of state closes the open interval of the extension (`ended_at` set) and opens
the next one. At most one row per extension is open (`ended_at` NULL). Logged out is the
absence of an open row, so every row's time is logged-in time.

States are the agent desktop's: `ready`, `paused` (with the pause reason's label), `wrap-up`
and `in-call` (with the campaign of the call); `logged-out` only closes.

`write_agent_state` lives here, in the data layer, because both the call layer's agent codes
(`*50`-`*53`, `calls/features/agent_state.py`) and the contact center write the log, and the
call layer may not import the contact center (DESIGN.md §3); `contact_center/agent_log.py`
exposes it as `record_agent_state` with the readers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime

if TYPE_CHECKING:
    from centrex.data.tenancy import TenantScope

LOGGED_OUT = "logged-out"
STATES = ("ready", "paused", "wrap-up", "in-call", LOGGED_OUT)


class AgentStateLog(TenantOwned, Base):
    """One interval of an agent in one state; `ended_at` NULL while it lasts."""

    __tablename__ = "agent_state_log"
    __table_args__ = (Index("ix_agent_state_log_extension_started", "extension_id", "started_at"),)

    extension_id: Mapped[int] = mapped_column(ForeignKey("extensions.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


async def write_agent_state(
    scope: TenantScope,
    extension_id: int,
    state: str,
    reason: str,
    at: datetime,
    campaign_id: int | None = None,
) -> AgentStateLog | None:
    """Close the extension's open interval at `at` and open one in `state` (none when logged
    out). The same state, reason and campaign again changes nothing, so two paths reporting
    one change (the desktop and the ACD mode it mirrors) log it once. A change dated before
    the open interval began (clocks of two writers) ends that interval at its start: a
    zero-length interval, never a negative one."""
    if state not in STATES:
        raise ValueError(f"unknown agent state {state!r}")
    reason = reason if state == "paused" else ""
    open_row = await scope.first(
        AgentStateLog, AgentStateLog.extension_id == extension_id, AgentStateLog.ended_at.is_(None)
    )
    if open_row is not None:
        same = (open_row.state, open_row.reason, open_row.campaign_id) == (
            state, reason, campaign_id)  # fmt: skip
        if same:
            return open_row
        open_row.ended_at = max(at, open_row.started_at)
        at = open_row.ended_at
    if state == LOGGED_OUT:
        await scope.session.flush()
        return None
    row = scope.add(AgentStateLog(extension_id=extension_id, campaign_id=campaign_id, state=state,
                                  reason=reason, started_at=at))  # fmt: skip
    await scope.session.flush()
    return row
