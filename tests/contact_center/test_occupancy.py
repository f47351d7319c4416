"""Agent occupancy: the pure agent-time sums (exact intervals, gaps capped, pauses, takes), the
day rows the dialer adds them to, and `occupancy_pct` in `campaign stats` (today, 30 days, all
time) on SQLite and PostgreSQL; another tenant's campaign time never counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from centrex.clock import ManualClock
from centrex.contact_center.dialer import CampaignRunner, Dialer
from centrex.contact_center.dialer_state import CampaignConfig
from centrex.contact_center.occupancy import AgentTime, add_agent_time, occupancy_pct
from centrex.contact_center.pacing import make_pacer
from centrex.contact_center.stats import campaign_stats
from centrex.data.db import Database
from centrex.data.models import Campaign, CampaignAgentTime, CampaignStatus
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign


def test_intervals_count_the_counts_held_during_them() -> None:
    time = AgentTime(max_gap=5.0)
    time.sample(100.0, logged_in=3, busy=1)  # first sample: nothing before it
    assert time.take() == (0.0, 0.0)
    time.sample(101.0, logged_in=3, busy=2)  # 1 s with 3 in, 1 busy
    time.sample(103.0, logged_in=2, busy=2)  # 2 s with 3 in, 2 busy
    assert time.take() == (3.0 + 6.0, 1.0 + 4.0)
    assert time.take() == (0.0, 0.0)  # a take starts again from zero


def test_a_long_gap_counts_max_gap_and_a_pause_counts_nothing() -> None:
    time = AgentTime(max_gap=5.0)
    time.sample(0.0, logged_in=2, busy=2)
    time.sample(60.0, logged_in=2, busy=0)  # the dialer stalled a minute: 5 s at most
    assert time.take() == (10.0, 10.0)
    time.pause()  # the campaign paused: its agents are not waiting for it
    time.sample(100.0, logged_in=4, busy=1)
    time.sample(101.0, logged_in=4, busy=1)
    assert time.take() == (4.0, 1.0)


def test_busy_never_exceeds_logged_in_and_time_never_runs_backwards() -> None:
    time = AgentTime(max_gap=5.0)
    time.sample(10.0, logged_in=1, busy=3)
    time.sample(9.0, logged_in=1, busy=1)  # an earlier reading adds nothing
    time.sample(11.0, logged_in=1, busy=1)
    assert time.take() == (2.0, 2.0)
    assert occupancy_pct(0.0, 0.0) is None
    assert occupancy_pct(300.0, 240.0) == 80.0
    assert occupancy_pct(100.0, 150.0) == 100.0


@given(
    st.lists(
        st.tuples(st.floats(0.0, 10.0), st.integers(0, 50), st.integers(0, 50), st.booleans()),
        max_size=40,
    )
)
def test_takes_anywhere_sum_to_the_same_total(steps: list[tuple[float, int, int, bool]]) -> None:
    """Taking after some samples never loses or doubles agent-seconds."""
    once, often = AgentTime(max_gap=5.0), AgentTime(max_gap=5.0)
    now, taken = 0.0, [0.0, 0.0]
    for gap, logged_in, busy, take in steps:
        now += gap
        once.sample(now, logged_in, busy)
        often.sample(now, logged_in, busy)
        if take:
            got = often.take()
            taken = [taken[0] + got[0], taken[1] + got[1]]
    last = often.take()
    total = once.take()
    assert taken[0] + last[0] == pytest.approx(total[0])
    assert taken[1] + last[1] == pytest.approx(total[1])
    assert total[1] <= total[0] + 1e-9


async def _stats(db: Database, clock: ManualClock, domain: str = A) -> dict[str, object]:
    async def work(scope: TenantScope) -> dict[str, object]:
        return await campaign_stats(scope, await campaign_of(scope), clock.utcnow())

    return await in_tenant(db, domain, work)


async def test_day_rows_add_up_and_stats_give_occupancy(db: Database, clock: ManualClock) -> None:
    await make_world(db, clock)
    a_id = await new_campaign(db)
    b_id = await new_campaign(db, domain=B)
    assert (await _stats(db, clock))["occupancy_pct"] is None  # nobody ever logged in
    tenant_a = await in_tenant(db, A, _tenant)
    tenant_b = await in_tenant(db, B, _tenant)
    today = clock.utcnow().date()
    await add_agent_time(db, tenant_a, a_id, today, 600.0, 480.0)
    await add_agent_time(db, tenant_a, a_id, today, 400.0, 320.0)  # the same row grows
    await add_agent_time(db, tenant_a, a_id, today - timedelta(days=10), 1000.0, 500.0)
    await add_agent_time(db, tenant_a, a_id, today - timedelta(days=40), 1000.0, 0.0)
    await add_agent_time(db, tenant_a, a_id, today, 0.0, 0.0)  # nothing: no write
    await add_agent_time(db, tenant_b, b_id, today, 1000.0, 1000.0)  # B's campaign, B's stats
    async with db.session() as session:
        rows = (await session.scalars(select(CampaignAgentTime)
                                      .where(CampaignAgentTime.campaign_id == a_id))).all()  # fmt: skip
    assert sorted((r.day, r.logged_in_seconds, r.busy_seconds) for r in rows) == [
        (today - timedelta(days=40), 1000.0, 0.0),
        (today - timedelta(days=10), 1000.0, 500.0),
        (today, 1000.0, 800.0),
    ]
    stats = await _stats(db, clock)
    assert stats["today"]["occupancy_pct"] == 80.0  # type: ignore[index]
    assert stats["last_30_days"]["occupancy_pct"] == 65.0  # type: ignore[index]
    assert stats["occupancy_pct"] == round(100 * 1300 / 3000, 2)
    assert (await _stats(db, clock, B))["occupancy_pct"] == 100.0


async def _tenant(scope: TenantScope) -> int:
    return scope.tenant_id


async def test_the_dialer_writes_its_runners_agent_time(db: Database, clock: ManualClock) -> None:
    """What the runners summed reaches the day's row when the dialer writes (forced at stop,
    else about every 30 s), and is never written twice."""
    await make_world(db, clock)
    campaign_id = await new_campaign(db)

    async def row(scope: TenantScope) -> Campaign:
        return await campaign_of(scope)

    campaign = await in_tenant(db, A, row)
    dialer = Dialer(db, actions=lambda: None, prompts=None, clock=clock,  # type: ignore[arg-type]
                    publish=lambda event: None)  # fmt: skip
    config = CampaignConfig(campaign_id, campaign.tenant_id, campaign.name,
                            CampaignStatus.RUNNING, "progressive", 1.0, 0.03, 3, {})  # fmt: skip
    runner = CampaignRunner(dialer, config, make_pacer("progressive"))
    dialer.runners[campaign_id] = runner
    runner.time.sample(clock.monotonic(), logged_in=2, busy=1)
    clock.advance(4.0)
    runner.time.sample(clock.monotonic(), logged_in=2, busy=2)
    await dialer.write_times(force=True)
    await dialer.write_times(force=True)  # nothing new: nothing added
    clock.advance(3.0)
    runner.time.sample(clock.monotonic(), logged_in=0, busy=0)
    await dialer.write_times()  # 3 s after the last write: not yet
    stats = await _stats(db, clock)
    assert stats["occupancy_pct"] == 50.0  # 8 agent-seconds in, 4 busy
    clock.advance(30.0)
    await dialer.write_times()
    assert (await _stats(db, clock))["occupancy_pct"] == round(100 * 10 / 14, 2)
