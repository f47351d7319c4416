"""Building the SIP messages the B2BUA sends, so `b2bua.py` reads as call logic.

All builders are pure; the B2BUA passes in its local address and the call's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.sip.builders import (
    build_invite,
    build_response,
    generate_branch,
    generate_call_id,
    generate_tag,
    make_via,
)
from centrex.sip.headers import NameAddr, Via
from centrex.sip.message import Request, Response
from centrex.sip.uri import URI, parse_uri

SDP = "application/sdp"
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, REFER, NOTIFY"
ANONYMOUS_URI = "sip:anonymous@anonymous.invalid"  # RFC 3323 §4.1.1.3


@dataclass(frozen=True, slots=True)
class LocalAddress:
    """Where Centrex's SIP listens, per transport, as peers must see it."""

    host: str
    port: int

    def via(self, transport: str) -> Via:
        return make_via(self.host, self.port, transport, generate_branch())

    def contact(self, transport: str, user: str = "centrex") -> NameAddr:
        params = (("transport", transport.lower()),) if transport.upper() != "UDP" else ()
        return NameAddr(URI("sip", user=user, host=self.host, port=self.port, params=params))


def warning_header(text: str) -> tuple[str, str]:
    """RFC 3261 §20.43 Warning (399 = miscellaneous) with a human-readable reason, always one
    well-formed quoted-string (§25.1) whatever the text (it may quote a peer's input): a
    control character becomes a space, so a CR LF can never end the header line, and a
    backslash is escaped, so it can never eat the closing quote."""
    shown = "".join(" " if ch < " " or ch == "\x7f" else ch for ch in text)
    safe = shown.replace("\\", "\\\\").replace('"', "'")
    return ("Warning", f'399 centrex "{safe}"')


def respond(
    invite: Request,
    status: int,
    to_tag: str,
    local: LocalAddress,
    transport: str,
    *,
    reason: str | None = None,
    sdp: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """A response to the caller's INVITE (or an in-dialog request) with our Contact."""
    extra = list(headers or [])
    if 100 < status < 300:
        extra.append(("Contact", str(local.contact(transport))))
        extra.append(("Allow", ALLOW))
    return build_response(
        invite,
        status,
        reason,
        to_tag=to_tag,
        headers=extra,
        body=sdp,
        content_type=SDP if sdp else None,
    )


def invite_to(
    request_uri: URI | str,
    *,
    caller_uri: str,
    caller_name: str | None,
    callee_uri: str,
    local: LocalAddress,
    transport: str,
    sdp: bytes,
    headers: list[tuple[str, str]] | None = None,
) -> Request:
    """A new INVITE for an outbound side (a new dialog: own Call-ID and From tag)."""
    uri = parse_uri(request_uri) if isinstance(request_uri, str) else request_uri
    return build_invite(
        uri,
        from_=NameAddr(parse_uri(caller_uri), caller_name, (("tag", generate_tag()),)),
        to=NameAddr(parse_uri(callee_uri)),
        call_id=generate_call_id(local.host),
        cseq=1,
        via=local.via(transport),
        contact=local.contact(transport),
        sdp=sdp,
        headers=[("Allow", ALLOW), *(headers or [])],
    )


# SIP status → disposition of the call for its CDR.
def disposition_for(status: int) -> str:
    if status in (486, 600):
        return "busy"
    if status in (408, 480, 487):
        return "no-answer"
    return "failed"


def caller_status(statuses: list[int]) -> int:
    """One answer for the caller when every fork failed (RFC 3261 §16.7 step 6, simplified):
    busy wins, then decline, then not found, else 480."""
    for preferred in (486, 600, 603, 404, 484, 488, 503):
        if preferred in statuses:
            return preferred
    return 480
