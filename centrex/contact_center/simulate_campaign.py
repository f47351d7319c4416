"""Replay a campaign's past day through every dial method: evidence for choosing settings.

Issue 15 item 7. A supervisor asks "would predictive have dropped more than 3 % yesterday?
would ratio 2 have kept my agents busier?". This module reads the campaign's `LeadAttempt`
rows of one day (a local day of the tenant's time zone) and turns them into a
`simulation.ObservedDay`: each attempt becomes (result, seconds until known) and each
answered attempt with talk time a conversation (talk, wrap-up). That day is played once per
method by `simulation.simulate_day` with the same seed, so the methods meet the same calls
and conversations, and the answer is deterministic.

With too little history (fewer than `MIN_ATTEMPTS` attempts or `MIN_CONVERSATIONS`
conversations, e.g. a new campaign or the demo before it ran) the replay still runs, on
`DEFAULTS` (`simulation.DayProfile()`: 28 % answer rate, the issue's figure; ring 9 s, talk
120 s, wrap 15 s means), and says so: ``"basis": "defaults"`` instead of ``"observed"``.

The simulated day is as long as the observed one (first start to last end), at least
`MIN_SECONDS` and at most `MAX_SECONDS` so that an API call stays short; the agents are those
who took calls that day, else the campaign's agents now, group members included (at least
one). Everything but the database read is pure (`replay`), and the API runs it in a worker
thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.pacing import make_pacer
from centrex.contact_center.simulation import (
    AttemptKind,
    CallSampler,
    DayProfile,
    ObservedDay,
    simulate_day,
)
from centrex.data.models import Campaign, LeadAttempt, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

MIN_ATTEMPTS = 30
MIN_CONVERSATIONS = 5
MIN_SECONDS = 3600.0
MAX_SECONDS = 4 * 3600.0
DEFAULT_SECONDS = 3600.0
SEED = 15  # one fixed seed: the same day gives the same answer
DEFAULTS = DayProfile()
RING_TIMEOUT = 25.0  # seconds a no-answer is known after when its ring time was not recorded
METHODS = ("progressive", "ratio 1", "ratio 2", "predictive")
_KINDS: dict[str, AttemptKind] = {
    "answered": "answered", "dropped": "answered",  # a dropped call was answered by a person
    "no-answer": "no-answer", "busy": "busy", "failed": "failed", "machine": "machine",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """What the replay needs of one `LeadAttempt`."""

    outcome: str
    started_at: datetime
    ended_at: datetime | None
    ring_seconds: int
    talk_seconds: int
    wrap_seconds: int
    extension_id: int | None


def observed_day(rows: Sequence[AttemptRow]) -> ObservedDay | None:
    """The day as a sampler, or None when it is too thin to trust (module docstring)."""
    attempts: list[tuple[AttemptKind, float]] = []
    conversations: list[tuple[float, float]] = []
    for row in rows:
        kind = _KINDS.get(row.outcome)
        if kind is None:
            continue
        seconds = float(row.ring_seconds)
        if kind == "no-answer" and seconds <= 0:
            seconds = RING_TIMEOUT
        attempts.append((kind, max(seconds, 0.5)))
        if row.outcome == "answered" and row.talk_seconds > 0:
            conversations.append((float(row.talk_seconds), float(max(row.wrap_seconds, 1))))
    answered = sum(1 for kind, _s in attempts if kind == "answered")
    if len(attempts) < MIN_ATTEMPTS or len(conversations) < MIN_CONVERSATIONS or not answered:
        return None
    return ObservedDay(tuple(attempts), tuple(conversations))


def day_seconds(rows: Sequence[AttemptRow]) -> float:
    """The observed day's length, within [MIN_SECONDS, MAX_SECONDS]."""
    if not rows:
        return DEFAULT_SECONDS
    start = min(r.started_at for r in rows)
    end = max(r.ended_at or r.started_at for r in rows)
    return min(max((end - start).total_seconds(), MIN_SECONDS), MAX_SECONDS)


def replay(
    calls: CallSampler, *, agents: int, seconds: float, drop_target: float, seed: int = SEED
) -> list[dict[str, Any]]:
    """The same seeded day played by each of `METHODS` (pure)."""
    factories = {
        "progressive": lambda: make_pacer("progressive"),
        "ratio 1": lambda: make_pacer("ratio", ratio=1.0),
        "ratio 2": lambda: make_pacer("ratio", ratio=2.0),
        "predictive": lambda: make_pacer("predictive", drop_target=drop_target),
    }
    results = []
    for name in METHODS:
        day = simulate_day(factories[name](), calls, agents=agents, seconds=seconds, seed=seed,
                           method=name)  # fmt: skip
        view = day.as_dict()
        results.append({k: view[k] for k in ("method", "placed", "answered", "connected",
                                              "dropped", "drop_pct", "occupancy_pct")})  # fmt: skip
    return results


@dataclass(frozen=True, slots=True)
class Plan:
    """What the database gave: the day, its attempts and how many agents to simulate."""

    day: date
    rows: tuple[AttemptRow, ...]
    agents: int


async def _zone(scope: TenantScope) -> ZoneInfo:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    try:
        return ZoneInfo(tenant.timezone if tenant is not None else "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


async def load_plan(
    scope: TenantScope, campaign: Campaign, day: date | None, now: datetime
) -> Plan:
    """The day to replay (default: the last day with attempts, else yesterday) and its rows."""
    zone = await _zone(scope)
    today = now.astimezone(zone).date()
    if day is None:
        last = await scope.session.scalar(
            select(func.max(LeadAttempt.started_at)).where(
                LeadAttempt.tenant_id == scope.tenant_id, LeadAttempt.campaign_id == campaign.id
            )
        )
        day = last.astimezone(zone).date() if last is not None else today - timedelta(days=1)
    if day > today:
        raise ValidationFailed(f"{day} has not happened yet: simulate a past day",
                               error_id="simulate-future-day", field="day")  # fmt: skip
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    found = await scope.list(
        LeadAttempt, LeadAttempt.campaign_id == campaign.id, LeadAttempt.started_at >= start,
        LeadAttempt.started_at < end, order_by=LeadAttempt.id,
    )  # fmt: skip
    rows = tuple(AttemptRow(a.outcome, a.started_at, a.ended_at, a.ring_seconds, a.talk_seconds,
                            a.wrap_seconds, a.extension_id) for a in found)  # fmt: skip
    agents = len({r.extension_id for r in rows if r.extension_id is not None})
    if not agents:
        agents = len(await campaign_agents(scope.session, scope.tenant_id, campaign.id))
    return Plan(day, rows, max(agents, 1))


def simulate_plan(campaign_name: str, drop_target: float, plan: Plan) -> dict[str, Any]:
    """The whole answer for one plan (pure; CPU-bound: run it off the event loop)."""
    observed = observed_day(plan.rows)
    calls: CallSampler = observed if observed is not None else DEFAULTS
    seconds = day_seconds(plan.rows) if observed is not None else DEFAULT_SECONDS
    answered = sum(1 for r in plan.rows if _KINDS.get(r.outcome) == "answered")
    basis_note = (
        f"replays the {len(plan.rows)} attempts of {plan.day}"
        if observed is not None
        else f"{len(plan.rows)} attempts on {plan.day} are too few (at least {MIN_ATTEMPTS} "
        f"with {MIN_CONVERSATIONS} conversations): stated defaults are used"
    )
    return {
        "campaign": campaign_name,
        "day": plan.day.isoformat(),
        "basis": "observed" if observed is not None else "defaults",
        "note": basis_note,
        "attempts": len(plan.rows),
        "observed_answer_rate_pct": round(100.0 * answered / len(plan.rows), 2)
        if plan.rows
        else None,
        "assumptions": None
        if observed is not None
        else {
            "answer_rate_pct": round(100.0 * DEFAULTS.answer_rate, 2),
            "ring_mean_s": DEFAULTS.ring_mean,
            "talk_mean_s": DEFAULTS.talk_mean,
            "wrap_mean_s": DEFAULTS.wrap_mean,
            "ring_timeout_s": DEFAULTS.ring_timeout,
        },
        "agents": plan.agents,
        "seconds": seconds,
        "seed": SEED,
        "drop_target_pct": round(100.0 * drop_target, 2),
        "methods": replay(calls, agents=plan.agents, seconds=seconds, drop_target=drop_target),
    }


async def simulate_campaign(
    scope: TenantScope, campaign: Campaign, day: date | None, now: datetime
) -> dict[str, Any]:
    """Load and replay in one go (the CLI; the API splits the two around a worker thread)."""
    plan = await load_plan(scope, campaign, day, now)
    return simulate_plan(campaign.name, campaign.drop_target, plan)
