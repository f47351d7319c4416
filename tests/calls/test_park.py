"""Call park through the B2BUA (calls/features/park.py) on the in-memory network and the
ManualClock: a blind transfer (REFER) to 700 parks the transferee in 701, then 702; it hears
music on hold; the transferor gets NOTIFY 200 naming the slot and its BYE; dialling the slot
retrieves the call; unretrieved, the parker is rung back at exactly the deadline and, when it
does not answer, the call ends; another tenant's slots are its own; every slot taken is 486."""

from __future__ import annotations

import contextlib
import wave
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import cast

import pytest

from centrex.calls.call_media import CallMediaHost
from centrex.calls.features.blf import BusyLamps
from centrex.calls.features.park import CallPark
from centrex.calls.features.park_lot import ParkLot
from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.calls.leg import TimerKind
from centrex.calls.live_state import DialogPhase
from centrex.data.models import Disposition
from centrex.sip.dialog_info import parse_dialog_info
from tests.calls.harness import Harness, make_harness
from tests.calls.test_transfer_refer import DONE, TRYING, answer_notifies, notifies, refer
from tests.calls.uas import CallLeg, IncomingCall, OutgoingCall

TIMEOUT = 60.0
RING_BACK = 20.0


class Music:
    """The tenant's music on hold: one second of a quiet tone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\x10\x00\xf0\xff" * 4000)

    async def hold_music(self, tenant_id: int) -> Path | None:
        return self.path


@contextlib.asynccontextmanager
async def world(url: str, tmp: Path) -> AsyncIterator[tuple[Harness, CallPark]]:
    park = CallPark(timeout=TIMEOUT, ring_back_seconds=RING_BACK,
                    music=cast(CallMediaHost, Music(tmp / "moh.wav")))  # fmt: skip
    async with make_harness(url, features=(BusyLamps(), ReferTransfer(), park)) as h:
        for phone in h.phones.values():
            answer_notifies(phone)
        yield h, park


@pytest.fixture
async def world_(sqlite_url: str, tmp_path: Path) -> AsyncIterator[tuple[Harness, CallPark]]:
    async with world(sqlite_url, tmp_path) as pair:
        yield pair


async def parked_call(
    h: Harness, caller: str = "102", transferor: str = "101", dialled: str | None = None
) -> tuple[OutgoingCall, IncomingCall]:
    """`caller` calls `transferor` (its number: `dialled`), which answers and blind-transfers
    the call to 700."""
    outgoing, incoming = await h.call(caller, dialled or transferor, transferor)
    sent = refer(incoming, f"<sip:700@{h[transferor].domain}>")
    await h.settle()
    assert sent.status == 202
    return outgoing, incoming


def sipfrag_text(leg: IncomingCall) -> bytes:
    return leg.received("NOTIFY")[-1].request.body


async def test_park_takes_slot_701_then_702_with_music_and_a_notify(
    world_: tuple[Harness, CallPark],
) -> None:
    h, park = world_
    await h.register("101", "102", "103")
    caller, transferor = await parked_call(h)
    assert notifies(transferor) == [TRYING, (200, "refer;id=1", DONE)]
    assert b"200 OK (parked in 701)" in sipfrag_text(transferor)
    assert transferor.methods()[-1] == "BYE"  # released after the NOTIFY
    assert caller.methods() == []  # the parked party stays, no signalling to it
    call = h.b2bua.calls[caller.call_id]
    assert park.parked_in(h.tenant_id, "701") is call
    live = h.b2bua.core.deps.live
    assert await live.parked(h.tenant_id, "701") == caller.call_id
    slot = await live.dialogs(h.tenant_id, "701")
    assert [(d.call_id, d.phase) for d in slot] == [(caller.call_id, DialogPhase.CONFIRMED)]
    assert await live.dialogs(h.tenant_id, "101") == []  # the parker is free again
    assert call.b is None
    assert call.a.media is not None
    assert call.a.media.leg_id not in h.engine.bridges
    assert park.music_playing(call)
    legs = await h.legs((await h.cdr(caller.call_id)).id)
    assert [(leg.peer, leg.hangup_cause) for leg in legs] == [("101", "transferred")]
    # a second call parked by the same phone goes to the next slot
    second, transferor2 = await parked_call(h, "103")
    assert b"parked in 702" in sipfrag_text(transferor2)
    assert await live.parked(h.tenant_id, "702") == second.call_id
    assert h.live_calls() == 2


async def test_dialling_the_slot_retrieves_the_call(world_: tuple[Harness, CallPark]) -> None:
    h, park = world_
    await h.register("101", "102", "103")
    caller, _ = await parked_call(h)
    call = h.b2bua.calls[caller.call_id]
    retriever = h["103"].invite("701")
    await h.settle()
    assert retriever.status == 200
    assert retriever.call_id not in h.b2bua.calls
    assert call.b is not None
    assert call.b.peer == "103"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert not park.music_playing(call)
    live = h.b2bua.core.deps.live
    assert await live.parked(h.tenant_id, "701") is None
    assert await live.dialogs(h.tenant_id, "701") == []
    assert call.timers.deadline(TimerKind.FEATURE, "park") is None
    cdr = await h.cdr(caller.call_id)
    assert cdr.callee == "103"
    legs = await h.legs(cdr.id)
    assert [(leg.peer, leg.transferred_by) for leg in legs][-1] == ("103", "101")
    own = await h.cdr(retriever.call_id)
    assert (own.disposition, own.hangup_cause) == (Disposition.ANSWERED, "park-retrieved")
    # nothing rings the parker back later
    await h.advance(TIMEOUT + 1)
    assert len(h["101"].incoming) == 1
    retriever.bye()
    await h.settle()
    assert caller.methods() == ["BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_an_empty_slot_and_dialling_700_are_refused(
    world_: tuple[Harness, CallPark],
) -> None:
    h, _ = world_
    await h.register("101", "103")
    empty = h["103"].invite("701")
    direct = h["103"].invite("700")
    await h.settle()
    assert empty.status == 404
    assert "nothing is parked in 701" in (empty.final.headers.get("Warning") or "")
    assert direct.status == 403
    assert "transfer a call to 700" in (direct.final.headers.get("Warning") or "")
    assert h.live_calls() == 0


async def test_unretrieved_the_parker_rings_back_at_the_deadline(
    world_: tuple[Harness, CallPark],
) -> None:
    h, park = world_
    await h.register("101", "102", "103")
    caller, _ = await parked_call(h)
    parked_at = h.clock.monotonic()
    call = h.b2bua.calls[caller.call_id]
    assert call.timers.deadline(TimerKind.FEATURE, "park") == parked_at + TIMEOUT
    await h.advance(TIMEOUT - 0.5)
    assert len(h["101"].incoming) == 1  # only the original call so far
    await h.advance(0.5)
    assert len(h["101"].incoming) == 2
    ring_back = h["101"].incoming[-1]
    assert ring_back.invite is not None
    assert ring_back.invite.at == parked_at + TIMEOUT
    assert await h.b2bua.core.deps.live.parked(h.tenant_id, "701") is None
    assert park.music_playing(call)  # still music while the parker's phone rings
    retrieve = h["103"].invite("701")
    await h.settle()
    assert retrieve.status == 404  # the call left its slot
    ring_back.ring()
    await h.settle()
    ring_back.answer()
    await h.settle()
    assert call.b is not None
    assert call.b.peer == "101"
    assert call.a.media is not None
    assert call.b.media is not None
    assert h.engine.bridges[call.a.media.leg_id].other(call.a.media) is call.b.media
    assert not park.music_playing(call)
    assert (await h.cdr(caller.call_id)).callee == "101"
    caller.bye()
    await h.settle()
    assert ring_back.methods() == ["ACK", "BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_an_unanswered_ring_back_ends_the_call(world_: tuple[Harness, CallPark]) -> None:
    h, _ = world_
    await h.register("101", "102")
    caller, _ = await parked_call(h)
    parked_at = h.clock.monotonic()
    await h.advance(TIMEOUT)
    ring_back = h["101"].incoming[-1]
    ring_back.ring()
    await h.advance(RING_BACK - 0.5)
    assert caller.methods() == []
    await h.advance(0.5)
    assert ring_back.cancelled
    assert caller.methods() == ["BYE"]
    assert h.clock.monotonic() == parked_at + TIMEOUT + RING_BACK
    cdr = await h.cdr(caller.call_id)
    assert cdr.hangup_cause == "park-unanswered"
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_the_parked_party_hanging_up_frees_the_slot(
    world_: tuple[Harness, CallPark],
) -> None:
    h, _ = world_
    await h.register("101", "102")
    caller, _ = await parked_call(h)
    caller.bye()
    await h.settle()
    live = h.b2bua.core.deps.live
    assert await live.parked(h.tenant_id, "701") is None
    assert await live.dialogs(h.tenant_id, "701") == []
    await h.advance(TIMEOUT + 1)
    assert len(h["101"].incoming) == 1  # no ring-back for a call that is gone
    assert h.live_calls() == 0


async def test_every_slot_taken_returns_the_call_to_the_transferor(
    world_: tuple[Harness, CallPark],
) -> None:
    h, _ = world_
    live = h.b2bua.core.deps.live
    for n in range(9):
        assert await live.claim_park_slot(h.tenant_id, ParkLot().slots, f"other-{n}") is not None
    await h.register("101", "102")
    caller, transferor = await parked_call(h)
    assert notifies(transferor)[-1] == (486, "refer;id=1", DONE)
    call = h.b2bua.calls[caller.call_id]
    assert call.b is not None
    assert call.b.peer == "101"  # bridged back
    assert "BYE" not in transferor.methods()


async def test_another_tenants_slot_cannot_be_retrieved(world_: tuple[Harness, CallPark]) -> None:
    h, park = world_
    await h.register("101", "102", "beta-102", "beta-201")
    caller, _ = await parked_call(h)
    stranger = h["beta-201"].invite("701")
    await h.settle()
    assert stranger.status == 404
    assert park.parked_in(h.tenant_id, "701") is h.b2bua.calls[caller.call_id]
    # beta's own 701 is a slot of its own, free although acme's 701 is taken
    beta_call, _ = await parked_call(h, "beta-102", "beta-201", "201")
    live = h.b2bua.core.deps.live
    assert await live.parked(h.other_tenant_id, "701") == beta_call.call_id
    assert await live.parked(h.tenant_id, "701") == caller.call_id
    # acme's retriever gets acme's call, never beta's
    retriever = h["101"].invite("701")
    await h.settle()
    assert retriever.status == 200
    assert h.b2bua.calls[caller.call_id].b is not None
    assert h.b2bua.calls[beta_call.call_id].b is None


def lamp_states(leg: CallLeg) -> list[list[str]]:
    """The dialog states of every NOTIFY of a busy-lamp subscription, in order."""
    bodies = [parse_dialog_info(r.request.body) for r in leg.received("NOTIFY")]
    return [[d.state for d in info.dialogs] for info in bodies]


async def test_a_busy_lamp_on_a_slot_shows_the_parked_call(
    world_: tuple[Harness, CallPark],
) -> None:
    h, _ = world_
    await h.register("101", "102", "103", "beta-201")
    lamp = h["103"].subscribe("701")
    stranger = h["beta-201"].subscribe("701")  # beta's own 701, empty
    await h.settle()
    assert lamp.sent[-1].status == 200
    assert lamp_states(lamp) == [[]]
    caller, _ = await parked_call(h)
    assert lamp_states(lamp)[-1] == ["confirmed"]
    assert lamp_states(stranger) == [[]]  # another tenant sees nothing of acme's slot
    retriever = h["101"].invite("701")
    await h.settle()
    assert retriever.status == 200
    assert lamp_states(lamp)[-1] == []
    assert caller.call_id in h.b2bua.calls


async def test_a_transferee_leaving_while_the_slot_is_claimed_keeps_no_slot(
    world_: tuple[Harness, CallPark],
) -> None:
    h, park = world_
    live = h.b2bua.core.deps.live
    original = live.claim_park_slot

    async def claim_then_leave(tenant_id: int, slots: Sequence[str], call_id: str) -> str | None:
        slot = await original(tenant_id, slots, call_id)
        await h.b2bua.hangup(call_id, tenant_id)  # a shared live state answers late
        return slot

    live.claim_park_slot = claim_then_leave  # type: ignore[method-assign]
    await h.register("101", "102")
    caller, transferor = await parked_call(h)
    assert await live.parked(h.tenant_id, "701") is None
    assert park.parked_in(h.tenant_id, "701") is None
    assert caller.methods() == ["BYE"]
    assert notifies(transferor)[-1][0] == 487
    assert h.live_calls() == 0
    assert h.engine.legs == {}
