"""Per-transport counters of dropped and malformed SIP messages, and the open listeners (read
by /metrics and the health check): the guard counts what it refuses by transport and reason,
the transports count oversize datagrams and unframeable streams, and the SIP core counts what it
could not parse or use, by transport."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from centrex.sip.endpoint import SipEndpoint
from centrex.sip.message import MAX_MESSAGE_SIZE
from centrex.transport import EndpointDriver, ListenAddress, SourceGuard, TransportKind, Transports
from centrex.transport.dispatch import RequestDispatcher
from tests.peers.raw import options, status_of


@dataclass
class Stack:
    endpoint: SipEndpoint
    guard: SourceGuard
    transports: Transports
    udp: tuple[str, int]
    tcp: tuple[str, int]


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    endpoint = SipEndpoint()
    driver = EndpointDriver(endpoint, time.monotonic)
    guard = SourceGuard(1000.0, time.monotonic, is_banned=lambda host, _t: host == "127.0.0.9")
    transports = Transports(driver.receive, guard, time.monotonic)
    driver.attach(transports, RequestDispatcher(driver.send_response))
    udp = await transports.listen_udp(ListenAddress("127.0.0.1", 0))
    tcp = await transports.listen_stream(TransportKind.TCP, ListenAddress("127.0.0.1", 0))
    yield Stack(endpoint, guard, transports, udp, tcp)
    await transports.close()
    driver.close()


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.queue.put_nowait(data)


def test_guard_counts_refusals_by_transport_and_reason() -> None:
    now = [0.0]
    guard = SourceGuard(1.0, lambda: now[0], is_banned=lambda host, _t: host == "192.0.2.66")
    assert [guard.admit("192.0.2.1", TransportKind.TCP) for _ in range(3)] == [True, True, False]
    assert not guard.admit("192.0.2.66", TransportKind.WS)
    assert not guard.admit("192.0.2.66")  # the default transport is UDP
    assert guard.drops == {("TCP", "rate"): 1, ("WS", "banned"): 1, ("UDP", "banned"): 1}
    assert (guard.dropped_rate, guard.dropped_banned) == (1, 2)  # the totals are unchanged


async def test_udp_oversize_and_junk_are_counted_per_transport(stack: Stack) -> None:
    loop = asyncio.get_running_loop()
    transport, client = await loop.create_datagram_endpoint(_Client, local_addr=("127.0.0.1", 0))
    local = transport.get_extra_info("sockname")
    # an IPv4 datagram cannot exceed 65 507 bytes, so hand the oversize one to the protocol
    assert stack.transports.udp is not None
    stack.transports.udp.datagram_received(b"x" * (MAX_MESSAGE_SIZE + 10), ("127.0.0.1", 9))
    transport.sendto(b"\r\n\r\n", stack.udp)  # a keep-alive: neither dropped nor malformed
    transport.sendto(b"\x00\xff binary junk", stack.udp)  # malformed, cannot be answered
    stray = b"SIP/2.0 200 OK\r\n" + options(local).split(b"\r\n", 1)[1]
    transport.sendto(stray, stack.udp)  # a response for no transaction of ours
    transport.sendto(options(local), stack.udp)
    async with asyncio.timeout(5):
        while status_of(await client.queue.get()) != 200:
            pass
    transport.close()
    assert stack.guard.drops == {("UDP", "oversize"): 1}
    assert stack.endpoint.stats.malformed_by_transport == {"UDP": 1}
    # the junk cannot be answered, the stray response matches no transaction (RFC 3261
    # §18.1.2): both dropped by the core
    assert stack.endpoint.stats.dropped_by_transport == {"UDP": 2}
    assert stack.endpoint.stats.dropped == 2


async def test_tcp_garbage_is_counted_malformed_for_tcp(stack: Stack) -> None:
    reader, writer = await asyncio.open_connection(*stack.tcp)
    writer.write(b"GARBAGE\r\nContent-Length: nope\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(5):
        assert await reader.read() == b""  # closed by the server
    writer.close()
    assert stack.guard.malformed == {"TCP": 1}
    assert stack.endpoint.stats.malformed_by_transport == {}


async def test_listening_reports_open_listeners_until_closed() -> None:
    endpoint = SipEndpoint()
    driver = EndpointDriver(endpoint, time.monotonic)
    transports = Transports(driver.receive, SourceGuard(100.0, time.monotonic), time.monotonic)
    assert transports.listening() == {}
    udp = await transports.listen_udp(ListenAddress("127.0.0.1", 0))
    tcp = await transports.listen_stream(TransportKind.TCP, ListenAddress("127.0.0.1", 0))
    ws = await transports.listen_websocket(ListenAddress("127.0.0.1", 0))
    assert transports.listening() == {
        TransportKind.UDP: udp,
        TransportKind.TCP: tcp,
        TransportKind.WS: ("127.0.0.1", ws[1]),
    }
    await transports.close()
    driver.close()
    assert transports.listening() == {}
