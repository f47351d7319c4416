"""Forking to every registered contact of an extension (RFC 3261 §16.7 as a B2BUA does it):
all ring in parallel, the first 2xx wins, the others get CANCEL; the caller's single answer when
all fail; and early media (183 with SDP, RFC 3261 §13.3.1.1 / RFC 3264) relayed with our SDP."""

from __future__ import annotations

from centrex.data.models import Disposition, HangupSide
from centrex.sip.sdp import parse_sdp
from tests.calls.harness import Harness


async def test_both_devices_ring_and_the_first_answer_wins(h: Harness) -> None:
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    first, second = h["102"].incoming[0], h["102b"].incoming[0]
    # one INVITE per contact, each its own dialog, each with an offer on its own B leg
    assert first.request.call_id != second.request.call_id
    assert (first.request.uri.port, second.request.uri.port) == (5072, 5074)
    assert first.offer().media[0].port != second.offer().media[0].port
    first.ring()
    second.ring()
    await h.settle()
    assert call.statuses == [100, 180, 180]

    second.answer()
    await h.settle()
    assert call.statuses == [100, 180, 180, 200]
    assert second.methods() == ["ACK"]
    # the other device was cancelled and answered 487 (its INVITE transaction's ACK followed)
    assert first.cancelled
    assert [r.status for r in first.responses] == [180, 487]
    assert len(h.network.sent_to(h["102"].address, "CANCEL")) == 1
    assert h.network.sent_to(h["102b"].address, "CANCEL") == []
    # the caller's SDP answer is built against the device that answered
    assert parse_sdp(call.final.body).media[0].port not in (
        first.offer().media[0].port,
        second.offer().media[0].port,
    )

    cdr = await h.cdr(call.call_id)
    legs = await h.legs(cdr.id)
    assert [leg.peer for leg in legs] == ["102", "102"]
    assert legs[0].disposition is Disposition.NO_ANSWER
    assert legs[0].hangup_cause == "sip-487"
    assert legs[1].ended_at is None  # the answered leg lives with its call

    call.bye()
    await h.settle()
    assert second.methods() == ["ACK", "BYE"]
    assert first.methods() == []  # nothing more for the cancelled device
    legs = await h.legs(cdr.id)
    assert legs[1].disposition is Disposition.ANSWERED
    assert (await h.cdr(call.call_id)).hangup_side is HangupSide.CALLER
    assert h.engine.legs == {}


async def test_one_device_busy_the_other_answers(h: Harness) -> None:
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].reject(486)  # busy on another call
    await h.settle()
    assert call.statuses == [100]  # not final: the other device still rings
    h["102b"].incoming[0].answer()
    await h.settle()
    assert call.statuses == [100, 200]
    cdr = await h.cdr(call.call_id)
    legs = await h.legs(cdr.id)
    assert [leg.disposition for leg in legs] == [Disposition.BUSY, None]
    assert cdr.answered_at is not None


async def test_every_device_failing_gives_the_caller_one_answer(h: Harness) -> None:
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].reject(603)
    await h.settle()
    assert call.statuses == [100]
    h["102b"].incoming[0].reject(486)
    await h.settle()
    assert call.statuses == [100, 486]  # busy wins over decline
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.BUSY
    legs = await h.legs(cdr.id)
    assert [leg.hangup_cause for leg in legs] == ["sip-603", "sip-486"]


async def test_caller_cancel_cancels_every_fork(h: Harness) -> None:
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].ring()
    await h.settle()
    call.cancel()
    await h.settle()
    assert call.status == 487
    for name in ("102", "102b"):
        assert h[name].incoming[0].cancelled
        assert len(h.network.sent_to(h[name].address, "CANCEL")) == 1
    assert (await h.cdr(call.call_id)).disposition is Disposition.CANCELLED
    assert h.engine.legs == {}


async def test_early_media_is_relayed_as_183_with_our_sdp(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.progress()  # 183 with the phone's SDP: an announcement, a ringback of its own
    await h.settle()
    assert call.statuses == [100, 183]
    early = call.invite.responses[-1]
    assert early.to is not None
    assert early.to.tag is not None
    assert early.content_type == "application/sdp"
    sdp = parse_sdp(early.body)
    # Centrex's A leg, never the callee's own address and port (B2BUA: media anchored)
    assert sdp.connection is not None
    assert sdp.connection.address == "127.0.0.1"
    assert sdp.media[0].port != h["102"].rtp_port
    assert sdp.media[0].port != incoming.offer().media[0].port
    incoming.answer()
    await h.settle()
    assert call.statuses == [100, 183, 200]
    assert parse_sdp(call.final.body).media[0].port == sdp.media[0].port  # the same A leg
    assert [e.state for e in h.events if hasattr(e, "state")].count("ringing") == 0


async def test_a_180_without_sdp_is_relayed_as_180(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].ring()
    await h.settle()
    ringing = call.invite.responses[-1]
    assert ringing.status == 180
    assert ringing.body == b""
