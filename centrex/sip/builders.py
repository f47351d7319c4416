"""Building responses and requests, and the semantic checks a UAS makes first.

`build_response` follows RFC 3261 §8.2.6: Via (all values, in order), From, Call-ID and CSeq are
copied octet for octet from the request, To too, with a tag added by the UAS; `Timestamp` is
echoed on a 100 (§8.2.6.1). Request builders make the requests a UAC needs (§8.1.1): REGISTER,
INVITE, OPTIONS, NOTIFY, BYE, and the ACK and CANCEL that RFC 3261 §17.1.1.3 and §9.1 derive
from an INVITE. `validate_request` returns the answer for a well-formed but unacceptable request
(RFC 3261 §8.2, RFC 4475 §3.3), or None.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from centrex.sip.errors import SipError
from centrex.sip.grammar import WSP
from centrex.sip.headers import NameAddr, Via
from centrex.sip.message import Request, Response
from centrex.sip.uri import URI

MAGIC_COOKIE = "z9hG4bK"  # RFC 3261 §8.1.1.7

REASON_PHRASES: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    305: "Use Proxy",
    380: "Alternative Service",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    421: "Extension Required",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    489: "Bad Event",
    491: "Request Pending",
    493: "Undecipherable",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

SUPPORTED_SCHEMES = frozenset({"sip", "sips", "tel"})
_SINGLE_HEADERS = ("to", "from", "call-id", "cseq", "max-forwards", "content-length")


def generate_branch() -> str:
    """A fresh branch with the RFC 3261 magic cookie (§8.1.1.7), unique across space and time."""
    return MAGIC_COOKIE + secrets.token_hex(10)


def generate_tag() -> str:
    """A fresh From/To tag (§19.3: at least 32 bits of randomness)."""
    return secrets.token_hex(6)


def generate_call_id(host: str) -> str:
    """A fresh Call-ID (§8.1.1.4)."""
    return f"{secrets.token_hex(12)}@{host}"


def reason_phrase(status: int) -> str:
    """Default reason phrase for a status code (§21), or a class-generic one."""
    return REASON_PHRASES.get(status) or REASON_PHRASES.get(status // 100 * 100, "Unknown")


def build_response(
    request: Request,
    status: int,
    reason: str | None = None,
    to_tag: str | None = None,
    *,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """Response to `request` per RFC 3261 §8.2.6.

    The To tag is added only when the request's To has none and the status is above 100
    (§8.2.6.2); pass the dialog's tag for every response of one transaction.
    """
    response = Response(status, reason if reason is not None else reason_phrase(status))
    out = response.headers
    for name, value in request.headers:
        lower = name.lower()
        if lower in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            out.add(name, value)
        elif lower in ("to", "t"):
            if to_tag and status > 100 and request.to is not None and request.to.tag is None:
                out.add(name, f"{value.rstrip(WSP)};tag={to_tag}")
            else:
                out.add(name, value)
        elif lower == "timestamp" and status == 100:
            out.add(name, value)
    for name, value in headers:
        out.add(name, value)
    if content_type is not None:
        out.add("Content-Type", content_type)
    response.body = body
    return response


def validate_request(
    request: Request,
    supported: Iterable[str] = (),
    schemes: frozenset[str] = SUPPORTED_SCHEMES,
    content_types: frozenset[str] | None = None,
) -> SipError | None:
    """The error to answer for a well-formed but unacceptable request, or None (§8.2).

    Checks, in order: SIP version (505), truncated body (400), mandatory header fields (400),
    duplicated single-valued fields (400, RFC 4475 "multi01"), CSeq method (400, "mismatch01"),
    Request-URI scheme (416, "unkscm") and headers (400), Max-Forwards 0 (483, "zeromf"), and
    Require option tags (420 with Unsupported, §8.2.2.3, "bext01"), and, when `content_types`
    is given, the body's media type (415 with Accept, §8.2.3, "invut").
    """
    if request.version != "SIP/2.0":
        return SipError(505, "Version Not Supported")
    if request.truncated:
        return SipError(400, "Content-Length larger than body")
    hdrs = request.headers
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        if hdrs.get(name) is None:
            return SipError(400, f"Missing {name} header")
    # Leniency: Max-Forwards is mandatory in §8.1.1.6 but RFC 2543 clients omit it; treat as 70.
    for key in _SINGLE_HEADERS:
        if hdrs.count(key) > 1:
            return SipError(400, f"Multiple {_display(key)} headers")
    if not request.call_id:
        return SipError(400, "Empty Call-ID")
    cseq = request.cseq
    if cseq is None or cseq.method != request.method:
        return SipError(400, "CSeq method does not match request method")
    if request.uri.scheme not in schemes:
        return SipError(416, "Unsupported URI Scheme")
    if request.uri.headers:
        return SipError(400, "Request-URI must not contain headers")
    if request.max_forwards == 0:
        return SipError(483, "Too Many Hops")
    if request.method not in ("ACK", "CANCEL"):
        known = {tag.lower() for tag in supported}
        unknown = [tag for tag in request.require if tag.lower() not in known]
        if unknown:
            return SipError(420, "Bad Extension", (("Unsupported", ", ".join(unknown)),))
    if content_types is not None and request.body and request.method not in ("ACK", "CANCEL"):
        mime = request.mime_type
        if mime is None or mime not in content_types:
            accept = ", ".join(sorted(content_types))
            return SipError(415, "Unsupported Media Type", (("Accept", accept),))
    return None


def _display(key: str) -> str:
    return {"call-id": "Call-ID", "cseq": "CSeq"}.get(
        key, "-".join(p.capitalize() for p in key.split("-"))
    )


def build_request(
    method: str,
    uri: URI,
    *,
    from_: NameAddr,
    to: NameAddr,
    call_id: str,
    cseq: int,
    via: Via,
    max_forwards: int = 70,
    contact: NameAddr | None = None,
    route: Sequence[NameAddr] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    """A request with the header fields of RFC 3261 §8.1.1, in the customary order.

    `via` must carry the branch (use `generate_branch()`), `from_` its tag.
    """
    request = Request(method, uri)
    out = request.headers
    out.add("Via", str(via))
    out.add("Max-Forwards", str(max_forwards))
    for hop in route:
        out.add("Route", str(hop))
    out.add("From", str(from_))
    out.add("To", str(to))
    out.add("Call-ID", call_id)
    out.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        out.add("Contact", str(contact))
    for name, value in headers:
        out.add(name, value)
    if content_type is not None:
        out.add("Content-Type", content_type)
    request.body = body
    return request


def make_via(host: str, port: int | None, transport: str = "UDP", branch: str | None = None) -> Via:
    """Our Via for a new client transaction, asking for rport (RFC 3581 §3)."""
    return Via(
        transport=transport.upper(),
        host=f"[{host}]" if ":" in host and not host.startswith("[") else host,
        port=port,
        params=(("branch", branch or generate_branch()), ("rport", None)),
    )


def build_register(
    registrar: URI,
    aor: URI,
    contact: NameAddr | None,
    *,
    call_id: str,
    cseq: int,
    via: Via,
    from_tag: str,
    expires: int = 3600,
    headers: Iterable[tuple[str, str]] = (),
) -> Request:
    """REGISTER (§10.2): To and From are the AOR; `contact=None` queries the bindings."""
    extra = [("Expires", str(expires)), *headers]
    return build_request(
        "REGISTER",
        registrar,
        from_=NameAddr(aor, params=(("tag", from_tag),)),
        to=NameAddr(aor),
        call_id=call_id,
        cseq=cseq,
        via=via,
        contact=contact,
        headers=extra,
    )


def build_invite(
    uri: URI,
    *,
    from_: NameAddr,
    to: NameAddr,
    call_id: str,
    cseq: int,
    via: Via,
    contact: NameAddr,
    sdp: bytes = b"",
    route: Sequence[NameAddr] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> Request:
    """INVITE (§13.2.1) with an optional SDP offer."""
    return build_request(
        "INVITE",
        uri,
        from_=from_,
        to=to,
        call_id=call_id,
        cseq=cseq,
        via=via,
        contact=contact,
        route=route,
        headers=headers,
        body=sdp,
        content_type="application/sdp" if sdp else None,
    )


def build_options(
    uri: URI, *, from_: NameAddr, to: NameAddr, call_id: str, cseq: int, via: Via
) -> Request:
    """OPTIONS (§11.1), also used as a keep-alive/qualify probe."""
    return build_request(
        "OPTIONS", uri, from_=from_, to=to, call_id=call_id, cseq=cseq, via=via,
        headers=[("Accept", "application/sdp")],
    )  # fmt: skip


def build_notify(
    uri: URI,
    *,
    from_: NameAddr,
    to: NameAddr,
    call_id: str,
    cseq: int,
    via: Via,
    event: str,
    subscription_state: str,
    body: bytes = b"",
    content_type: str | None = None,
    route: Sequence[NameAddr] = (),
) -> Request:
    """NOTIFY (RFC 6665 §4.2.2) with Event and Subscription-State."""
    return build_request(
        "NOTIFY",
        uri,
        from_=from_,
        to=to,
        call_id=call_id,
        cseq=cseq,
        via=via,
        route=route,
        headers=[("Event", event), ("Subscription-State", subscription_state)],
        body=body,
        content_type=content_type,
    )


def build_bye(
    uri: URI,
    *,
    from_: NameAddr,
    to: NameAddr,
    call_id: str,
    cseq: int,
    via: Via,
    route: Sequence[NameAddr] = (),
) -> Request:
    """BYE (§15.1.1); inside a dialog prefer `Dialog.create_request("BYE")`."""
    return build_request(
        "BYE", uri, from_=from_, to=to, call_id=call_id, cseq=cseq, via=via, route=route
    )


def _copy_headers(src: Request, dst: Request, names: tuple[str, ...], only_first: bool) -> None:
    for name in names:
        values = src.headers.get_all(name)
        if only_first and values:
            values = values[:1]
        for value in values:
            dst.headers.add(name, value)


def build_cancel(invite: Request) -> Request:
    """CANCEL for a pending INVITE (§9.1): same Request-URI, Call-ID, To, From, CSeq number and
    Route, a single Via equal to the INVITE's top Via (so it matches the same branch)."""
    cancel = Request("CANCEL", invite.uri)
    top = invite.top_via
    if top is not None:
        cancel.headers.add("Via", str(top))
    cancel.headers.add("Max-Forwards", "70")
    _copy_headers(invite, cancel, ("Route",), only_first=False)
    _copy_headers(invite, cancel, ("From", "To", "Call-ID"), only_first=True)
    number = invite.cseq.number if invite.cseq else 1
    cancel.headers.add("CSeq", f"{number} CANCEL")
    return cancel


def build_ack(invite: Request, response: Response) -> Request:
    """ACK for a non-2xx final response, sent by the INVITE client transaction (§17.1.1.3):
    same Request-URI, top Via, From, Call-ID, Route as the INVITE, To from the response."""
    ack = Request("ACK", invite.uri)
    top = invite.top_via
    if top is not None:
        ack.headers.add("Via", str(top))
    ack.headers.add("Max-Forwards", "70")
    _copy_headers(invite, ack, ("Route",), only_first=False)
    _copy_headers(invite, ack, ("From", "Call-ID"), only_first=True)
    to = response.headers.get("To")
    if to is not None:
        ack.headers.add("To", to)
    number = invite.cseq.number if invite.cseq else 1
    ack.headers.add("CSeq", f"{number} ACK")
    return ack
