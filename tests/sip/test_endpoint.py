"""The sans-I/O endpoint: bytes in, events and datagrams out, timers on an injected clock."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrex.sip import (
    RequestCancelled,
    RequestReceived,
    ResponseReceived,
    SipEndpoint,
    TransactionTimeout,
    TransportError,
    build_register,
    build_response,
    make_via,
    parse_message,
    parse_name_addr,
    parse_uri,
)
from centrex.sip.builders import build_cancel
from centrex.sip.message import Request, Response
from tests.sip import fixtures as fx

PHONE = ("127.0.0.1", 5062)


def _only_datagram(ep: SipEndpoint) -> tuple[Response, tuple[str, int], str]:
    out = ep.datagrams_to_send()
    assert len(out) == 1, out
    data, target, transport = out[0]
    msg = parse_message(data)
    assert isinstance(msg, Response)
    return msg, target, transport


def test_register_flow_with_rport_and_retransmission() -> None:
    ep = SipEndpoint()
    ep.receive(fx.REGISTER, PHONE, "udp", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    assert ep.next_event() is None
    assert event.source == PHONE
    assert event.transport == "UDP"
    via = event.request.vias[0]
    assert via.rport == 5062
    assert via.received == "127.0.0.1"  # RFC 3581: received added whenever rport is asked
    assert event.transaction is not None
    ep.send_response(
        build_response(event.request, 200, to_tag="srv"), now=0.1, transaction=event.transaction
    )
    resp, target, transport = _only_datagram(ep)
    assert (resp.status, target, transport) == (200, ("127.0.0.1", 5062), "UDP")
    assert resp.vias[0].rport == 5062
    # retransmitted REGISTER: absorbed, last response re-sent, no new event
    ep.receive(fx.REGISTER, PHONE, "UDP", now=0.5)
    assert ep.next_event() is None
    again, _, _ = _only_datagram(ep)
    assert again.status == 200
    assert ep.stats.retransmissions_received == 1
    assert ep.stats.retransmissions_sent == 1
    assert ep.stats.parsed == 2
    # Timer J: 64*T1 after the final response
    assert ep.next_deadline() == 32.1
    ep.handle_timer(32.1)
    assert ep.transaction_count == 0
    assert ep.next_deadline() is None


def test_received_added_when_via_host_differs_no_rport() -> None:
    ep = SipEndpoint()
    data = fx.base_request().replace(b"UDP 127.0.0.1:5060", b"UDP phone.example.com:5070")
    ep.receive(data, ("127.0.0.5", 40000), "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    assert event.request.vias[0].received == "127.0.0.5"
    assert not event.request.vias[0].has_rport
    ep.send_response(build_response(event.request, 200), now=0.0)
    _, target, _ = _only_datagram(ep)
    # §18.2.2: received address, Via port (no rport requested)
    assert target == ("127.0.0.5", 5070)


def test_no_received_when_via_matches_source() -> None:
    ep = SipEndpoint()
    ep.receive(fx.base_request(), ("127.0.0.1", 5060), "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    assert event.request.vias[0].received is None


def test_tcp_responses_go_back_to_source() -> None:
    ep = SipEndpoint()
    ep.receive(fx.base_request(), ("127.0.0.9", 41000), "TCP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    ep.send_response(build_response(event.request, 200), now=0.0)
    _, target, transport = _only_datagram(ep)
    assert (target, transport) == (("127.0.0.9", 41000), "TCP")
    assert ep.next_deadline() == 0.0  # Timer J is 0 on reliable transports
    ep.handle_timer(0.0)
    assert ep.transaction_count == 0


def test_invite_gets_100_and_cancel_flow() -> None:
    ep = SipEndpoint()
    ep.receive(fx.INVITE, ("127.0.0.1", 5060), "UDP", now=0.0)
    trying, _, _ = _only_datagram(ep)
    assert trying.status == 100
    assert trying.to is not None
    assert trying.to.tag is None
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    invite = event.request
    ep.send_response(build_response(invite, 180, to_tag="abc"), now=0.1)
    assert _only_datagram(ep)[0].status == 180
    cancel = build_cancel(invite)
    ep.receive(cancel.serialize(), ("127.0.0.1", 5060), "UDP", now=1.0)
    ok, _, _ = _only_datagram(ep)
    assert ok.status == 200
    assert ok.cseq is not None
    assert ok.cseq.method == "CANCEL"
    assert ok.to is not None
    assert ok.to.tag == "abc"
    cancelled = ep.next_event()
    assert isinstance(cancelled, RequestCancelled)
    assert cancelled.transaction == event.transaction
    ep.send_response(
        build_response(invite, 487, to_tag="abc"), now=1.1, transaction=event.transaction
    )
    assert _only_datagram(ep)[0].status == 487
    # no ACK: Timer G retransmits at 1.6 ... Timer H at 1.1 + 32
    ep.handle_timer(1.6)
    assert _only_datagram(ep)[0].status == 487
    ack = fx.INVITE.replace(b"INVITE sip:", b"ACK sip:").replace(b"314159 INVITE", b"314159 ACK")
    ep.receive(ack, ("127.0.0.1", 5060), "UDP", now=2.0)
    assert ep.datagrams_to_send() == []
    assert ep.next_event() is None
    assert ep.next_deadline() == 7.0  # Timer I = T4 after the ACK (CANCEL's Timer J is later)


def test_cancel_without_invite_gets_481() -> None:
    ep = SipEndpoint()
    invite = parse_message(fx.INVITE)
    assert isinstance(invite, Request)
    ep.receive(build_cancel(invite).serialize(), ("127.0.0.1", 5060), "UDP", now=0.0)
    resp, _, _ = _only_datagram(ep)
    assert resp.status == 481
    assert ep.next_event() is None


def test_invite_timer_h_timeout_event() -> None:
    ep = SipEndpoint()
    ep.receive(fx.INVITE, ("127.0.0.1", 5060), "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    ep.datagrams_to_send()
    ep.send_response(build_response(event.request, 486, to_tag="t"), now=0.0)
    ep.datagrams_to_send()
    ep.handle_timer(32.0)
    timeout = ep.next_event()
    assert isinstance(timeout, TransactionTimeout)
    assert timeout.transaction == event.transaction
    assert ep.transaction_count == 0
    assert ep.stats.retransmissions_sent == 10


def test_semantic_errors_answered() -> None:
    ep = SipEndpoint(supported=["100rel"])
    cases = {
        fx.base_request().replace(b"Max-Forwards: 70", b"Max-Forwards: 0"): 483,
        fx.base_request(uri="nobodyKnowsThisScheme:totallyopaquecontent"): 416,
        fx.base_request(extra="Require: nothingSupportsThis\n"): 420,
        fx.base_request().replace(b"SIP/2.0\r\nVia", b"SIP/7.0\r\nVia"): 505,
        fx.base_request().replace(b"Call-ID: base.1@example.com\r\n", b""): 400,
    }
    for i, (raw, status) in enumerate(cases.items()):
        data = raw.replace(b"z9hG4bKbase01", f"z9hG4bKcase{i}".encode())
        ep.receive(data, ("127.0.0.1", 5060), "UDP", now=0.0)
        resp, _, _ = _only_datagram(ep)
        assert resp.status == status, data
        if status == 420:
            assert resp.headers.get("unsupported") == "nothingSupportsThis"
        assert resp.to is not None
        assert resp.to.tag is not None
    assert ep.next_event() is None
    assert ep.stats.bad_requests_answered == 5


def test_malformed_answered_400_or_dropped() -> None:
    ep = SipEndpoint()
    ep.receive(fx.BROKEN["scalar02"], ("127.0.0.1", 5060), "UDP", now=0.0)
    ((data, target, _),) = ep.datagrams_to_send()
    # the overlarge CSeq is copied verbatim (§8.2.6.2), so check the bytes
    assert data.startswith(b"SIP/2.0 400 Bad Request (CSeq number too large)\r\n")
    assert b"\r\nCSeq: 36893488147419103232 OPTIONS\r\n" in data
    assert target == ("127.0.0.1", 5060)
    ep.receive(fx.BROKEN["quotbal"], ("127.0.0.1", 5060), "UDP", now=0.0)
    ((data, _, _),) = ep.datagrams_to_send()
    assert data.startswith(b"SIP/2.0 400 Bad Request (unterminated quoted string)\r\n")
    ep.receive(fx.BROKEN["ncl"], ("127.0.0.1", 5060), "UDP", now=0.0)
    assert _only_datagram(ep)[0].status == 400
    for name in ("ltgtruri", "bigcode", "garbage", "badinv01"):
        ep.receive(fx.BROKEN[name], ("127.0.0.1", 5060), "UDP", now=0.0)
        assert ep.datagrams_to_send() == [], name
    assert ep.stats.malformed == 7
    assert ep.stats.dropped == 4
    assert ep.stats.bad_requests_answered == 3
    assert ep.next_event() is None


def test_keepalive_is_counted_not_parsed() -> None:
    ep = SipEndpoint()
    ep.receive(b"\r\n\r\n", PHONE, "UDP", now=0.0)
    assert ep.stats.keepalives == 1
    assert ep.stats.malformed == 0
    assert ep.next_event() is None


def _register(ep: SipEndpoint, transport: str = "UDP") -> tuple[Request, object]:
    request = build_register(
        parse_uri("sip:trunk.example.com"),
        parse_uri("sip:pbx@trunk.example.com"),
        parse_name_addr("<sip:pbx@127.0.0.1:5060>"),
        call_id="reg-1",
        cseq=1,
        via=make_via("127.0.0.1", 5060, transport),
        from_tag="f1",
    )
    key = ep.send_request(request, ("127.0.0.2", 5060), now=0.0, transport=transport)
    return request, key


def test_client_non_invite_retransmits_and_times_out() -> None:
    ep = SipEndpoint()
    request, key = _register(ep)
    out = ep.datagrams_to_send()
    assert len(out) == 1
    assert out[0][1:] == (("127.0.0.2", 5060), "UDP")
    assert ep.next_deadline() == 0.5
    times = []
    while (deadline := ep.next_deadline()) is not None:
        ep.handle_timer(deadline)
        if ep.datagrams_to_send():
            times.append(deadline)
    assert times == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    event = ep.next_event()
    assert isinstance(event, TransactionTimeout)
    assert event.transaction == key
    assert event.request is request


def test_client_receives_response_and_absorbs_retransmission() -> None:
    ep = SipEndpoint()
    request, key = _register(ep)
    ep.datagrams_to_send()
    response = build_response(
        request, 401, to_tag="x", headers=[("WWW-Authenticate", 'Digest realm="r", nonce="n"')]
    )
    ep.receive(response.serialize(), ("127.0.0.2", 5060), "UDP", now=0.2)
    event = ep.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.transaction == key
    assert event.request is request
    assert event.response.status == 401
    ep.receive(response.serialize(), ("127.0.0.2", 5060), "UDP", now=0.3)
    assert ep.next_event() is None
    assert ep.next_deadline() == 5.2  # Timer K = T4


def test_client_invite_non2xx_ack_and_stray_2xx() -> None:
    ep = SipEndpoint()
    invite = parse_message(fx.INVITE)
    assert isinstance(invite, Request)
    key = ep.send_request(invite, ("127.0.0.2", 5060), now=0.0)
    ep.datagrams_to_send()
    busy = build_response(invite, 486, to_tag="b")
    ep.receive(busy.serialize(), ("127.0.0.2", 5060), "UDP", now=0.1)
    out = ep.datagrams_to_send()
    assert len(out) == 1
    ack = parse_message(out[0][0])
    assert isinstance(ack, Request)
    assert ack.method == "ACK"
    assert ack.to is not None
    assert ack.to.tag == "b"
    event = ep.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.transaction == key
    # a 2xx with no transaction is handed to the TU (it must ACK again)
    stray = build_response(invite, 200, to_tag="z")
    stray.headers.replace_first_value("via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKother")
    ep.receive(stray.serialize(), ("127.0.0.2", 5060), "UDP", now=0.2)
    event = ep.next_event()
    assert isinstance(event, ResponseReceived)
    assert event.transaction is None


def test_transport_error_event() -> None:
    ep = SipEndpoint()
    request, key = _register(ep, "TCP")
    assert ep.next_deadline() == 32.0
    assert isinstance(key, tuple)
    ep.report_transport_error(key, now=1.0)  # type: ignore[arg-type]
    event = ep.next_event()
    assert isinstance(event, TransportError)
    assert event.request is request
    assert ep.transaction_count == 0


def test_ack_for_2xx_goes_to_tu() -> None:
    ep = SipEndpoint()
    ack = fx.base_request("ACK").replace(b"z9hG4bKbase01", b"z9hG4bKack2xx")
    ep.receive(ack, ("127.0.0.1", 5060), "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    assert event.transaction is None
    assert event.request.method == "ACK"
    assert ep.datagrams_to_send() == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [fx.REGISTER, fx.INVITE, fx.WSINV, fx.DBLREQ, fx.UNREASON, *fx.BROKEN.values()]
            ),
            st.integers(0, 400),
            st.binary(max_size=4),
            st.floats(0, 40),
        ),
        max_size=8,
    )
)
def test_endpoint_never_raises_on_network_input(
    items: list[tuple[bytes, int, bytes, float]],
) -> None:
    ep = SipEndpoint()
    now = 0.0
    for data, pos, chunk, step in items:
        mutated = data[:pos] + chunk + data[pos + len(chunk) :]
        now += step
        ep.receive(mutated, ("127.0.0.1", 5060), "UDP", now)
        ep.handle_timer(now)
        for _, target, _ in ep.datagrams_to_send():
            assert target[0] == "127.0.0.1"  # never a third party
        while ep.next_event() is not None:
            pass


def test_overload_answers_503_statelessly() -> None:
    ep = SipEndpoint(max_server_transactions=1)
    ep.receive(fx.REGISTER, PHONE, "UDP", now=0.0)
    assert isinstance(ep.next_event(), RequestReceived)
    other = fx.REGISTER.replace(b"z9hG4bK776asdhds", b"z9hG4bKsecond")
    ep.receive(other, PHONE, "UDP", now=0.0)
    resp, target, _ = _only_datagram(ep)
    assert (resp.status, target) == (503, PHONE)
    assert resp.headers.get("retry-after") == "5"
    assert ep.stats.overloaded == 1
    assert ep.transaction_count == 1
    assert ep.next_event() is None


def test_merged_request_gets_482() -> None:
    ep = SipEndpoint()
    ep.receive(fx.INVITE, ("127.0.0.1", 5060), "UDP", now=0.0)
    assert isinstance(ep.next_event(), RequestReceived)
    ep.datagrams_to_send()
    # same From tag, Call-ID and CSeq, no To tag, but another branch: a forked copy
    fork = fx.INVITE.replace(b"z9hG4bKnashds8", b"z9hG4bKforked")
    ep.receive(fork, ("127.0.0.1", 5060), "UDP", now=0.1)
    resp, _, _ = _only_datagram(ep)
    assert (resp.status, resp.reason) == (482, "Loop Detected")
    assert ep.next_event() is None


def test_reused_cseq_after_final_is_not_merged() -> None:
    ep = SipEndpoint()
    ep.receive(fx.REGISTER, PHONE, "UDP", now=0.0)
    event = ep.next_event()
    assert isinstance(event, RequestReceived)
    ep.send_response(build_response(event.request, 401, to_tag="a"), now=0.0)
    ep.datagrams_to_send()
    retry = fx.REGISTER.replace(b"z9hG4bK776asdhds", b"z9hG4bKretry")
    ep.receive(retry, PHONE, "UDP", now=0.1)
    assert isinstance(ep.next_event(), RequestReceived)
    assert ep.datagrams_to_send() == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["invite", "register", "ack", "cancel", "respond", "tick"]),
            st.integers(0, 2),
            st.sampled_from([100, 180, 200, 486, 503]),
            st.floats(0, 10),
        ),
        max_size=25,
    )
)
def test_tu_and_network_interleavings(ops: list[tuple[str, int, int, float]]) -> None:
    from centrex.sip import TransactionError

    ep = SipEndpoint()
    pending: list[RequestReceived] = []
    now = 0.0
    invite = parse_message(fx.INVITE)
    assert isinstance(invite, Request)
    for kind, branch, status, step in ops:
        now += step
        tag = f"z9hG4bKb{branch}".encode()
        if kind == "invite":
            ep.receive(fx.INVITE.replace(b"z9hG4bKnashds8", tag), ("127.0.0.1", 5060), "UDP", now)
        elif kind == "register":
            ep.receive(fx.REGISTER.replace(b"z9hG4bK776asdhds", tag), PHONE, "UDP", now)
        elif kind == "ack":
            ack = fx.INVITE.replace(b"INVITE sip:", b"ACK sip:").replace(
                b"314159 INVITE", b"314159 ACK"
            )
            ep.receive(ack.replace(b"z9hG4bKnashds8", tag), ("127.0.0.1", 5060), "UDP", now)
        elif kind == "cancel":
            cancel = build_cancel(invite).serialize().replace(b"z9hG4bKnashds8", tag)
            ep.receive(cancel, ("127.0.0.1", 5060), "UDP", now)
        elif kind == "respond" and pending:
            event = pending[branch % len(pending)]
            with contextlib.suppress(TransactionError):
                ep.send_response(
                    build_response(event.request, status, to_tag="t"), now, event.transaction
                )
        else:
            ep.handle_timer(now)
        while (ev := ep.next_event()) is not None:
            if isinstance(ev, RequestReceived) and ev.transaction is not None:
                pending.append(ev)
        for _, target, _ in ep.datagrams_to_send():
            assert target[0] == "127.0.0.1"
        if kind == "tick":
            deadline = ep.next_deadline()
            assert deadline is None or deadline > now
