"""The driver: no event is lost when one is queued while datagrams are being sent, and a
transport's send failure reaches the transactions and the TU (RFC 3261 §17.1.4)."""

from __future__ import annotations

import asyncio
import time

from centrex.sip import (
    Event,
    SipEndpoint,
    TransportError,
    build_register,
    make_via,
    parse_name_addr,
    parse_uri,
)
from centrex.sip.matching import ClientKey
from centrex.sip.message import Request
from centrex.transport import EndpointDriver, ListenAddress, SourceGuard, Transports
from tests.helpers import free_port


def _register(transport: str, n: int = 1) -> Request:
    return build_register(
        parse_uri("sip:trunk.example.com"),
        parse_uri("sip:pbx@trunk.example.com"),
        parse_name_addr("<sip:pbx@127.0.0.1:5060>"),
        call_id=f"drv-{n}",
        cseq=1,
        via=make_via("127.0.0.1", 5060, transport),
        from_tag=f"f{n}",
    )


class FailingSender:
    """Reports a transport error synchronously from inside `send`, as a WebSocket send to a
    peer without a connection does."""

    def __init__(self) -> None:
        self.driver: EndpointDriver | None = None
        self.sent: list[bytes] = []

    def send(self, data: bytes, transport: str, remote: tuple[str, int]) -> None:
        self.sent.append(data)
        assert self.driver is not None
        self.driver.transport_failed(transport, remote)


async def test_event_queued_while_sending_is_delivered() -> None:
    events: list[Event] = []

    def handler(event: Event) -> None:
        events.append(event)

    driver = EndpointDriver(SipEndpoint(), time.monotonic, handler)
    sender = FailingSender()
    sender.driver = driver
    driver.attach(sender)
    request = _register("WS")
    key = driver.send_request(request, ("127.0.0.9", 5060), "WS")
    assert isinstance(key, ClientKey)
    assert len(sender.sent) == 1
    assert len(events) == 1
    (event,) = events
    assert isinstance(event, TransportError)
    assert event.transaction == key
    assert event.request is request
    assert driver.endpoint.transaction_count == 0
    driver.close()


async def test_refused_tcp_connection_fails_the_transaction() -> None:
    events: list[Event] = []
    failed = asyncio.Event()

    def handler(event: Event) -> None:
        events.append(event)
        failed.set()

    driver = EndpointDriver(SipEndpoint(), time.monotonic, handler)
    transports = Transports(
        driver.receive,
        SourceGuard(1000.0, time.monotonic),
        time.monotonic,
        on_send_failed=driver.transport_failed,
    )
    driver.attach(transports)
    await transports.listen_udp(ListenAddress("127.0.0.1", 0))
    closed = ("127.0.0.1", free_port())  # nothing listens: the connect is refused
    key = driver.send_request(_register("TCP", 2), closed, "TCP")
    other = driver.send_request(_register("UDP", 3), closed, "UDP")
    await asyncio.wait_for(failed.wait(), 10)
    (event,) = events
    assert isinstance(event, TransportError)
    assert event.transaction == key
    assert driver.endpoint.transaction_count == 1  # the UDP transaction lives on
    assert other is not None
    await transports.close()
    driver.close()
