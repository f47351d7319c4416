"""An in-memory SIP network: sans-I/O `SipEndpoint`s exchange datagrams without sockets.

Why: the B2BUA's call flows (RFC 3261 §13-§17) are only testable to the exact deadline if
nothing in the path reads real time or waits on a socket. Every node here is a `SipEndpoint`
(centrex/sip/endpoint.py) driven with `now` from one `ManualClock`; a datagram one node sends is
queued and handed to the node at its target address by `pump()`, in order, with the sender's
address as source (as a UDP socket would report it). Each delivery is logged with the clock
reading, so a test can assert *when* a retransmission or a BYE was sent, not only that it was.

Centrex's node is `MemoryDriver`: what `EndpointDriver` (centrex/transport/driver.py) does for
the B2BUA and the registrar (`send_response`, `send_request`, events to the handler) minus the
asyncio timer: the harness calls `handle_timer(now)` itself when a test advances the clock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from centrex.clock import ManualClock
from centrex.sip.endpoint import SipEndpoint
from centrex.sip.events import Address, Event
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response, parse_message

EventHandler = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Delivered:
    """One datagram that reached a node: when (monotonic), from where, to where, what."""

    at: float
    source: Address
    target: Address
    message: Request | Response

    @property
    def label(self) -> str:
        """'INVITE', 'ACK', '200 INVITE'... (a response names its CSeq method)."""
        message = self.message
        if isinstance(message, Request):
            return message.method
        cseq = message.cseq
        return f"{message.status} {cseq.method if cseq else '?'}"


class Node(Protocol):
    """Something with an address that takes datagrams (Centrex, a phone, a trunk)."""

    address: Address
    endpoint: SipEndpoint

    def receive(self, data: bytes, source: Address, transport: str) -> None: ...

    def handle_timer(self, now: float) -> None: ...


class Network:
    """Queued, ordered, lossless delivery between nodes by address."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.nodes: dict[Address, Node] = {}
        self.log: list[Delivered] = []
        self.undeliverable: list[tuple[bytes, Address, Address]] = []
        self._queue: deque[tuple[bytes, Address, Address, str]] = deque()
        self.on_send: Callable[[], None] | None = None  # settle() wakes up to pump

    def attach(self, node: Node) -> None:
        if node.address in self.nodes:
            raise ValueError(f"address {node.address} is taken")
        self.nodes[node.address] = node

    def send(self, data: bytes, source: Address, target: Address, transport: str) -> None:
        """Queue one datagram (delivered by the next `pump`)."""
        self._queue.append((data, source, target, transport))
        if self.on_send is not None:
            self.on_send()

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    def pump(self) -> int:
        """Deliver every queued datagram, and those the deliveries cause; returns the count."""
        count = 0
        while self._queue:
            data, source, target, transport = self._queue.popleft()
            node = self.nodes.get(target)
            if node is None:
                self.undeliverable.append((data, source, target))
                continue
            message = parse_message(data)
            self.log.append(Delivered(self.clock.monotonic(), source, target, message))
            node.receive(data, source, transport)
            count += 1
        return count

    def sent_to(self, target: Address, label: str | None = None) -> list[Delivered]:
        """Everything delivered to `target` (optionally only of one label, e.g. 'BYE')."""
        return [d for d in self.log if d.target == target and (label is None or d.label == label)]

    def next_deadline(self) -> float | None:
        """The earliest transaction timer of any node."""
        deadlines = [
            d for n in self.nodes.values() if (d := n.endpoint.next_deadline()) is not None
        ]
        return min(deadlines) if deadlines else None

    def fire_timers(self, now: float) -> None:
        for node in list(self.nodes.values()):
            node.handle_timer(now)


class MemoryDriver:
    """Centrex's transport driver on the in-memory network (the B2BUA's `SipSender`, the
    registrar's and the dispatcher's `Respond`)."""

    def __init__(
        self, endpoint: SipEndpoint, network: Network, address: Address, clock: ManualClock
    ) -> None:
        self.endpoint = endpoint
        self.network = network
        self.address = address
        self._clock = clock
        self.handler: EventHandler | None = None
        self._flushing = False

    # ---- the driver interface the call layer uses ----------------------------------------
    def send_response(self, response: Response, transaction: ServerKey | None = None) -> None:
        self.endpoint.send_response(response, self._clock.monotonic(), transaction)
        self.flush()

    def send_request(
        self, request: Request, target: Address, transport: str = "UDP"
    ) -> ClientKey | None:
        key = self.endpoint.send_request(request, target, self._clock.monotonic(), transport)
        self.flush()
        return key

    # ---- the network side ------------------------------------------------------------------
    def receive(self, data: bytes, source: Address, transport: str) -> None:
        self.endpoint.receive(data, source, transport, self._clock.monotonic())
        self.flush()

    def handle_timer(self, now: float) -> None:
        self.endpoint.handle_timer(now)
        self.flush()

    def flush(self) -> None:
        """Events to the handler, datagrams to the network; re-entrant calls are folded (a
        handler answering synchronously calls back into `send_response`, and what it queues
        is drained by the same loop). A handler's exception propagates: in a test it is a bug
        to see, not to log."""
        if self._flushing:
            return
        self._flushing = True
        try:
            while (event := self.endpoint.next_event()) is not None:
                if self.handler is not None:
                    self.handler(event)
            for data, target, transport in self.endpoint.datagrams_to_send():
                self.network.send(data, self.address, target, transport)
        finally:
            self._flushing = False
