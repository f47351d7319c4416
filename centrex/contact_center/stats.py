"""Campaign statistics counted from the lead history (`lead_attempts`).

`placed` is every attempt; `answered` those a person picked up (`answered` and `dropped`:
a dropped call was answered, then found no agent); `drop_pct` is dropped over answered, the
figure the 3 % rule is about, over the day and over 30 days. `occupancy_pct` is the agents'
busy (talking, wrapping up) share of their logged-in time in the campaign, from the agent time
the dialer sums per day (`occupancy.py`); None while no agent was ever logged in while it ran.
`callbacks_done` and
`callbacks_missed` count the campaign's scheduled callbacks that ended so (all time).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from centrex.contact_center.occupancy import campaign_occupancy
from centrex.data.models import CallbackStatus, Campaign, LeadAttempt, ScheduledCallback
from centrex.data.tenancy import TenantScope

ANSWERED = ("answered", "dropped")


async def _counts(scope: TenantScope, campaign: Campaign, since: datetime | None) -> dict[str, Any]:
    where = [LeadAttempt.tenant_id == scope.tenant_id, LeadAttempt.campaign_id == campaign.id]
    if since is not None:
        where.append(LeadAttempt.started_at >= since)
    outcomes = dict(
        (await scope.session.execute(
            select(LeadAttempt.outcome, func.count()).where(*where).group_by(LeadAttempt.outcome)
        )).all()
    )  # fmt: skip
    dispositions = dict(
        (await scope.session.execute(
            select(LeadAttempt.disposition, func.count())
            .where(*where, LeadAttempt.disposition.is_not(None))
            .group_by(LeadAttempt.disposition)
        )).all()
    )  # fmt: skip
    placed = sum(int(n) for n in outcomes.values())
    answered = sum(int(outcomes.get(k, 0)) for k in ANSWERED)
    dropped = int(outcomes.get("dropped", 0))
    return {
        "placed": placed,
        "answered": answered,
        "dropped": dropped,
        "drop_pct": round(100.0 * dropped / answered, 2) if answered else 0.0,
        "occupancy_pct": await campaign_occupancy(
            scope, campaign.id, since.date() if since is not None else None
        ),
        "outcomes": {str(k): int(v) for k, v in sorted(outcomes.items())},
        "dispositions": {str(k): int(v) for k, v in sorted(dispositions.items())},
    }


async def campaign_stats(scope: TenantScope, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """All-time counts, plus `today` (since UTC midnight) and `last_30_days` drop figures."""
    result = await _counts(scope, campaign, None)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    result["today"] = await _counts(scope, campaign, midnight)
    result["last_30_days"] = await _counts(scope, campaign, now - timedelta(days=30))
    result["campaign"] = campaign.name
    callbacks = dict(
        (await scope.session.execute(
            select(ScheduledCallback.status, func.count())
            .where(ScheduledCallback.tenant_id == scope.tenant_id,
                   ScheduledCallback.campaign_id == campaign.id)
            .group_by(ScheduledCallback.status)
        )).all()
    )  # fmt: skip
    result["callbacks_done"] = int(callbacks.get(CallbackStatus.DONE, 0))
    result["callbacks_missed"] = int(callbacks.get(CallbackStatus.MISSED, 0))
    return result
