"""Retransmissions and races the network produces on its own: duplicated requests absorbed by
the transactions (RFC 3261 §17.2.1), a callee's 2xx retransmitted because our ACK was lost
(ACKed again, §13.2.2.4), a CANCEL that arrives after the answer (no effect, §9.2), several
calls at once, and a phone that unregisters before it is called."""

from __future__ import annotations

from centrex.data.models import Disposition, HangupSide
from centrex.sip.message import Response
from tests.calls.harness import CENTREX, Harness


def _resend(h: Harness, source: tuple[str, int], target: tuple[str, int], data: bytes) -> None:
    """Put a copy of a datagram on the wire again (what a UDP retransmission looks like)."""
    h.network.send(data, source, target, "UDP")


async def test_a_retransmitted_invite_makes_one_call(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    _resend(h, h["101"].address, CENTREX, call.invite.request.serialize())
    _resend(h, h["101"].address, CENTREX, call.invite.request.serialize())
    await h.settle()
    assert len(h["102"].incoming) == 1
    assert len(h.network.sent_to(h["102"].address, "INVITE")) == 1
    assert h.live_calls() == 1
    assert await h.cdr_count() == 1
    # the server transaction answered each copy with its last response (100 Trying)
    assert call.statuses.count(100) >= 1


async def test_a_retransmitted_bye_is_answered_again_and_ends_nothing_twice(h: Harness) -> None:
    await h.register("101", "102")
    call, _incoming = await h.call("101", "102")
    bye = call.bye()
    await h.settle()
    byes_to_102 = len(h.network.sent_to(h["102"].address, "BYE"))
    _resend(h, h["101"].address, CENTREX, bye.request.serialize())
    await h.settle()
    oks = [d for d in h.network.sent_to(h["101"].address) if d.label == "200 BYE"]
    assert len(oks) == 2  # the transaction repeats its 200 (§17.2.2)
    assert len(h.network.sent_to(h["102"].address, "BYE")) == byes_to_102 == 1
    cdr = await h.cdr(call.call_id)
    assert cdr.hangup_side is HangupSide.CALLER


async def test_a_callee_2xx_retransmission_is_acked_again(h: Harness) -> None:
    """Our ACK to 102 was lost, so 102 resends its 200 (§13.3.1.4 on its side): Centrex must
    ACK every copy (§13.2.2.4) and the caller must not see a second answer."""
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    ok = incoming.responses[-1]
    assert ok.status == 200
    _resend(h, h["102"].address, CENTREX, ok.serialize())
    await h.settle()
    acks = h.network.sent_to(h["102"].address, "ACK")
    assert len(acks) == 2
    assert acks[0].message.cseq == acks[1].message.cseq
    assert call.statuses.count(200) == 1
    assert h.live_calls() == 1


async def test_a_cancel_after_the_answer_changes_nothing(h: Harness) -> None:
    await h.register("101", "102")
    h["101"].auto_ack = False
    call = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[0].answer()
    await h.settle()
    assert call.status == 200
    cancel = call.cancel()  # crossed the 200 on the wire
    await h.settle()
    assert cancel.status is not None
    assert cancel.status in (200, 481)  # §9.2: either way, the INVITE is already answered
    assert call.statuses.count(487) == 0
    assert h.network.sent_to(h["102"].address, "CANCEL") == []
    call.ack()
    await h.settle()
    assert h.live_calls() == 1
    call.bye()
    await h.settle()
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED


async def test_several_calls_at_once_stay_apart(h: Harness) -> None:
    await h.register("101", "102", "103")
    first = h["101"].invite("102")
    second = h["103"].invite("101")
    await h.settle()
    to_102, to_101 = h["102"].incoming[0], h["101"].incoming[0]
    assert to_102.request.from_ is not None
    assert to_102.request.from_.uri.user == "101"
    assert to_101.request.from_ is not None
    assert to_101.request.from_.uri.user == "103"
    to_101.answer()
    to_102.reject(486)
    await h.settle()
    assert first.status == 486
    assert second.status == 200
    assert h.live_calls() == 1
    # 101 is in a call with 103 and can still place another one
    third = h["101"].invite("102")
    await h.settle()
    h["102"].incoming[1].answer()
    await h.settle()
    assert third.status == 200
    assert h.live_calls() == 2
    assert {(await h.cdr(c.call_id)).disposition for c in (first, second, third)} == {
        Disposition.BUSY,
        None,
    }
    assert len(h.engine.legs) == 4  # two bridged calls, two legs each


async def test_an_unregistered_phone_is_not_rung(h: Harness) -> None:
    await h.register("101", "102")
    h["102"].register(expires=0)  # the phone signs off
    await h.settle()
    assert h["102"].registrations[-1].status == 200
    assert h.registrar.lookup(h.tenant_id, "102") == []
    call = h["101"].invite("102")
    await h.settle()
    assert call.status == 480
    assert h["102"].incoming == []


async def test_an_unknown_final_response_to_a_bye_is_harmless(h: Harness) -> None:
    """A callee answering our BYE 500 (it is confused): the call is over for Centrex anyway."""
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    h["102"].auto_answer_bye = False
    call.bye()
    await h.settle()
    received = incoming.received("BYE")[0]
    incoming.answer_request(received, 500)
    await h.settle()
    assert h.live_calls() == 0
    assert (await h.cdr(call.call_id)).hangup_side is HangupSide.CALLER


async def test_a_stray_response_is_dropped(h: Harness) -> None:
    """A 200 for no transaction and no dialog of ours (§18.1.2): counted, dropped, no crash."""
    await h.register("101")
    stray = Response(200, "OK")
    for name, value in (
        ("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnothing;rport"),
        ("From", "<sip:101@acme.test>;tag=a"),
        ("To", "<sip:102@acme.test>;tag=b"),
        ("Call-ID", "nobody@127.0.0.1"),
        ("CSeq", "1 BYE"),
    ):
        stray.headers.add(name, value)
    dropped = h.driver.endpoint.stats.dropped
    _resend(h, h["101"].address, CENTREX, stray.serialize())
    await h.settle()
    assert h.driver.endpoint.stats.dropped == dropped + 1
    assert h.live_calls() == 0
