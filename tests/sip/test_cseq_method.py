"""CSeq method must equal the request-line method (RFC 3261 §8.2, §8.1.1.5; RFC 4475 §3.1.2.17
"mismatch01"): such a request is answered 400 on every path through the endpoint, and an ACK
whose CSeq method is not ACK (§17.1.1.3) is dropped, never applied to a transaction."""

from __future__ import annotations

from centrex.sip import RequestReceived, SipEndpoint, build_response, parse_message
from centrex.sip.message import Response
from tests.sip import fixtures as fx

PEER = ("127.0.0.1", 5060)

# RFC 4475 3.1.2.17 mismatch01, addresses rewritten to loopback.
MISMATCH01 = fx.crlf(
    "OPTIONS sip:user@example.com SIP/2.0\n"
    "To: sip:j.user@example.com\n"
    "From: sip:caller@example.net;tag=34525\n"
    "Max-Forwards: 6\n"
    "Call-ID: mismatch01.dj0234sxdfl3\n"
    "CSeq: 8 INVITE\n"
    "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKkdjuw\n"
    "l: 0\n"
    "\n"
)


def _responses(ep: SipEndpoint) -> list[Response]:
    out: list[Response] = []
    for data, target, _ in ep.datagrams_to_send():
        assert target[0] == "127.0.0.1"
        message = parse_message(data)
        assert isinstance(message, Response)
        out.append(message)
    return out


def test_mismatch01_is_answered_400() -> None:
    ep = SipEndpoint()
    ep.receive(MISMATCH01, PEER, "UDP", now=0.0)
    (response,) = _responses(ep)
    assert response.status == 400
    assert response.reason == "CSeq method does not match request method"
    assert ep.next_event() is None


def test_lower_case_cseq_method_is_a_mismatch() -> None:
    # method names are case-sensitive (§7.1): "options" is not OPTIONS
    ep = SipEndpoint()
    ep.receive(fx.base_request().replace(b"1 OPTIONS", b"1 options"), PEER, "UDP", now=0.0)
    assert [r.status for r in _responses(ep)] == [400]
    assert ep.next_event() is None


def test_mismatch_reusing_a_live_transaction_branch_is_answered_400() -> None:
    """A request with a live transaction's branch but a wrong CSeq is no retransmission of it:
    it gets a 400 (sent statelessly) and the earlier transaction's 200 is not replayed."""
    ep = SipEndpoint()
    ep.receive(fx.base_request(), PEER, "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    ep.send_response(build_response(event.request, 200, to_tag="t1"), 0.0, event.transaction)
    assert [r.status for r in _responses(ep)] == [200]
    forged = fx.base_request().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE")
    ep.receive(forged, PEER, "UDP", now=0.1)
    (response,) = _responses(ep)
    assert response.status == 400
    assert response.cseq is not None
    assert response.cseq.method == "INVITE"
    assert ep.next_event() is None
    assert ep.stats.retransmissions_received == 0
    assert ep.stats.bad_requests_answered == 1
    # the genuine retransmission still gets the stored 200
    ep.receive(fx.base_request(), PEER, "UDP", now=0.2)
    assert [r.status for r in _responses(ep)] == [200]


def _rejected_invite(ep: SipEndpoint) -> None:
    ep.receive(fx.INVITE, PEER, "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    ep.send_response(build_response(event.request, 486, to_tag="b"), 0.0, event.transaction)
    assert [r.status for r in _responses(ep)] == [100, 486]
    assert ep.next_deadline() == 0.5  # Timer G


def test_ack_with_cseq_method_invite_is_dropped() -> None:
    ep = SipEndpoint()
    _rejected_invite(ep)
    ack = fx.INVITE.replace(b"INVITE sip:", b"ACK sip:")  # CSeq still says INVITE
    ep.receive(ack, PEER, "UDP", now=0.1)
    assert _responses(ep) == []
    assert ep.next_event() is None
    assert ep.stats.dropped == 1
    # not confirmed (§17.2.1): Timer G still retransmits the 486
    assert ep.next_deadline() == 0.5
    ep.handle_timer(0.5)
    assert [r.status for r in _responses(ep)] == [486]


def test_proper_ack_still_confirms() -> None:
    ep = SipEndpoint()
    _rejected_invite(ep)
    ack = fx.INVITE.replace(b"INVITE sip:", b"ACK sip:").replace(b"314159 INVITE", b"314159 ACK")
    ep.receive(ack, PEER, "UDP", now=0.1)
    assert _responses(ep) == []
    assert ep.stats.dropped == 0
    assert ep.next_deadline() == 5.1  # confirmed: only Timer I (T4) is left
