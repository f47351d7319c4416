"""Three-way calling through the B2BUA (calls/features/three_way.py) on the in-memory network
and the ManualClock: the keys `*3103#` (fed to the party's collector as the digit listener
would) ring 103 for the initiator; 103's answer moves the three legs from the bridge into one
mixing room; the initiator's BYE leaves the other two in it; the third's BYE puts the first two
back into a plain bridge; the first call ending ends the third's; the initiator hanging up
while the third still rings cancels it; another tenant's extension, an unregistered one and a
caller from a trunk add nobody; the inter-digit deadline is a call timer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.call import Call
from centrex.calls.features.three_way import ThreeWay
from centrex.calls.features.three_way_keys import INTER_DIGIT_SECONDS, KeyState
from centrex.data.models import Disposition
from tests.calls.harness import CENTREX, DID, Harness, make_harness
from tests.calls.uas import IncomingCall, OutgoingCall


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[tuple[Harness, ThreeWay]]:
    feature = ThreeWay()
    async with make_harness(url, features=(feature,)) as h:
        yield h, feature


@pytest.fixture
async def tw(sqlite_url: str) -> AsyncIterator[tuple[Harness, ThreeWay]]:
    async with world(sqlite_url) as pair:
        yield pair


async def two_party(h: Harness) -> tuple[OutgoingCall, IncomingCall, Call]:
    call = h["101"].invite("102")
    await h.settle()
    answered = h["102"].incoming[-1]
    answered.answer()
    await h.settle()
    assert call.status == 200
    return call, answered, h.b2bua.calls[call.call_id]


def press(feature: ThreeWay, call: Call, label: str, keys: str) -> None:
    """The keys as the initiator's digit listener reports them (RFC 4733 events)."""
    watch = feature._watches[call.call_id]
    side = call.a if label == "a" else call.b
    assert side is not None
    for key in keys:
        feature._key(watch, side, key)


def room_legs(h: Harness) -> list[set[str]]:
    return [{m.leg.leg_id for m in room.members} for room in h.engine.rooms.values()]


async def test_the_third_joins_then_the_initiator_leaves(tw: tuple[Harness, ThreeWay]) -> None:
    h, feature = tw
    await h.register("101", "102", "103")
    call, callee, first = await two_party(h)
    assert first.b is not None
    assert set(feature._watches[first.call_id].keys) == {"a", first.b.label}  # both extensions
    press(feature, first, "a", "*3103#")
    await h.settle()
    assert len(h["103"].incoming) == 1
    ringing = h["103"].incoming[0]
    assert ringing.request.from_ is not None
    assert ringing.request.from_.uri.user == "101"  # the initiator calls
    assert room_legs(h) == []  # still a plain call while 103 rings
    ringing.answer()
    await h.settle()
    merge = feature.merge_of(first.call_id)
    assert merge is not None
    assert merge.room is not None
    third = merge.third
    assert first.a.media is not None
    assert first.b is not None
    assert first.b.media is not None
    assert third.a.media is not None
    assert room_legs(h) == [{first.a.media.leg_id, first.b.media.leg_id, third.a.media.leg_id}]
    assert first.a.media.leg_id not in h.engine.bridges
    call.bye()  # the initiator leaves
    await h.settle()
    assert first.call_id in h.b2bua.calls  # the first call goes on with 102
    assert room_legs(h) == [{first.b.media.leg_id, third.a.media.leg_id}]
    assert "BYE" not in callee.methods()
    assert "BYE" not in ringing.methods()
    callee.bye()  # 102 leaves: nobody is left of the first call, 103's call ends too
    await h.settle()
    assert ringing.methods()[-1] == "BYE"
    assert h.live_calls() == 0
    assert h.engine.rooms == {}
    cdr = await h.cdr(first.call_id)
    assert (cdr.caller, cdr.callee, cdr.disposition) == ("101", "102", Disposition.ANSWERED)
    third_cdr = await h.cdr(third.call_id)
    assert (third_cdr.caller, third_cdr.callee) == ("101", "103")
    assert third_cdr.answered_at is not None


async def test_the_third_leaving_puts_the_two_back_in_a_bridge(
    tw: tuple[Harness, ThreeWay],
) -> None:
    h, feature = tw
    await h.register("101", "102", "103")
    call, callee, first = await two_party(h)
    press(feature, first, "b", "*3103#")  # the callee may add a party too
    await h.settle()
    ringing = h["103"].incoming[0]
    assert ringing.request.from_ is not None
    assert ringing.request.from_.uri.user == "102"
    ringing.answer()
    await h.settle()
    assert len(room_legs(h)) == 1
    ringing.bye()
    await h.settle()
    assert h.engine.rooms == {}
    assert first.a.media is not None
    assert first.b is not None
    assert first.b.media is not None
    assert h.engine.bridges[first.a.media.leg_id].other(first.a.media) is first.b.media
    assert feature.merge_of(first.call_id) is None
    assert h.live_calls() == 1
    press(feature, first, "a", "*3103#")  # a new three-way is possible again
    await h.settle()
    assert len(h["103"].incoming) == 2
    call.bye()
    await h.settle()
    assert h["103"].incoming[1].cancelled  # the first call ended while 103 rang: cancelled
    assert h.live_calls() == 0
    assert "BYE" in callee.methods()


async def test_nobody_is_added_from_another_tenant_or_unregistered(
    tw: tuple[Harness, ThreeWay],
) -> None:
    h, feature = tw
    await h.register("101", "102", "beta-201")
    _call, _callee, first = await two_party(h)
    press(feature, first, "a", "*3201#")  # 201 is only the other tenant's
    press(feature, first, "a", "*3103#")  # 103 exists but is not registered
    await h.settle()
    assert h["beta-201"].incoming == []
    assert feature.merge_of(first.call_id) is None
    assert h.live_calls() == 1
    assert first.a.media is not None
    assert first.a.media.leg_id in h.engine.bridges


async def test_a_caller_from_a_trunk_cannot_add_anybody(tw: tuple[Harness, ThreeWay]) -> None:
    h, feature = tw
    await h.register("101")
    h.carrier_a.invite(DID, domain=CENTREX[0], from_user="+41797770000")
    await h.settle()
    h["101"].incoming[0].answer()
    await h.settle()
    first = next(iter(h.b2bua.calls.values()))
    watch = feature._watches[first.call_id]
    assert first.b is not None
    assert set(watch.keys) == {first.b.label}  # only the extension's keys are watched


async def test_the_inter_digit_deadline_is_a_call_timer(tw: tuple[Harness, ThreeWay]) -> None:
    h, feature = tw
    await h.register("101", "102", "103")
    _call, _callee, first = await two_party(h)
    press(feature, first, "a", "*31")
    keys = feature._watches[first.call_id].keys["a"]
    assert keys.state is KeyState.COLLECTING
    await h.advance(INTER_DIGIT_SECONDS + 0.1)
    assert keys.state is KeyState.IDLE  # abandoned at the deadline
    press(feature, first, "a", "03#")  # the rest alone dials nothing
    await h.settle()
    assert h["103"].incoming == []
