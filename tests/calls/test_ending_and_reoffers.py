"""Edges of ending a call and of re-offers inside one (calls/ending.py, calls/in_dialog.py):
an administrator or a shutdown ending calls that are still ringing, re-INVITEs Centrex must
refuse without harming the call (no common codec either way, CSeq out of order: RFC 3261
§12.2.2, RFC 3264 §6/§8), and requests crossing the end of a call."""

from __future__ import annotations

from centrex.data.models import Disposition, HangupSide
from centrex.sip.dialog import Dialog
from tests.calls.harness import Harness
from tests.calls.uas import CallLeg

G729_ONLY = (18,)  # a codec Centrex does not speak


async def test_an_administrator_ending_a_ringing_call_cancels_the_callee(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.ring()
    await h.settle()
    assert h.limits.tenant_calls(h.tenant_id) == 1

    assert await h.b2bua.hangup(call.call_id, h.tenant_id)
    await h.settle()
    assert call.statuses == [100, 180, 480]
    warning = call.final.headers.get("Warning")
    assert warning is not None
    assert "ended by an administrator" in warning
    assert incoming.cancelled  # the callee stops ringing (CANCEL, §9.1)
    assert [r.status for r in incoming.responses][-1] == 487
    cdr = await h.cdr(call.call_id)
    assert (cdr.disposition, cdr.hangup_side, cdr.hangup_cause) == (
        Disposition.NO_ANSWER, HangupSide.SYSTEM, "sip-480",
    )  # fmt: skip
    assert cdr.answered_at is None
    assert h.live_calls() == 0
    assert h.limits.tenant_calls(h.tenant_id) == 0  # the licence slot is free again


async def test_shutdown_ends_every_call_answered_or_ringing(h: Harness) -> None:
    await h.register("101", "102", "103", "beta-102", "beta-201")
    answered, callee = await h.call("101", "102")
    ringing = h["beta-201"].invite("102")
    await h.settle()
    their_callee = h["beta-102"].incoming[0]
    h.clock.advance(3.0)

    await h.b2bua.close()
    await h.settle()
    assert [r.method for r in answered.requests] == ["BYE"]
    assert callee.methods() == ["ACK", "BYE"]
    assert ringing.status == 480
    assert their_callee.cancelled
    first = await h.cdr(answered.call_id)
    second = await h.cdr(ringing.call_id)
    assert (first.disposition, first.hangup_cause, first.billsec) == (
        Disposition.ANSWERED, "hangup-by-admin", 3,
    )  # fmt: skip
    assert second.disposition is Disposition.NO_ANSWER
    assert first.ended_at is not None
    assert second.ended_at is not None
    assert h.b2bua.calls == {}
    assert h.limits.tenant_calls(h.tenant_id) == 0
    assert h.limits.tenant_calls(h.other_tenant_id) == 0


async def _answered(h: Harness) -> tuple[CallLeg, CallLeg]:
    await h.register("101", "102")
    return await h.call("101", "102")


async def test_a_reoffer_without_a_common_codec_is_488_and_never_relayed(h: Harness) -> None:
    call, incoming = await _answered(h)
    refused = call.reinvite(h["101"].sdp(payload_types=G729_ONLY))
    await h.settle()
    assert refused.status == 488
    assert incoming.received("INVITE") == []  # the callee never hears of it
    # the call goes on: a good re-offer still goes through
    good = call.reinvite(h["101"].sdp("sendonly"))
    await h.settle(until=lambda: len(incoming.received("INVITE")) == 1)
    incoming.answer_request(incoming.received("INVITE")[0], 200, h["102"].sdp("recvonly"))
    await h.settle()
    assert good.status == 200
    assert h.live_calls() == 1


async def test_a_relayed_answer_without_a_common_codec_is_488_to_the_offerer(
    h: Harness,
) -> None:
    call, incoming = await _answered(h)
    offer = call.reinvite(h["101"].sdp("sendonly"))
    await h.settle(until=lambda: len(incoming.received("INVITE")) == 1)
    relayed = incoming.received("INVITE")[0]
    incoming.answer_request(relayed, 200, h["102"].sdp("recvonly", payload_types=G729_ONLY))
    await h.settle()
    assert offer.status == 488
    assert incoming.methods()[-1] == "ACK"  # the callee's 2xx was ACKed all the same (§13.2.2.4)
    assert h.live_calls() == 1
    assert call.received("BYE") == []
    assert incoming.received("BYE") == []


async def test_a_reinvite_with_a_cseq_out_of_order_is_500(h: Harness) -> None:
    call, incoming = await _answered(h)
    info = call.info()  # CSeq 2
    await h.settle()
    assert info.status == 200
    assert call.dialog is not None
    call.dialog.local_cseq = 1  # the phone's next request reuses CSeq 2
    stale = call.reinvite(h["101"].sdp("sendonly"))
    await h.settle()
    assert stale.status == 500
    assert incoming.received("INVITE") == []
    assert h.live_calls() == 1


async def test_a_reoffer_before_the_answer_is_not_relayed(h: Harness) -> None:
    """An UPDATE on the caller's early dialog (RFC 3311 §5.1) while the callee rings: nothing
    is bridged yet, so Centrex accepts it and relays nothing."""
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.ring()
    await h.settle()
    response = call.invite.responses[-1]
    assert response.status == 180
    call.dialog = Dialog.from_uac(call.invite.request, response)  # the early dialog
    update = call.update()
    await h.settle()
    assert update.status == 200
    assert incoming.received("UPDATE") == []
    incoming.answer()
    await h.settle()
    assert call.status == 200
    assert h.live_calls() == 1


async def test_a_bye_crossing_the_administrators_hang_up_ends_the_call_once(
    h: Harness,
) -> None:
    call, incoming = await _answered(h)
    bye = incoming.bye()  # in flight when the administrator hangs up
    assert await h.b2bua.hangup(call.call_id, h.tenant_id)
    await h.settle()
    assert bye.status == 481  # it arrives after the call is gone (§15.1.2)
    assert len(call.received("BYE")) == 1  # the caller gets one BYE, not two
    cdr = await h.cdr(call.call_id)
    assert cdr.hangup_side is HangupSide.SYSTEM
    assert await h.cdr_count() == 1
    assert h.live_calls() == 0


async def test_a_fork_that_lost_and_hangs_up_itself_ends_nothing_else(h: Harness) -> None:
    """Both devices of 102 answer at once: the first 2xx wins (§16.7 step 5 for a forking
    B2BUA), and the loser, which hangs up before Centrex's BYE reaches it, is only released."""
    await h.register("101", "102", "102b")
    call = h["101"].invite("102")
    await h.settle()
    winner, loser = h["102"].incoming[0], h["102b"].incoming[0]
    winner.answer()
    loser.answer()
    bye = loser.bye()  # the loser's BYE crosses Centrex's ACK and BYE
    await h.settle()
    assert call.status == 200
    assert bye.status == 200
    assert winner.methods() == ["ACK"]  # the call with the winner is untouched
    assert call.received("BYE") == []
    live = h.b2bua.calls[call.call_id]
    assert live.b is not None
    assert live.b.peer == "102"
    assert h.live_calls() == 1
    cdr = await h.cdr(call.call_id)
    assert cdr.answered_at is not None
    assert cdr.ended_at is None
    call.bye()
    await h.settle()
    assert winner.methods() == ["ACK", "BYE"]
    assert h.live_calls() == 0
    assert h.engine.legs == {}
