"""A blind transfer (REFER) to a number a call feature serves rings it under the transfer's own
owner (`CallActions.go` hands the feature its ringer): a ring group's member answering bridges
the transferee and NOTIFYs 200, nobody answering NOTIFYs the failure and brings the call back
to the transferor."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.ring_group import RingGroups
from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.data.db import Database
from centrex.data.tenancy import TenantScope
from centrex.provisioning import ring_groups as service
from tests.calls.harness import TENANT, Harness, make_harness
from tests.calls.test_transfer_refer import DONE, TRYING, answer_notifies, notifies, refer


@contextlib.asynccontextmanager
async def world(url: str) -> AsyncIterator[Harness]:
    database = Database(url)
    groups = RingGroups(database, lambda: 0.0)
    try:
        async with make_harness(url, features=(ReferTransfer(), groups)) as h:
            groups._monotonic = h.clock.monotonic
            for phone in h.phones.values():
                answer_notifies(phone)
            async with h.database.transaction() as session:
                scope = TenantScope(session, h.tenant_id, TENANT)
                await service.create_ring_group(scope, number="600", strategy="simultaneous",
                                                members=["103"], ring_seconds=10)  # fmt: skip
            yield h
    finally:
        await database.dispose()


@pytest.fixture
async def th(sqlite_url: str) -> AsyncIterator[Harness]:
    async with world(sqlite_url) as harness:
        yield harness


async def test_blind_transfer_to_a_ring_group_bridges_the_member(th: Harness) -> None:
    h = th
    await h.register("101", "102", "103")
    caller, transferor = await h.call("102", "101")
    sent = refer(transferor, "<sip:600@acme.test>")
    await h.settle()
    assert sent.status == 202
    member = h["103"].incoming[0]
    member.answer()
    await h.settle()
    assert notifies(transferor) == [TRYING, (200, "refer;id=1", DONE)]
    assert transferor.methods()[-1] == "BYE"
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "103"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert caller.methods() == []
    assert not h.errors.records


async def test_an_unanswered_ring_group_returns_the_call(th: Harness) -> None:
    h = th
    await h.register("101", "102", "103")
    caller, transferor = await h.call("102", "101")
    refer(transferor, "<sip:600@acme.test>")
    await h.settle()
    h["103"].incoming[0].ring()
    await h.advance(10.0)
    assert h["103"].incoming[0].cancelled
    assert notifies(transferor)[-1] == (480, "refer;id=1", DONE)
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"  # bridged back to the transferor
    assert "BYE" not in transferor.methods()
