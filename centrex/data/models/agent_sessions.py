"""An agent's desktop session (issue 16): which campaigns it works, which phone it uses and
what it is doing now (ready, paused, in a call, wrapping up, logged out).

One row per extension (`extension_id` unique): logging in again updates the row. The queue
agent state (`agent_states`, what `*50`-`*53` change) stays the truth for "may take calls";
this row adds what only the desktop knows: the call's lead and campaign and whether a
disposition is still owed (`wrap_required`) — the dialer offers nothing to a session in
wrap-up or paused (`contact_center/agent_sessions.py`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime


class AgentSession(TenantOwned, Base):
    """The desktop session of one extension."""

    __tablename__ = "agent_sessions"

    extension_id: Mapped[int] = mapped_column(
        ForeignKey("extensions.id", ondelete="CASCADE"), unique=True
    )
    campaigns: Mapped[list[int]] = mapped_column(JSON, default=list)
    phone: Mapped[str] = mapped_column(String(16), default="extension")
    state: Mapped[str] = mapped_column(String(16), default="logged-out")
    reason: Mapped[str] = mapped_column(String(64), default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), nullable=True
    )
    call_id: Mapped[str] = mapped_column(String(200), default="")
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), nullable=True
    )
    wrap_required: Mapped[bool] = mapped_column(Boolean, default=False)
