"""What the supervisor console shows of a tenant's contact center: each campaign's figures
(drop % today, leads left, hopper) and the floor (every agent of a campaign, with its state).

Leads left are the leads the dialer may still call some day (new or retry, attempts left);
the hopper is the part of them due now (`hopper.due_clauses`: status, time, attempts, postal
focus; the window and DNC checks happen at dial time). Drop % today is dropped over answered
since UTC midnight, as in `stats.campaign_stats`. The floor's first picture comes from the
queue agent states (`calls.features.agent_state`: ready, paused with a reason, logged out);
the page then follows the agent sessions API and the events live. Everything goes through the
`TenantScope`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from centrex.calls.features import agent_state
from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center.hopper import DUE, due_clauses
from centrex.contact_center.stats import ANSWERED
from centrex.data.models import Campaign, Extension, Lead, LeadAttempt
from centrex.data.tenancy import TenantScope


async def drop_pct_today(scope: TenantScope, campaign: Campaign, now: datetime) -> float:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    stmt = (
        select(LeadAttempt.outcome, func.count())
        .where(LeadAttempt.tenant_id == scope.tenant_id, LeadAttempt.campaign_id == campaign.id,
               LeadAttempt.started_at >= midnight, LeadAttempt.outcome.in_(ANSWERED))
        .group_by(LeadAttempt.outcome)
    )  # fmt: skip
    counts = {str(k): int(n) for k, n in (await scope.session.execute(stmt)).all()}
    answered = sum(counts.values())
    return round(100.0 * counts.get("dropped", 0) / answered, 2) if answered else 0.0


async def campaign_figures(scope: TenantScope, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """The campaign as the API shows it, with drop % today, leads left and the hopper."""
    left = await scope.count(
        Lead, Lead.campaign_id == campaign.id, Lead.status.in_(DUE),
        Lead.attempts < campaign.max_attempts,
    )  # fmt: skip
    due = select(func.count()).select_from(Lead).where(*due_clauses(campaign, now))  # type: ignore[arg-type]
    return {
        **await campaign_service.campaign_dict(scope, campaign),
        "drop_pct_today": await drop_pct_today(scope, campaign, now),
        "leads_left": left,
        "hopper": int((await scope.session.execute(due)).scalar_one()),
    }


async def floor(scope: TenantScope, campaigns: list[Campaign]) -> list[dict[str, Any]]:
    """Every extension taking calls of a campaign (agents and group members), by number, with
    its name, its campaigns and its queue agent state now."""
    of: dict[str, list[int]] = {}
    for campaign in campaigns:
        for number in await campaign_service.resolved_agents(scope, campaign):
            of.setdefault(number, []).append(campaign.id)
    if not of:
        return []
    names = {e.number: e.display_name for e in
             await scope.list(Extension, Extension.number.in_(list(of)))}  # fmt: skip
    result = []
    for number in sorted(of, key=lambda n: (len(n), n)):
        view = await agent_state.agent_view(scope, number)
        result.append({
            "extension": number,
            "name": names.get(number) or "",
            "campaigns": of[number],
            "state": view.state.value,
            "reason": view.reason,
            "since": view.since.isoformat() if view.since is not None else None,
        })  # fmt: skip
    return result
