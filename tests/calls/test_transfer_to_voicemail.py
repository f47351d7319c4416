"""An answered caller handed to the voicemail app (the call table's ANSWERED + APP row): a blind
transfer to `*97N` (NOTIFY 200, the transferor released, N's mailbox takes the caller; an
unknown mailbox is NOTIFY 404 and the call goes on) and a parked call whose ring-back nobody
answers (the parker's mailbox instead of hanging up)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from centrex.calls.call_media import CallMediaHost
from centrex.calls.features.park import CallPark
from centrex.calls.features.transfer_refer import ReferTransfer
from tests.calls.harness import FakeApps, Harness, make_harness
from tests.calls.test_park import Music, parked_call
from tests.calls.test_transfer_refer import answer_notifies, notifies, refer

World = tuple[Harness, FakeApps]


@contextlib.asynccontextmanager
async def world(url: str, tmp: Path) -> AsyncIterator[World]:
    apps = FakeApps(stay=True)
    park = CallPark(timeout=30, ring_back_seconds=10,
                    music=cast(CallMediaHost, Music(tmp / "moh.wav")))  # fmt: skip
    async with make_harness(url, apps=apps, features=(ReferTransfer(), park)) as h:
        for phone in h.phones.values():
            answer_notifies(phone)
        await h.register("101", "102", "103")
        yield h, apps
        apps.release.set()
        await h.settle()


@pytest.fixture
async def w(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    async with world(sqlite_url, tmp_path) as pair:
        yield pair


async def test_a_blind_transfer_to_star97_reaches_the_mailbox(w: World) -> None:
    h, apps = w
    caller, transferor = await h.call("102", "101")
    sent = refer(transferor, "<sip:*97103@acme.test>")
    await h.settle()
    assert sent.status == 202
    assert [status for status, _, _ in notifies(transferor)] == [100, 200]
    assert transferor.methods()[-1] == "BYE"
    [run] = apps.runs
    assert (run.app, run.context.extension, run.context.caller) == ("voicemail", "103", "102")
    assert caller.methods() == []  # no new answer: the app took the answered call
    call = h.b2bua.calls[caller.call_id]
    assert call.callee == "103"
    apps.release.set()  # the message is left, the app hangs up
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    cdr = await h.cdr(caller.call_id)
    assert cdr.callee == "103"
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.hangup_cause) for leg in legs] == [("101", "transferred")]


async def test_an_unknown_mailbox_fails_the_transfer_and_the_call_goes_on(w: World) -> None:
    h, apps = w
    caller, transferor = await h.call("102", "101")
    refer(transferor, "<sip:*97109@acme.test>")
    await h.settle()
    assert notifies(transferor)[-1][0] == 404
    assert apps.runs == []
    assert "BYE" not in transferor.methods()
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"
    assert call.a.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media


async def test_an_unanswered_park_ring_back_goes_to_the_parkers_mailbox(w: World) -> None:
    h, apps = w
    caller, _ = await parked_call(h)
    await h.advance(30)
    ring_back = h["101"].incoming[-1]
    ring_back.ring()
    await h.advance(10)
    assert ring_back.cancelled
    [run] = apps.runs
    assert (run.app, run.context.extension, run.context.reason) == ("voicemail", "101",
                                                                    "no-answer")  # fmt: skip
    assert caller.methods() == []  # still connected, now to the mailbox
    apps.release.set()
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert (await h.cdr(caller.call_id)).callee == "101"
