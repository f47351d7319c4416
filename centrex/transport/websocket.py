"""SIP over WebSocket for browsers (RFC 7118).

The handshake must negotiate the "sip" subprotocol (RFC 7118 §4.1); a client that does not ask
for it is refused with close code 1002. Each WebSocket message carries exactly one SIP message
(§5.1), text or binary, so no framer is needed; the `websockets` library caps the message size.
Sending is asynchronous in `websockets`, so each connection has a bounded queue drained by one
writer task; a browser that stops reading is disconnected rather than buffered forever.

SIP over *secure* WebSocket (WSS) is the same listener with an `ssl.SSLContext` (the TLS
certificate settings, like SIP over TLS) and kind `WSS`. A browser cannot accept connections,
so its only flow is the one it opened (RFC 7118 §5, RFC 5626 §5.3): when that connection closes,
`on_closed(flow)` tells the wiring, which drops the registrations bound to the flow so that calls
are not sent to a connection that no longer exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from centrex.sip.message import MAX_MESSAGE_SIZE
from centrex.transport.connections import (
    ConnectionTable,
    Flow,
    Receiver,
    SourceGuard,
    TransportKind,
    junk_log,
)

log = logging.getLogger(__name__)
SIP_SUBPROTOCOL = Subprotocol("sip")
MAX_QUEUED = 256


class WebSocketConnection:
    """One browser connection: a `Connection` for the table plus its writer task."""

    def __init__(self, ws: ServerConnection, flow: Flow) -> None:
        self.flow = flow
        self._ws = ws
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(MAX_QUEUED)
        self._writer = asyncio.create_task(self._write())

    def send(self, data: bytes) -> None:
        """Queue one SIP message; text frame when it is UTF-8 (what browsers expect)."""
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            log.warning("closing WebSocket %s: peer does not read", self.flow.remote)
            self.close()

    async def _write(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                await self._ws.send(data)
            else:
                await self._ws.send(text)

    def close(self) -> None:
        """Close the WebSocket (the handler then unregisters it)."""
        asyncio.get_running_loop().create_task(self._ws.close())

    async def finish(self) -> None:
        """Stop the writer task."""
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self._writer


class WebSocketListener:
    """Accepts WebSocket connections and feeds their messages to the receiver."""

    def __init__(
        self,
        receiver: Receiver,
        guard: SourceGuard,
        table: ConnectionTable,
        clock: Callable[[], float],
        kind: TransportKind = TransportKind.WS,
        on_closed: Callable[[Flow], None] | None = None,
    ) -> None:
        self._receiver = receiver
        self._on_closed = on_closed
        self._guard = guard
        self._table = table
        self._clock = clock
        self._kind = kind
        self.server: Server | None = None

    async def start(self, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        """Listen on host:port (port 0 picks a free port)."""
        self.server = await serve(
            self._handle,
            host,
            port,
            subprotocols=[SIP_SUBPROTOCOL],
            ssl=ssl_context,
            max_size=MAX_MESSAGE_SIZE,
            compression=None,
            server_header=None,
            ping_interval=30,
            ping_timeout=30,
        )

    @property
    def port(self) -> int:
        """The bound port."""
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, ws: ServerConnection) -> None:
        if ws.subprotocol != SIP_SUBPROTOCOL:
            await ws.close(1002, "the sip subprotocol is required (RFC 7118)")
            return
        peer = ws.remote_address
        local = ws.local_address
        flow = Flow(self._kind, (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1])))
        connection = WebSocketConnection(ws, flow)
        if not self._table.add(connection):
            await ws.close(1013, "too many connections")
            await connection.finish()
            return
        try:
            async for message in ws:
                if not self._guard.admit(flow.remote[0], self._kind):
                    continue
                data = message.encode("utf-8") if isinstance(message, str) else message
                if not data.strip(b"\r\n"):
                    continue  # keep-alive
                self._receiver(data, flow)
        except ConnectionClosed as exc:
            if exc.rcvd is not None and exc.rcvd.code == 1009:
                self._guard.count_drop(self._kind, "oversize")
                junk_log.warning("ws-size", self._clock(), "WebSocket message too large")
        finally:
            self._table.remove(connection)
            await connection.finish()
            self._closed(flow)

    def _closed(self, flow: Flow) -> None:
        if self._on_closed is None:
            return
        try:
            self._on_closed(flow)
        except Exception:  # a failing observer must not kill the listener (logged in full)
            log.exception("on_closed failed for WebSocket flow %s", flow.remote)

    async def close(self) -> None:
        """Stop accepting and close every connection."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
