"""The agent desktop's session (SQLite and PostgreSQL): its state machine — log in to a campaign
(of the tenant, as one of its agents), ready, pause with one of the tenant's reasons, a dialer
call connected (in-call) and ended (wrap-up, a disposition owed), ready refused until the
disposition, logged out; the queue agent state kept in step; every change in the state log;
what the dialer may offer (`unavailable_for`); the bus follower; and tenant B's events or
extensions never touching A's sessions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from centrex.calls.features import agent_state
from centrex.clock import ManualClock
from centrex.contact_center import agent_sessions as service
from centrex.data.db import Database
from centrex.data.models import AgentMode, AgentStateLog, Extension
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.events import CallEvent, EventBus, LeadOffered, QueueChanged
from tests.contact_center.test_hopper import add_leads
from tests.contact_center.world import A, B, in_tenant, make_world, new_campaign


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    return db


async def _ext(scope: TenantScope, number: str) -> int:
    found = await scope.first(Extension, Extension.number == number)
    assert found is not None
    return found.id


async def _log(db: Database, number: str) -> list[tuple[str, str, bool]]:
    async def work(scope: TenantScope) -> list[tuple[str, str, bool]]:
        ext = await _ext(scope, number)
        rows = await scope.list(AgentStateLog, AgentStateLog.extension_id == ext,
                                order_by=AgentStateLog.id)  # fmt: skip
        return [(r.state, r.reason, r.ended_at is None) for r in rows]

    return await in_tenant(db, A, work)


async def test_the_state_machine(world: Database, clock: ManualClock) -> None:
    db = world
    cid = await new_campaign(db)  # agent 101
    other = await new_campaign(db, "Autumn", agents=["102"])
    (lead,) = await add_leads(db, cid, A, [{"number": "+33612345678", "name": "Zoé"}])

    async def put(number: str = "101", **kw: object) -> dict[str, object]:
        now = clock.utcnow()
        return await in_tenant(db, A, lambda s: service.set_session(s, number, now=now, **kw))  # type: ignore[arg-type]

    async def get(number: str = "101") -> dict[str, object]:
        return await in_tenant(db, A, lambda s: service.get_session(s, number, clock.utcnow()))

    assert (await get())["state"] == "logged-out"
    with pytest.raises(ValidationFailed) as refused:
        await put(state="ready")
    assert refused.value.error_id == "agent-no-campaign"
    with pytest.raises(ValidationFailed) as refused:
        await put(state="ready", campaigns=[other])  # 101 is no agent of Autumn
    assert refused.value.error_id == "agent-not-in-campaign"
    with pytest.raises(NotFound):
        await put("999", state="ready", campaigns=[cid])
    made = await put(state="ready", campaigns=[cid, cid], phone="browser")
    assert (made["state"], made["phone"], made["campaigns"]) == (
        "ready", "browser", [{"id": cid, "name": "Spring"}])  # fmt: skip
    clock.advance(30)
    assert (await get())["seconds_in_state"] == 30
    for bad in ("", "sleep"):
        with pytest.raises(ValidationFailed) as refused:
            await put(state="paused", reason=bad)
        assert refused.value.error_id == "agent-bad-pause-reason"
    paused = await put(state="paused", reason="lunch")
    assert (paused["state"], paused["reason"], paused["seconds_in_state"]) == ("paused", "lunch", 0)
    modes = await in_tenant(db, A, lambda s: agent_state.modes(s, ["101"]))
    assert modes == {"101": AgentMode.PAUSED}  # the phone's codes and the ACD agree
    ext_ids = await in_tenant(db, A, lambda s: _ext(s, "101"))
    held = await in_tenant(db, A, lambda s: service.unavailable_for(s, cid, [ext_ids]))
    assert held == {ext_ids}
    await put(state="ready")
    assert await in_tenant(db, A, lambda s: service.unavailable_for(s, cid, [ext_ids])) == set()
    # logged in to Spring only: Autumn's calls are not for it
    assert await in_tenant(db, A, lambda s: service.unavailable_for(s, other, [ext_ids])) == {
        ext_ids}  # fmt: skip

    # the dialer connects a lead, the call ends: wrap-up, a disposition owed
    clock.advance(5)
    now = clock.utcnow()
    moved = await in_tenant(db, A, lambda s: service.connected(s, "101", lead, "call-1",
                                                              "Spring", now))  # fmt: skip
    assert moved is True
    busy = await get()
    assert {k: busy[k] for k in ("state", "lead_id", "campaign_id", "call_id")} == {
        "state": "in-call", "lead_id": lead, "campaign_id": cid, "call_id": "call-1"}  # fmt: skip
    assert await in_tenant(db, A, lambda s: service.call_ended(s, "call-other", now)) == []
    assert await in_tenant(db, A, lambda s: service.call_ended(s, "call-1", now)) == ["101"]
    wrap = await get()
    assert (wrap["state"], wrap["wrap_required"]) == ("wrap-up", True)
    assert await in_tenant(db, A, lambda s: service.unavailable_for(s, cid, [ext_ids])) == {
        ext_ids}  # fmt: skip
    with pytest.raises(Conflict) as conflict:
        await put(state="ready")
    assert conflict.value.error_id == "disposition-required"
    # another agent's disposition does not clear it; the agent's own does
    other_ext = await in_tenant(db, A, lambda s: _ext(s, "102"))
    await in_tenant(db, A, lambda s: service.disposed(s, lead, {other_ext}))
    with pytest.raises(Conflict):
        await put(state="ready")
    await in_tenant(db, A, lambda s: service.disposed(s, lead, {ext_ids}))
    assert (await put(state="ready"))["wrap_required"] is False
    gone = await put(state="logged-out")
    assert gone["state"] == "logged-out"
    assert await in_tenant(db, A, lambda s: service.unavailable_for(s, cid, [ext_ids])) == set()
    with pytest.raises(ValidationFailed):
        await put(state="wrap-up")  # the server's state, never an agent's choice
    with pytest.raises(ValidationFailed):
        await put(state="ready", phone="fax")
    log = await _log(db, "101")
    assert [(state, reason) for state, reason, _ in log] == [
        ("ready", ""), ("paused", "lunch"), ("ready", ""), ("in-call", ""), ("wrap-up", ""),
        ("ready", "")]  # fmt: skip
    assert not any(open_ for _, _, open_ in log)  # logged out: every interval closed


async def test_tenant_b_never_touches_a(world: Database, clock: ManualClock) -> None:
    db = world
    cid = await new_campaign(db)
    b_cid = await new_campaign(db, "Spring", domain=B)
    now = clock.utcnow()
    await in_tenant(db, A, lambda s: service.set_session(s, "101", state="ready", now=now,
                                                        campaigns=[cid]))  # fmt: skip
    with pytest.raises(NotFound):  # A's extension is unknown in B
        await in_tenant(db, B, lambda s: service.get_session(s, "101", now))
    with pytest.raises(NotFound):  # B's agent cannot log in to A's campaign
        await in_tenant(db, B, lambda s: service.set_session(s, "201", state="ready", now=now,
                                                            campaigns=[cid]))  # fmt: skip
    assert await in_tenant(db, B, lambda s: service.list_sessions(s, now)) == []
    # an event of B naming A's extension number and a campaign name both have changes nothing
    moved = await in_tenant(db, B, lambda s: service.connected(s, "101", 1, "c", "Spring", now))
    assert moved is False
    assert [s["state"] for s in await in_tenant(db, A, lambda s: service.list_sessions(s, now))] == [
        "ready"]  # fmt: skip
    ext = await in_tenant(db, A, lambda s: _ext(s, "101"))
    assert await in_tenant(db, B, lambda s: service.unavailable_for(s, b_cid, [ext])) == set()


async def test_the_follower_moves_sessions_on_the_bus(world: Database, clock: ManualClock) -> None:
    db = world
    cid = await new_campaign(db)
    (lead,) = await add_leads(db, cid, A, [{"number": "+33612345678"}])
    now = clock.utcnow()
    await in_tenant(db, A, lambda s: service.set_session(s, "101", state="ready", now=now,
                                                        campaigns=[cid]))  # fmt: skip
    bus = EventBus()
    follower = service.SessionFollower(db, bus, clock)
    follower.start()
    heard = bus.subscribe()  # what the floor and the wallboards hear
    try:
        tenant_a = await in_tenant(db, A, lambda s: asyncio.sleep(0, s.tenant_id))
        clock.advance(3)
        bus.publish(LeadOffered(tenant_id=tenant_a, campaign="Spring", lead_id=lead,
                                extension="101", call_id="call-9", state="connected"))  # fmt: skip
        bus.publish(CallEvent(tenant_id=tenant_a, call_id="call-9", state="ended"))

        told: list[tuple[str, str]] = []
        while len(told) < 2:  # told once committed: in-call, then wrap-up (bounded wait)
            event = await asyncio.wait_for(heard.get(), timeout=30)
            if isinstance(event, QueueChanged):
                told.append((event.state, event.extension))
        assert told == [("agent", "101"), ("agent", "101")]
        view = await in_tenant(db, A, lambda s: service.get_session(s, "101", clock.utcnow()))
        assert (view["state"], view["lead_id"], view["wrap_required"]) == ("wrap-up", lead, True)
        assert view["since"] == (now + timedelta(seconds=3)).isoformat()
    finally:
        await follower.stop()
