"""The dialer's hopper on SQLite and PostgreSQL: which leads are due (window in the callee's
time, DNC added after import, postal focus, attempts, retry time), the exclusive claim (two
claimers never get one lead), attempts written with ring/talk/wrap seconds and counted by
`campaign stats`, and tenant isolation (tenant B's id never claims A's leads)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from centrex.clock import ManualClock
from centrex.contact_center import campaigns, dnc, stats
from centrex.contact_center.hopper import (
    Attempt,
    ClaimedLead,
    claim_leads,
    record_attempt,
    release_unfinished,
)
from centrex.contact_center.lead_outcomes import AttemptOutcome
from centrex.data.db import Database
from centrex.data.models import Lead, LeadAttempt, LeadBatch, LeadStatus, Tenant
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign

# 14:00 UTC: 15:00 in Paris, 09:00 in New York, 06:00 in Los Angeles
AFTERNOON = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
PARIS, NEW_YORK, LOS_ANGELES = "+33142685301", "+12125550123", "+13105550123"


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def start(db: Database, name: str = "Spring", domain: str = A, **kw: Any) -> int:
    campaign_id = await new_campaign(db, name, domain, **kw)

    async def run(scope: TenantScope) -> None:
        await campaigns.change_status(scope, await campaign_of(scope, name), "start")

    await in_tenant(db, domain, run)
    return campaign_id


async def add_leads(
    db: Database, campaign_id: int, domain: str, leads: list[dict[str, Any]]
) -> list[int]:
    async def work(scope: TenantScope) -> list[int]:
        batch = LeadBatch(campaign_id=campaign_id, filename="t.csv")
        scope.add(batch)
        await scope.session.flush()
        rows = [Lead(campaign_id=campaign_id, batch_id=batch.id, **lead) for lead in leads]
        for row in rows:
            scope.add(row)
        await scope.session.flush()
        return [r.id for r in rows]

    return await in_tenant(db, domain, work)


async def tenant_id(db: Database, domain: str) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(Tenant.id).where(Tenant.domain == domain)) or 0)


async def lead_rows(db: Database, ids: list[int]) -> dict[int, Lead]:
    async with db.session() as session:
        rows = (await session.scalars(select(Lead).where(Lead.id.in_(ids)))).all()
        return {r.id: r for r in rows}


def numbers(claimed: list[ClaimedLead]) -> list[str]:
    return sorted(c.number for c in claimed)


async def test_window_in_the_callees_time(world: Database) -> None:
    cid = await start(world)
    ids = await add_leads(world, cid, A, [{"number": PARIS}, {"number": NEW_YORK},
                                          {"number": LOS_ANGELES}])  # fmt: skip
    a = await tenant_id(world, A)
    claimed = await claim_leads(world, a, cid, 10, AFTERNOON)
    assert numbers(claimed) == sorted([PARIS, NEW_YORK])  # 06:00 in LA is outside 09:00-20:00
    rows = await lead_rows(world, ids)
    assert rows[ids[2]].status is LeadStatus.NEW
    # pushed to its next opening: 09:00 in Los Angeles is 17:00 UTC
    assert rows[ids[2]].next_attempt_at == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert await claim_leads(world, a, cid, 10, AFTERNOON + timedelta(hours=1)) == []
    later = await claim_leads(world, a, cid, 10, datetime(2026, 12, 3, 17, 0, tzinfo=UTC))
    assert numbers(later) == [LOS_ANGELES]


async def test_a_window_closed_for_everyone_claims_nothing(world: Database) -> None:
    # legal rules off: with them, a FR tenant's 22:00-23:00 campaign is refused at creation
    cid = await start(world, window="22:00-23:00", legal_rules=False)
    await add_leads(world, cid, A, [{"number": PARIS}, {"number": NEW_YORK}])
    assert await claim_leads(world, await tenant_id(world, A), cid, 10, AFTERNOON) == []


async def test_dnc_added_after_import_is_never_claimed(world: Database) -> None:
    cid = await start(world)
    other = await start(world, "Autumn")
    ids = await add_leads(world, cid, A, [{"number": PARIS}, {"number": "+33142685302"},
                                          {"number": "+33142685303"}])  # fmt: skip

    async def block(scope: TenantScope) -> None:
        await dnc.add_number(scope, PARIS)  # tenant-wide
        await dnc.add_number(scope, "+33142685302", await campaign_of(scope))  # this campaign
        await dnc.add_number(scope, "+33142685303", await campaign_of(scope, "Autumn"))

    await in_tenant(world, A, block)

    async def block_in_b(scope: TenantScope) -> None:  # B's list is not A's
        await dnc.add_number(scope, "+33142685303")

    await in_tenant(world, B, block_in_b)
    claimed = await claim_leads(world, await tenant_id(world, A), cid, 10, AFTERNOON)
    assert numbers(claimed) == ["+33142685303"]  # only on another campaign's list
    rows = await lead_rows(world, ids)
    assert [rows[i].status for i in ids] == [LeadStatus.DNC, LeadStatus.DNC, LeadStatus.IN_CALL]
    assert other != cid


async def test_postal_focus_attempts_and_retry_time(world: Database) -> None:
    cid = await start(world, max_attempts=2)
    ids = await add_leads(world, cid, A, [
        {"number": "+33142685311", "postal_code": "75001"},
        {"number": "+33142685312", "postal_code": "13001"},
        {"number": "+33142685313", "postal_code": "75001", "attempts": 2,
         "status": LeadStatus.RETRY},
        {"number": "+33142685314", "postal_code": "75001", "status": LeadStatus.RETRY,
         "attempts": 1, "next_attempt_at": AFTERNOON + timedelta(minutes=5)},
        {"number": "+33142685315", "postal_code": "75001", "status": LeadStatus.DONE},
    ])  # fmt: skip

    async def focus(scope: TenantScope) -> None:  # a prefix: Paris 1er to 9e
        await campaigns.set_focus(scope, await campaign_of(scope), ["7500"])

    await in_tenant(world, A, focus)
    a = await tenant_id(world, A)
    assert numbers(await claim_leads(world, a, cid, 10, AFTERNOON)) == ["+33142685311"]
    assert numbers(await claim_leads(world, a, cid, 10, AFTERNOON + timedelta(minutes=5))) == [
        "+33142685314"
    ]

    async def clear(scope: TenantScope) -> None:
        await campaigns.set_focus(scope, await campaign_of(scope), [])

    await in_tenant(world, A, clear)  # refocus on the fly: the other code is due again
    assert numbers(await claim_leads(world, a, cid, 10, AFTERNOON)) == ["+33142685312"]
    rows = await lead_rows(world, ids)
    assert rows[ids[2]].status is LeadStatus.RETRY  # attempts exhausted: never claimed
    assert rows[ids[4]].status is LeadStatus.DONE


async def test_not_running_or_another_tenant_claims_nothing(world: Database) -> None:
    cid = await new_campaign(world)  # a draft
    await add_leads(world, cid, A, [{"number": PARIS}])
    a, b = await tenant_id(world, A), await tenant_id(world, B)
    assert await claim_leads(world, a, cid, 5, AFTERNOON) == []

    async def run(scope: TenantScope) -> None:
        await campaigns.change_status(scope, await campaign_of(scope), "start")

    await in_tenant(world, A, run)
    assert await claim_leads(world, b, cid, 5, AFTERNOON) == []  # B names A's campaign
    assert numbers(await claim_leads(world, a, cid, 5, AFTERNOON)) == [PARIS]


async def test_two_claimers_never_get_one_lead(world: Database) -> None:
    cid = await start(world)
    count = 12
    await add_leads(world, cid, A, [{"number": f"+331426853{i:02d}"} for i in range(count)])
    a = await tenant_id(world, A)
    rounds = await asyncio.gather(*(claim_leads(world, a, cid, 5, AFTERNOON) for _ in range(4)))
    claimed = [c.id for r in rounds for c in r]
    assert len(claimed) == len(set(claimed)) == count  # 4 x 5 wanted, 12 exist, none twice
    async with world.session() as session:
        in_call = await session.scalars(select(Lead.id).where(Lead.status == LeadStatus.IN_CALL))
        assert sorted(in_call.all()) == sorted(claimed)


async def test_attempts_are_written_and_counted(world: Database) -> None:
    cid = await start(world, max_attempts=2, retry_delays={"busy": 60})
    ids = await add_leads(world, cid, A, [{"number": PARIS}, {"number": "+33142685302"},
                                          {"number": "+33142685303"}])  # fmt: skip
    a = await tenant_id(world, A)
    claimed = {c.number: c for c in await claim_leads(world, a, cid, 3, AFTERNOON)}
    end = AFTERNOON + timedelta(seconds=90)
    results = [
        await record_attempt(world, claimed[PARIS], Attempt(
            AttemptOutcome.ANSWERED, AFTERNOON, end, caller_id="+33142685300", call_id="c1",
            ring_seconds=7.4, talk_seconds=61.2, wrap_seconds=5.0), max_attempts=2,
            retry_delays={"busy": 60}),
        await record_attempt(world, claimed["+33142685302"], Attempt(
            AttemptOutcome.DROPPED, AFTERNOON, end, ring_seconds=4.0), max_attempts=2,
            retry_delays={"busy": 60}),
        await record_attempt(world, claimed["+33142685303"], Attempt(
            AttemptOutcome.BUSY, AFTERNOON, end, ring_seconds=1.0), max_attempts=2,
            retry_delays={"busy": 60}),
    ]  # fmt: skip
    assert results == [LeadStatus.DONE, LeadStatus.RETRY, LeadStatus.RETRY]
    rows = await lead_rows(world, ids)
    assert rows[ids[2]].next_attempt_at == end + timedelta(seconds=60)
    assert (rows[ids[1]].attempts, rows[ids[1]].last_outcome) == (1, "dropped")
    async with world.session() as session:
        attempt = (await session.scalars(
            select(LeadAttempt).where(LeadAttempt.lead_id == ids[0]))).one()  # fmt: skip
    assert (attempt.outcome, attempt.caller_id, attempt.call_id, attempt.ring_seconds,
            attempt.talk_seconds, attempt.wrap_seconds) == (
        "answered", "+33142685300", "c1", 7, 61, 5)  # fmt: skip
    # a second record of the same claim is refused: the lead is no longer in a call
    again = Attempt(AttemptOutcome.BUSY, AFTERNOON, end)
    assert await record_attempt(world, claimed[PARIS], again, max_attempts=2,
                                retry_delays={}) is None  # fmt: skip

    async def counted(scope: TenantScope) -> dict[str, Any]:
        return await stats.campaign_stats(scope, await campaign_of(scope), end)

    body = await in_tenant(world, A, counted)
    assert (body["placed"], body["answered"], body["dropped"], body["drop_pct"]) == (
        3, 2, 1, 50.0)  # fmt: skip

    async def counted_b(scope: TenantScope) -> list[Any]:
        return list((await scope.session.scalars(scope.select(LeadAttempt))).all())

    assert await in_tenant(world, B, counted_b) == []


async def test_leads_left_in_a_call_are_due_again(world: Database) -> None:
    cid = await start(world)
    ids = await add_leads(world, cid, A, [{"number": PARIS}])
    a = await tenant_id(world, A)
    assert len(await claim_leads(world, a, cid, 1, AFTERNOON)) == 1
    assert await claim_leads(world, a, cid, 1, AFTERNOON) == []
    assert await release_unfinished(world, AFTERNOON) == 1
    rows = await lead_rows(world, ids)
    assert (rows[ids[0]].status, rows[ids[0]].attempts) == (LeadStatus.RETRY, 0)
    assert len(await claim_leads(world, a, cid, 1, AFTERNOON)) == 1
