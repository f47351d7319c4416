"""SIP over TCP and TLS (RFC 3261 §18.3, RFC 5626 §3.5.1, §4.4.1).

Each connection owns a `StreamFramer` from the SIP core: bytes in, whole messages out, framed
by Content-Length. A stream cannot resynchronise after a framing error, so garbage, an oversized
message or a header section that never ends closes the connection (with a rate-limited log
line); nothing here can stall the loop, because the framer holds at most one message's worth of
bytes. A double-CRLF "ping" is answered with a single CRLF "pong" (RFC 5626 §4.4.1).

Connections register in the shared `ConnectionTable` so that responses and later requests to
the peer reuse them (§18.2.2: "the response MUST be sent using the existing connection").
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import cast

from centrex.sip.errors import SipParseError
from centrex.sip.framing import StreamFramer
from centrex.sip.message import MAX_MESSAGE_SIZE
from centrex.transport.connections import (
    MAX_WRITE_BUFFER,
    Address,
    ConnectionTable,
    Flow,
    Receiver,
    SourceGuard,
    TransportKind,
    junk_log,
)

log = logging.getLogger(__name__)
PONG = b"\r\n"


class StreamConnection(asyncio.Protocol):
    """One TCP or TLS connection, accepted or opened by us."""

    def __init__(
        self,
        kind: TransportKind,
        receiver: Receiver,
        guard: SourceGuard,
        table: ConnectionTable,
        clock: Callable[[], float],
    ) -> None:
        self.kind = kind
        self._receiver = receiver
        self._guard = guard
        self._table = table
        self._clock = clock
        self._framer = StreamFramer(MAX_MESSAGE_SIZE)
        self._transport: asyncio.Transport | None = None
        self.flow = Flow(kind, ("", 0), ("", 0))
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing it
        self._transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.flow = Flow(self.kind, (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1])))
        if not self._table.add(self):
            junk_log.warning("conn-cap", self._clock(), "connection limit reached, refusing")
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        try:
            messages = self._framer.feed(data)
        except SipParseError as exc:
            self._guard.count_malformed(self.kind)
            junk_log.warning(
                "frame:" + self.flow.remote[0],
                self._clock(),
                "closing %s connection from %s:%s: %s",
                self.kind,
                self.flow.remote[0],
                self.flow.remote[1],
                exc.reason,
            )
            self.close()
            return
        for message in messages:
            if self._transport is None:
                return
            if not self._guard.admit(self.flow.remote[0], self.kind):
                continue
            self._receiver(message, self.flow)
        pings = self._framer.take_pings()
        if pings:
            self.send(PONG * pings)  # RFC 5626 §4.4.1: one CRLF per CRLFCRLF ping

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self._table.remove(self)
        self._transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, data: bytes) -> None:
        """Write `data`; a peer that stops reading past `MAX_WRITE_BUFFER` is disconnected."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        if transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("closing %s connection to %s: peer does not read", self.kind, self.flow)
            transport.abort()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._transport is not None:
            self._transport.close()


def _factory(
    kind: TransportKind,
    receiver: Receiver,
    guard: SourceGuard,
    table: ConnectionTable,
    clock: Callable[[], float],
) -> Callable[[], StreamConnection]:
    return lambda: StreamConnection(kind, receiver, guard, table, clock)


async def listen_stream(
    kind: TransportKind,
    host: str,
    port: int,
    receiver: Receiver,
    guard: SourceGuard,
    table: ConnectionTable,
    clock: Callable[[], float],
    ssl_context: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """Listen for TCP (or TLS with `ssl_context`) connections."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        _factory(kind, receiver, guard, table, clock),
        host,
        port,
        ssl=ssl_context,
        reuse_address=True,
        ssl_handshake_timeout=10.0 if ssl_context is not None else None,
    )


async def open_stream(
    kind: TransportKind,
    remote: Address,
    receiver: Receiver,
    guard: SourceGuard,
    table: ConnectionTable,
    clock: Callable[[], float],
    ssl_context: ssl.SSLContext | None = None,
    connect_timeout: float = 10.0,
) -> StreamConnection:
    """Open a connection to `remote` (when no connection to it exists, RFC 3261 §18.1.1)."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(connect_timeout):
        _, protocol = await loop.create_connection(
            _factory(kind, receiver, guard, table, clock),
            remote[0],
            remote[1],
            ssl=ssl_context,
            server_hostname=remote[0] if ssl_context is not None else None,
        )
    return protocol
