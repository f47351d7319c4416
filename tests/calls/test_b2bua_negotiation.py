"""Offer/answer through the B2BUA (RFC 3264): codecs the caller offers reach the callee on our
B leg, a call without a common codec is refused with 488 on either side, re-INVITE glare is
answered 491 and relayed (RFC 3261 §14.2), and OPTIONS to the server says what we accept
(§11.2)."""

from __future__ import annotations

from centrex.data.models import Disposition
from centrex.sip.builders import build_options, generate_call_id, generate_tag
from centrex.sip.headers import NameAddr
from centrex.sip.sdp import parse_sdp
from centrex.sip.uri import parse_uri
from tests.calls.harness import CENTREX, Harness
from tests.media.phones import sdp as phone_sdp


async def test_an_alaw_only_caller_is_offered_as_alaw_to_the_callee(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102", sdp=h["101"].sdp(payload_types=(8,)))
    await h.settle()
    offer = h["102"].incoming[0].offer()
    assert "8" in offer.media[0].formats
    assert offer.media[0].rtpmaps()[8].encoding.upper() == "PCMA"
    assert offer.media[0].telephone_event is not None  # RFC 4733 digits pass through
    h["102"].incoming[0].answer(h["102"].sdp(payload_types=(8,)))
    await h.settle()
    assert call.status == 200
    answer = parse_sdp(call.final.body)
    assert answer.media[0].formats[0] == "8"


async def test_a_caller_offer_without_an_active_audio_stream_is_488(h: Harness) -> None:
    await h.register("101", "102")
    rejected_audio = phone_sdp(0, (0,))  # m=audio 0: the stream is declined (RFC 3264 §5.1)
    call = h["101"].invite("102", sdp=rejected_audio)
    await h.settle()
    assert call.status == 488
    assert h["102"].incoming == []
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.FAILED
    assert h.engine.legs == {}


async def test_a_callee_answer_without_a_common_codec_ends_both_sides(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102", sdp=h["101"].sdp(payload_types=(0,)))
    await h.settle()
    incoming = h["102"].incoming[0]
    incoming.answer(phone_sdp(h["102"].rtp_port, (18,), te=None))  # answers with G.729 only
    await h.settle()
    assert incoming.methods() == ["ACK", "BYE"]  # confirmed, then released
    assert call.status == 488
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_reinvite_glare_is_491_on_both_sides_and_the_call_goes_on(h: Harness) -> None:
    """Both parties put the call on hold at once: each phone has its own re-INVITE pending
    when the other's arrives and answers it 491 (§14.2); Centrex relays each 491 back."""
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    from_caller = call.reinvite(h["101"].sdp("sendonly"))
    from_callee = incoming.reinvite(h["102"].sdp("sendonly"))
    await h.settle(
        until=lambda: bool(incoming.received("INVITE")) and bool(call.received("INVITE"))
    )
    incoming.answer_request(incoming.received("INVITE")[0], 491)
    call.answer_request(call.received("INVITE")[0], 491)
    await h.settle()
    assert from_caller.status == 491
    assert from_callee.status == 491
    assert h.live_calls() == 1
    # the retry after the glare goes through (§14.1: after a random wait)
    await h.advance(2.1)
    retry = call.reinvite(h["101"].sdp("sendonly"))
    await h.settle(until=lambda: len(incoming.received("INVITE")) == 2)
    incoming.answer_request(incoming.received("INVITE")[1], 200, h["102"].sdp("recvonly"))
    await h.settle()
    assert retry.status == 200


async def test_options_to_the_server_lists_what_we_accept(h: Harness) -> None:
    phone = h["101"]
    request = build_options(
        parse_uri(f"sip:{CENTREX[0]}:{CENTREX[1]}"),
        from_=NameAddr(phone.aor(), params=(("tag", generate_tag()),)),
        to=NameAddr(parse_uri(f"sip:{CENTREX[0]}")),
        call_id=generate_call_id(phone.address[0]),
        cseq=1,
        via=phone.via(),
    )
    sent = phone.send(request)
    await h.settle()
    assert sent.status == 200
    assert sent.final is not None
    allow = {m.strip() for m in (sent.final.headers.get("Allow") or "").split(",")}
    assert {"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "UPDATE", "INFO"} <= allow
    assert sent.final.headers.get("Accept") == "application/sdp"
    supported = {t.strip() for t in (sent.final.headers.get("Supported") or "").split(",")}
    assert {"replaces", "timer"} <= supported  # attended transfer and session timers


async def test_a_codec_both_sides_share_is_relayed_untouched(h: Harness) -> None:
    """G.729 is no codec Centrex encodes, but both phones speak it: the relay passes it through
    (DESIGN.md §1: no decoding when codecs match), so the call is set up with it."""
    await h.register("101", "102")
    call = h["101"].invite("102", sdp=phone_sdp(h["101"].rtp_port, (18,), te=None))
    await h.settle()
    offer = h["102"].incoming[0].offer()
    assert offer.media[0].formats == ["18"]
    h["102"].incoming[0].answer(phone_sdp(h["102"].rtp_port, (18,), te=None))
    await h.settle()
    assert call.status == 200
    assert parse_sdp(call.final.body).media[0].formats == ["18"]
    assert h.live_calls() == 1
