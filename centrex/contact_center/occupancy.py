"""Agent occupancy of a campaign: agent-seconds logged in and busy, summed by the dialer.

Occupancy (issue 15 item 8, `campaign stats`' `occupancy_pct`) is the share of the campaign's
agents' logged-in time they spent busy with its leads: talking, or wrapping up after a call.
It is the figure the predictive pacer trades against the drop rate (`pacing.py`), measured the
way VICIdial and every ACD report it: busy agent-seconds over logged-in agent-seconds.

Theory of operation:

* `AgentTime` is pure: each dialer tick samples how many agents are logged in and how many are
  busy (the pacer's `Snapshot`), and the *previous* sample's counts are integrated over the
  time since it (the state held during the interval: exact when the counts change only at
  samples, within one tick otherwise). A gap longer than `max_gap` (the dialer stalled, the
  campaign was paused) counts as `max_gap` at most, so a paused campaign or a stopped process
  is never counted as agents waiting; `pause()` forgets the last sample for the same reason.
* `take()` hands over what was summed since the last take and starts again from zero, so the
  writer never adds a second twice.
* `add_agent_time` adds one take to the campaign's row of the UTC day it is written (one row
  per campaign and day: the 30-day figure is a sum over at most 30 rows). Writing about every
  30 s puts at most that much of a day's time into the next day at midnight.
* `occupancy_pct` turns sums into the percentage, None while no agent was logged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from centrex.data.db import Database
from centrex.data.models import CampaignAgentTime
from centrex.data.tenancy import TenantScope

__all__ = ["AgentTime", "add_agent_time", "campaign_occupancy", "occupancy_pct"]


@dataclass(slots=True)
class AgentTime:
    """Agent-seconds logged in and busy since the last `take()` (module docstring)."""

    max_gap: float
    logged_in: float = 0.0
    busy: float = 0.0
    _last: float | None = None
    _counts: tuple[int, int] = (0, 0)

    def sample(self, now: float, logged_in: int, busy: int) -> None:
        """The counts seen at `now` (monotonic seconds); `busy` is capped at `logged_in`."""
        if self._last is not None and now > self._last:
            held = min(now - self._last, self.max_gap)
            self.logged_in += self._counts[0] * held
            self.busy += self._counts[1] * held
        self._last = now
        self._counts = (max(0, logged_in), max(0, min(busy, logged_in)))

    def pause(self) -> None:
        """Nothing counts until the next sample (the campaign stopped placing calls)."""
        self._last = None
        self._counts = (0, 0)

    def take(self) -> tuple[float, float]:
        """(logged-in, busy) agent-seconds summed since the last take; the sums restart."""
        taken = (self.logged_in, self.busy)
        self.logged_in = self.busy = 0.0
        return taken


def occupancy_pct(logged_in_seconds: float, busy_seconds: float) -> float | None:
    if logged_in_seconds <= 0:
        return None
    return round(100.0 * min(busy_seconds, logged_in_seconds) / logged_in_seconds, 2)


async def add_agent_time(
    database: Database,
    tenant_id: int,
    campaign_id: int,
    day: date,
    logged_in_seconds: float,
    busy_seconds: float,
) -> None:
    """Add one take to the campaign's row of `day` (created on the day's first write).

    One dialer writes a campaign's rows (the dialer runs in one process), so the read and the
    update in one transaction cannot race another writer of the same row."""
    if logged_in_seconds <= 0 and busy_seconds <= 0:
        return
    async with database.transaction() as session:
        row = (
            await session.scalars(
                select(CampaignAgentTime).where(
                    CampaignAgentTime.tenant_id == tenant_id,
                    CampaignAgentTime.campaign_id == campaign_id,
                    CampaignAgentTime.day == day,
                )
            )
        ).first()
        if row is None:
            session.add(CampaignAgentTime(tenant_id=tenant_id, campaign_id=campaign_id, day=day,
                                          logged_in_seconds=logged_in_seconds,
                                          busy_seconds=busy_seconds))  # fmt: skip
            return
        row.logged_in_seconds += logged_in_seconds
        row.busy_seconds += busy_seconds


async def campaign_occupancy(
    scope: TenantScope, campaign_id: int, since: date | None
) -> float | None:
    """Occupancy over the days from `since` (all days when None)."""
    where = [CampaignAgentTime.campaign_id == campaign_id]
    if since is not None:
        where.append(CampaignAgentTime.day >= since)
    total = (
        await scope.session.execute(
            select(
                func.coalesce(func.sum(CampaignAgentTime.logged_in_seconds), 0.0),
                func.coalesce(func.sum(CampaignAgentTime.busy_seconds), 0.0),
            ).where(CampaignAgentTime.tenant_id == scope.tenant_id, *where)
        )
    ).one()
    return occupancy_pct(float(total[0]), float(total[1]))
