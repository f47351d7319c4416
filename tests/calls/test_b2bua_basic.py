"""A basic call 101 → 102 through the real B2BUA on the in-memory network: the digest challenge
(RFC 3261 §22.3, answered with MD5), what each side receives (§13, RFC 3264), the CDR row from
start to end, and the hang-up from either side (§15)."""

from __future__ import annotations

from datetime import timedelta

from centrex.data.models import Direction, Disposition, HangupSide
from centrex.events import CallEvent
from centrex.sip.digest import parse_challenge, parse_credentials
from centrex.sip.sdp import parse_sdp
from tests.calls.harness import CENTREX, RTP_PORTS, TENANT, Harness


def _in_rtp_range(port: int) -> bool:
    return RTP_PORTS[0] <= port <= RTP_PORTS[1]


async def test_the_first_invite_is_challenged_and_md5_is_accepted(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    first, retry = call.attempts
    assert first.statuses == [100, 407]
    challenges = [parse_challenge(v) for v in first.final.headers.get_all("Proxy-Authenticate")]  # type: ignore[union-attr]
    assert {c.realm for c in challenges} == {TENANT}
    assert "MD5" in {c.algorithm for c in challenges}
    credentials = parse_credentials(retry.request.headers.get_all("Proxy-Authorization")[0])
    assert (credentials.username, credentials.algorithm) == ("101", "MD5")
    assert retry.request.cseq is not None
    assert retry.request.cseq.number == 2
    # the authenticated INVITE got through: 102 rings
    assert len(h["102"].incoming) == 1
    assert retry.statuses == [100]


async def test_what_the_callee_receives(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102", display="Alice")
    await h.settle()
    incoming = h["102"].incoming[0]
    invite = incoming.request
    # a new dialog of its own (B2BUA): own Call-ID, From of the caller in the tenant's domain
    assert invite.call_id != call.call_id
    assert invite.uri.user == "102"
    assert (invite.uri.host, invite.uri.port) == h["102"].address
    assert invite.from_ is not None
    assert invite.from_.display_name == "Alice"
    assert str(invite.from_.uri) == f"sip:101@{TENANT}"
    assert invite.to is not None
    assert str(invite.to.uri) == f"sip:102@{TENANT}"
    assert invite.to.tag is None
    via = invite.top_via
    assert via is not None
    assert (via.host, via.port) == CENTREX
    assert invite.contact[0].uri is not None
    assert invite.contact[0].uri.port == CENTREX[1]
    # the offer is rewritten to Centrex's B leg: our address, a port of our range
    offer = incoming.offer()
    assert offer.connection is not None
    assert offer.connection.address == "127.0.0.1"
    assert _in_rtp_range(offer.media[0].port)
    assert offer.media[0].port != h["101"].rtp_port
    assert {"0", "8"} <= set(offer.media[0].formats)


async def test_basic_call_end_to_end_with_its_cdr(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102")
    await h.settle()
    incoming = h["102"].incoming[0]
    cdr = await h.cdr(call.call_id)
    assert (cdr.caller, cdr.callee, cdr.direction) == ("101", "102", Direction.INTERNAL)
    assert cdr.started_at == h.clock.utcnow()
    assert cdr.answered_at is None
    assert cdr.ended_at is None

    incoming.ring()
    await h.settle()
    assert call.statuses == [100, 180]
    await h.advance(3)
    incoming.answer()
    await h.settle()
    assert call.statuses == [100, 180, 200]
    ok = call.final
    assert ok.to is not None
    assert ok.to.tag is not None
    assert ok.contact[0].uri is not None
    assert (ok.contact[0].uri.host, ok.contact[0].uri.port) == CENTREX
    answer = parse_sdp(ok.body)
    assert _in_rtp_range(answer.media[0].port)
    assert answer.media[0].port != incoming.offer().media[0].port  # A leg, not B leg
    # Centrex ACKed the callee's 2xx; the caller's ACK (automatic) reached Centrex
    assert incoming.methods() == ["ACK"]
    acks = [d.message for d in h.network.sent_to(CENTREX, "ACK") if d.source == h["101"].address]
    assert [a.cseq.number for a in acks if a.cseq] == [1, 2]  # of the 407, then of the 200
    assert h.live_calls() == 1
    cdr = await h.cdr(call.call_id)
    assert cdr.answered_at == h.clock.utcnow()
    assert cdr.ended_at is None
    legs = await h.legs(cdr.id)
    assert [leg.peer for leg in legs] == ["102"]

    await h.advance(65)
    bye = call.bye()
    await h.settle()
    assert bye.statuses == [200]
    assert incoming.methods() == ["ACK", "BYE"]
    assert incoming.received("BYE")[0].answered == 200
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.ANSWERED
    assert cdr.hangup_side is HangupSide.CALLER
    assert cdr.hangup_cause == "bye"
    assert cdr.billsec == 65
    assert cdr.ended_at == cdr.answered_at + timedelta(seconds=65)  # type: ignore[operator]
    legs = await h.legs(cdr.id)
    assert legs[0].disposition is Disposition.ANSWERED
    assert legs[0].ended_at == cdr.ended_at
    assert h.live_calls() == 0
    assert h.engine.legs == {}  # both RTP legs released
    states = [e.state for e in h.events if isinstance(e, CallEvent)]
    assert states == ["started", "ringing", "answered", "ended"]


async def test_the_callee_hangs_up(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    await h.advance(10)
    bye = incoming.bye()
    await h.settle()
    assert bye.statuses == [200]
    assert call.methods() == ["BYE"]
    assert call.received("BYE")[0].answered == 200
    cdr = await h.cdr(call.call_id)
    assert (cdr.disposition, cdr.hangup_side, cdr.billsec) == (
        Disposition.ANSWERED,
        HangupSide.CALLEE,
        10,
    )
    assert h.live_calls() == 0
    assert h.engine.legs == {}


async def test_a_bye_after_the_end_is_481(h: Harness) -> None:
    await h.register("101", "102")
    call, incoming = await h.call("101", "102")
    call.bye()
    await h.settle()
    late = incoming.bye()  # 102 never saw our BYE's answer in time and hangs up too
    await h.settle()
    assert late.statuses == [481]
    cdr = await h.cdr(call.call_id)
    assert cdr.hangup_side is HangupSide.CALLER  # the first BYE decided


async def test_a_wrong_password_is_refused_and_opens_no_call(h: Harness) -> None:
    await h.register("102")
    h["101"].password = "not-the-password"
    call = h["101"].invite("102")
    await h.settle()
    assert call.attempts[0].statuses == [100, 407]
    assert call.statuses == [100, 403]
    assert h["102"].incoming == []
    assert await h.cdr_count() == 0


async def test_an_unregistered_callee_without_voicemail_is_480(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite("102")
    await h.settle()
    assert call.status == 480
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.NO_ANSWER
    assert cdr.hangup_cause == "sip-480"
    assert h.engine.legs == {}


async def test_an_unknown_extension_is_404_with_the_reason(h: Harness) -> None:
    await h.register("101")
    call = h["101"].invite("109")
    await h.settle()
    assert call.status == 404
    warning = call.final.headers.get("Warning")
    assert warning is not None
    assert "extension 109 does not exist" in warning
    assert await h.cdr_count() == 0


async def test_an_invite_without_sdp_is_488(h: Harness) -> None:
    await h.register("101", "102")
    call = h["101"].invite("102", sdp=b"")
    await h.settle()
    assert call.status == 488
    assert h["102"].incoming == []
    cdr = await h.cdr(call.call_id)
    assert cdr.disposition is Disposition.FAILED
    assert h.engine.legs == {}
