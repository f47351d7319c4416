"""The driver: the only code that moves bytes between sockets and the sans-I/O `SipEndpoint`.

Theory of operation (DESIGN.md §3 "The SIP core's shape"): every received message is fed to
`endpoint.receive(data, source, transport, now)`; then the driver *flushes*: it hands each
pending event to the transaction user (`EventHandler`), sends every datagram from
`datagrams_to_send()` through `Transports.send`, and re-arms ONE timer for the whole endpoint
from `next_deadline()`. The user answers with `driver.send_response(...)` /
`driver.send_request(...)`, which go through the endpoint and flush again.

`now` is the monotonic clock passed in by the wiring; the endpoint never reads time itself.
Anything that escapes the endpoint (it promises nothing does) is caught here per message and
logged at a rate limit, so one bad packet can never stop the transport.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from centrex.logs import RateLimitedLogger
from centrex.sip.endpoint import SipEndpoint
from centrex.sip.events import Event
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response
from centrex.transport.connections import Address, Flow

log = logging.getLogger(__name__)
_errors = RateLimitedLogger(log)


class EventHandler(Protocol):
    """The transaction user: gets every endpoint event, in order."""

    def __call__(self, event: Event) -> None: ...


class Sender(Protocol):
    """What the driver needs from the transports."""

    def send(self, data: bytes, transport: str, remote: Address) -> None: ...


class EndpointDriver:
    """Feeds one `SipEndpoint` from the transports and drains it back to them."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        clock: Callable[[], float],
        handler: EventHandler | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._clock = clock
        self._handler = handler
        self._sender: Sender | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline: float | None = None
        self._flushing = False

    def attach(self, sender: Sender, handler: EventHandler | None = None) -> None:
        """Connect the transports (built after the driver, since they call `receive`)."""
        self._sender = sender
        if handler is not None:
            self._handler = handler

    # ---- from the network ------------------------------------------------------------------
    def receive(self, data: bytes, flow: Flow) -> None:
        """A `Receiver` for the transports: one message from `flow`."""
        now = self._clock()
        try:
            self.endpoint.receive(data, flow.remote, flow.kind.value, now)
        except Exception:  # noqa: BLE001 - the network must never kill the transport
            _errors.warning("receive", now, "SIP endpoint failed on input from %s", flow.remote)
        self.flush()

    # ---- from the transaction user ---------------------------------------------------------
    def send_response(self, response: Response, transaction: ServerKey | None = None) -> None:
        """Answer a request through its server transaction (§17.2)."""
        self.endpoint.send_response(response, self._clock(), transaction)
        self.flush()

    def send_request(
        self, request: Request, target: Address, transport: str = "UDP"
    ) -> ClientKey | None:
        """Send a request through a new client transaction (§17.1)."""
        key = self.endpoint.send_request(request, target, self._clock(), transport)
        self.flush()
        return key

    def report_transport_error(self, transaction: ServerKey | ClientKey) -> None:
        """The transports could not deliver a message of `transaction` (§17.1.4)."""
        self.endpoint.report_transport_error(transaction, self._clock())
        self.flush()

    def transport_failed(self, transport: str, remote: Address) -> None:
        """`Transports(on_send_failed=...)`: nothing could be sent to `remote` over
        `transport`. The endpoint fails the transactions going there (RFC 3261 §17.1.4: a
        transport error is reported to the transaction and on to the TU)."""
        count = self.endpoint.report_flow_failure(str(transport), remote, self._clock())
        log.info("send to %s:%s over %s failed; %d transaction(s) told", *remote, transport, count)
        self.flush()

    # ---- plumbing --------------------------------------------------------------------------
    def flush(self) -> None:
        """Deliver events, send datagrams, re-arm the timer. Re-entrant calls are folded."""
        if self._flushing:
            return
        self._flushing = True
        try:
            endpoint = self.endpoint
            while True:
                event = endpoint.next_event()
                if event is None:
                    break
                if self._handler is not None:
                    try:
                        self._handler(event)
                    except Exception:  # a TU bug must not stop SIP processing
                        log.exception("transaction user failed on %s", type(event).__name__)
            sender = self._sender
            for data, remote, transport in endpoint.datagrams_to_send():
                if sender is not None:
                    sender.send(data, transport, remote)
        finally:
            self._flushing = False
        # Handlers (and a send failing synchronously) may have queued more while we drained:
        # peek without consuming (`next_event()` here would lose that event).
        if self.endpoint.has_events() or self.endpoint.has_datagrams():
            self.flush()
            return
        self._rearm()

    def _rearm(self) -> None:
        deadline = self.endpoint.next_deadline()
        if deadline == self._timer_deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is None:
            return
        delay = max(0.0, deadline - self._clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_deadline = None
        now = self._clock()
        try:
            self.endpoint.handle_timer(now)
        except Exception:  # noqa: BLE001 - a timer bug must not stop the loop
            _errors.warning("timer", now, "SIP endpoint timer handling failed")
        self.flush()

    def close(self) -> None:
        """Cancel the timer."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
