"""A plausible past day of dialing for the demo campaign, so `campaign simulate` replays data.

`centrex campaign simulate` replays a day of `LeadAttempt` rows (issue 15 item 7); a fresh
demo has none, and a simulator shown on made-up defaults only is a weak demonstration. So the
demo's sample campaign gets yesterday's work, from 09:00 in the tenant's time zone: a second
batch ("demo-history.csv") of fictional Swiss 555 leads that were called until a person
answered or `MAX_ATTEMPTS` were spent — `HISTORY_ATTEMPTS` attempts in all, about 30 %
answered, ring, talk and wrap-up times drawn from a fixed seed (the same demo every time).
Those leads end ``done`` or ``exhausted``, so the dialer never calls them again and `explain`
shows them removed by their status. The rows are written directly (they are history, not an
import: nothing to normalise or filter; the numbers are valid E.164).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from centrex.data.models import (
    Campaign,
    Extension,
    Lead,
    LeadAttempt,
    LeadBatch,
    LeadStatus,
    Tenant,
)
from centrex.data.tenancy import TenantScope

HISTORY_ATTEMPTS = 200
MAX_ATTEMPTS = 3
SEED = 2026
# outcome shares of a placed call (the rest is no-answer)
SHARES = (("answered", 0.30), ("busy", 0.08), ("machine", 0.14), ("failed", 0.03))


def _draw(rng: random.Random, mean: float, sigma: float, low: float) -> int:
    value = rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma)
    return max(round(value), round(low))


def _outcome(rng: random.Random) -> str:
    draw = rng.random()
    for outcome, share in SHARES:
        if draw < share:
            return outcome
        draw -= share
    return "no-answer"


async def seed_history(
    scope: TenantScope, campaign: Campaign, agents: Sequence[str], now: datetime
) -> int:
    """Write yesterday's attempts of the campaign; returns how many were written."""
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    zone = ZoneInfo(tenant.timezone if tenant is not None else "UTC")
    day = now.astimezone(zone).date() - timedelta(days=1)
    clock = datetime.combine(day, time(9, 0), tzinfo=zone).astimezone(UTC)
    extensions = [ext.id for ext in await scope.list(Extension, Extension.number.in_(list(agents)))]
    batch = scope.add(LeadBatch(campaign_id=campaign.id, filename="demo-history.csv",
                                encoding="utf-8"))  # fmt: skip
    await scope.session.flush()
    rng = random.Random(SEED)
    written = index = 0
    while written < HISTORY_ATTEMPTS:
        index += 1
        lead = scope.add(Lead(campaign_id=campaign.id, batch_id=batch.id,
                              number=f"+41445551{index:03d}", name=f"Past lead {index}",
                              postal_code=rng.choice(("8001", "8004", "8050", "3011")),
                              custom={}, attempts=0, status=LeadStatus.NEW))  # fmt: skip
        await scope.session.flush()
        outcome = "no-answer"
        while lead.attempts < MAX_ATTEMPTS and written < HISTORY_ATTEMPTS:
            outcome = _outcome(rng)
            ring = _draw(rng, 9.0, 0.5, 1) if outcome != "no-answer" else 25
            ring = 2 if outcome in ("busy", "failed") else ring
            talk = _draw(rng, 110.0, 0.7, 8) if outcome == "answered" else 0
            wrap = _draw(rng, 15.0, 0.4, 2) if outcome == "answered" else 0
            started = clock
            ended = started + timedelta(seconds=ring + talk)
            scope.add(LeadAttempt(
                lead_id=lead.id, campaign_id=campaign.id, started_at=started, ended_at=ended,
                outcome=outcome, extension_id=rng.choice(extensions) if talk and extensions
                else None, caller_id=None, talk_seconds=talk, ring_seconds=ring,
                wrap_seconds=wrap, disposition="interested" if talk and rng.random() < 0.4
                else None,
            ))  # fmt: skip
            lead.attempts += 1
            written += 1
            clock += timedelta(seconds=rng.uniform(20.0, 90.0))
            if outcome == "answered":
                break
        lead.last_outcome = outcome
        lead.status = LeadStatus.DONE if outcome == "answered" else LeadStatus.EXHAUSTED
    batch.imported = index
    await scope.session.flush()
    return written
