"""The transports in-process over loopback: UDP junk handling and symmetric response routing,
TCP framing across split writes, keep-alive pongs, closing on garbage, TLS, WebSocket (RFC 7118),
the source guard. The server side is the real stack (Transports -> EndpointDriver ->
SipEndpoint -> RequestDispatcher answering OPTIONS); the clients are plain sockets."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from centrex.sip.endpoint import SipEndpoint
from centrex.sip.message import MAX_MESSAGE_SIZE
from centrex.transport import EndpointDriver, ListenAddress, SourceGuard, TransportKind, Transports
from centrex.transport.certs import ensure_self_signed, server_context
from centrex.transport.dispatch import RequestDispatcher
from tests.peers.raw import options, status_of


@dataclass
class Stack:
    transports: Transports
    driver: EndpointDriver
    udp: tuple[str, int]
    tcp: tuple[str, int]
    tls: tuple[str, int]
    ws: tuple[str, int]
    cert: Path


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    endpoint = SipEndpoint()
    driver = EndpointDriver(endpoint, time.monotonic)
    guard = SourceGuard(1000.0, time.monotonic)
    transports = Transports(driver.receive, guard, time.monotonic)
    dispatcher = RequestDispatcher(driver.send_response)
    driver.attach(transports, dispatcher)
    udp = await transports.listen_udp(ListenAddress("127.0.0.1", 0))
    tcp = await transports.listen_stream(TransportKind.TCP, ListenAddress("127.0.0.1", 0))
    cert, key = ensure_self_signed(tmp_path / "tls")
    tls = await transports.listen_stream(
        TransportKind.TLS, ListenAddress("127.0.0.1", 0), server_context(cert, key)
    )
    ws = await transports.listen_websocket(ListenAddress("127.0.0.1", 0))
    yield Stack(transports, driver, udp, tcp, tls, ws, cert)
    await transports.close()
    driver.close()


class UdpClient(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.queue.put_nowait(data)


async def udp_client(host: str = "127.0.0.1") -> tuple[asyncio.DatagramTransport, UdpClient]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(UdpClient, local_addr=(host, 0))
    return transport, protocol


async def test_udp_garbage_then_options_gets_200(stack: Stack) -> None:
    transport, client = await udp_client()
    local = transport.get_extra_info("sockname")
    for junk in (
        b"\x00\xff\xfe binary junk",
        b"INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n",
        b"OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999\r\n\r\n",
        b"x" * (MAX_MESSAGE_SIZE + 10),
        b"\r\n\r\n",
    ):
        transport.sendto(junk, stack.udp)
    transport.sendto(options(local), stack.udp)
    answers = []
    async with asyncio.timeout(5):
        while True:
            data = await client.queue.get()
            answers.append(status_of(data))
            if answers[-1] == 200:
                break
    assert set(answers) <= {200, 400}
    assert b"Allow: " in data
    assert b"Accept: application/sdp" in data
    assert b"Supported:" in data
    transport.close()


async def test_truncated_request_with_usable_headers_gets_400(stack: Stack) -> None:
    transport, client = await udp_client()
    local = transport.get_extra_info("sockname")
    message = options(local).replace(b"Content-Length: 0", b"Content-Length: 50")
    transport.sendto(message, stack.udp)
    async with asyncio.timeout(5):
        assert status_of(await client.queue.get()) == 400
    transport.close()


async def test_response_never_goes_to_a_spoofed_via(stack: Stack) -> None:
    """RFC 3261 §18.2.2 + RFC 3581: the response goes to the source address (received), at
    the Via port without rport or the source port with rport, never to the Via's host."""
    victim_transport, victim = await udp_client("127.0.0.2")
    victim_port = victim_transport.get_extra_info("sockname")[1]
    sender, client = await udp_client("127.0.0.1")
    sender_port = sender.get_extra_info("sockname")[1]
    # 1. Via names the victim's host *and port*, with rport: answer to the real source
    message = options(("127.0.0.2", victim_port))
    sender.sendto(message, stack.udp)
    async with asyncio.timeout(5):
        answer = await client.queue.get()
    assert status_of(answer) == 200
    assert b"received=127.0.0.1" in answer
    assert f"rport={sender_port}".encode() in answer
    # 2. without rport the Via port is used, but on the source's host (127.0.0.1), not the
    # victim's: we bind that port on 127.0.0.1 to catch it
    catcher_transport, catcher = await asyncio.get_running_loop().create_datagram_endpoint(
        UdpClient, local_addr=("127.0.0.1", 0)
    )
    catch_port = catcher_transport.get_extra_info("sockname")[1]
    no_rport = options(("127.0.0.2", catch_port)).replace(b";rport", b"")
    sender.sendto(no_rport, stack.udp)
    async with asyncio.timeout(5):
        assert status_of(await catcher.queue.get()) == 200
    await asyncio.sleep(0.2)
    assert victim.queue.empty()
    for t in (victim_transport, sender, catcher_transport):
        t.close()


async def test_tcp_framing_across_split_writes_and_keepalive(stack: Stack) -> None:
    reader, writer = await asyncio.open_connection(*stack.tcp)
    local = writer.get_extra_info("sockname")
    message = options(local, "TCP") + options(local, "TCP")
    for index in range(0, len(message), 7):  # two messages trickled in 7-byte pieces
        writer.write(message[index : index + 7])
        await writer.drain()
    async with asyncio.timeout(5):
        for _ in range(2):
            head = await reader.readuntil(b"\r\n\r\n")
            assert status_of(head) == 200
        writer.write(b"\r\n\r\n")  # RFC 5626 §4.4.1 ping
        await writer.drain()
        assert await reader.readexactly(2) == b"\r\n"  # pong
    # the connection is registered for reuse (responses and requests to this peer)
    assert stack.transports.table.get(TransportKind.TCP, (local[0], local[1])) is not None
    writer.close()
    await writer.wait_closed()


async def test_tcp_garbage_closes_the_connection_only(stack: Stack) -> None:
    reader, writer = await asyncio.open_connection(*stack.tcp)
    writer.write(b"GARBAGE\r\nContent-Length: nope\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(5):
        assert await reader.read() == b""  # closed by the server
    writer.close()
    # an endless header section is cut off at the size limit, not buffered forever
    reader, writer = await asyncio.open_connection(*stack.tcp)
    with contextlib.suppress(ConnectionError):
        writer.write(b"OPTIONS sip:a SIP/2.0\r\nX: " + b"a" * (MAX_MESSAGE_SIZE + 100))
        await writer.drain()
    async with asyncio.timeout(5):
        with contextlib.suppress(ConnectionError):
            assert await reader.read() == b""
    writer.close()
    # the listener still works
    reader, writer = await asyncio.open_connection(*stack.tcp)
    writer.write(options(writer.get_extra_info("sockname"), "TCP"))
    async with asyncio.timeout(5):
        assert status_of(await reader.readuntil(b"\r\n\r\n")) == 200
    writer.close()
    await writer.wait_closed()


async def test_tls_round_trip(stack: Stack) -> None:
    context = ssl.create_default_context(cafile=str(stack.cert))
    reader, writer = await asyncio.open_connection(
        *stack.tls, ssl=context, server_hostname="127.0.0.1"
    )
    writer.write(options(writer.get_extra_info("sockname"), "TLS"))
    async with asyncio.timeout(5):
        head = await reader.readuntil(b"\r\n\r\n")
    assert status_of(head) == 200
    assert b"SIP/2.0/TLS" in head
    writer.close()
    await writer.wait_closed()


async def test_websocket_round_trip_with_sip_subprotocol(stack: Stack) -> None:
    url = f"ws://{stack.ws[0]}:{stack.ws[1]}"
    async with connect(url, subprotocols=[Subprotocol("sip")]) as ws:
        assert ws.subprotocol == "sip"
        await ws.send(options(("df7jal23ls0d.invalid", 9), "WS").decode())
        async with asyncio.timeout(5):
            reply = await ws.recv()
        assert isinstance(reply, str)
        assert reply.startswith("SIP/2.0 200 OK")
        assert "SIP/2.0/WS df7jal23ls0d.invalid" in reply


async def test_websocket_without_sip_subprotocol_is_refused(stack: Stack) -> None:
    """RFC 7118 §4.1: the handshake must negotiate "sip"; without it the upgrade fails."""
    url = f"ws://{stack.ws[0]}:{stack.ws[1]}"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass
    assert refused.value.response.status_code == 400


def test_source_guard_rate_limit_and_ban() -> None:
    now = [100.0]
    banned = {"192.0.2.66"}
    guard = SourceGuard(10.0, lambda: now[0], is_banned=lambda host, _t: host in banned)
    admitted = sum(guard.admit("192.0.2.1") for _ in range(100))
    assert admitted == 20  # a burst of two seconds' worth
    assert guard.dropped_rate == 80
    assert guard.admit("192.0.2.2")  # other sources are not affected
    now[0] += 1.0
    assert sum(guard.admit("192.0.2.1") for _ in range(100)) == 10  # refilled at the rate
    assert not guard.admit("192.0.2.66")
    assert guard.dropped_banned == 1
