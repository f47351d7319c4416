"""Supervisor monitoring through the B2BUA (calls/features/monitor.py) on the in-memory network
and the ManualClock: `*90N`/`*91N`/`*92N` from a supervisor's phone answer it and move N's call
into a room where the supervisor is heard by nobody / the agent / both; the supervisor's BYE
puts the parties back into their bridge, the watched call's end hangs the supervisor up; a
phone that is not a supervisor's is 403, a supervisor of another tenant reaches only its own
tenant (its 102 is idle: busy tone, then Centrex hangs up at the deadline); the API's monitor
rings the supervisor with auto-answer, and answers 404/403/409/422 for another tenant's call,
a phone that may not monitor, a ringing call, a bad mode."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from centrex.calls.call import Call
from centrex.calls.features.intercom import auto_answer_headers
from centrex.calls.features.monitor import IDLE_TONE_SECONDS, Monitoring
from centrex.data.models import Extension
from centrex.errors import Conflict, Forbidden, NotFound, ValidationFailed
from centrex.media.room import MixingRoom
from tests.calls.harness import TENANT, Harness, make_harness
from tests.calls.uas import IncomingCall, OutgoingCall


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[tuple[Harness, Monitoring]]:
    feature = Monitoring()
    async with make_harness(url, features=(feature,)) as h:
        async with h.database.transaction() as session:
            await session.execute(
                update(Extension)
                .where(Extension.number.in_(("103", "201")))
                .values(supervisor=True)  # 103 of ACME, 201 of the other tenant
            )
        yield h, feature


@pytest.fixture
async def mon(sqlite_url: str) -> AsyncIterator[tuple[Harness, Monitoring]]:
    async with world(sqlite_url) as pair:
        yield pair


async def agent_call(h: Harness) -> tuple[OutgoingCall, IncomingCall, Call]:
    call = h["101"].invite("102")
    await h.settle()
    answered = h["102"].incoming[-1]
    answered.answer()
    await h.settle()
    assert call.status == 200
    return call, answered, h.b2bua.calls[call.call_id]


def only_room(h: Harness) -> MixingRoom:
    rooms = list(h.engine.rooms.values())
    assert len(rooms) == 1, rooms
    return rooms[0]


@pytest.mark.parametrize(("code", "heard_by_agent", "heard_by_caller"),
                         [("*90", False, False), ("*91", True, False), ("*92", True, True)])  # fmt: skip
async def test_the_modes(
    mon: tuple[Harness, Monitoring], code: str, heard_by_agent: bool, heard_by_caller: bool
) -> None:
    h, _feature = mon
    await h.register("101", "102", "103")
    caller, agent, watched = await agent_call(h)
    boss = h["103"].invite(f"{code}102")
    await h.settle()
    assert boss.status == 200
    room = only_room(h)
    assert watched.a.media is not None
    assert watched.b is not None
    assert watched.b.media is not None
    supervisor_call = h.b2bua.calls[boss.call_id]
    assert supervisor_call.a.media is not None
    members = {m.leg.leg_id: m for m in room.members}
    assert set(members) == {watched.a.media.leg_id, watched.b.media.leg_id,
                            supervisor_call.a.media.leg_id}  # fmt: skip
    heard_by = members[supervisor_call.a.media.leg_id].voice.heard_by
    agent_key, caller_key = watched.b.media.leg_id, watched.a.media.leg_id
    if heard_by_agent and heard_by_caller:
        assert heard_by is None  # barge: everybody
    else:
        assert heard_by is not None
        assert (agent_key in heard_by) is heard_by_agent
        assert (caller_key in heard_by) is heard_by_caller
    for key in (agent_key, caller_key):  # the parties hear each other and are heard by all
        assert members[key].voice.heard_by is None
        assert not members[key].voice.deaf
    boss.bye()
    await h.settle()
    assert h.engine.rooms == {}
    assert h.engine.bridges[watched.a.media.leg_id].other(watched.a.media) is watched.b.media
    assert "BYE" not in agent.methods()
    caller.bye()
    await h.settle()
    assert h.live_calls() == 0


async def test_the_watched_call_ending_hangs_the_supervisor_up(
    mon: tuple[Harness, Monitoring],
) -> None:
    h, feature = mon
    await h.register("101", "102", "103")
    caller, _agent, watched = await agent_call(h)
    boss = h["103"].invite("*92102")
    await h.settle()
    assert feature.session_of(watched.call_id) is not None
    h["102"].incoming[-1].bye()
    await h.settle()
    assert "BYE" in boss.methods()  # Centrex hung the supervisor up
    assert "BYE" in caller.methods()
    assert h.live_calls() == 0
    assert h.engine.rooms == {}


async def test_refusals_and_tenant_isolation(mon: tuple[Harness, Monitoring]) -> None:
    h, _feature = mon
    await h.register("101", "102", "103", "beta-201")
    _caller, _agent, watched = await agent_call(h)
    not_boss = h["101"].invite("*90102")  # 101 is in the call and no supervisor
    await h.settle()
    assert not_boss.status == 403
    unknown = h["103"].invite("*90555")
    await h.settle()
    assert unknown.status == 404
    own = h["103"].invite("*90103")
    await h.settle()
    assert own.status == 486
    # the other tenant's supervisor dials *90102: its own tenant's 102, idle — not ACME's call
    foreign = h["beta-201"].invite("*90102")
    await h.settle()
    assert foreign.status == 200  # answered with the busy tone
    assert h.engine.rooms == {}
    assert watched.a.media is not None
    assert watched.a.media.leg_id in h.engine.bridges
    await h.advance(IDLE_TONE_SECONDS + 0.1)
    assert "BYE" in foreign.methods()  # then Centrex hangs up
    assert h.live_calls() == 1


async def test_the_api_rings_the_supervisor_with_auto_answer(
    mon: tuple[Harness, Monitoring],
) -> None:
    h, feature = mon
    await h.register("101", "102", "103")
    _caller, _agent, watched = await agent_call(h)
    shown = await feature.monitor(h.tenant_id, watched.call_id, "103", "whisper")
    assert (shown["mode"], shown["state"]) == ("whisper", "ringing")
    await h.settle()
    ring = h["103"].incoming[-1]
    headers = dict(auto_answer_headers(TENANT))
    assert ring.request.headers.get("Call-Info") == headers["Call-Info"]
    ring.answer()
    await h.settle()
    room = only_room(h)
    assert watched.b is not None
    assert watched.b.media is not None
    assert watched.a.media is not None
    parties = {watched.a.media.leg_id, watched.b.media.leg_id}
    boss = [m for m in room.members if m.leg.leg_id not in parties]
    assert len(boss) == 1
    assert boss[0].voice.heard_by == frozenset({watched.b.media.leg_id})  # the agent, 102
    ring.bye()
    await h.settle()
    assert h.engine.rooms == {}


async def test_api_refusals(mon: tuple[Harness, Monitoring]) -> None:
    h, feature = mon
    await h.register("101", "102", "103")
    _caller, _agent, watched = await agent_call(h)
    with pytest.raises(NotFound):  # another tenant's call is no call
        await feature.monitor(h.other_tenant_id, watched.call_id, "201", "listen")
    with pytest.raises(ValidationFailed):
        await feature.monitor(h.tenant_id, watched.call_id, "103", "spy")
    with pytest.raises(Forbidden):
        await feature.monitor(h.tenant_id, watched.call_id, "101", "listen")
    with pytest.raises(NotFound):
        await feature.monitor(h.tenant_id, watched.call_id, "555", "listen")
    ringing = h["101"].invite("103")
    await h.settle()
    with pytest.raises(Conflict) as refused:
        await feature.monitor(h.tenant_id, ringing.call_id, "103", "listen")
    assert refused.value.error_id == "call-not-answered"
    assert len(h["103"].incoming) == 1  # only 101's call rang it: no refusal rings anybody
