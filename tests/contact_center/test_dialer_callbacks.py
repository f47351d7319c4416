"""Which due callbacks a runner places (SQLite and PostgreSQL): a personal callback only to
its agent — taken by the campaign the agent now works in — a campaign-wide one to any ready
agent of its own campaign only, one per agent, no more than the pacer wants; a number put on
DNC since is cancelled, never placed; a placed one left by a stopped process is due again;
an unanswered one is retried after the given delay, then missed and counted in the stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import callbacks, dnc, stats
from centrex.contact_center.callbacks import DueCallback
from centrex.contact_center.dialer_callbacks import (
    assign,
    finish_pick,
    pick_callbacks,
    release_placed,
)
from centrex.data.db import Database
from centrex.data.models import CallbackStatus, Extension, ScheduledCallback
from centrex.data.tenancy import TenantScope
from tests.contact_center.test_hopper import add_leads, start
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=2)
NY, PARIS, LYON = "+12125550123", "+33142685301", "+33478000001"


def _due(id_: int, campaign: int, ext: int | None) -> DueCallback:
    return DueCallback(id_, 1, campaign, id_, f"+3314268530{id_}", ext, 0)


def test_assign_personal_campaign_wide_and_limits() -> None:
    ready = {11: "101", 12: "102"}
    due = [_due(1, 7, 11), _due(2, 7, 11), _due(3, 8, None), _due(4, 7, None), _due(5, 9, 12)]
    # 1 → 101; 2 waits (101 taken); 3 is another campaign's campaign-wide one: not ours;
    # 4 → the next ready agent, 102; 5 (102's, of campaign 9) finds 102 taken
    assert [(c.id, a) for c, a in assign(due, 7, ready, 5)] == [(1, "101"), (4, "102")]
    assert [(c.id, a) for c, a in assign(due, 7, ready, 1)] == [(1, "101")]  # pacer's limit
    # campaign 9's runner with 102 ready: its personal one; 101's are not its to take
    assert [(c.id, a) for c, a in assign(due, 9, {12: "102"}, 5)] == [(5, "102")]
    assert assign(due, 7, {}, 5) == []


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> tuple[Database, int, int]:
    await make_world(db, clock)
    spring = await start(db)  # agent 101
    summer = await start(db, "Summer", agents=["101", "102"])
    await add_leads(db, spring, A, [{"number": NY}, {"number": PARIS}, {"number": LYON}])
    return db, spring, summer


async def _promise(scope: TenantScope, number: str, ext: str | None) -> int:
    made = await callbacks.schedule_callback(scope, await campaign_of(scope), lead=number,
                                             at="2026-12-03 15:30" if number != NY else
                                             "2026-12-03 10:00", now=NOW,
                                             extension=ext)  # fmt: skip
    return int(made["id"])


async def _ext(db: Database, number: str) -> int:
    async def work(scope: TenantScope) -> int:
        found = await scope.first(Extension, Extension.number == number)
        assert found is not None
        return int(found.id)

    return await in_tenant(db, A, work)


async def _status(db: Database, cb: int) -> tuple[CallbackStatus, int]:
    async def work(scope: TenantScope) -> tuple[CallbackStatus, int]:
        found = await scope.first(ScheduledCallback, ScheduledCallback.id == cb)
        assert found is not None
        return found.status, found.attempts

    return await in_tenant(db, A, work)


async def test_pick_for_the_agent_in_another_campaign(world: tuple[Database, int, int]) -> None:
    db, spring, summer = world
    tenant = await in_tenant(db, A, _tenant_id)
    e101, e102 = await _ext(db, "101"), await _ext(db, "102")
    personal = await in_tenant(db, A, lambda s: _promise(s, PARIS, "101"))  # 14:30 UTC
    wide = await in_tenant(db, A, lambda s: _promise(s, LYON, None))  # 14:30 UTC
    ready = {e101: "101", e102: "102"}
    assert await pick_callbacks(db, tenant, summer, ready, 5, NOW) == []  # none due yet
    assert await pick_callbacks(db, tenant, summer, ready, 0, LATER) == []  # pacer wants none
    # Summer's runner: 101 works there now, so it takes 101's Spring callback, with the
    # notice's campaign; Spring's campaign-wide one is not Summer's to place
    picks = await pick_callbacks(db, tenant, summer, ready, 5, LATER)
    assert [(p.callback.id, p.extension, p.campaign) for p in picks] == [
        (personal, "101", "Spring")
    ]
    assert picks[0].callback.number == PARIS
    assert await _status(db, personal) == (CallbackStatus.PLACED, 1)
    assert await _status(db, wide) == (CallbackStatus.SCHEDULED, 0)
    # Spring's runner with 101 busy (not ready): the campaign-wide one needs any agent
    assert await pick_callbacks(db, tenant, spring, {}, 5, LATER) == []
    wide_picks = await pick_callbacks(db, tenant, spring, {e101: "101"}, 5, LATER)
    assert [(p.callback.id, p.extension) for p in wide_picks] == [(wide, "101")]
    # tenant B's runner never sees A's callbacks
    tenant_b = await in_tenant(db, B, _tenant_id)
    assert await pick_callbacks(db, tenant_b, summer, ready, 5, LATER) == []

    # not answered: retried after the given delay, missed after MAX_TRIES; stats count it
    retry = await finish_pick(db, picks[0], answered=False, now=LATER, retry_seconds=30)
    assert retry is CallbackStatus.SCHEDULED
    assert await pick_callbacks(db, tenant, summer, ready, 5, LATER) == []  # in 30 s
    for _ in range(callbacks.MAX_TRIES - 1):
        again = await pick_callbacks(db, tenant, summer, ready, 5, LATER + timedelta(minutes=1))
        assert [p.callback.id for p in again] == [personal]
        last = await finish_pick(db, again[0], answered=False, now=LATER, retry_seconds=30)
    assert last is CallbackStatus.MISSED
    assert await finish_pick(db, wide_picks[0], answered=True, now=LATER,
                             retry_seconds=30) is CallbackStatus.DONE  # fmt: skip

    async def counts(scope: TenantScope) -> tuple[int, int]:
        found = await stats.campaign_stats(scope, await campaign_of(scope), LATER)
        return found["callbacks_done"], found["callbacks_missed"]

    assert await in_tenant(db, A, counts) == (1, 1)


async def test_dnc_recheck_and_recovery(world: tuple[Database, int, int]) -> None:
    db, spring, _summer = world
    tenant = await in_tenant(db, A, _tenant_id)
    e101 = await _ext(db, "101")
    blocked = await in_tenant(db, A, lambda s: _promise(s, PARIS, None))
    kept = await in_tenant(db, A, lambda s: _promise(s, NY, "101"))  # 15:00 UTC, later

    async def block(scope: TenantScope) -> None:
        await dnc.add_number(scope, PARIS)

    await in_tenant(db, A, block)  # put on the DNC list after the promise
    picks = await pick_callbacks(db, tenant, spring, {e101: "101"}, 5, LATER)
    assert [p.callback.id for p in picks] == [kept]  # Paris was older, but on DNC
    assert await _status(db, blocked) == (CallbackStatus.CANCELLED, 0)
    # the process stops with the callback placed: due again at start, the try not counted
    assert await _status(db, kept) == (CallbackStatus.PLACED, 1)
    assert await release_placed(db) == 1
    assert await _status(db, kept) == (CallbackStatus.SCHEDULED, 0)
    again = await pick_callbacks(db, tenant, spring, {e101: "101"}, 5, LATER)
    assert [p.callback.id for p in again] == [kept]


async def _tenant_id(scope: TenantScope) -> int:
    return scope.tenant_id
