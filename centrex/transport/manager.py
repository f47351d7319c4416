"""All listening sockets of one process and the one `send` the driver calls.

`Transports.send(data, transport, remote)` is symmetric routing in practice (RFC 3261 §18.2.2,
RFC 3581): a datagram goes out of the UDP socket it arrived on; a stream message goes on the
open connection to that peer (connection reuse, the only way through a NAT for TCP/TLS/WS).
When no connection exists, TCP and TLS open one (§18.1.1); a WebSocket peer can only be reached
over the connection it opened, so the message is dropped and reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from centrex.transport.connections import (
    Address,
    ConnectionTable,
    Flow,
    Receiver,
    SourceGuard,
    TransportKind,
    junk_log,
)
from centrex.transport.stream import StreamConnection, listen_stream, open_stream
from centrex.transport.udp import UdpTransport, listen_udp
from centrex.transport.websocket import WebSocketListener

log = logging.getLogger(__name__)
SendFailed = Callable[[TransportKind, Address], None]
FlowClosed = Callable[[Flow], None]


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """host:port of one listener (port 0: pick a free one; used by tests)."""

    host: str
    port: int


class Transports:
    """UDP + TCP (+ TLS, + WS/WSS) listeners sharing one receiver, guard and connection table."""

    def __init__(
        self,
        receiver: Receiver,
        guard: SourceGuard,
        clock: Callable[[], float],
        *,
        client_ssl: ssl.SSLContext | None = None,
        on_send_failed: SendFailed | None = None,
        on_flow_closed: FlowClosed | None = None,
    ) -> None:
        self._receiver = receiver
        self.guard = guard
        self._clock = clock
        self._client_ssl = client_ssl
        self._on_send_failed = on_send_failed
        # a WebSocket flow closed: the browser behind it is unreachable until it reconnects
        self.on_flow_closed = on_flow_closed
        self.table = ConnectionTable()
        self.udp: UdpTransport | None = None
        self._servers: dict[TransportKind, asyncio.Server] = {}
        self._websockets: dict[TransportKind, WebSocketListener] = {}
        self._pending: dict[tuple[TransportKind, Address], list[bytes]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- listening -----------------------------------------------------------------------
    async def listen_udp(self, address: ListenAddress, *, receive_buffer: int = 0) -> Address:
        """Bind the UDP socket (`receive_buffer` bytes, 0: system default); returns the bound
        address."""
        self.udp = await listen_udp(
            address.host, address.port, self._receiver, self.guard, receive_buffer=receive_buffer
        )
        return self.udp.local

    async def listen_stream(
        self,
        kind: TransportKind,
        address: ListenAddress,
        ssl_context: ssl.SSLContext | None = None,
    ) -> Address:
        """Listen for TCP, or TLS when `ssl_context` is given; returns the bound address."""
        server = await listen_stream(
            kind,
            address.host,
            address.port,
            self._receiver,
            self.guard,
            self.table,
            self._clock,
            ssl_context,
        )
        self._servers[kind] = server
        sockname = server.sockets[0].getsockname()
        return str(sockname[0]), int(sockname[1])

    async def listen_websocket(
        self,
        address: ListenAddress,
        ssl_context: ssl.SSLContext | None = None,
    ) -> Address:
        """Listen for WebSocket (WSS with `ssl_context`) connections, RFC 7118."""
        kind = TransportKind.WSS if ssl_context is not None else TransportKind.WS
        listener = WebSocketListener(
            self._receiver, self.guard, self.table, self._clock, kind, self._flow_closed
        )
        await listener.start(address.host, address.port, ssl_context)
        self._websockets[kind] = listener
        return address.host, listener.port

    def _flow_closed(self, flow: Flow) -> None:
        if self.on_flow_closed is not None:
            self.on_flow_closed(flow)

    def listening(self) -> dict[TransportKind, Address]:
        """The listeners open right now, by transport (the health check reads this)."""
        found: dict[TransportKind, Address] = {}
        if self.udp is not None:
            found[TransportKind.UDP] = self.udp.local
        for kind, server in self._servers.items():
            if server.is_serving() and server.sockets:
                sockname = server.sockets[0].getsockname()
                found[kind] = (str(sockname[0]), int(sockname[1]))
        for kind, listener in self._websockets.items():
            if listener.server is not None:
                sockets = list(listener.server.sockets)
                if sockets:
                    sockname = sockets[0].getsockname()
                    found[kind] = (str(sockname[0]), int(sockname[1]))
        return found

    # ---- sending -------------------------------------------------------------------------
    def send(self, data: bytes, transport: str, remote: Address) -> None:
        """Send one message; never blocks and never raises for network reasons."""
        try:
            kind = TransportKind(transport.upper())
        except ValueError:
            junk_log.warning("kind", self._clock(), "no transport %r, message dropped", transport)
            return
        if kind is TransportKind.UDP:
            if self.udp is not None:
                self.udp.send(data, remote)
            return
        connection = self.table.get(kind, remote)
        if connection is not None:
            connection.send(data)
            return
        if kind in (TransportKind.WS, TransportKind.WSS):
            self._failed(kind, remote)
            return
        key = (kind, remote)
        queued = self._pending.get(key)
        if queued is not None:
            queued.append(data)  # a connection attempt is already under way
            return
        self._pending[key] = [data]
        task = asyncio.get_running_loop().create_task(self._connect(kind, remote))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(self, kind: TransportKind, remote: Address) -> None:
        context = self._client_ssl if kind is TransportKind.TLS else None
        if kind is TransportKind.TLS and context is None:
            context = ssl.create_default_context()
        try:
            connection: StreamConnection = await open_stream(
                kind, remote, self._receiver, self.guard, self.table, self._clock, context
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            log.info("cannot connect %s to %s:%s: %s", kind, remote[0], remote[1], exc)
            self._pending.pop((kind, remote), None)
            self._failed(kind, remote)
            return
        for data in self._pending.pop((kind, remote), []):
            connection.send(data)

    def _failed(self, kind: TransportKind, remote: Address) -> None:
        if self._on_send_failed is not None:
            self._on_send_failed(kind, remote)

    # ---- shutdown ------------------------------------------------------------------------
    async def close(self) -> None:
        """Stop listening and close every connection."""
        for task in list(self._tasks):
            task.cancel()
        for server in self._servers.values():
            server.close()
        for connection in self.table.all():
            connection.close()
        for listener in self._websockets.values():
            await listener.close()
        for server in self._servers.values():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 5.0)
        self._servers.clear()
        self._websockets.clear()
        if self.udp is not None:
            self.udp.close()
            self.udp = None
