"""In-dialog requests of an answered call: re-INVITE hold and resume relayed to the other side
(RFC 3261 §14, RFC 3264 §8.4), a refused re-INVITE, BYE crossing a pending re-INVITE (§15),
INFO, and 481 for requests in a dialog Centrex does not know (§12.2.2)."""

from __future__ import annotations

from centrex.data.models import Disposition, HangupSide
from centrex.sip.sdp import SessionDescription, parse_sdp
from tests.calls.harness import Harness
from tests.calls.uas import CallLeg, ReceivedRequest


def _direction(sdp: SessionDescription) -> str:
    return sdp.effective_direction(sdp.media[0])


async def _pending_reinvite(h: Harness, leg: CallLeg, count: int = 1) -> ReceivedRequest:
    """Settle until the relayed re-INVITE reached `leg` (Centrex waits for its answer)."""
    await h.settle(until=lambda: len(leg.received("INVITE")) >= count)
    return leg.received("INVITE")[count - 1]


async def test_hold_and_resume_from_the_caller_reach_the_callee(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    b_port = incoming.offer().media[0].port
    a_port = parse_sdp(call.final.body).media[0].port

    hold = call.reinvite(h["101"].sdp("sendonly"))
    relayed = await _pending_reinvite(h, incoming)
    offer = parse_sdp(relayed.request.body)
    assert _direction(offer) == "sendonly"  # the held party is told so
    assert offer.media[0].port == b_port  # still Centrex's B leg: media stays anchored
    assert relayed.request.cseq is not None
    assert relayed.request.cseq.number == 2  # the next CSeq of Centrex's side of that dialog
    assert relayed.request.to is not None
    assert relayed.request.to.tag == incoming.tag
    incoming.answer_request(relayed, 200, h["102"].sdp("recvonly"))
    await h.settle()
    assert hold.status == 200
    answer = parse_sdp(hold.final.body)  # type: ignore[union-attr]
    assert _direction(answer) == "recvonly"
    assert answer.media[0].port == a_port
    assert incoming.methods() == ["ACK", "INVITE", "ACK"]  # Centrex ACKed the relayed 2xx

    resume = call.reinvite(h["101"].sdp("sendrecv"))
    relayed = await _pending_reinvite(h, incoming, 2)
    assert _direction(parse_sdp(relayed.request.body)) == "sendrecv"
    assert relayed.request.cseq is not None
    assert relayed.request.cseq.number == 3
    incoming.answer_request(relayed, 200, h["102"].sdp("sendrecv"))
    await h.settle()
    assert resume.status == 200
    assert _direction(parse_sdp(resume.final.body)) == "sendrecv"  # type: ignore[union-attr]
    assert h.live_calls() == 1
    cdr = await h.cdr(call.call_id)
    assert cdr.ended_at is None  # hold and resume do not end anything


async def test_hold_from_the_callee_reaches_the_caller(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    hold = incoming.reinvite(h["102"].sdp("sendonly"))
    relayed = await _pending_reinvite(h, call)
    assert _direction(parse_sdp(relayed.request.body)) == "sendonly"
    assert relayed.request.from_ is not None
    assert relayed.request.from_.tag == call.final.to.tag  # type: ignore[union-attr]
    call.answer_request(relayed, 200, h["101"].sdp("recvonly"))
    await h.settle()
    assert hold.status == 200
    assert _direction(parse_sdp(hold.final.body)) == "recvonly"  # type: ignore[union-attr]
    assert call.methods() == ["INVITE", "ACK"]


async def test_a_refused_reinvite_is_relayed_back_and_the_call_goes_on(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    offer = call.reinvite(h["101"].sdp("sendonly"))
    relayed = await _pending_reinvite(h, incoming)
    incoming.answer_request(relayed, 488)
    await h.settle()
    assert offer.status == 488
    assert h.live_calls() == 1
    bye = call.bye()
    await h.settle()
    assert bye.status == 200
    assert incoming.methods()[-1] == "BYE"


async def test_a_reinvite_without_sdp_is_accepted_and_not_relayed(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    refresh = call.reinvite(b"")
    await h.settle()
    assert refresh.status == 200
    assert incoming.received("INVITE") == []


async def test_bye_crossing_a_pending_reinvite(h: Harness) -> None:
    """101 puts the call on hold while 102 hangs up: the relayed re-INVITE is pending at 102
    when 102's BYE arrives. Both sides end; the re-INVITE is answered; the CDR says callee."""
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    hold = call.reinvite(h["101"].sdp("sendonly"))
    relayed = await _pending_reinvite(h, incoming)
    bye = incoming.bye()  # crosses the re-INVITE on the wire
    # Centrex still waits for 102's answer to the re-INVITE: settle until the BYEs are through
    await h.settle(until=lambda: bye.status == 200 and bool(call.received("BYE")))
    assert bye.status == 200
    assert call.methods() == ["BYE"]
    assert call.received("BYE")[0].answered == 200
    incoming.answer_request(relayed, 481)  # 102 already left that dialog
    await h.settle()
    assert hold.status is not None
    assert hold.status >= 400  # the hold could not happen: the call is gone
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED
    assert cdr.hangup_side is HangupSide.CALLEE
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_bye_from_the_reinviting_side_while_its_reinvite_is_pending(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    hold = call.reinvite(h["101"].sdp("sendonly"))
    relayed = await _pending_reinvite(h, incoming)
    bye = call.bye()  # 101 gives up waiting and hangs up
    await h.settle(until=lambda: bye.status == 200 and bool(incoming.received("BYE")))
    assert bye.status == 200
    assert incoming.methods()[-1] == "BYE"
    incoming.answer_request(relayed, 487)
    await h.settle()
    assert hold.status is not None
    assert hold.status >= 400
    cdr = await h.cdr(call.call_id)
    assert cdr.hangup_side is HangupSide.CALLER
    assert h.live_calls() == 0


async def test_info_in_a_dialog_is_answered_200(h: Harness) -> None:
    await h.register("101", "102")
    call, _incoming = await h.call("101", "102")
    info = call.info()
    await h.settle()
    assert info.statuses == [200]
    assert info.final is not None
    assert info.final.to is not None
    assert info.final.to.tag == call.final.to.tag  # type: ignore[union-attr]
    assert h.live_calls() == 1


async def test_unknown_dialogs_are_481(h: Harness) -> None:
    await h.register("101", "102")
    bye = h["101"].stray("BYE")
    reinvite = h["101"].stray("INVITE", sdp=h["101"].sdp())
    info = h["101"].stray("INFO")
    update = h["101"].stray("UPDATE", sdp=h["101"].sdp())
    await h.settle()
    assert bye.statuses == [481]
    assert reinvite.status == 481
    assert info.statuses == [481]
    assert update.statuses == [481]
    assert h["102"].requests == []  # nothing was relayed anywhere
    assert h.live_calls() == 0
    assert await h.cdr_count() == 0


async def test_requests_after_the_end_are_481(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    call.bye()
    await h.settle()
    assert call.dialog is not None
    late_info = call.info()
    late_reinvite = call.reinvite(h["101"].sdp("sendonly"))
    await h.settle()
    assert late_info.statuses == [481]
    assert late_reinvite.status == 481
    assert incoming.methods() == ["ACK", "BYE"]
