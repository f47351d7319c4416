"""A failed flow (transport + remote) fails exactly the transactions sending there
(RFC 3261 §17.1.4 and §17.2.4: a transport error is reported to the transaction, which tells
the TU), and `has_events` / `has_datagrams` peek without consuming."""

from __future__ import annotations

from centrex.sip import (
    RequestReceived,
    SipEndpoint,
    TransportError,
    build_register,
    build_response,
    make_via,
    parse_name_addr,
    parse_uri,
)
from centrex.sip.matching import ClientKey
from centrex.sip.message import Request
from tests.sip import fixtures as fx


def _register(ep: SipEndpoint, target: tuple[str, int], transport: str, n: int) -> Request:
    request = build_register(
        parse_uri("sip:trunk.example.com"),
        parse_uri("sip:pbx@trunk.example.com"),
        parse_name_addr("<sip:pbx@127.0.0.1:5060>"),
        call_id=f"reg-{n}",
        cseq=1,
        via=make_via("127.0.0.1", 5060, transport),
        from_tag=f"f{n}",
    )
    key = ep.send_request(request, target, now=0.0, transport=transport)
    assert isinstance(key, ClientKey)
    return request


def test_only_the_failed_flows_transactions_end() -> None:
    ep = SipEndpoint()
    failed = _register(ep, ("127.0.0.2", 5060), "TCP", 1)
    _register(ep, ("127.0.0.2", 5060), "UDP", 2)  # same remote, other transport
    _register(ep, ("127.0.0.3", 5060), "TCP", 3)  # same transport, other remote
    ep.datagrams_to_send()
    assert ep.report_flow_failure("tcp", ("127.0.0.2", 5060), now=1.0) == 1
    assert ep.has_events()
    event = ep.next_event()
    assert isinstance(event, TransportError)
    assert event.request is failed
    assert not ep.has_events()
    assert ep.transaction_count == 2


def test_server_transaction_over_a_dead_connection_fails() -> None:
    ep = SipEndpoint()
    ep.receive(fx.INVITE, ("127.0.0.1", 40000), "TCP", now=0.0)
    received = ep.next_event()
    assert isinstance(received, RequestReceived)
    assert ep.has_datagrams()  # the 100 Trying that the connection failed to carry
    ep.datagrams_to_send()
    assert ep.report_flow_failure("TCP", ("127.0.0.1", 40000), now=0.1) == 1
    event = ep.next_event()
    assert isinstance(event, TransportError)
    assert event.transaction == received.transaction
    assert ep.transaction_count == 0
    # the TU's late answer has no transaction left: sent statelessly by Via, never raises
    ep.send_response(build_response(received.request, 486, to_tag="t"), 0.2)
    assert ep.has_datagrams()


def test_peeks_do_not_consume() -> None:
    ep = SipEndpoint()
    assert not ep.has_events()
    assert not ep.has_datagrams()
    ep.receive(fx.base_request(), ("127.0.0.1", 5060), "UDP", now=0.0)
    assert ep.has_events()
    assert ep.has_events()
    assert isinstance(ep.next_event(), RequestReceived)
    assert not ep.has_events()
