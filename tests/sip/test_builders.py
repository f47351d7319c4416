"""Responses per RFC 3261 §8.2.6, request builders, and semantic validation (RFC 4475 §3.3)."""

from __future__ import annotations

import pytest

from centrex.sip import SipError, parse_message, parse_uri
from centrex.sip.builders import (
    build_ack,
    build_cancel,
    build_invite,
    build_notify,
    build_options,
    build_register,
    build_response,
    generate_branch,
    make_via,
    validate_request,
)
from centrex.sip.headers import CSeq, NameAddr, parse_name_addr
from centrex.sip.message import Request, Response
from tests.sip import fixtures as fx


def _req(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def test_build_response_copies_mandatory_headers() -> None:
    req = _req(fx.WSINV)
    resp = build_response(req, 486, to_tag="xyz")
    wire = resp.serialize()
    parsed = parse_message(wire)
    assert isinstance(parsed, Response)
    assert (parsed.status, parsed.reason) == (486, "Busy Here")
    assert parsed.headers.get_all("via") == req.headers.get_all("via")
    assert parsed.headers.get("from") == req.headers.get("from")
    assert parsed.call_id == req.call_id
    assert parsed.cseq == CSeq(9, "INVITE")
    # the request's To already had a tag: never add a second one
    assert parsed.to is not None
    assert parsed.to.tag == "1918181833n"
    assert parsed.headers.get("route") is None
    assert parsed.body == b""


def test_build_response_adds_to_tag_but_not_on_100() -> None:
    req = _req(fx.INVITE)
    assert build_response(req, 100).to == req.to
    ringing = build_response(req, 180, to_tag="t1")
    assert ringing.to is not None
    assert ringing.to.tag == "t1"
    assert ringing.headers.get("to") == "Bob <sip:bob@example.com>;tag=t1"


def test_build_response_extra_headers_body_and_reason() -> None:
    req = _req(fx.REGISTER)
    resp = build_response(
        req, 200, "Fine", headers=[("Contact", "<sip:bob@127.0.0.1>;expires=60")], body=b"x",
        content_type="text/plain",
    )  # fmt: skip
    parsed = parse_message(resp.serialize())
    assert isinstance(parsed, Response)
    assert parsed.reason == "Fine"
    assert parsed.contact[0].expires == 60
    assert parsed.body == b"x"
    assert parsed.mime_type == "text/plain"


def test_timestamp_echoed_on_100() -> None:
    req = _req(fx.base_request(extra="Timestamp: 54\n"))
    assert build_response(req, 100).headers.get("timestamp") == "54"
    assert build_response(req, 200).headers.get("timestamp") is None


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        # badvers
        (fx.base_request().replace(b"SIP/2.0\r\nVia", b"SIP/7.0\r\nVia"), 505, "Version Not Supported"),
        # clerr
        (fx.base_request().replace(b"Content-Length: 0", b"Content-Length: 9999") + b"x", 400,
         "Content-Length larger than body"),
        # insuf
        (fx.base_request().replace(b"Call-ID: base.1@example.com\r\n", b""), 400, "Missing Call-ID header"),
        (fx.base_request().replace(b"To: <sip:user@example.com>\r\n", b""), 400, "Missing To header"),
        # multi01
        (fx.base_request(extra="To: <sip:other@example.com>\n"), 400, "Multiple To headers"),
        (fx.base_request(extra="i: other-call-id\n"), 400, "Multiple Call-ID headers"),
        # mismatch01
        (fx.base_request().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE"), 400,
         "CSeq method does not match request method"),
        # unkscm / novelsc
        (fx.base_request(uri="nobodyKnowsThisScheme:totallyopaquecontent"), 416, "Unsupported URI Scheme"),
        (fx.base_request(uri="soap.beep://127.0.0.1:3002"), 416, "Unsupported URI Scheme"),
        # escaped headers in the Request-URI
        (fx.base_request(uri="sip:user@example.com?Route=%3Csip:example.com%3E"), 400,
         "Request-URI must not contain headers"),
        # zeromf
        (fx.base_request().replace(b"Max-Forwards: 70", b"Max-Forwards: 0"), 483, "Too Many Hops"),
    ],
)  # fmt: skip
def test_validate_request_errors(data: bytes, status: int, reason: str) -> None:
    error = validate_request(_req(data))
    assert error is not None
    assert (error.status, error.reason) == (status, reason)


def test_bext01_unknown_require_gets_420_with_unsupported() -> None:
    req = _req(fx.base_request(extra="Require: nothingSupportsThis, nothingSupportsThisEither\n"))
    error = validate_request(req, supported=("100rel",))
    assert error == SipError(
        420, "Bad Extension", (("Unsupported", "nothingSupportsThis, nothingSupportsThisEither"),)
    )
    assert validate_request(_req(fx.base_request(extra="Require: 100REL\n")), ["100rel"]) is None


def test_valid_messages_pass_validation() -> None:
    for data in (fx.REGISTER, fx.INVITE, fx.WSINV, fx.ESC01, fx.LWSDISP, fx.SEMIURI, fx.IPV6):
        assert validate_request(_req(data)) is None
    # intmeth is legal: an unknown method is for the application to answer 405/501
    assert validate_request(_req(fx.INTMETH)) is None
    # unknown schemes in To/From are fine (unksm2)
    data = fx.base_request().replace(b"To: <sip:user@example.com>", b"To: isbn:2983792873")
    assert validate_request(_req(data)) is None


def test_build_register_round_trip() -> None:
    via = make_via("127.0.0.1", 5070, "udp", branch="z9hG4bKreg1")
    req = build_register(
        parse_uri("sip:example.com"),
        parse_uri("sip:alice@example.com"),
        NameAddr(parse_uri("sip:alice@127.0.0.1:5070")),
        call_id="c1@127.0.0.1",
        cseq=3,
        via=via,
        from_tag="ft",
        expires=300,
    )
    parsed = _req(req.serialize())
    assert parsed.method == "REGISTER"
    assert parsed.cseq == CSeq(3, "REGISTER")
    assert parsed.vias[0].branch == "z9hG4bKreg1"
    assert parsed.vias[0].has_rport
    assert parsed.expires == 300
    assert parsed.max_forwards == 70
    assert parsed.from_ is not None
    assert parsed.from_.tag == "ft"
    assert validate_request(parsed) is None


def test_invite_cancel_ack_builders() -> None:
    invite = build_invite(
        parse_uri("sip:bob@example.com"),
        from_=parse_name_addr("Alice <sip:alice@example.com>;tag=a1"),
        to=parse_name_addr("<sip:bob@example.com>"),
        call_id="call-1",
        cseq=10,
        via=make_via("::1", 5060),
        contact=parse_name_addr("<sip:alice@[::1]:5060>"),
        sdp=fx.crlf(fx.SDP_BODY),
        route=[parse_name_addr("<sip:proxy.example.com;lr>")],
    )
    parsed = _req(invite.serialize())
    assert parsed.vias[0].host == "[::1]"
    assert parsed.mime_type == "application/sdp"
    assert parsed.body == fx.crlf(fx.SDP_BODY)
    cancel = _req(build_cancel(parsed).serialize())
    assert cancel.method == "CANCEL"
    assert cancel.cseq == CSeq(10, "CANCEL")
    assert cancel.vias[0].branch == parsed.vias[0].branch
    assert str(cancel.uri) == str(parsed.uri)
    assert [str(r.uri) for r in cancel.route] == ["sip:proxy.example.com;lr"]
    busy = build_response(parsed, 486, to_tag="b1")
    ack = _req(build_ack(parsed, busy).serialize())
    assert ack.cseq == CSeq(10, "ACK")
    assert ack.to is not None
    assert ack.to.tag == "b1"
    assert ack.vias[0].branch == parsed.vias[0].branch


def test_options_and_notify() -> None:
    common = {
        "from_": parse_name_addr("<sip:pbx@example.com>;tag=x"),
        "to": parse_name_addr("<sip:phone@example.com>"),
        "call_id": "c",
        "cseq": 1,
        "via": make_via("127.0.0.1", 5060),
    }
    options = _req(build_options(parse_uri("sip:phone@127.0.0.1"), **common).serialize())  # type: ignore[arg-type]
    assert options.method == "OPTIONS"
    assert options.headers.get("accept") == "application/sdp"
    notify = build_notify(
        parse_uri("sip:phone@127.0.0.1"),
        event="message-summary",
        subscription_state="active;expires=3600",
        body=b"Messages-Waiting: yes\r\n",
        content_type="application/simple-message-summary",
        **common,  # type: ignore[arg-type]
    )
    parsed = _req(notify.serialize())
    assert parsed.headers.get("event") == "message-summary"
    assert parsed.body == b"Messages-Waiting: yes\r\n"


def test_generate_branch_has_magic_cookie_and_is_unique() -> None:
    branches = {generate_branch() for _ in range(100)}
    assert len(branches) == 100
    assert all(b.startswith("z9hG4bK") for b in branches)


def test_invut_unknown_content_type_gets_415_when_checked() -> None:
    data = (
        fx.base_request("INVITE").replace(
            b"Content-Length: 0\r\n",
            b"Content-Type: application/unknownformat\r\nContent-Length: 3\r\n",
        )
        + b"abc"
    )
    req = _req(data)
    assert validate_request(req) is None  # not checked unless asked
    error = validate_request(req, content_types=frozenset({"application/sdp"}))
    assert error == SipError(415, "Unsupported Media Type", (("Accept", "application/sdp"),))
    sdp = _req(fx.INVITE)
    assert validate_request(sdp, content_types=frozenset({"application/sdp"})) is None
