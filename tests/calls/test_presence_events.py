"""PresenceChanged events follow a call's lamps (centrex/calls/presence.py) through the B2BUA."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from centrex.calls.live_state import Presence
from centrex.calls.presence import PresenceEvents, lamp
from centrex.data.tenancy import TenantScope
from centrex.events import PresenceChanged
from centrex.provisioning import forwarding
from tests.calls.harness import TENANT, Harness, make_harness


@pytest.fixture
async def hp(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(PresenceEvents(),)) as harness:
        yield harness


def lamps(h: Harness, extension: str) -> list[str]:
    return [
        e.state for e in h.events if isinstance(e, PresenceChanged) and e.extension == extension
    ]


async def test_lamps_follow_a_call(hp: Harness) -> None:
    await hp.register("101", "102")
    call, _incoming = await hp.call("101", "102")
    await hp.settle()
    assert lamps(hp, "102") == ["ringing", "busy"]
    assert lamps(hp, "101") == ["busy"]  # placing the call, then talking: one change
    call.bye()
    await hp.settle()
    assert lamps(hp, "102")[-1] == "idle"
    assert lamps(hp, "101")[-1] == "idle"
    assert all(e.tenant_id == hp.tenant_id for e in hp.events if isinstance(e, PresenceChanged))


async def test_an_unregistered_callee_ends_offline(hp: Harness) -> None:
    await hp.register("101")
    hp["101"].invite("103")  # 103 has no device: voicemail (the fake app) answers
    await hp.settle()
    # the lamp is read when the event goes out: 103 never has a device, so it ends offline
    assert lamps(hp, "103")[-1] == "offline"
    assert lamps(hp, "101")[-1] == "idle"  # the fake voicemail hung up


def test_a_call_wins_over_dnd() -> None:
    assert lamp(Presence.BUSY, dnd=True) is Presence.BUSY
    assert lamp(Presence.RINGING, dnd=True) is Presence.RINGING
    assert lamp(Presence.IDLE, dnd=True) is Presence.DND
    assert lamp(Presence.OFFLINE, dnd=True) is Presence.DND
    assert lamp(Presence.OFFLINE, dnd=False) is Presence.OFFLINE


async def test_with_a_cache_dnd_is_seen_at_exactly_the_cache_time(sqlite_url: str) -> None:
    """The server's lamps reuse a tenant's DND flags for the route cache time: DND set after
    a read shows on the next lamp change from exactly that long after the read on."""
    async with make_harness(sqlite_url, features=(PresenceEvents(cache_seconds=2.0),)) as h:
        await h.register("101", "102")
        call, _incoming = await h.call("101", "102")  # flags read now (t0)
        await h.settle()
        async with h.database.transaction() as session:
            await forwarding.set_dnd(TenantScope(session, h.tenant_id, TENANT), "102", True)
        await h.advance(1.9)
        call.bye()
        await h.settle()
        assert lamps(h, "102")[-1] == "idle"  # the flags of t0
        await h.advance(0.1)  # t0 + 2 s
        again, _ = await h.call("101", "102")
        await h.settle()
        again.bye()
        await h.settle()
        assert lamps(h, "102")[-1] == "dnd"
