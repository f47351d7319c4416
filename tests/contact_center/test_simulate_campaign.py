"""Replaying a campaign day: attempt rows become an observed day (dropped calls count as
answered by a person, a no-answer without ring time takes the ring timeout), a thin day falls
back to the stated defaults, the replay is deterministic and plays every method on the same
calls; on SQLite and PostgreSQL the day is the tenant's local day and B sees none of A's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from centrex.clock import ManualClock
from centrex.contact_center.simulate_campaign import (
    DEFAULTS,
    MAX_SECONDS,
    METHODS,
    MIN_ATTEMPTS,
    MIN_SECONDS,
    RING_TIMEOUT,
    AttemptRow,
    Plan,
    day_seconds,
    load_plan,
    observed_day,
    replay,
    simulate_campaign,
    simulate_plan,
)
from centrex.data.db import Database
from centrex.data.models import LeadAttempt
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.test_hopper import add_leads, start
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world

T0 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def _row(outcome: str, minute: int, ring: int = 8, talk: int = 0, wrap: int = 0) -> AttemptRow:
    start = T0 + timedelta(minutes=minute)
    return AttemptRow(outcome, start, start + timedelta(seconds=ring + talk), ring, talk, wrap,
                      7 if talk else None)  # fmt: skip


def synthetic_day(n: int = 120) -> list[AttemptRow]:
    """A day at 25 % answered, 5 % dropped, the rest no answer (some without ring time)."""
    rows = []
    for i in range(n):
        if i % 4 == 0:
            rows.append(_row("answered", i, ring=6 + i % 5, talk=60 + 3 * i, wrap=12))
        elif i % 20 == 1:
            rows.append(_row("dropped", i, ring=7))
        else:
            rows.append(_row("no-answer", i, ring=0 if i % 2 else 25))
    return rows


def test_rows_become_an_observed_day() -> None:
    day = observed_day(synthetic_day())
    assert day is not None
    kinds = [kind for kind, _s in day.attempts]
    assert kinds.count("answered") == 30 + 6  # dropped calls were answered by a person
    assert {s for kind, s in day.attempts if kind == "no-answer"} == {RING_TIMEOUT, 25.0}
    assert len(day.conversations) == 30
    assert day.conversations[1] == (72.0, 12.0)


def test_a_thin_day_is_not_trusted() -> None:
    assert observed_day(synthetic_day(MIN_ATTEMPTS - 1)) is None
    no_talk = [_row("no-answer", i) for i in range(100)]
    assert observed_day(no_talk) is None
    assert day_seconds([]) == MIN_SECONDS
    assert day_seconds([_row("busy", 0), _row("busy", 30)]) == MIN_SECONDS  # 30 min: at least 1 h
    assert day_seconds([_row("busy", 0), _row("busy", 600)]) == MAX_SECONDS


def test_replay_is_deterministic_and_plays_every_method() -> None:
    day = observed_day(synthetic_day())
    assert day is not None
    first = replay(day, agents=3, seconds=MIN_SECONDS, drop_target=0.03)
    assert first == replay(day, agents=3, seconds=MIN_SECONDS, drop_target=0.03)
    assert [m["method"] for m in first] == list(METHODS)
    by = {m["method"]: m for m in first}
    assert by["progressive"]["dropped"] == 0
    assert by["ratio 2"]["placed"] > by["ratio 1"]["placed"]
    assert by["ratio 2"]["drop_pct"] > by["predictive"]["drop_pct"]


def test_defaults_basis_says_so() -> None:
    answer = simulate_plan("Spring", 0.03, Plan(date(2026, 12, 2), (), 4))
    assert (answer["basis"], answer["attempts"], answer["agents"]) == ("defaults", 0, 4)
    assert answer["assumptions"]["answer_rate_pct"] == round(100 * DEFAULTS.answer_rate, 2) == 28.0
    assert "too few" in answer["note"]
    assert answer["observed_answer_rate_pct"] is None


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def test_the_tenants_local_day_is_replayed(world: Database) -> None:
    cid = await start(world)
    (lead,) = await add_leads(world, cid, A, [{"number": "+33142685301"}])

    async def history(scope: TenantScope) -> None:
        for row in synthetic_day():
            scope.add(LeadAttempt(lead_id=lead, campaign_id=cid, started_at=row.started_at,
                                  ended_at=row.ended_at, outcome=row.outcome,
                                  ring_seconds=row.ring_seconds, talk_seconds=row.talk_seconds,
                                  wrap_seconds=row.wrap_seconds))  # fmt: skip
        # 23:30 UTC on Dec 2 is 00:30 on Dec 3 in Paris: another local day
        scope.add(LeadAttempt(lead_id=lead, campaign_id=cid, outcome="busy",
                              started_at=datetime(2026, 12, 2, 23, 30, tzinfo=UTC)))  # fmt: skip

    await in_tenant(world, A, history)
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    async def run(scope: TenantScope, day: date | None) -> dict[str, object]:
        return await simulate_campaign(scope, await campaign_of(scope), day, now)

    observed = await in_tenant(world, A, lambda s: run(s, date(2026, 12, 2)))
    assert (observed["basis"], observed["attempts"]) == ("observed", 120)
    assert observed["observed_answer_rate_pct"] == 30.0
    last = await in_tenant(world, A, lambda s: run(s, None))  # the last day dialled
    assert (last["day"], last["attempts"], last["basis"]) == ("2026-12-03", 1, "defaults")
    with pytest.raises(ValidationFailed) as future:
        await in_tenant(world, A, lambda s: run(s, date(2026, 12, 5)))
    assert future.value.error_id == "simulate-future-day"
    await start(world, "Spring", B)
    other = await in_tenant(world, B, lambda s: run(s, date(2026, 12, 2)))
    assert (other["basis"], other["attempts"]) == ("defaults", 0)

    async def plan(scope: TenantScope) -> int:
        return (await load_plan(scope, await campaign_of(scope), date(2026, 12, 2), now)).agents

    assert await in_tenant(world, A, plan) == 1  # one extension took the calls
