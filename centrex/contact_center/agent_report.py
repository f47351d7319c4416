"""Gathering the agent statistics of a campaign or of one agent's day from the database.

The arithmetic is `agent_stats.py`'s (pure); this module only reads what it needs through
`TenantScope`: the agents' state intervals (`agent_log.state_spans`), their lead attempts and
the appointments they booked.

Which agents a campaign's report lists: the campaign's agents now (direct and through its
agent groups), plus every extension that took one of its calls or logged a state for it in the
period (an agent removed since still shows its work). An agent's *time* is its whole time
over the period, every campaign's calls timed: an agent logged into several campaigns waits
for all of them at once, so its idle or pause time cannot be split between them. Its *counts*
(calls, contacts, dispositions, appointments) are the campaign's only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from centrex.contact_center.agent_log import state_spans
from centrex.contact_center.agent_stats import AgentFigures, CallSpan, agent_figures, totals
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.data.models import AgentStateLog, Campaign, Extension, LeadAttempt
from centrex.data.models.appointments import Appointment
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

__all__ = ["StatsReport", "agent_day", "campaign_report", "period"]

# how long before the period a call may have started and still last into it (ring, talk and
# wrap-up of one call); a longer call is timed only from the period's start
_LOOKBACK = timedelta(hours=12)
MAX_PERIOD = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class StatsReport:
    """One report: the agents' figures and their total over [since, until)."""

    title: str
    since: datetime
    until: datetime
    agents: tuple[AgentFigures, ...]
    total: AgentFigures

    def as_dict(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "agents": [a.as_dict() for a in self.agents],
            "totals": self.total.as_dict(),
        }


def period(
    since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[since, until): until defaults to now, since to the UTC midnight of until's day (an
    empty period at midnight; both given, until must come after since)."""
    end = until or now
    start = since or datetime.combine(end.date(), time(0), tzinfo=end.tzinfo)
    if end < start or (since is not None and until is not None and end == start):
        raise ValidationFailed("until must be after since", error_id="stats-bad-period",
                               field="until")  # fmt: skip
    if end - start > MAX_PERIOD:
        raise ValidationFailed(f"a period is at most {MAX_PERIOD.days} days",
                               error_id="stats-bad-period", field="since")  # fmt: skip
    return start, end


def _span(a: LeadAttempt) -> CallSpan:
    return CallSpan(a.started_at, a.ring_seconds, a.talk_seconds, a.wrap_seconds, a.outcome,
                    a.disposition)  # fmt: skip


async def _attempts(
    scope: TenantScope, extension_ids: Sequence[int], since: datetime, until: datetime
) -> list[LeadAttempt]:
    if not extension_ids:
        return []
    found = await scope.list(
        LeadAttempt,
        LeadAttempt.extension_id.in_(list(extension_ids)),
        LeadAttempt.started_at >= since - _LOOKBACK,
        LeadAttempt.started_at < until,
        order_by=LeadAttempt.started_at,
    )
    return list(found)


async def _appointments(
    scope: TenantScope, since: datetime, until: datetime, campaign_id: int | None
) -> Counter[int]:
    where = [
        Appointment.tenant_id == scope.tenant_id,
        Appointment.extension_id.is_not(None),
        Appointment.created_at >= since,
        Appointment.created_at < until,
        Appointment.deleted.is_(False),
    ]
    if campaign_id is not None:
        where.append(Appointment.campaign_id == campaign_id)
    rows = await scope.session.execute(
        select(Appointment.extension_id, func.count())
        .where(*where)
        .group_by(Appointment.extension_id)
    )
    return Counter({int(ext): int(n) for ext, n in rows.all() if ext is not None})


async def _report(
    scope: TenantScope,
    title: str,
    extensions: dict[int, str],
    since: datetime,
    until: datetime,
    now: datetime,
    campaign_id: int | None,
) -> StatsReport:
    ids = sorted(extensions, key=lambda i: extensions[i])
    spans = await state_spans(scope, ids, since, until, now)
    attempts = await _attempts(scope, ids, since, until)
    booked = await _appointments(scope, since, until, campaign_id)
    agents = []
    for ext_id in ids:
        mine = [a for a in attempts if a.extension_id == ext_id]
        counted = [_span(a) for a in mine if campaign_id is None or a.campaign_id == campaign_id]
        timed = [_span(a) for a in mine]
        figures = agent_figures(extensions[ext_id], spans.get(ext_id, []), timed, since,
                                min(until, now), counted_calls=counted,
                                appointments=booked[ext_id])  # fmt: skip
        agents.append(figures)
    return StatsReport(title, since, until, tuple(agents), totals(agents))


async def campaign_report(
    scope: TenantScope, campaign: Campaign, since: datetime, until: datetime, now: datetime
) -> StatsReport:
    """The figures of the campaign's agents over [since, until) (module docstring)."""
    assigned = await campaign_agents(scope.session, scope.tenant_id, campaign.id)
    numbers = {r.extension_id: r.number for r in assigned}
    took = select(LeadAttempt.extension_id).where(
        LeadAttempt.tenant_id == scope.tenant_id, LeadAttempt.campaign_id == campaign.id,
        LeadAttempt.extension_id.is_not(None), LeadAttempt.started_at >= since,
        LeadAttempt.started_at < until)  # fmt: skip
    logged = select(AgentStateLog.extension_id).where(
        AgentStateLog.tenant_id == scope.tenant_id, AgentStateLog.campaign_id == campaign.id,
        AgentStateLog.started_at < until)  # fmt: skip
    more = await scope.list(Extension, or_(Extension.id.in_(took), Extension.id.in_(logged)))
    numbers.update({e.id: e.number for e in more})
    return await _report(scope, campaign.name, numbers, since, until, now, campaign.id)


async def agent_day(
    scope: TenantScope, extension: Extension, day: date, now: datetime
) -> StatsReport:
    """One agent's figures of one UTC day, every campaign counted (the desktop's day stats)."""
    since = datetime.combine(day, time(0), tzinfo=now.tzinfo)
    until = since + timedelta(days=1)
    return await _report(scope, extension.number, {extension.id: extension.number}, since, until,
                         now, None)  # fmt: skip
