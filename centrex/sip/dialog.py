"""Dialogs (RFC 3261 §12): identity, route set, remote target, CSeq bookkeeping.

A dialog is a peer-to-peer relationship identified by Call-ID, local tag and remote tag
(§12). The UAS builds it from the request and the response it sends (§12.1.1: route set = the
request's Record-Route in order, remote target = the request's Contact); the UAC from its request
and the response it receives (§12.1.2: route set = Record-Route reversed, remote target = the
response's Contact). Requests inside the dialog take their Request-URI and Route from the route
set and remote target, loose or strict routing (§12.2.1.1); incoming requests must not go
backwards in CSeq (§12.2.2, answered 500) and target-refresh requests update the remote target.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from centrex.sip.builders import build_request
from centrex.sip.errors import SipError
from centrex.sip.headers import NameAddr, Via
from centrex.sip.message import Request, Response
from centrex.sip.uri import URI

# §19.1.1 table: parameters not allowed in a Request-URI
_NOT_IN_RURI = frozenset({"method", "ttl", "lr"})
TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


class DialogState(enum.Enum):
    """§12: early (after a 1xx with a To tag), confirmed (after a 2xx), terminated."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class DialogId(NamedTuple):
    """Dialog identifier (§12): Call-ID, local tag, remote tag."""

    call_id: str
    local_tag: str
    remote_tag: str


def uas_dialog_id(request: Request) -> DialogId | None:
    """Id of the dialog an incoming in-dialog request belongs to (local = To tag)."""
    if request.call_id is None or request.to is None or request.from_ is None:
        return None
    if request.to.tag is None:
        return None
    return DialogId(request.call_id, request.to.tag, request.from_.tag or "")


def uac_dialog_id(response: Response) -> DialogId | None:
    """Id of the dialog a response to our request belongs to (local = From tag)."""
    if response.call_id is None or response.to is None or response.from_ is None:
        return None
    if response.to.tag is None:
        return None
    return DialogId(response.call_id, response.from_.tag or "", response.to.tag)


def _target(message: Request | Response) -> URI:
    for contact in message.contact:
        if contact.uri is not None:
            return contact.uri
    raise SipError(400, "Missing Contact header")


@dataclass(slots=True)
class Dialog:
    """State of one dialog, from our side."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr
    remote_uri: NameAddr
    remote_target: URI
    route_set: list[NameAddr] = field(default_factory=list)
    local_cseq: int = 0
    remote_cseq: int | None = None
    secure: bool = False
    state: DialogState = DialogState.EARLY

    @property
    def id(self) -> DialogId:
        """This dialog's identifier."""
        return DialogId(self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def from_uas(cls, request: Request, response: Response) -> Dialog:
        """Dialog created by our response `response` to `request` (§12.1.1)."""
        if request.call_id is None or request.from_ is None or request.to is None:
            raise SipError(400, "Missing dialog headers")
        if response.to is None or response.to.tag is None:
            raise ValueError("a dialog-creating response needs a To tag")
        cseq = request.cseq
        return cls(
            call_id=request.call_id,
            local_tag=response.to.tag,
            remote_tag=request.from_.tag or "",
            local_uri=response.to,
            remote_uri=request.from_,
            remote_target=_target(request),
            route_set=request.record_route,
            remote_cseq=cseq.number if cseq else None,
            secure=request.uri.scheme == "sips",
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
        )

    @classmethod
    def from_uac(cls, request: Request, response: Response) -> Dialog:
        """Dialog created by `response` (1xx with To tag, or 2xx) to our `request` (§12.1.2)."""
        if response.to is None or response.to.tag is None or request.from_ is None:
            raise SipError(400, "Missing dialog headers")
        if request.call_id is None or request.cseq is None:
            raise ValueError("request without Call-ID/CSeq")
        return cls(
            call_id=request.call_id,
            local_tag=request.from_.tag or "",
            remote_tag=response.to.tag,
            local_uri=request.from_,
            remote_uri=response.to,
            remote_target=_target(response),
            route_set=list(reversed(response.record_route)),
            local_cseq=request.cseq.number,
            secure=request.uri.scheme == "sips",
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
        )

    def _request_uri_and_route(self) -> tuple[URI, list[NameAddr]]:
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0]
        if first.uri.param("lr") is not None:
            return self.remote_target, list(self.route_set)
        # §12.2.1.1 strict routing: first route becomes the Request-URI, remote target appended
        params = tuple(p for p in first.uri.params if p[0].lower() not in _NOT_IN_RURI)
        return first.uri.with_params(params), [*self.route_set[1:], NameAddr(self.remote_target)]

    def create_request(
        self,
        method: str,
        via: Via,
        *,
        contact: NameAddr | None = None,
        cseq: int | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        """An in-dialog request (§12.2.1.1). CSeq increments except for ACK (pass the INVITE's
        number as `cseq`)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        uri, route = self._request_uri_and_route()
        return build_request(
            method,
            uri,
            from_=self.local_uri.with_tag(self.local_tag) if self.local_tag else self.local_uri,
            to=self.remote_uri.with_tag(self.remote_tag) if self.remote_tag else self.remote_uri,
            call_id=self.call_id,
            cseq=cseq,
            via=via,
            contact=contact,
            route=route,
            headers=headers,
            body=body,
            content_type=content_type,
        )

    def create_ack(
        self, invite_cseq: int, via: Via, body: bytes = b"", content_type: str | None = None
    ) -> Request:
        """ACK for a 2xx (§13.2.2.4): same CSeq number as the INVITE, own branch."""
        return self.create_request(
            "ACK", via, cseq=invite_cseq, body=body, content_type=content_type
        )

    def receive_request(self, request: Request) -> SipError | None:
        """Check and record an in-dialog request (§12.2.2); returns the error to answer."""
        cseq = request.cseq
        if cseq is None:
            return SipError(400, "Missing CSeq header")
        if request.method not in ("ACK", "CANCEL"):
            # an equal CSeq is a retransmission, which the transaction layer absorbs before
            # the dialog sees it; reaching here it is out of order like a lower one
            if self.remote_cseq is not None and cseq.number <= self.remote_cseq:
                return SipError(500, "CSeq out of order")
            self.remote_cseq = cseq.number
        if request.method in TARGET_REFRESH:
            for contact in request.contact:
                if contact.uri is not None:
                    self.remote_target = contact.uri
                    break
        if request.method == "BYE":
            self.state = DialogState.TERMINATED
        return None

    def receive_response(self, response: Response) -> None:
        """Update state/target from a response to our in-dialog or initial request (§12.2.1.2)."""
        cseq = response.cseq
        if 200 <= response.status < 300:
            if self.state is DialogState.EARLY:
                self.state = DialogState.CONFIRMED
            if cseq is not None and cseq.method in TARGET_REFRESH:
                for contact in response.contact:
                    if contact.uri is not None:
                        self.remote_target = contact.uri
                        break
        elif response.status >= 300 and self.state is DialogState.EARLY:
            self.state = DialogState.TERMINATED
        elif response.status in (481, 408) and self.state is DialogState.CONFIRMED:
            # §12.2.1.2: these end the dialog
            self.state = DialogState.TERMINATED

    def terminate(self) -> None:
        """Mark terminated (after BYE sent/answered)."""
        self.state = DialogState.TERMINATED

    def copy(self) -> Dialog:
        """An independent copy (forked early dialogs start from the same request)."""
        return replace(self, route_set=list(self.route_set))
