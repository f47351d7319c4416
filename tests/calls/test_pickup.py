"""Call pickup through the B2BUA (calls/features/pickup.py) on the in-memory network: `*8`
answers a call ringing an extension of the picker's pickup group, `**N` a call ringing N; the
ringing phone gets CANCEL, the caller its 200 and media bridged to the picker; nothing ringing
is 480 with a Warning, no group is 404; another tenant's ringing call is never picked up."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.pickup import CallPickup
from centrex.data.db import Database
from centrex.data.models import Disposition, Extension
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from tests.calls.harness import OTHER, TENANT, Harness, make_harness
from tests.calls.uas import IncomingCall, OutgoingCall


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    try:
        async with make_harness(url, features=(CallPickup(database),)) as h:
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def ph(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def pickup_group(h: Harness, tenant_id: int, domain: str, group: str, *numbers: str) -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, tenant_id, domain)
        for number in numbers:
            extension = await extension_service.get_extension(scope, number)
            extension.pickup_group = group
            assert isinstance(extension, Extension)


async def ringing(h: Harness, caller: str, dialled: str, phone: str | None = None) -> IncomingCall:
    """`caller` calls `dialled`; its phone rings (180) and is left ringing."""
    h[caller].invite(dialled)
    name = phone or dialled
    await h.settle(until=lambda: bool(h[name].incoming))
    await h.settle()
    incoming = h[name].incoming[-1]
    incoming.ring()
    await h.settle()
    return incoming


def warning(call: OutgoingCall) -> str:
    return call.final.headers.get("Warning") or ""


async def assert_picked(
    h: Harness, caller: OutgoingCall, picker: OutgoingCall, rung: IncomingCall
) -> None:
    """The caller and the picker both have their 200, are bridged, the rung phone stopped."""
    assert caller.status == 200, caller.statuses
    assert picker.status == 200, picker.statuses
    assert rung.cancelled
    call = h.b2bua.calls[caller.call_id]
    assert picker.call_id not in h.b2bua.calls  # the *8 call itself is over
    assert call.b is not None
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert call.b.peer == "103"
    assert h.live_calls() == 1


async def test_group_pickup_answers_the_call_ringing_a_colleague(ph: Harness) -> None:
    h = ph
    await pickup_group(h, h.tenant_id, TENANT, "sales", "102", "103")
    await h.register("101", "102", "103")
    rung = await ringing(h, "101", "102")
    caller = h["101"].outgoing[-1]
    assert caller.statuses[-1] == 180
    assert await h.b2bua.core.deps.live.ringing(h.tenant_id, ["102"]) != []
    picker = h["103"].invite("*8")
    await h.settle()
    await assert_picked(h, caller, picker, rung)
    # the picker's ACK and later BYE find the picked-up call
    assert await h.b2bua.core.deps.live.ringing(h.tenant_id, ["102"]) == []
    cdr = await h.cdr(caller.call_id)
    assert cdr.callee == "103"
    assert cdr.answered_at is not None
    own = await h.cdr(picker.call_id)
    assert (own.disposition, own.hangup_cause) == (Disposition.ANSWERED, "picked-up")
    picker.bye()
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}
    cdr = await h.cdr(caller.call_id)
    assert cdr.ended_at is not None
    assert [leg.peer for leg in await h.legs(cdr.id)][-1] == "103"


async def test_the_caller_hanging_up_after_a_pickup_ends_the_pickers_dialog(ph: Harness) -> None:
    h = ph
    await pickup_group(h, h.tenant_id, TENANT, "sales", "102", "103")
    await h.register("101", "102", "103")
    rung = await ringing(h, "101", "102")
    caller = h["101"].outgoing[-1]
    picker = h["103"].invite("*8")
    await h.settle()
    await assert_picked(h, caller, picker, rung)
    caller.bye()
    await h.settle()
    assert picker.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_directed_pickup_takes_the_call_ringing_that_extension(ph: Harness) -> None:
    h = ph  # nobody is in a pickup group: **N works for any extension of the tenant
    await h.register("101", "102", "103")
    rung = await ringing(h, "101", "102")
    caller = h["101"].outgoing[-1]
    picker = h["103"].invite("**102")
    await h.settle()
    await assert_picked(h, caller, picker, rung)


async def test_group_pickup_ignores_calls_ringing_outside_the_group(ph: Harness) -> None:
    h = ph
    await pickup_group(h, h.tenant_id, TENANT, "sales", "103")
    await pickup_group(h, h.tenant_id, TENANT, "support", "102")
    await h.register("101", "102", "103")
    rung = await ringing(h, "101", "102")
    picker = h["103"].invite("*8")
    await h.settle()
    assert picker.status == 480
    assert "your pickup group" in warning(picker)
    assert not rung.cancelled
    assert h["101"].outgoing[-1].statuses[-1] == 180


async def test_nothing_ringing_is_480_and_no_group_is_404(ph: Harness) -> None:
    h = ph
    await pickup_group(h, h.tenant_id, TENANT, "sales", "102", "103")
    await h.register("101", "102", "103")
    group = h["103"].invite("*8")
    directed = h["103"].invite("**102")
    nobody = h["101"].invite("*8")  # 101 is in no group
    await h.settle()
    assert group.status == 480
    assert "no call is ringing your pickup group" in warning(group)
    assert directed.status == 480
    assert "no call is ringing extension 102" in warning(directed)
    assert nobody.status == 404
    assert "in no pickup group" in warning(nobody)
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_a_call_is_picked_up_only_once(ph: Harness) -> None:
    h = ph
    await pickup_group(h, h.tenant_id, TENANT, "sales", "101", "102", "103")
    await h.register("101", "102", "103")
    rung = await ringing(h, "101", "102")
    caller = h["101"].outgoing[-1]
    first = h["103"].invite("**102")
    await h.settle()
    await assert_picked(h, caller, first, rung)
    second = h["103"].invite("**102")
    await h.settle()
    assert second.status == 480


async def test_another_tenants_ringing_call_is_never_picked_up(ph: Harness) -> None:
    h = ph
    # same group label and same extension number in both tenants
    await pickup_group(h, h.tenant_id, TENANT, "sales", "102", "103")
    await pickup_group(h, h.other_tenant_id, OTHER, "sales", "102", "201")
    await h.register("101", "102", "103", "beta-201")
    rung = await ringing(h, "101", "102")
    caller = h["101"].outgoing[-1]
    group = h["beta-201"].invite("*8")
    directed = h["beta-201"].invite("**102")
    await h.settle()
    assert group.status == 480
    assert directed.status == 480
    assert not rung.cancelled
    assert caller.statuses[-1] == 180
    assert h["beta-102"].incoming == []
    # acme's own picker still can
    picker = h["103"].invite("*8")
    await h.settle()
    await assert_picked(h, caller, picker, rung)


async def test_the_pickers_own_ringing_call_is_not_picked_up(ph: Harness) -> None:
    h = ph
    await h.register("102", "103")
    rung = await ringing(h, "103", "102")
    own = h["103"].invite("**102")
    await h.settle()
    assert own.status == 480
    assert not rung.cancelled
