"""Scripted user agents for the B2BUA tests: phones and trunks on the in-memory network.

A `Phone` is a real sans-I/O `SipEndpoint` (so transactions, retransmissions, the ACK of a
non-2xx and the 200 to a CANCEL are the core's, RFC 3261 §17) plus a thin scripted transaction
user. The test drives it: `invite()`, `ack()`, `cancel()`, `bye()`, `reinvite()`, `info()` as
a caller; `ring()`, `progress()`, `answer()`, `reject()` as a callee. A few things real phones do
on their own are automatic, each switchable: answering a 407 with digest MD5 (the algorithm
every deployed phone knows), ACKing every 2xx (§13.2.2.4), answering a CANCELled INVITE with
487 (§9.2), answering BYE and INFO with 200 and a request for an unknown dialog with 481
(§12.2.2). Everything received is kept for assertions (`requests`, `responses`, per call).

Phones send every request to Centrex's address (an outbound proxy, as phones are configured),
whatever the Request-URI says.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from centrex.sip.builders import (
    build_cancel,
    build_invite,
    build_register,
    build_request,
    build_response,
    generate_branch,
    generate_call_id,
    generate_tag,
    make_via,
)
from centrex.sip.dialog import Dialog
from centrex.sip.digest import answer_challenge, authenticated_retry, parse_challenge
from centrex.sip.endpoint import SipEndpoint
from centrex.sip.events import (
    Address,
    Event,
    RequestCancelled,
    RequestReceived,
    ResponseReceived,
    TransactionTimeout,
)
from centrex.sip.headers import NameAddr, Via
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response
from centrex.sip.sdp import SessionDescription, parse_sdp
from centrex.sip.uri import URI, parse_uri
from tests.calls.network import Network
from tests.media.phones import sdp as phone_sdp

SDP = "application/sdp"


def md5_only(challenge_response: Response) -> Response:
    """A copy of a 401/407 keeping only its MD5 challenges: what a phone that knows only MD5
    (sipp 3.6, many deployed devices) can answer, wherever the server put it in the list."""
    header = "Proxy-Authenticate" if challenge_response.status == 407 else "WWW-Authenticate"
    copy = Response(challenge_response.status, challenge_response.reason)
    for name, value in challenge_response.headers:
        if name.lower() == header.lower() and parse_challenge(value).algorithm.upper() != "MD5":
            continue
        copy.headers.add(name, value)
    if not copy.headers.get_all(header):
        raise AssertionError(
            f"no MD5 challenge offered: {challenge_response.headers.get_all(header)}"
        )
    return copy


@dataclass
class ClientRequest:
    """A request a phone sent and every response to it, in arrival order."""

    request: Request
    key: ClientKey | None
    responses: list[Response] = field(default_factory=list)

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.responses]

    @property
    def final(self) -> Response | None:
        return next((r for r in self.responses if r.status >= 200), None)

    @property
    def status(self) -> int | None:
        """The final status, or None while none has arrived."""
        final = self.final
        return final.status if final is not None else None


@dataclass
class ReceivedRequest:
    """A request that reached a phone, with the transaction to answer it on."""

    request: Request
    key: ServerKey | None
    at: float
    answered: int | None = None

    @property
    def method(self) -> str:
        return self.request.method


@dataclass(eq=False)
class CallLeg:
    """One dialog of a phone (as caller or callee): what was received in it."""

    phone: Phone
    call_id: str
    dialog: Dialog | None = None
    requests: list[ReceivedRequest] = field(default_factory=list)
    sent: list[ClientRequest] = field(default_factory=list)

    def received(self, method: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.method == method]

    def methods(self) -> list[str]:
        """Methods received in this dialog, in order (ACK included for a callee)."""
        return [r.method for r in self.requests]

    def _in_dialog(
        self, method: str, *, body: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> ClientRequest:
        assert self.dialog is not None, "no dialog yet"
        request = self.dialog.create_request(
            method,
            self.phone.via(),
            contact=self.phone.contact() if method in ("INVITE", "UPDATE") else None,
            body=body,
            content_type=SDP if body else None,
            headers=headers or (),
        )
        sent = self.phone.send(request)
        self.sent.append(sent)
        return sent

    def bye(self) -> ClientRequest:
        return self._in_dialog("BYE")

    def info(self) -> ClientRequest:
        return self._in_dialog("INFO")

    def reinvite(self, sdp: bytes, headers: list[tuple[str, str]] | None = None) -> ClientRequest:
        """A re-INVITE with a new offer (hold: `direction="sendonly"`); its 2xx is ACKed."""
        return self._in_dialog("INVITE", body=sdp, headers=headers)

    def update(
        self, sdp: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> ClientRequest:
        """An UPDATE (RFC 3311): a new offer or a session refresh without one."""
        return self._in_dialog("UPDATE", body=sdp, headers=headers)

    def answer_request(self, received: ReceivedRequest, status: int, sdp: bytes = b"") -> None:
        """Answer a request received in this dialog (a re-INVITE with our SDP answer)."""
        assert self.dialog is not None
        headers = [("Contact", str(self.phone.contact()))] if 200 <= status < 300 else []
        response = build_response(
            received.request,
            status,
            headers=headers,
            body=sdp,
            content_type=SDP if sdp else None,
        )
        received.answered = status
        self.phone.respond(response, received.key)


@dataclass(eq=False)
class OutgoingCall(CallLeg):
    """A call this phone placed: the INVITE attempts (the first one is usually challenged)."""

    attempts: list[ClientRequest] = field(default_factory=list)

    @property
    def invite(self) -> ClientRequest:
        """The latest INVITE attempt."""
        return self.attempts[-1]

    @property
    def statuses(self) -> list[int]:
        """Every response to the latest attempt, retransmissions of a 2xx included."""
        return self.invite.statuses

    @property
    def status(self) -> int | None:
        return self.invite.status

    @property
    def final(self) -> Response:
        final = self.invite.final
        assert final is not None, f"no final response yet: {self.statuses}"
        return final

    def answer_sdp(self) -> SessionDescription:
        """The SDP of the 2xx (or 183) we got: Centrex's answer."""
        body = next((r.body for r in reversed(self.invite.responses) if r.body), b"")
        assert body, f"no SDP in any response: {self.statuses}"
        return parse_sdp(body)

    def ack(self) -> None:
        """ACK the 2xx of the initial INVITE (§13.2.2.4: a new transaction-less request)."""
        self.phone.ack_2xx(self, self.final)

    def cancel(self) -> ClientRequest:
        """CANCEL the pending INVITE (§9.1)."""
        cancel = build_cancel(self.invite.request)
        sent = self.phone.send(cancel)
        self.sent.append(sent)
        return sent


@dataclass(eq=False)
class IncomingCall(CallLeg):
    """An INVITE that reached this phone; the test answers it."""

    invite: ReceivedRequest | None = None
    tag: str = field(default_factory=generate_tag)
    responses: list[Response] = field(default_factory=list)
    cancelled: bool = False

    @property
    def request(self) -> Request:
        assert self.invite is not None
        return self.invite.request

    def offer(self) -> SessionDescription:
        """The SDP offer Centrex sent us."""
        return parse_sdp(self.request.body)

    def _respond(
        self, status: int, sdp: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> None:
        assert self.invite is not None
        extra = list(headers or [])
        if 100 < status < 300:
            extra.append(("Contact", str(self.phone.contact())))
        response = build_response(
            self.request,
            status,
            to_tag=self.tag,
            headers=extra,
            body=sdp,
            content_type=SDP if sdp else None,
        )
        if 100 < status < 300 and self.dialog is None:
            self.dialog = Dialog.from_uas(self.request, response)
        self.responses.append(response)
        self.phone.respond(response, self.invite.key)

    def ring(self) -> None:
        self._respond(180)

    def progress(self, sdp: bytes | None = None) -> None:
        """183 Session Progress with an SDP answer (early media)."""
        self._respond(183, sdp if sdp is not None else self.phone.sdp())

    def answer(self, sdp: bytes | None = None) -> None:
        self._respond(200, sdp if sdp is not None else self.phone.sdp())

    def reject(self, status: int, headers: list[tuple[str, str]] | None = None) -> None:
        self._respond(status, headers=headers)


class Phone:
    """A SIP phone (or a trunk: `user=None`) at one address of the in-memory network."""

    def __init__(
        self,
        network: Network,
        address: Address,
        *,
        user: str | None,
        domain: str,
        password: str = "",
        centrex: Address,
        name: str | None = None,
        auto_trying: bool = True,
        transport: str = "UDP",
    ) -> None:
        self.network = network
        self.address = address
        self.transport = transport  # TCP: a reliable flow (no retransmissions, RFC 3261 §17)
        self.user = user
        self.domain = domain
        self.password = password
        self.centrex = centrex
        self.name = name or user or f"{address[0]}:{address[1]}"
        self.endpoint = SipEndpoint(auto_trying=auto_trying)
        self.rtp_port = 30000 + 2 * (address[1] % 1000)
        self.auto_auth = True
        self.auto_ack = True
        self.auto_487 = True
        self.auto_answer_bye = True
        self.requests: list[ReceivedRequest] = []
        self.responses: list[Response] = []
        self.timeouts: list[Event] = []
        self.outgoing: list[OutgoingCall] = []
        self.incoming: list[IncomingCall] = []
        self.registrations: list[ClientRequest] = []
        self._legs: dict[str, CallLeg] = {}
        self._sent: dict[ClientKey, ClientRequest] = {}
        network.attach(self)

    def __repr__(self) -> str:
        return f"<Phone {self.name} {self.address}>"

    # ---- addressing ------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.network.clock.monotonic()

    def via(self) -> Via:
        return make_via(self.address[0], self.address[1], self.transport, generate_branch())

    def contact(self) -> NameAddr:
        params = (("transport", self.transport.lower()),) if self.transport != "UDP" else ()
        uri = URI("sip", user=self.user or "trunk", host=self.address[0], port=self.address[1],
                  params=params)  # fmt: skip
        return NameAddr(uri)

    def aor(self, user: str | None = None) -> URI:
        return parse_uri(f"sip:{user or self.user}@{self.domain}")

    def sdp(self, direction: str = "sendrecv", payload_types: tuple[int, ...] = (0, 8)) -> bytes:
        """This phone's SDP (offer or answer) with its own RTP port."""
        return phone_sdp(self.rtp_port, payload_types, direction=direction)

    # ---- sending ---------------------------------------------------------------------------
    def send(self, request: Request) -> ClientRequest:
        key = self.endpoint.send_request(request, self.centrex, self.now, self.transport)
        sent = ClientRequest(request, key)
        if key is not None:
            self._sent[key] = sent
        self.flush()
        return sent

    def respond(self, response: Response, key: ServerKey | None) -> None:
        self.endpoint.send_response(response, self.now, key)
        self.flush()

    def register(self, expires: int = 600) -> ClientRequest:
        """REGISTER this phone's contact; the 401 is answered with MD5 automatically."""
        assert self.user is not None
        aor = self.aor()
        request = build_register(
            parse_uri(f"sip:{self.domain}"), aor, self.contact(), call_id=generate_call_id(self.address[0]),
            cseq=1, via=self.via(), from_tag=generate_tag(),
            expires=expires,
        )  # fmt: skip
        sent = self.send(request)
        self.registrations.append(sent)
        return sent

    def invite(
        self,
        dialled: str,
        *,
        sdp: bytes | None = None,
        domain: str | None = None,
        display: str | None = None,
        from_user: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> OutgoingCall:
        """Call `dialled` at our domain (or another one, to probe tenant isolation); a trunk
        names its caller with `from_user`."""
        host = domain or self.domain
        user = from_user or self.user or "anonymous"
        call_id = generate_call_id(self.address[0])
        request = build_invite(
            parse_uri(f"sip:{dialled}@{host}"),
            from_=NameAddr(parse_uri(f"sip:{user}@{host}"), display, (("tag", generate_tag()),)),
            to=NameAddr(parse_uri(f"sip:{dialled}@{host}")),
            call_id=call_id,
            cseq=1,
            via=self.via(),
            contact=self.contact(),
            sdp=self.sdp() if sdp is None else sdp,
            headers=headers or (),
        )
        call = OutgoingCall(self, call_id)
        self.outgoing.append(call)
        self._legs[call_id] = call
        call.attempts.append(self.send(request))
        return call

    def subscribe(
        self,
        target: str,
        *,
        event: str = "dialog",
        expires: int = 600,
        domain: str | None = None,
    ) -> CallLeg:
        """SUBSCRIBE to `target`'s `event` (RFC 6665); the 401/407 is answered with MD5, the
        2xx makes the subscription dialog, NOTIFYs are answered 200 (see `_on_request`)."""
        host = domain or self.domain
        call_id = generate_call_id(self.address[0])
        request = build_request(
            "SUBSCRIBE",
            parse_uri(f"sip:{target}@{host}"),
            from_=NameAddr(self.aor(), params=(("tag", generate_tag()),)),
            to=NameAddr(parse_uri(f"sip:{target}@{host}")),
            call_id=call_id,
            cseq=1,
            via=self.via(),
            contact=self.contact(),
            headers=[("Event", event), ("Expires", str(expires)),
                     ("Accept", "application/dialog-info+xml")],
        )  # fmt: skip
        leg = CallLeg(self, call_id)
        self._legs[call_id] = leg
        leg.sent.append(self.send(request))
        return leg

    def stray(self, method: str, *, sdp: bytes = b"") -> ClientRequest:
        """An in-dialog-looking request (To tag, Call-ID) for a dialog that never existed."""
        uri = parse_uri(f"sip:centrex@{self.centrex[0]}:{self.centrex[1]}")
        request = build_request(
            method,
            uri,
            from_=NameAddr(self.aor(), params=(("tag", generate_tag()),)),
            to=NameAddr(self.aor("102"), params=(("tag", generate_tag()),)),
            call_id=generate_call_id(self.address[0]),
            cseq=7,
            via=self.via(),
            contact=self.contact() if method == "INVITE" else None,
            body=sdp,
            content_type=SDP if sdp else None,
        )
        return self.send(request)

    def ack_2xx(self, leg: CallLeg, response: Response) -> None:
        cseq = response.cseq
        if leg.dialog is None:
            assert isinstance(leg, OutgoingCall)
            leg.dialog = Dialog.from_uac(leg.invite.request, response)
        ack = leg.dialog.create_ack(cseq.number if cseq else 1, self.via())
        self.endpoint.send_request(ack, self.centrex, self.now, self.transport)
        self.flush()

    # ---- receiving -------------------------------------------------------------------------
    def receive(self, data: bytes, source: Address, transport: str) -> None:
        self.endpoint.receive(data, source, transport, self.now)
        self.flush()

    def handle_timer(self, now: float) -> None:
        self.endpoint.handle_timer(now)
        self.flush()

    def flush(self) -> None:
        while (event := self.endpoint.next_event()) is not None:
            self._on_event(event)
        for data, target, transport in self.endpoint.datagrams_to_send():
            self.network.send(data, self.address, target, transport)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestReceived):
            self._on_request(ReceivedRequest(event.request, event.transaction, self.now))
        elif isinstance(event, ResponseReceived):
            self._on_response(event)
        elif isinstance(event, RequestCancelled):
            for call in self.incoming:
                if call.invite is not None and call.invite.key == event.transaction:
                    call.cancelled = True
                    if self.auto_487 and not any(r.status >= 200 for r in call.responses):
                        call.reject(487)
        elif isinstance(event, TransactionTimeout):
            self.timeouts.append(event)

    def _on_request(self, received: ReceivedRequest) -> None:
        request = received.request
        self.requests.append(received)
        call_id = request.call_id or ""
        to = request.to
        if request.method == "INVITE" and (to is None or to.tag is None):
            call = IncomingCall(self, call_id, invite=received)
            self.incoming.append(call)
            self._legs[call_id] = call
            return
        leg = self._legs.get(call_id)
        if leg is None or (leg.dialog is None and request.method != "ACK"):
            if request.method != "ACK":
                self.respond(build_response(request, 481, to_tag=generate_tag()), received.key)
                received.answered = 481
            return
        if leg.dialog is not None and request.method != "ACK":
            error = leg.dialog.receive_request(request)
            if error is not None:
                self.respond(build_response(request, error.status, error.reason), received.key)
                received.answered = error.status
                return
        leg.requests.append(received)
        if (request.method == "BYE" and self.auto_answer_bye) or request.method in (
            "INFO",
            "NOTIFY",
        ):
            leg.answer_request(received, 200)

    def _on_response(self, event: ResponseReceived) -> None:
        response = event.response
        self.responses.append(response)
        sent = self._sent.get(event.transaction) if event.transaction is not None else None
        leg = self._legs.get(response.call_id or "")
        if sent is None:
            # a 2xx retransmission after our INVITE transaction ended (§13.2.2.4)
            if isinstance(leg, OutgoingCall):
                leg.invite.responses.append(response)
                if self.auto_ack:
                    self.ack_2xx(leg, response)
            return
        sent.responses.append(response)
        cseq = response.cseq
        method = cseq.method if cseq is not None else ""
        challenged = "Authorization" not in sent.request.headers
        if method == "REGISTER" and response.status == 401 and challenged:
            self._answer_register_challenge(sent, response)
        if method == "SUBSCRIBE" and leg is not None:
            self._subscription_response(leg, sent, response, challenged=challenged)
            return
        if method != "INVITE" or leg is None:
            return
        if response.status in (401, 407) and isinstance(leg, OutgoingCall) and self.auto_auth:
            if len(leg.attempts) == 1:
                retry = authenticated_retry(
                    sent.request,
                    md5_only(response),
                    self.user or "",
                    self.password,
                    generate_branch(),
                )
                leg.attempts.append(self.send(retry))
            return
        if 200 <= response.status < 300:
            if leg.dialog is None and isinstance(leg, OutgoingCall):
                leg.dialog = Dialog.from_uac(sent.request, response)
            if self.auto_ack:
                self.ack_2xx(leg, response)

    def _subscription_response(
        self, leg: CallLeg, sent: ClientRequest, response: Response, *, challenged: bool
    ) -> None:
        """A SUBSCRIBE's answer: retry a challenge once with MD5, keep the dialog of a 2xx."""
        if response.status in (401, 407) and challenged and self.auto_auth:
            retry = authenticated_retry(
                sent.request, md5_only(response), self.user or "", self.password,
                generate_branch(),
            )  # fmt: skip
            leg.sent.append(self.send(retry))
        elif 200 <= response.status < 300 and leg.dialog is None:
            leg.dialog = Dialog.from_uac(sent.request, response)

    def _answer_register_challenge(self, sent: ClientRequest, response: Response) -> None:
        challenge = parse_challenge(md5_only(response).headers.get_all("WWW-Authenticate")[0])
        request = sent.request
        auth = answer_challenge(
            challenge, "REGISTER", str(request.uri), self.user or "", self.password
        )
        retry = build_register(
            request.uri, self.aor(), self.contact(), call_id=request.call_id or secrets.token_hex(6),
            cseq=2, via=self.via(), from_tag=generate_tag(),
            expires=request.expires if request.expires is not None else 600, headers=[("Authorization", auth)],
        )  # fmt: skip
        self.registrations.append(self.send(retry))
