"""CDR writing with crash recovery, and router snapshots from the database (both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from centrex.calls.cdr import CdrWriter, billable_seconds
from centrex.calls.limits import CallLimits
from centrex.calls.plans import load_routing, load_tenant_plan, tenant_of_number
from centrex.calls.router import CallRequest, ToExtension, ToTrunks, route
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Cdr, CdrLeg, Direction, Disposition, HangupSide
from centrex.data.secrets_box import SecretBox
from centrex.provisioning import cdrs, extensions, numbers, tenants, trunks


async def _tenant(db: Database, clock: ManualClock) -> int:
    async with db.transaction() as session:
        tenant = await tenants.create_tenant(
            session,
            now=clock.utcnow(),
            name="A",
            domain="a.example.com",
            extension_digits=3,
            max_calls=2,
        )
        return tenant.id


def test_billable_seconds_rounds_up_started_seconds(clock: ManualClock) -> None:
    start = clock.utcnow()
    assert billable_seconds(None, start + timedelta(seconds=30)) == 0
    assert billable_seconds(start, start) == 0
    assert billable_seconds(start, start + timedelta(seconds=61)) == 61
    assert billable_seconds(start, start + timedelta(seconds=61, milliseconds=200)) == 62


async def test_cdr_lifecycle(db: Database, clock: ManualClock) -> None:
    tenant_id = await _tenant(db, clock)
    writer = CdrWriter(db)
    cdr_id = await writer.start(
        tenant_id=tenant_id,
        call_id="c1",
        caller="101",
        callee="102",
        direction=Direction.INTERNAL,
        started_at=clock.utcnow(),
        extension="101",
    )
    leg_id = await writer.add_leg(
        cdr_id, tenant_id=tenant_id, leg_index=1, peer="102", started_at=clock.utcnow()
    )
    clock.advance(4)
    await writer.answered(cdr_id, clock.utcnow(), None)
    answered = clock.utcnow()
    clock.advance(65.5)
    await writer.end_leg(
        leg_id,
        ended_at=clock.utcnow(),
        disposition=Disposition.ANSWERED,
        cause="bye",
        answered_at=answered,
    )
    await writer.end(
        cdr_id,
        ended_at=clock.utcnow(),
        disposition=Disposition.ANSWERED,
        cause="bye",
        side=HangupSide.CALLEE,
    )
    async with db.session() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        total, rows = await cdrs.list_cdrs(scope)
        assert total == 1
        row = cdrs.cdr_row(rows[0])
        assert (row["caller"], row["callee"], row["direction"], row["disposition"]) == (
            "101",
            "102",
            "internal",
            "answered",
        )
        assert row["billsec"] == 66
        assert row["hangup_side"] == "callee"
        leg = (await session.scalars(select(CdrLeg))).one()
        assert leg.disposition is Disposition.ANSWERED
        assert "101,102,internal" in cdrs.cdrs_to_csv(rows)


async def test_open_cdrs_are_recovered_after_a_crash(db: Database, clock: ManualClock) -> None:
    tenant_id = await _tenant(db, clock)
    writer = CdrWriter(db)
    answered_id = await writer.start(
        tenant_id=tenant_id,
        call_id="live",
        caller="101",
        callee="+41446681800",
        direction=Direction.OUTBOUND,
        started_at=clock.utcnow(),
    )
    await writer.answered(answered_id, clock.utcnow(), None)
    ringing_id = await writer.start(
        tenant_id=tenant_id,
        call_id="ringing",
        caller="101",
        callee="102",
        direction=Direction.INTERNAL,
        started_at=clock.utcnow(),
    )
    clock.advance(30)
    # the process "dies" here; a new writer on the same database recovers
    assert await CdrWriter(db).recover_open_cdrs(clock.utcnow()) == 2
    async with db.session() as session:
        answered = await session.get(Cdr, answered_id)
        ringing = await session.get(Cdr, ringing_id)
        assert answered is not None
        assert ringing is not None
        assert (answered.disposition, answered.billsec, answered.hangup_cause) == (
            Disposition.ANSWERED,
            30,
            "process-restart",
        )
        assert (ringing.disposition, ringing.billsec) == (Disposition.FAILED, 0)
    assert await CdrWriter(db).recover_open_cdrs(clock.utcnow()) == 0


async def test_plan_snapshot_routes_like_the_database(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock)
    box = SecretBox("k")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        await extensions.create_extension(scope, number="101")
        await numbers.assign_number(
            scope, "+41215550100", now=clock.utcnow(), extension_number="101"
        )
        await trunks.create_trunk(session, box, name="p", host="127.0.0.1", priority=1)
        await trunks.create_trunk(session, box, name="b", host="127.0.0.2", priority=2)
    async with db.session() as session:
        tenant = await tenant_of_number(session, "+41215550100")
        assert tenant is not None
        assert tenant.domain == "a.example.com"
        assert await tenant_of_number(session, "+41215550199") is None
        plan = await load_tenant_plan(session, tenant)
        routes, trunk_refs = await load_routing(session)
    assert plan.extensions == frozenset({"101"})
    assert plan.main_number == "+41215550100"
    req = CallRequest("101", "101", clock.utcnow())
    assert route(plan, req, routes, trunk_refs) == ToExtension("101")
    outbound = route(plan, CallRequest("044 668 18 00", "101", clock.utcnow()), routes, trunk_refs)
    assert isinstance(outbound, ToTrunks)
    assert [t.name for t in outbound.trunks] == ["p", "b"]
    assert outbound.caller_id == "+41215550100"


def test_licence_limit_counts_and_releases() -> None:
    limits = CallLimits()
    assert limits.acquire_tenant(1, 2) is None
    assert limits.acquire_tenant(1, 2) is None
    refusal = limits.acquire_tenant(1, 2)
    assert refusal is not None
    assert "2 simultaneous calls" in refusal.reason
    assert limits.refused[1] == 1
    assert limits.acquire_tenant(2, 2) is None  # another tenant is not affected
    limits.release_tenant(1)
    assert limits.acquire_tenant(1, 2) is None
    assert limits.acquire_trunk(7, 1) is None
    assert limits.acquire_trunk(7, 1) is not None
    assert limits.acquire_trunk(8, None) is None
    limits.release_trunk(7)
    assert limits.trunk_calls(7) == 0
