"""Call control from the API through the B2BUA (calls/features/call_control.py) on the in-memory
network: blind transfer of either party, park answering the slot, hold and resume, pickup of a
ringing or parked call onto another extension with auto-answer, click-to-call (the originator
rung first, then the target), a REFER from the calling party, the refusals (wrong state, bad
input, another tenant's call or extension) — and the CDR of each."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import cast

import pytest

from centrex.calls.call import SipSide
from centrex.calls.call_media import CallMediaHost, RecordingPlan
from centrex.calls.features.call_control import CallControl
from centrex.calls.features.park import CallPark
from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.calls.leg import CallState
from centrex.calls.live_state import DialogPhase
from centrex.data.models import Direction, Disposition
from centrex.errors import Conflict, NotFound, ValidationFailed
from tests.calls.harness import Harness, make_harness
from tests.calls.test_park import Music
from tests.calls.test_transfer_refer import answer_notifies, notifies, refer
from tests.calls.uas import IncomingCall, OutgoingCall


class Media(Music):
    """Music on hold for the B2BUA's call media; no call is recorded."""

    async def recording_plan(self, tenant_id: int, extensions: Sequence[str]) -> RecordingPlan:
        return RecordingPlan()


World = tuple[Harness, CallControl, CallPark]


@contextlib.asynccontextmanager
async def world(url: str, tmp: Path) -> AsyncIterator[World]:
    transfers = ReferTransfer()
    park = CallPark(music=cast(CallMediaHost, Music(tmp / "moh.wav")))
    control = CallControl(transfers, park)
    async with make_harness(url, features=(transfers, park, control),
                            call_media=cast(CallMediaHost, Media(tmp / "moh2.wav"))) as h:  # fmt: skip
        for phone in h.phones.values():
            answer_notifies(phone)
        await h.register("101", "102", "103")
        yield h, control, park


@pytest.fixture
async def w(
    sqlite_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Harness, CallControl, CallPark]]:
    async with world(sqlite_url, tmp_path) as triple:
        yield triple


def bridged(h: Harness, call_id: str) -> tuple[str, str] | None:
    """The peers of the call's two sides when their media legs are bridged together."""
    call = h.b2bua.calls.get(call_id)
    if call is None or call.b is None or call.a.media is None or call.b.media is None:
        return None
    bridge = h.engine.bridges.get(call.a.media.leg_id)
    if bridge is None or bridge.other(call.a.media) is not call.b.media:
        return None
    return call.a.peer, call.b.peer


async def answered_call(h: Harness) -> tuple[OutgoingCall, IncomingCall]:
    return await h.call("102", "101")


# ---- transfer ----------------------------------------------------------------------------------
async def test_transfer_hands_the_caller_on_and_releases_the_callee(w: World) -> None:
    h, control, _ = w
    caller, callee = await answered_call(h)
    result = await control.transfer(h.tenant_id, caller.call_id, "103")
    assert result == {"call_id": caller.call_id, "to": "103", "mode": "blind", "state": "ringing"}
    await h.settle()
    target = h["103"].incoming[0]
    assert target.request.from_ is not None
    assert target.request.from_.uri.user == "102"
    assert callee.received("NOTIFY") == []  # no REFER, no subscription to report to
    target.answer()
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "103")
    assert callee.methods()[-1] == "BYE"
    assert caller.methods() == []
    legs = await h.legs((await h.cdr(caller.call_id)).id)
    assert [(leg.peer, leg.hangup_cause, leg.transferred_by) for leg in legs] == [
        ("101", "transferred", None), ("103", None, "101"),
    ]  # fmt: skip


async def test_transfer_of_the_callee_swaps_the_parties_first(w: World) -> None:
    h, control, _ = w
    caller, callee = await answered_call(h)
    await control.transfer(h.tenant_id, caller.call_id, "103", party="callee")
    await h.settle()
    target = h["103"].incoming[0]
    assert target.request.from_ is not None
    assert target.request.from_.uri.user == "101"
    target.answer()
    await h.settle()
    assert bridged(h, caller.call_id) == ("101", "103")
    assert caller.methods()[-1] == "BYE"  # the caller was the transferor
    assert callee.methods() == ["ACK"]  # its own call's ACK, nothing since
    callee.bye()  # the remaining party hangs up: the call ends cleanly
    await h.settle()
    assert h.live_calls() == 0
    assert target.methods()[-1] == "BYE"
    cdr = await h.cdr(caller.call_id)
    assert (cdr.caller, cdr.disposition) == ("102", Disposition.ANSWERED)
    assert h.errors.records == []


async def test_a_failed_transfer_returns_the_party(w: World) -> None:
    h, control, _ = w
    caller, callee = await answered_call(h)
    await control.transfer(h.tenant_id, caller.call_id, "103")
    await h.settle()
    h["103"].incoming[0].reject(486)
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "101")
    assert callee.methods() == ["ACK"]
    assert caller.methods() == []


async def test_transfer_refusals_change_nothing(w: World) -> None:
    h, control, _ = w
    with pytest.raises(NotFound):
        await control.transfer(h.tenant_id, "no-such-call", "103")
    ringing = h["102"].invite("101")
    await h.settle()
    with pytest.raises(Conflict):  # not answered yet
        await control.transfer(h.tenant_id, ringing.call_id, "103")
    h["101"].incoming[0].answer()
    await h.settle()
    with pytest.raises(NotFound):  # another tenant asks about this call
        await control.transfer(h.other_tenant_id, ringing.call_id, "103")
    with pytest.raises(NotFound):  # an extension the tenant does not have
        await control.transfer(h.tenant_id, ringing.call_id, "109")
    with pytest.raises(ValidationFailed):
        await control.transfer(h.tenant_id, ringing.call_id, "10;3")
    with pytest.raises(ValidationFailed):
        await control.transfer(h.tenant_id, ringing.call_id, "103", party="both")
    with pytest.raises(ValidationFailed):
        await control.transfer(h.tenant_id, ringing.call_id, "103", mode="warm")
    await h.settle()
    assert bridged(h, ringing.call_id) == ("102", "101")
    assert h["103"].incoming == []


async def test_refer_from_the_calling_party_transfers_the_callee(w: World) -> None:
    h, _, _ = w
    caller, callee = await answered_call(h)
    sent = refer(caller, "<sip:103@acme.test>")
    await h.settle()
    assert sent.status == 202
    assert [status for status, _, _ in notifies(caller)] == [100]
    h["103"].incoming[0].answer()
    await h.settle()
    assert bridged(h, caller.call_id) == ("101", "103")
    assert notifies(caller)[-1][0] == 200
    assert caller.methods()[-1] == "BYE"
    assert callee.methods() == ["ACK"]


# ---- park and hold -----------------------------------------------------------------------------
async def test_park_answers_the_slot_and_the_view_shows_it(w: World) -> None:
    h, control, park = w
    caller, callee = await answered_call(h)
    assert await control.park(h.tenant_id, caller.call_id) == "701"
    await h.settle()
    call = h.b2bua.calls[caller.call_id]
    assert park.parked_in(h.tenant_id, "701") is call
    assert callee.methods()[-1] == "BYE"
    [view] = h.b2bua.live_calls(h.tenant_id)
    assert view["park_slot"] == "701"
    assert h.b2bua.live_calls(h.other_tenant_id) == []
    with pytest.raises(Conflict):  # parked: nothing to transfer from
        await control.park(h.tenant_id, caller.call_id)


async def test_hold_plays_music_and_resume_bridges_again(w: World) -> None:
    h, control, _ = w
    caller, callee = await answered_call(h)
    await control.hold(h.tenant_id, caller.call_id)
    call = h.b2bua.calls[caller.call_id]
    assert bridged(h, caller.call_id) is None
    assert control.held(call)
    assert h.b2bua.live_calls(h.tenant_id)[0]["held"] is True
    assert control._music is not None
    assert call.a.media is not None
    assert control._music.playing(call.a.media)  # the held party is the caller (both internal)
    with pytest.raises(Conflict):
        await control.hold(h.tenant_id, caller.call_id)
    await control.resume(h.tenant_id, caller.call_id)
    assert bridged(h, caller.call_id) == ("102", "101")
    assert not control._music.playing(call.a.media)
    with pytest.raises(Conflict):
        await control.resume(h.tenant_id, caller.call_id)
    assert caller.methods() == []
    assert callee.methods() == ["ACK"]


# ---- pickup ------------------------------------------------------------------------------------
async def test_pickup_rings_the_attendant_with_auto_answer_and_it_wins(w: World) -> None:
    h, control, _ = w
    ringing = h["102"].invite("101")
    await h.settle()
    h["101"].incoming[0].ring()
    await h.settle()
    await control.pickup(h.tenant_id, ringing.call_id, "103")
    await h.settle()
    attendant = h["103"].incoming[0]
    assert "answer-after=0" in (attendant.request.headers.get("Call-Info") or "")
    assert "alert-autoanswer" in (attendant.request.headers.get("Alert-Info") or "")
    attendant.answer()
    await h.settle()
    assert ringing.status == 200
    assert bridged(h, ringing.call_id) == ("102", "103")
    assert h["101"].incoming[0].cancelled
    await h.settle()
    [view] = h.b2bua.live_calls(h.tenant_id)
    assert (view["caller"], view["callee"]) == ("102", "103")  # the attendant took it
    live = h.b2bua.core.deps.live
    assert [d.phase for d in await live.dialogs(h.tenant_id, "101")] in (
        [],
        [DialogPhase.TERMINATED],
    )
    assert [d.phase for d in await live.dialogs(h.tenant_id, "103")] == [DialogPhase.CONFIRMED]
    assert (await h.cdr(ringing.call_id)).callee == "103"
    with pytest.raises(Conflict):  # answered: nothing to pick up any more
        await control.pickup(h.tenant_id, ringing.call_id, "103")


async def test_pickup_refusals(w: World) -> None:
    h, control, _ = w
    ringing = h["102"].invite("101")
    await h.settle()
    with pytest.raises(NotFound):  # another tenant's extension is unknown here
        await control.pickup(h.tenant_id, ringing.call_id, "201")
    with pytest.raises(NotFound):  # another tenant cannot pick this call up
        await control.pickup(h.other_tenant_id, ringing.call_id, "201")
    await h.settle()
    assert h["beta-201"].incoming == []
    assert h.b2bua.calls[ringing.call_id].state is CallState.RINGING


async def test_a_parked_call_is_taken_back_by_ringing_the_attendant(w: World) -> None:
    h, control, park = w
    caller, _ = await answered_call(h)
    await control.park(h.tenant_id, caller.call_id)
    await h.settle()
    await control.pickup(h.tenant_id, caller.call_id, "103")
    await h.settle()
    assert park.parked_in(h.tenant_id, "701") is None
    attendant = h["103"].incoming[0]
    assert "answer-after=0" in (attendant.request.headers.get("Call-Info") or "")
    attendant.answer()
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "103")


# ---- click-to-call -----------------------------------------------------------------------------
async def test_click_to_call_rings_the_originator_then_the_target(w: World) -> None:
    h, control, _ = w
    call = await control.originate(h.tenant_id, "101", "103")
    await h.settle()
    assert call.state is CallState.RINGING
    first = h["101"].incoming[0]
    assert first.request.from_ is not None
    assert first.request.from_.display_name == "103"  # the number about to be dialled
    assert first.request.body  # Centrex's own offer
    assert h["103"].incoming == []
    first.ring()
    await h.settle()
    first.answer()
    await h.settle()
    target = h["103"].incoming[0]
    assert target.request.from_ is not None
    assert target.request.from_.uri.user == "101"
    assert (await h.cdr(call.call_id)).answered_at is None  # billed from the target's answer
    target.answer()
    await h.settle()
    assert bridged(h, call.call_id) == ("101", "103")
    cdr = await h.cdr(call.call_id)
    assert (cdr.caller, cdr.callee, cdr.direction) == ("101", "103", Direction.INTERNAL)
    assert cdr.answered_at is not None
    first.bye()
    await h.settle()
    assert target.methods()[-1] == "BYE"
    assert h.live_calls() == 0
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED
    legs = await h.legs(cdr.id)
    assert [leg.peer for leg in legs] == ["101", "103"]
    assert all(leg.ended_at is not None for leg in legs)
    assert h.errors.records == []


async def test_click_to_call_not_answered_by_the_originator_ends_there(w: World) -> None:
    h, control, _ = w
    call = await control.originate(h.tenant_id, "101", "103")
    await h.settle()
    h["101"].incoming[0].reject(603)
    await h.settle()
    assert h.live_calls() == 0
    assert h["103"].incoming == []
    assert (await h.cdr(call.call_id)).answered_at is None
    assert h.limits.tenant_calls(h.tenant_id) == 0


async def test_click_to_call_target_busy_hangs_up_the_originator(w: World) -> None:
    h, control, _ = w
    call = await control.originate(h.tenant_id, "101", "103")
    await h.settle()
    first = h["101"].incoming[0]
    first.answer()
    await h.settle()
    h["103"].incoming[0].reject(486)
    await h.settle()
    assert first.methods()[-1] == "BYE"
    assert h.live_calls() == 0
    assert (await h.cdr(call.call_id)).disposition is Disposition.BUSY


async def test_click_to_call_refusals_ring_nobody(w: World) -> None:
    h, control, _ = w
    with pytest.raises(NotFound):
        await control.originate(h.tenant_id, "201", "103")  # another tenant's extension
    with pytest.raises(NotFound):
        await control.originate(h.other_tenant_id, "101", "102")  # 101 is not beta's
    with pytest.raises(NotFound):
        await control.originate(h.tenant_id, "101", "109")  # no such target
    with pytest.raises(ValidationFailed):
        await control.originate(h.tenant_id, "101", "sip:103")
    await h.settle()
    assert [h[name].incoming for name in ("101", "103", "beta-102")] == [[], [], []]
    assert h.live_calls() == 0
    assert h.limits.tenant_calls(h.tenant_id) == 0


# ---- attended transfer -------------------------------------------------------------------------
def talking(h: Harness, one: SipSide, other: SipSide) -> bool:
    """The two sides' media legs are bridged with each other."""
    if one.media is None or other.media is None:
        return False
    bridge = h.engine.bridges.get(one.media.leg_id)
    return bridge is not None and bridge.other(one.media) is other.media


async def consulting(
    h: Harness, control: CallControl
) -> tuple[OutgoingCall, IncomingCall, IncomingCall]:
    """102 calls 101; the API starts an attended transfer of 102 to 103, which answers."""
    caller, callee = await answered_call(h)
    result = await control.transfer(h.tenant_id, caller.call_id, "103", mode="attended")
    assert result["state"] == "ringing"
    await h.settle()
    call = h.b2bua.calls[caller.call_id]
    assert control._music is not None
    assert call.a.media is not None
    assert control._music.playing(call.a.media)  # 102 holds with music
    assert call.transfer is not None
    assert call.transfer.ringback is not None  # 101 hears ringback
    with pytest.raises(Conflict):  # nobody to hand over to yet
        await control.complete_transfer(h.tenant_id, caller.call_id)
    target = h["103"].incoming[0]
    target.answer()
    await h.settle()
    assert call.b is not None
    target_side = next(f for f in call.forks if f.peer == "103")
    assert talking(h, call.b, target_side)  # 101 and 103 talk
    assert not talking(h, call.a, call.b)
    return caller, callee, target


async def test_attended_transfer_consults_then_completes(w: World) -> None:
    h, control, _ = w
    caller, callee, target = await consulting(h, control)
    await control.complete_transfer(h.tenant_id, caller.call_id)
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "103")
    assert callee.methods()[-1] == "BYE"
    assert caller.methods() == []
    assert target.methods() == ["ACK"]
    call = h.b2bua.calls[caller.call_id]
    assert control._music is not None
    assert call.a.media is not None
    assert not control._music.playing(call.a.media)
    legs = await h.legs((await h.cdr(caller.call_id)).id)
    assert [(leg.peer, leg.hangup_cause, leg.transferred_by) for leg in legs] == [
        ("101", "transferred", None), ("103", None, "101"),
    ]  # fmt: skip
    with pytest.raises(Conflict):
        await control.cancel_transfer(h.tenant_id, caller.call_id)


async def test_the_transferor_hanging_up_completes_the_attended_transfer(w: World) -> None:
    h, control, _ = w
    caller, callee, target = await consulting(h, control)
    callee.bye()
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "103")
    assert target.methods() == ["ACK"]
    assert h.live_calls() == 1


async def test_cancel_returns_the_held_party(w: World) -> None:
    h, control, _ = w
    caller, callee, target = await consulting(h, control)
    with pytest.raises(NotFound):  # another tenant cannot touch it
        await control.cancel_transfer(h.other_tenant_id, caller.call_id)
    await control.cancel_transfer(h.tenant_id, caller.call_id)
    await h.settle()
    assert target.methods()[-1] == "BYE"
    assert bridged(h, caller.call_id) == ("102", "101")
    assert callee.methods() == ["ACK"]


async def test_the_target_refusing_or_hanging_up_returns_the_held_party(w: World) -> None:
    h, control, _ = w
    caller, callee = await answered_call(h)
    await control.transfer(h.tenant_id, caller.call_id, "103", mode="attended")
    await h.settle()
    h["103"].incoming[0].reject(486)
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "101")
    # a second consultation whose target hangs up
    await control.transfer(h.tenant_id, caller.call_id, "103", mode="attended")
    await h.settle()
    target = h["103"].incoming[1]
    target.answer()
    await h.settle()
    target.bye()
    await h.settle()
    assert bridged(h, caller.call_id) == ("102", "101")
    assert h.live_calls() == 1
    assert callee.methods() == ["ACK"]
    assert caller.methods() == []


async def test_the_held_party_hanging_up_ends_the_consultation_too(w: World) -> None:
    h, control, _ = w
    caller, callee, target = await consulting(h, control)
    caller.bye()
    await h.settle()
    assert h.live_calls() == 0
    assert callee.methods()[-1] == "BYE"
    assert target.methods()[-1] == "BYE"
