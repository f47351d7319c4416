"""Ring groups through the B2BUA (calls/features/ring_group.py) on the in-memory network and the
ManualClock: which phones get INVITEs, in which order, at which exact clock times; CANCELs after
an answer; busy members skipped; the fallback after the deadline; an outside member through a
trunk; an app's transfer to a group; another tenant's extension refused as a member."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest

from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.data.db import Database
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import ring_groups as service
from tests.calls.harness import OUTSIDE_E164, TENANT, FakeApps, Harness, make_harness
from tests.calls.test_b2bua_app_transfer import TransferringApp


@contextlib.asynccontextmanager
async def world(url: str, apps: FakeApps | None = None) -> AsyncIterator[Harness]:
    database = Database(url)
    feature = RingGroups(database, lambda: 0.0)
    try:
        async with make_harness(url, apps=apps, features=(feature,)) as h:
            feature._monotonic = h.clock.monotonic  # the harness's clock (made inside it)
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def rh(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def group(
    h: Harness,
    strategy: str,
    members: Sequence[str],
    *,
    number: str = "600",
    ring_seconds: int = 10,
    fallback: str | None = None,
) -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        await service.create_ring_group(scope, number=number, strategy=strategy, members=members,
                                        ring_seconds=ring_seconds, fallback=fallback)  # fmt: skip


def invites(h: Harness, name: str) -> int:
    return len(h[name].incoming)


async def test_simultaneous_rings_everyone_with_an_outside_member_first_answer_wins(
    rh: Harness,
) -> None:
    h = rh
    await group(h, "simultaneous", ["102", "103", OUTSIDE_E164])
    await h.register("101", "102", "103")
    call = h["101"].invite("600")
    await h.settle(until=lambda: bool(h.carrier_a.incoming) and invites(h, "103") == 1)
    await h.settle()
    # both extensions and one trunk attempt, all at once
    assert (invites(h, "102"), invites(h, "103"), len(h.carrier_a.incoming)) == (1, 1, 1)
    assert h.carrier_a.incoming[0].request.uri.user == OUTSIDE_E164
    assert h.carrier_b.incoming == []
    for incoming in (h["102"].incoming[0], h["103"].incoming[0], h.carrier_a.incoming[0]):
        incoming.ring()
    await h.settle()
    h["103"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    assert h["102"].incoming[0].cancelled
    assert h.carrier_a.incoming[0].cancelled
    assert not h["103"].incoming[0].cancelled
    cdr = await h.cdr(call.call_id)
    assert cdr.callee == "600"
    assert sorted(leg.peer for leg in await h.legs(cdr.id)) == ["102", "103", "carrier-a"]
    # the member that answered is in a call for presence while it lasts
    live = h.b2bua.core.deps.live
    assert [d.phase for d in await live.dialogs(h.tenant_id, "103")] == [DialogPhase.CONFIRMED]
    call.bye()
    await h.settle()
    assert await live.dialogs(h.tenant_id, "103") == []
    assert h.engine.legs == {}


async def test_sequential_rings_one_member_per_step_then_480(rh: Harness) -> None:
    h = rh
    await group(h, "sequential", ["102", "103"], ring_seconds=10)
    await h.register("101", "102", "103")
    t0 = h.clock.monotonic()
    call = h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "102") == 1)
    await h.settle()
    h["102"].incoming[0].ring()
    await h.advance(9.9)
    assert (invites(h, "102"), invites(h, "103")) == (1, 0)
    await h.advance(0.1)  # t0 + 10: 102's step is over
    assert h.clock.monotonic() == t0 + 10
    assert h["102"].incoming[0].cancelled
    assert invites(h, "103") == 1
    await h.advance(9.9)
    assert call.status is None  # still ringing 103
    await h.advance(0.1)  # t0 + 20: the last step is over, no fallback
    assert h["103"].incoming[0].cancelled
    assert call.status == 480
    assert h.live_calls() == 0


async def test_a_refused_step_moves_on_at_once(rh: Harness) -> None:
    h = rh
    await group(h, "sequential", ["102", "103"], ring_seconds=10)
    await h.register("101", "102", "103")
    t0 = h.clock.monotonic()
    h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "102") == 1)
    await h.settle()
    h["102"].incoming[0].reject(486)
    await h.settle()
    assert invites(h, "103") == 1
    assert h.clock.monotonic() == t0  # no time spent waiting for a deadline


async def test_round_robin_starts_after_the_member_that_answered_last(rh: Harness) -> None:
    h = rh
    await group(h, "round-robin", ["102", "103"])
    await h.register("101", "102", "103")
    first, _ = await h.call("101", "600", callee="102")
    assert invites(h, "103") == 0
    first.bye()
    await h.settle()
    second = h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "103") == 1)
    await h.settle()
    assert invites(h, "102") == 1  # 103 first this time: 102 answered last
    h["103"].incoming[0].answer()
    await h.settle()
    assert second.status == 200
    second.bye()
    await h.settle()
    third = h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "102") == 2)
    await h.settle()
    assert invites(h, "103") == 1
    third.cancel()
    await h.settle()


async def test_longest_idle_rings_the_member_idle_longest_first(rh: Harness) -> None:
    h = rh
    await group(h, "longest-idle", ["102", "103"])
    await h.register("101", "102", "103")
    # 103 had a call that ended at t=5; 102 never had one: 102 is idle longest
    direct, _ = await h.call("101", "103")
    await h.advance(5)
    direct.bye()
    await h.settle()
    call, _ = await h.call("101", "600", callee="102")
    assert invites(h, "103") == 1  # only the direct call
    await h.advance(5)
    call.bye()  # 102 is idle since now (t=10), 103 since t=5
    await h.settle()
    h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "103") == 2)
    await h.settle()
    assert invites(h, "102") == 1


async def test_a_busy_member_is_skipped_without_costing_time(rh: Harness) -> None:
    h = rh
    await group(h, "sequential", ["102", "103"])
    await h.register("101", "102", "103")
    live = h.b2bua.core.deps.live
    busy = ExtensionDialog("other-call", DialogPhase.CONFIRMED, False, "555", 0.0)
    await live.set_dialog(h.tenant_id, "102", busy)
    t0 = h.clock.monotonic()
    h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "103") == 1)
    assert invites(h, "102") == 0
    assert h.clock.monotonic() == t0


async def test_a_member_calling_its_group_does_not_ring_itself(rh: Harness) -> None:
    h = rh
    await group(h, "simultaneous", ["101", "102", "103"])
    await h.register("101", "102", "103")
    h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "102") == 1 and invites(h, "103") == 1)
    await h.settle()
    assert invites(h, "101") == 0


async def test_nobody_can_ring_gives_480_at_once(rh: Harness) -> None:
    h = rh
    await group(h, "simultaneous", ["102", "103"])
    await h.register("101")  # 102 and 103 are offline
    call = h["101"].invite("600")
    await h.settle()
    assert call.status == 480


async def test_the_fallback_rings_after_the_deadline(rh: Harness) -> None:
    h = rh
    await group(h, "simultaneous", ["102"], ring_seconds=15, fallback="103")
    await h.register("101", "102", "103")
    t0 = h.clock.monotonic()
    call = h["101"].invite("600")
    await h.settle(until=lambda: invites(h, "102") == 1)
    await h.advance(14.9)
    assert invites(h, "103") == 0
    await h.advance(0.1)
    assert h.clock.monotonic() == t0 + 15
    assert h["102"].incoming[0].cancelled
    assert invites(h, "103") == 1
    h["103"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    call.bye()
    await h.settle()


async def test_an_app_transfer_to_a_ring_group_rings_it(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.RING_GROUP, "600")
    async with world(sqlite_url, apps=app) as h:
        await group(h, "simultaneous", ["102", "103"])
        await h.register("101", "102", "103")
        call = h["101"].invite("*43")
        await h.settle(until=lambda: invites(h, "102") == 1 and invites(h, "103") == 1)
        assert call.status == 200  # the app answered
        h["102"].incoming[0].answer()
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes == [TransferOutcome.CONNECTED]
        assert h["103"].incoming[0].cancelled
        call.bye()
        await h.settle()


async def test_an_app_transfer_to_an_unknown_group_fails_back_to_the_app(sqlite_url: str) -> None:
    app = TransferringApp(TransferKind.RING_GROUP, "699")
    async with world(sqlite_url, apps=app) as h:
        await h.register("101")
        h["101"].invite("*43")
        await h.settle(until=lambda: bool(app.outcomes))
        await h.settle()
        assert app.outcomes[0] is not TransferOutcome.CONNECTED


async def test_another_tenants_extension_is_no_member(rh: Harness) -> None:
    h = rh
    with pytest.raises(ValidationFailed) as refused:
        await group(h, "simultaneous", ["102", "201"])  # 201 exists in beta.test only
    assert refused.value.error_id == "ring-group-member-unknown"
    async with h.database.session() as session:
        assert await service.list_ring_groups(TenantScope(session, h.tenant_id, TENANT)) == []
