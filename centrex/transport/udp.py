"""SIP over UDP (RFC 3261 §18.1.1, §18.2.1): one datagram is one message.

The protocol does as little as possible per datagram: a size check, the source guard, and a
call to the receiver. Datagrams larger than the SIP core accepts are dropped with a
rate-limited log line (a response cannot be built without parsing, and parsing 64 KiB of junk
is what an attacker wants). Bare CRLF datagrams are keep-alives some phones send over UDP
(RFC 5626 §4.4.1 describes the stream form); they are ignored, never answered, so they cannot
be used for reflection.

The socket's receive buffer is what absorbs a burst (a BLF storm, a thousand phones
re-registering after a network outage) while the loop is busy: Linux's default (~208 KiB, a
few hundred SIP messages) drops the rest silently. `listen_udp` asks for `receive_buffer`
bytes, with SO_RCVBUFFORCE when the process may exceed `net.core.rmem_max` (root, as the
installer runs), else SO_RCVBUF (capped by the kernel), and logs what it got.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any, cast

from centrex.sip.message import MAX_MESSAGE_SIZE
from centrex.transport.connections import Address, Flow, Receiver, SourceGuard, TransportKind

log = logging.getLogger(__name__)


class UdpTransport(asyncio.DatagramProtocol):
    """The UDP socket: receives datagrams, sends to any address the upper layer chose."""

    def __init__(self, receiver: Receiver, guard: SourceGuard) -> None:
        self._receiver = receiver
        self._guard = guard
        self._transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("0.0.0.0", 0)  # noqa: S104 - replaced by the bound address
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it
        self._transport = cast(asyncio.DatagramTransport, transport)
        sockname = self._transport.get_extra_info("sockname")
        self.local = (str(sockname[0]), int(sockname[1]))

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        remote = (str(addr[0]), int(addr[1]))
        if len(data) > MAX_MESSAGE_SIZE or not data.strip(b"\r\n"):
            self.dropped += 1
            if len(data) > MAX_MESSAGE_SIZE:  # a bare CRLF is a keep-alive, not a drop
                self._guard.count_drop(TransportKind.UDP, "oversize")
            return
        if not self._guard.admit(remote[0], TransportKind.UDP):
            return
        self._receiver(data, Flow(TransportKind.UDP, remote, self.local))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and friends: nothing to do for a datagram transport
        log.debug("UDP error: %s", exc)

    def send(self, data: bytes, remote: Address) -> None:
        """Send one datagram (dropped when the socket is closed)."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(data, remote)

    def close(self) -> None:
        """Close the socket."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None


# not exported by every Python build; the Linux value (asm-generic/socket.h)
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def set_receive_buffer(sock: socket.socket, size: int) -> int:
    """Ask for a `size`-byte receive buffer; returns what the kernel granted (it reports
    double the request: its own bookkeeping is counted in)."""
    if size > 0:
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
        except OSError:  # not permitted (not root): the plain option, capped at rmem_max
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


async def listen_udp(
    host: str, port: int, receiver: Receiver, guard: SourceGuard, *, receive_buffer: int = 0
) -> UdpTransport:
    """Bind a UDP socket and return its protocol (port 0 picks a free port).

    `receive_buffer` (bytes, 0: the system default) sizes the socket's receive buffer before
    the first datagram can arrive."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        granted = set_receive_buffer(sock, receive_buffer)
        sock.bind((host, port))
        sock.setblocking(False)
        _, protocol = await loop.create_datagram_endpoint(
            lambda: UdpTransport(receiver, guard), sock=sock
        )
    except BaseException:
        sock.close()
        raise
    if receive_buffer > 0:
        log.info("SIP UDP receive buffer: asked %d bytes, granted %d", receive_buffer, granted)
    return protocol
