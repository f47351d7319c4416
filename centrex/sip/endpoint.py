"""The SIP endpoint: a sans-I/O object the transport feeds and drains (DESIGN.md §3).

Theory of operation (RFC 3261 §17, §18): `receive()` takes one datagram or one framed stream
message with its source address, transport and the current time. It parses, stamps the top Via
with `received`/`rport` (§18.2.1, RFC 3581 §4), validates (§8.2), matches the message to a server
or client transaction (§17.2.3, §17.1.3) or creates one, and queues what results: events for
the transaction user (`next_event()`) and datagrams for the transport (`datagrams_to_send()`).
`send_request()`/`send_response()` go through the same transactions, so retransmissions and
their absorption happen here. Timers of all transactions are merged in one heap:
`next_deadline()` tells the driver when to call `handle_timer(now)`.

Junk never escapes as an exception: malformed input is answered 400 when the response can be
built (a Via to route it, and From/To/Call-ID/CSeq present to copy), else dropped; both are
counted in `stats`. Responses go only to the request's source or the address its Via names
(§18.2.2 with received/rport), never to a third party: `maddr` is ignored.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from centrex.sip.builders import build_response, generate_tag, validate_request
from centrex.sip.errors import SipError, SipParseError, TransactionError
from centrex.sip.events import (
    Address,
    Event,
    RequestCancelled,
    RequestReceived,
    ResponseReceived,
    TransactionTimeout,
    TransportError,
)
from centrex.sip.headers import Via
from centrex.sip.matching import (
    ClientKey,
    ServerKey,
    client_key,
    invite_key_for_cancel,
    server_key,
)
from centrex.sip.message import Message, Request, Response, parse_message
from centrex.sip.timers import TimerConfig
from centrex.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
    Deliver,
    Output,
    Send,
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
    Timeout,
    TransportFailed,
)

RELIABLE_TRANSPORTS = frozenset({"TCP", "TLS", "SCTP", "WS", "WSS"})
Datagram = tuple[bytes, Address, str]
_HANDLED = (SipParseError, SipError, TransactionError, ValueError, KeyError, IndexError)


@dataclass(slots=True)
class EndpointStats:
    """Counters for monitoring (all monotonically increasing)."""

    received: int = 0
    parsed: int = 0
    malformed: int = 0
    dropped: int = 0
    keepalives: int = 0
    retransmissions_received: int = 0
    retransmissions_sent: int = 0
    bad_requests_answered: int = 0
    timeouts: int = 0
    overloaded: int = 0
    # received messages by the transport they came over (UDP, TCP, TLS, WS, WSS)
    malformed_by_transport: dict[str, int] = field(default_factory=dict)
    dropped_by_transport: dict[str, int] = field(default_factory=dict)

    @property
    def retransmissions(self) -> int:
        """Retransmissions absorbed on receipt plus those we sent."""
        return self.retransmissions_received + self.retransmissions_sent


def response_target(via: Via, transport: str) -> Address:
    """Where a response goes by its top Via (§18.2.2, RFC 3581 §4): received, else sent-by
    host; rport, else sent-by port, else the transport's default port."""
    host, port = via.sent_by
    default = 5061 if transport.upper() in ("TLS", "WSS") else 5060
    return (via.received or host, via.rport or port or default)


def _sanitize(reason: str) -> str:
    text = "".join(ch if " " <= ch < "\x7f" else "?" for ch in reason)
    return f"Bad Request ({text[:80]})"


class SipEndpoint:
    """Transactions and message routing for one SIP stack instance (RFC 3261 §17, §18)."""

    def __init__(
        self,
        config: TimerConfig | None = None,
        *,
        supported: Iterable[str] = (),
        content_types: Iterable[str] | None = None,
        auto_trying: bool = True,
        max_server_transactions: int = 200_000,
    ) -> None:
        self.config = config or TimerConfig()
        self.supported = tuple(supported)
        self.content_types = frozenset(content_types) if content_types is not None else None
        self.auto_trying = auto_trying
        self.max_server_transactions = max_server_transactions
        self.stats = EndpointStats()
        self._server: dict[ServerKey, tuple[ServerTransaction, Address, str]] = {}
        self._client: dict[ClientKey, tuple[ClientTransaction, Address, str]] = {}
        self._events: deque[Event] = deque()
        self._out: list[Datagram] = []
        self._heap: list[tuple[float, int, ServerKey | ClientKey]] = []
        self._scheduled: dict[ServerKey | ClientKey, float] = {}
        self._seq = 0
        self._merge: dict[tuple[str, str, int, str], ServerKey] = {}
        self._merge_of: dict[ServerKey, tuple[str, str, int, str]] = {}

    # ---- draining ------------------------------------------------------------------------
    def next_event(self) -> Event | None:
        """The oldest pending event, or None."""
        return self._events.popleft() if self._events else None

    def has_events(self) -> bool:
        """True when `next_event()` would return an event (a peek that consumes nothing)."""
        return bool(self._events)

    def has_datagrams(self) -> bool:
        """True when `datagrams_to_send()` would return something."""
        return bool(self._out)

    def datagrams_to_send(self) -> list[Datagram]:
        """Everything queued for the wire since the last call: (bytes, (host, port), transport)."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        """When `handle_timer` should next be called, or None if no timer is armed."""
        heap = self._heap
        while heap and self._scheduled.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def handle_timer(self, now: float) -> None:
        """Fire every transaction timer due at `now`."""
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, key = heapq.heappop(heap)
            if self._scheduled.get(key) != deadline:
                continue
            del self._scheduled[key]
            if isinstance(key, ServerKey):
                entry_s = self._server.get(key)
                if entry_s is not None:
                    tx_s, peer, transport = entry_s
                    self._apply(tx_s, tx_s.handle_timer(now), peer, transport)
            else:
                entry_c = self._client.get(key)
                if entry_c is not None:
                    tx_c, peer, transport = entry_c
                    self._apply(tx_c, tx_c.handle_timer(now), peer, transport)

    @property
    def transaction_count(self) -> int:
        """Live transactions (server + client)."""
        return len(self._server) + len(self._client)

    # ---- input from the network -----------------------------------------------------------
    def receive(self, data: bytes, source: Address, transport: str, now: float) -> None:
        """Process one datagram or one framed stream message. Never raises."""
        self.stats.received += 1
        if not data.strip(b"\r\n"):
            self.stats.keepalives += 1  # RFC 5626 CRLF keep-alive
            return
        transport = transport.upper()
        stats = self.stats
        dropped = stats.dropped
        try:
            message = parse_message(data)
        except SipParseError as exc:
            stats.malformed += 1
            by = stats.malformed_by_transport
            by[transport] = by.get(transport, 0) + 1
            self._answer_malformed(exc, source, transport)
        else:
            stats.parsed += 1
            try:
                if isinstance(message, Request):
                    self._receive_request(message, source, transport, now)
                else:
                    self._receive_response(message, now)
            except _HANDLED:
                stats.dropped += 1
        if stats.dropped != dropped:  # one comparison per message on the common path
            by = stats.dropped_by_transport
            by[transport] = by.get(transport, 0) + stats.dropped - dropped

    def _answer_malformed(self, exc: SipParseError, source: Address, transport: str) -> None:
        partial = exc.partial
        try:
            if not isinstance(partial, Request) or partial.method == "ACK":
                raise SipParseError("no request to answer")
            for name in ("via", "from", "to", "call-id", "cseq"):
                if partial.headers.get(name) is None:
                    raise SipParseError("mandatory header missing")
            via = self._stamp_via(partial, source)
            try:
                tag: str | None = generate_tag() if partial.to is not None else None
            except SipParseError:
                tag = None
            response = build_response(partial, 400, _sanitize(exc.reason), to_tag=tag)
        except _HANDLED:
            self.stats.dropped += 1
            return
        target = source if transport in RELIABLE_TRANSPORTS else response_target(via, transport)
        self._out.append((response.serialize(), target, transport))
        self.stats.bad_requests_answered += 1

    def _stamp_via(self, request: Request, source: Address) -> Via:
        """Add received/rport to the top Via (§18.2.1, RFC 3581 §4)."""
        via = request.top_via
        if via is None:
            raise SipParseError("no Via")
        host, port = source
        changed = via
        if via.has_rport:
            changed = changed.with_param("rport", str(port))
        if via.sent_by[0].lower() != host.lower() or via.has_rport:
            changed = changed.with_param("received", host)
        if changed is not via:
            request.replace_top_via(changed)
        return changed

    def _receive_request(
        self, request: Request, source: Address, transport: str, now: float
    ) -> None:
        self._stamp_via(request, source)
        error = validate_request(request, self.supported, content_types=self.content_types)
        key = server_key(request)
        if key is None:
            raise SipParseError("no Via")
        entry = self._server.get(key)
        cseq = request.cseq
        mismatched = cseq is not None and cseq.method != request.method
        if request.method == "ACK":
            if mismatched:
                # §17.1.1.3: an ACK's CSeq method is ACK. One saying INVITE (RFC 4475
                # "mismatch01" applied to ACK) must not confirm a transaction; never answered.
                self.stats.dropped += 1
                return
            # matched first: the ACK of our 400/483... may be as broken as its INVITE was
            if entry is not None and isinstance(entry[0], ServerInviteTransaction):
                tx = entry[0]
                if tx.state is ServerInviteState.CONFIRMED:
                    self.stats.retransmissions_received += 1
                self._apply(tx, tx.receive_request(request, now), entry[1], entry[2])
                return
            if error is not None:
                self.stats.dropped += 1  # an ACK is never answered
                return
            self._events.append(RequestReceived(request, None, source, transport))
            return
        if entry is not None and mismatched and error is not None:
            # §8.2 / RFC 4475 "mismatch01": same branch as a live transaction but another CSeq
            # method is no retransmission of it. Answered 400 statelessly: the transaction
            # (and the response it would replay) belongs to the genuine request.
            self.stats.bad_requests_answered += 1
            self._send_stateless(
                build_response(request, error.status, error.reason, to_tag=generate_tag()),
                source,
                transport,
            )
            return
        if entry is not None:
            self.stats.retransmissions_received += 1
            tx_r = entry[0]
            self._apply(tx_r, tx_r.receive_request(request, now), entry[1], entry[2])
            return
        if len(self._server) >= self.max_server_transactions:
            # overload: answer statelessly so memory stays bounded (RFC 3261 §21.5.4)
            self.stats.overloaded += 1
            busy = build_response(
                request, 503, to_tag=generate_tag(), headers=[("Retry-After", "5")]
            )
            self._send_stateless(busy, source, transport)
            return
        reliable = transport in RELIABLE_TRANSPORTS
        new_tx: ServerTransaction
        if request.method == "INVITE":
            new_tx = ServerInviteTransaction(key, request, reliable, self.config)
        else:
            new_tx = ServerNonInviteTransaction(key, request, reliable, self.config)
        via = request.top_via
        assert via is not None
        peer = source if reliable else response_target(via, transport)
        self._server[key] = (new_tx, peer, transport)
        if error is not None:
            self._respond_error(request, error, now, key)
            return
        if request.method == "CANCEL":
            self._receive_cancel(request, key, now)
            return
        if self._merged(request, key):
            # §8.2.2.2: the same request reached us twice by different paths (forking)
            self._respond_error(request, SipError(482, "Loop Detected"), now, key)
            return
        if request.method == "INVITE" and self.auto_trying:
            self.send_response(build_response(request, 100), now, key)
        self._events.append(RequestReceived(request, key, source, transport))

    def _send_stateless(self, response: Response, source: Address, transport: str) -> None:
        """Queue a response outside any transaction, routed like one (§18.2.2)."""
        via = response.top_via
        if via is None:
            raise SipParseError("no Via")
        target = source if transport in RELIABLE_TRANSPORTS else response_target(via, transport)
        self._out.append((response.serialize(), target, transport))

    def _merged(self, request: Request, key: ServerKey) -> bool:
        """Merged-request detection (§8.2.2.2): no To tag, and From tag, Call-ID and CSeq equal
        to those of a live, not yet answered transaction with another key. Records the request
        otherwise."""
        to, from_, cseq = request.to, request.from_, request.cseq
        if to is None or to.tag is not None or from_ is None or cseq is None:
            return False
        merge_key = (request.call_id or "", from_.tag or "", cseq.number, cseq.method)
        other = self._merge.get(merge_key)
        entry = self._server.get(other) if other is not None and other != key else None
        if entry is not None:
            # only while the first copy is unanswered: a UA that wrongly reuses its CSeq for
            # the authenticated retry after a 401 must not be told 482
            last = entry[0].last_response
            if last is None or last.status < 200:
                return True
        self._merge[merge_key] = key
        self._merge_of[key] = merge_key
        return False

    def _respond_error(self, request: Request, error: SipError, now: float, key: ServerKey) -> None:
        response = build_response(
            request, error.status, error.reason, to_tag=generate_tag(), headers=error.headers
        )
        self.stats.bad_requests_answered += 1
        self.send_response(response, now, key)

    def _receive_cancel(self, cancel: Request, key: ServerKey, now: float) -> None:
        invite_key = invite_key_for_cancel(cancel)
        entry = self._server.get(invite_key) if invite_key is not None else None
        if invite_key is None or entry is None or not isinstance(entry[0], ServerInviteTransaction):
            self._respond_error(cancel, SipError(481, "Call/Transaction Does Not Exist"), now, key)
            return
        invite_tx = entry[0]
        last = invite_tx.last_response
        tag = last.to.tag if last is not None and last.to is not None else None
        self.send_response(build_response(cancel, 200, to_tag=tag or generate_tag()), now, key)
        if invite_tx.state is ServerInviteState.PROCEEDING:
            self._events.append(RequestCancelled(invite_key, cancel))

    def _receive_response(self, response: Response, now: float) -> None:
        key = client_key(response)
        entry = self._client.get(key) if key is not None else None
        if entry is None:
            cseq = response.cseq
            if cseq is not None and cseq.method == "INVITE" and 200 <= response.status < 300:
                self._events.append(ResponseReceived(response, None, None))
            else:
                self.stats.dropped += 1  # §18.1.2: no matching transaction
            return
        tx, peer, transport = entry
        if isinstance(tx, ClientInviteTransaction) and tx.state.name == "COMPLETED":
            self.stats.retransmissions_received += 1
        self._apply(tx, tx.receive_response(response, now), peer, transport)

    # ---- input from the transaction user --------------------------------------------------
    def send_request(
        self, request: Request, target: Address, now: float, transport: str = "UDP"
    ) -> ClientKey | None:
        """Send a request through a new client transaction (§17.1); an ACK (for a 2xx) is sent
        as is, without a transaction (§17.1.1.3), and returns None."""
        transport = transport.upper()
        if request.method == "ACK":
            self._out.append((request.serialize(), target, transport))
            return None
        key = client_key(request)
        if key is None:
            raise ValueError("request needs a top Via with a branch and a CSeq")
        if key in self._client:
            raise ValueError("a client transaction with this branch already exists")
        reliable = transport in RELIABLE_TRANSPORTS
        tx: ClientTransaction
        if request.method == "INVITE":
            tx = ClientInviteTransaction(key, request, reliable, self.config)
        else:
            tx = ClientNonInviteTransaction(key, request, reliable, self.config)
        self._client[key] = (tx, target, transport)
        self._apply(tx, tx.start(now), target, transport)
        return key

    def send_response(
        self, response: Response, now: float, transaction: ServerKey | None = None
    ) -> None:
        """Send a response through its server transaction (found by `transaction` or by the
        response's top Via branch + CSeq method); statelessly by Via if none exists (e.g. a 2xx
        retransmitted by the TU after Timer L). Raises `TransactionError` if the transaction is
        in a state where this response is not allowed (a TU bug, not network input)."""
        key = transaction or self._key_for_response(response)
        entry = self._server.get(key) if key is not None else None
        if entry is None:
            via = response.top_via
            if via is None:
                raise ValueError("response without Via")
            transport = via.transport
            self._out.append((response.serialize(), response_target(via, transport), transport))
            return
        tx, peer, transport = entry
        self._apply(tx, tx.send_response(response, now), peer, transport)

    def report_transport_error(self, transaction: ServerKey | ClientKey, now: float) -> None:
        """The transport failed to send for `transaction` (connection refused, ICMP...)."""
        entry = (
            self._server.get(transaction)
            if isinstance(transaction, ServerKey)
            else self._client.get(transaction)
        )
        if entry is None:
            return
        tx, peer, transport = entry
        try:
            outputs = tx.transport_error(now)
        except TransactionError:
            self.stats.dropped += 1
            return
        self._apply(tx, outputs, peer, transport)

    def report_flow_failure(self, transport: str, remote: Address, now: float) -> int:
        """The transport could not deliver to `remote` over `transport` (connection refused,
        WebSocket peer gone...): every transaction whose messages go there is told (§17.1.4,
        §17.2.4), which ends it with a `TransportError` event for the TU. Returns how many."""
        transport = transport.upper()
        keys: list[ServerKey | ClientKey] = [
            k for k, (_, p, t) in self._server.items() if p == remote and t == transport
        ]
        keys += [k for k, (_, p, t) in self._client.items() if p == remote and t == transport]
        for key in keys:
            self.report_transport_error(key, now)
        return len(keys)

    @staticmethod
    def _key_for_response(response: Response) -> ServerKey | None:
        via = response.top_via
        cseq = response.cseq
        if via is None or cseq is None or not via.branch:
            return None
        host = via.host.lower()
        sent_by = f"{host}:{via.port}" if via.port is not None else host
        return ServerKey(via.branch, sent_by, cseq.method)

    # ---- plumbing ----------------------------------------------------------------------
    def _apply(
        self,
        tx: ServerTransaction | ClientTransaction,
        outputs: list[Output],
        peer: Address,
        transport: str,
    ) -> None:
        key = tx.key
        assert isinstance(key, ServerKey | ClientKey)
        for output in outputs:
            if isinstance(output, Send):
                self._out.append((output.message.serialize(), peer, transport))
                if output.retransmission:
                    self.stats.retransmissions_sent += 1
            elif isinstance(output, Deliver):
                self._deliver(tx, output.message, peer, transport)
            elif isinstance(output, Timeout):
                self.stats.timeouts += 1
                self._events.append(TransactionTimeout(key, tx.request))
            elif isinstance(output, TransportFailed):
                self._events.append(TransportError(key, tx.request))
        if tx.terminated:
            self._scheduled.pop(key, None)
            if isinstance(key, ServerKey):
                self._server.pop(key, None)
                merge_key = self._merge_of.pop(key, None)
                if merge_key is not None and self._merge.get(merge_key) == key:
                    del self._merge[merge_key]
            else:
                self._client.pop(key, None)
            return
        deadline = tx.next_deadline()
        if deadline is None:
            self._scheduled.pop(key, None)
        elif self._scheduled.get(key) != deadline:
            self._scheduled[key] = deadline
            self._seq += 1
            heapq.heappush(self._heap, (deadline, self._seq, key))

    def _deliver(
        self,
        tx: ServerTransaction | ClientTransaction,
        message: Message,
        peer: Address,
        transport: str,
    ) -> None:
        if isinstance(message, Response):
            key = tx.key
            assert isinstance(key, ClientKey)
            self._events.append(ResponseReceived(message, key, tx.request))
        elif isinstance(message, Request):
            self._events.append(RequestReceived(message, None, peer, transport))
