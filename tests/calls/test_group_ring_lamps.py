"""Extensions rung by a fork of a call to another number — a ring group's members — show the
call as ringing in the live state (busy lamps blink, presence says ringing), and `**N` picks
the call up from such a member (calls/features/live_dialogs.py `parties`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.pickup import CallPickup
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.live_state import DialogPhase
from centrex.data.db import Database
from tests.calls.harness import Harness, make_harness
from tests.calls.test_ring_group import group


@pytest.fixture
async def gh(sqlite_url: str) -> AsyncIterator[Harness]:
    database = Database(sqlite_url)
    groups = RingGroups(database, lambda: 0.0)
    try:
        async with make_harness(sqlite_url, features=(groups, CallPickup(database))) as h:
            groups._monotonic = h.clock.monotonic
            yield h
    finally:
        await database.dispose()


async def phases(h: Harness, extension: str) -> list[DialogPhase]:
    live = h.b2bua.core.deps.live
    return [d.phase for d in await live.dialogs(h.tenant_id, extension)]


async def test_a_group_member_rings_in_the_live_state_and_can_be_picked_up(gh: Harness) -> None:
    h = gh
    await group(h, "simultaneous", ["101"])
    await h.register("101", "102", "103")
    caller = h["103"].invite("600")
    await h.settle(until=lambda: bool(h["101"].incoming))
    h["101"].incoming[0].ring()
    await h.settle()
    assert await phases(h, "101") == [DialogPhase.EARLY]  # the member's lamp blinks
    assert await phases(h, "102") == []
    picker = h["102"].invite("**101")
    await h.settle()
    assert picker.status == 200
    assert caller.status == 200
    assert h["101"].incoming[0].cancelled
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "102"
    assert await phases(h, "101") in ([], [DialogPhase.TERMINATED])  # it stopped ringing


async def test_another_tenant_never_sees_the_member_ringing(gh: Harness) -> None:
    h = gh
    await group(h, "simultaneous", ["102"])
    await h.register("101", "102", "beta-102")
    h["101"].invite("600")
    await h.settle(until=lambda: bool(h["102"].incoming))
    h["102"].incoming[0].ring()
    await h.settle()
    live = h.b2bua.core.deps.live
    assert await live.dialogs(h.other_tenant_id, "102") == []
    thief = h["beta-102"].invite("**102")  # beta's own 102 is not ringing
    await h.settle()
    assert thief.status == 480
    assert not h["102"].incoming[0].cancelled
