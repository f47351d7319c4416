"""Paging groups (ring-group strategy `page`, calls/features/paging.py) through the B2BUA on
the in-memory network and the ManualClock: every member is rung at once with the auto-answer
headers, every member that answers stays (no first-answer-wins), the caller speaks into a
mixing room it cannot hear from and the members join it muted; busy or DND members and the
caller itself are skipped; unanswered members are cancelled after ring_seconds; the caller's
BYE ends every member call, a member's BYE only its own; outside members are refused when the
group is configured."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

import pytest

from centrex.calls.features.intercom import auto_answer_headers
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.features.ring_strategies import RingContext, steps_for
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.data.db import Database
from centrex.data.models import Disposition
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import ring_groups as service
from tests.calls.harness import OUTSIDE_E164, TENANT, Harness, make_harness


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    feature = RingGroups(database, lambda: 0.0)
    try:
        async with make_harness(url, features=(feature,)) as h:
            feature._monotonic = h.clock.monotonic
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def ph(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def page_group(h: Harness, members: Sequence[str], *, ring_seconds: int = 10) -> None:
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        await service.create_ring_group(scope, number="650", strategy="page", members=members,
                                        ring_seconds=ring_seconds)  # fmt: skip


def test_page_strategy_is_one_step_with_everyone() -> None:
    assert steps_for("page", ["102", "103", "104"], RingContext()) == (("102", "103", "104"),)
    assert steps_for("page", [], RingContext()) == ()


async def test_every_member_answers_and_hears_the_caller_only(ph: Harness) -> None:
    h = ph
    await page_group(h, ["101", "102", "103"])  # the caller is a member: not paged
    await h.register("101", "102", "102b", "103")
    call = h["101"].invite("650")
    await h.settle()
    assert h["101"].incoming == []
    headers = dict(auto_answer_headers(TENANT))
    for name in ("102", "102b", "103"):
        assert len(h[name].incoming) == 1, name
        invite = h[name].incoming[0].request
        assert invite.headers.get("Call-Info") == headers["Call-Info"]
        assert invite.headers.get("Alert-Info") == headers["Alert-Info"]
    assert call.statuses[-1] == 180
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200  # the first answer connects the caller
    # 102's second phone is another fork of 102's member call: 102 answered, it is cancelled
    assert h["102b"].incoming[0].cancelled
    h["103"].incoming[0].answer()
    await h.settle()
    # no other member was cancelled: every member that answered stays in the page
    for name in ("102", "103"):
        assert not h[name].incoming[0].cancelled, name
        assert h[name].incoming[0].methods() == ["ACK"], name
    live = h.b2bua.calls[call.call_id]
    assert live.a.media is not None
    room = h.engine.rooms[f"page-{call.call_id}"]
    caller = room.member(live.a.media)
    assert caller is not None
    assert caller.deaf  # hears nobody
    assert not caller.muted  # speaks
    others = [m for m in room.members if m is not caller]
    assert len(others) == 2
    assert all(m.muted and not m.deaf for m in others)  # hear the caller, never heard
    assert h.live_calls() == 3  # the caller's call and one call per answered member
    call.bye()
    await h.settle()
    for name in ("102", "103"):
        assert h[name].incoming[0].methods() == ["ACK", "BYE"], name
    assert h.live_calls() == 0
    assert f"page-{call.call_id}" not in h.engine.rooms
    cdr = await h.cdr(call.call_id)
    assert (cdr.caller, cdr.callee, cdr.disposition) == ("101", "650", Disposition.ANSWERED)


async def test_a_member_hanging_up_leaves_only_itself(ph: Harness) -> None:
    h = ph
    await page_group(h, ["102", "103"])
    await h.register("101", "102", "103")
    call = h["101"].invite("650")
    await h.settle()
    h["102"].incoming[0].answer()
    h["103"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    h["102"].incoming[0].bye()
    await h.settle()
    assert h["103"].incoming[0].methods() == ["ACK"]
    assert call.received("BYE") == []
    assert h.live_calls() == 2
    h["103"].incoming[0].bye()  # the last member gone: the page is over
    await h.settle()
    assert [r.method for r in call.received("BYE")] == ["BYE"]
    assert h.live_calls() == 0


async def test_busy_and_dnd_members_are_skipped_unanswered_ones_cancelled(ph: Harness) -> None:
    h = ph
    await page_group(h, ["102", "103"], ring_seconds=5)
    await h.register("101", "102", "103")
    busy = ExtensionDialog("other-call", DialogPhase.CONFIRMED, False, "555", 0.0)
    await h.b2bua.core.deps.live.set_dialog(h.tenant_id, "102", busy)
    call = h["101"].invite("650")
    await h.settle()
    assert h["102"].incoming == []
    assert len(h["103"].incoming) == 1
    await h.advance(4.9)
    assert not h["103"].incoming[0].cancelled
    await h.advance(0.2)
    await h.settle()
    assert h["103"].incoming[0].cancelled
    assert call.status == 480
    assert h.live_calls() == 0


async def test_nobody_pageable_is_480_at_once(ph: Harness) -> None:
    h = ph
    await page_group(h, ["102", "103"])
    await h.register("101")  # neither member is registered
    call = h["101"].invite("650")
    await h.settle()
    assert call.status == 480
    assert h.live_calls() == 0


async def test_the_caller_cancelling_cancels_every_member(ph: Harness) -> None:
    h = ph
    await page_group(h, ["102", "103"])
    await h.register("101", "102", "103")
    call = h["101"].invite("650")
    await h.settle()
    call.cancel()
    await h.settle()
    assert h["102"].incoming[0].cancelled
    assert h["103"].incoming[0].cancelled
    assert h.live_calls() == 0


async def test_outside_members_are_refused_for_a_page_group(ph: Harness) -> None:
    h = ph
    async with h.database.transaction() as session:
        scope = TenantScope(session, h.tenant_id, TENANT)
        with pytest.raises(ValidationFailed) as refused:
            await service.create_ring_group(scope, number="650", strategy="page",
                                            members=["102", OUTSIDE_E164])  # fmt: skip
        assert refused.value.error_id == "ring-group-page-outside-member"
        view = await service.create_ring_group(scope, number="651", strategy="simultaneous",
                                               members=["102", OUTSIDE_E164])  # fmt: skip
        with pytest.raises(ValidationFailed) as changed:
            await service.update_ring_group(scope, view, strategy="page")
        assert changed.value.error_id == "ring-group-page-outside-member"
        assert view.group.strategy.value == "simultaneous"
