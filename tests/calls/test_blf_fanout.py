"""Busy-lamp fan-out under load (docs/performance.md, "BLF fan-out"): at most one NOTIFY in
flight per subscription, the next one carrying the state of the moment it is sent, and one
shared dialog-info document per state of an extension with each watcher's own version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from centrex.calls.features.blf import BusyLamps
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.sip.dialog_info import dialog_info, parse_dialog_info
from tests.calls.harness import Harness, make_harness
from tests.calls.uas import CallLeg, ReceivedRequest


@pytest.fixture
async def hb(sqlite_url: str) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, features=(BusyLamps(),)) as harness:
        yield harness


def lamp_states(leg: CallLeg) -> list[list[str]]:
    return [
        [d.state for d in parse_dialog_info(r.request.body).dialogs] for r in leg.received("NOTIFY")
    ]


def versions(leg: CallLeg) -> list[int]:
    return [parse_dialog_info(r.request.body).version for r in leg.received("NOTIFY")]


async def test_changes_while_a_notify_is_unanswered_become_one_notify_of_the_latest_state(
    hb: Harness,
) -> None:
    await hb.register("103")
    lamp = hb["103"].subscribe("102")
    await hb.settle()
    assert lamp_states(lamp) == [[]]  # the initial NOTIFY: idle
    held: list[ReceivedRequest] = []
    answer = lamp.answer_request
    lamp.answer_request = lambda received, status, sdp=b"": held.append(received)  # type: ignore[method-assign]
    live = hb.b2bua.core.deps.live

    def phase(value: DialogPhase) -> ExtensionDialog:
        return ExtensionDialog("call-1", value, False, "101", 0.0)

    await live.set_dialog(hb.tenant_id, "102", phase(DialogPhase.TRYING))
    await hb.settle(until=lambda: len(held) == 1)  # sent at once; the phone sits on it
    await live.set_dialog(hb.tenant_id, "102", phase(DialogPhase.EARLY))
    await live.set_dialog(hb.tenant_id, "102", phase(DialogPhase.CONFIRMED))
    for _ in range(50):  # let anything that would send run
        hb.network.pump()
        await asyncio.sleep(0)
    assert len(held) == 1, lamp_states(lamp)  # not one NOTIFY per change

    del lamp.answer_request  # the phone answers again
    answer(held[0], 200)
    await hb.settle()
    assert lamp_states(lamp) == [[], ["trying"], ["confirmed"]]  # the state when answered
    assert versions(lamp) == [0, 1, 2]
    assert all(r.answered == 200 for r in lamp.received("NOTIFY"))


async def test_watchers_share_one_document_with_their_own_version(hb: Harness) -> None:
    await hb.register("101", "102", "103")
    early = hb["101"].subscribe("103")
    await hb.settle()
    for _ in range(4):  # versions of two digits for the early subscriber
        call, _ = await hb.call("103", "102")
        await hb.settle()
        call.bye()
        await hb.settle()
    late = hb["102"].subscribe("103")
    await hb.settle()
    call, _ = await hb.call("103", "101")
    await hb.settle()
    mine, theirs = early.received("NOTIFY")[-1], late.received("NOTIFY")[-1]
    a, b = parse_dialog_info(mine.request.body), parse_dialog_info(theirs.request.body)
    assert a.version > 9
    assert b.version < a.version
    assert a.entity == b.entity == "sip:103@acme.test"
    assert a.dialogs == b.dialogs
    assert [d.state for d in a.dialogs] == ["confirmed"]
    for info, notify in ((a, mine), (b, theirs)):  # byte for byte what dialog_info() writes
        assert notify.request.body == dialog_info(info.entity, info.version, info.dialogs)
    call.bye()
