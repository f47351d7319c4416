"""Parsing and serializing SIP messages against hand-written RFC 4475-style fixtures."""

from __future__ import annotations

import pytest

from centrex.sip import SipParseError, parse_message
from centrex.sip.headers import CSeq
from centrex.sip.message import MAX_MESSAGE_SIZE, Request, Response
from tests.sip import fixtures as fx


def _req(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def _resp(data: bytes) -> Response:
    msg = parse_message(data)
    assert isinstance(msg, Response)
    return msg


def test_register_fields() -> None:
    req = _req(fx.REGISTER)
    assert req.method == "REGISTER"
    assert str(req.uri) == "sip:example.com"
    assert req.call_id == "843817637684230@998sdasdh09"
    assert req.cseq == CSeq(1826, "REGISTER")
    assert req.max_forwards == 70
    assert req.expires == 3600
    assert req.from_ is not None
    assert req.from_.tag == "456248"
    assert req.from_.display_name == "Bob"
    assert req.to is not None
    assert req.to.tag is None
    assert req.to.display_name == "Bob"
    via = req.vias[0]
    assert (via.transport, via.host, via.port) == ("UDP", "127.0.0.1", 5062)
    assert via.branch == "z9hG4bK776asdhds"
    assert via.has_rport
    assert via.rport is None
    contacts = req.contact
    assert len(contacts) == 2
    assert contacts[0].uri is not None
    assert contacts[0].uri.port == 5062
    assert contacts[0].expires == 7200
    assert contacts[0].q == 0.8
    assert contacts[1].expires is None
    assert contacts[1].q is None
    assert req.body == b""


def test_invite_body_and_record_route() -> None:
    req = _req(fx.INVITE)
    assert req.mime_type == "application/sdp"
    assert req.body.startswith(b"v=0\r\n")
    assert req.body.endswith(b"a=sendrecv\r\n")
    assert [str(r.uri) for r in req.record_route] == [
        "sip:p2.example.com;lr",
        "sip:p1.example.com;lr",
    ]


def test_wsinv_folding_and_whitespace() -> None:
    req = _req(fx.WSINV)
    assert req.to is not None
    assert req.to.tag == "1918181833n"
    assert req.from_ is not None
    assert req.from_.tag == "98asjd8"
    assert req.from_.display_name == 'J Rosenberg \\"'
    assert req.max_forwards == 68
    assert req.cseq == CSeq(9, "INVITE")
    assert [v.branch for v in req.vias] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert [v.transport for v in req.vias] == ["UDP", "TCP", "UDP"]
    assert req.headers.get("subject") == ""
    assert req.headers.get("NEWFANGLEDHEADER") == "newfangled value continued newfangled value"
    (contact,) = req.contact
    assert contact.display_name == 'Quoted string ""'
    assert contact.q == 0.33
    assert contact.param("newparam") == "newvalue"
    assert contact.param("secondparam") == ""
    assert req.route[0].uri.param("lr") == ""
    assert req.body == b"v=0\r"  # Content-Length 4 cuts the body


def test_intmeth_unusual_characters() -> None:
    req = _req(fx.INTMETH)
    assert req.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert req.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert req.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert req.to is not None
    assert req.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert req.from_ is not None
    assert req.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert req.from_.tag == "_token~1'+`*%!-."
    assert req.cseq is not None
    assert req.cseq.method == req.method
    assert req.headers.get("extensionheader-!.%*+_`'~") is not None


def test_esc01_escaped_uris_compare_equal() -> None:
    req = _req(fx.ESC01)
    assert req.uri.user == "sips%3Auser%40example.com"
    assert req.to is not None
    assert req.to.uri.aor() == "sip:user@example.com"
    assert req.call_id == "esc01.239409asdfakjkn23onasd0-3234"
    assert req.mime_type == "application/sdp"  # compact "C"
    contact = req.contact[0]
    assert contact.uri is not None
    assert contact.uri.param("lr") == ""


def test_lwsdisp_semiuri_transports() -> None:
    req = _req(fx.LWSDISP)
    assert req.from_ is not None
    assert req.from_.display_name == "caller"
    req = _req(fx.SEMIURI)
    assert req.uri.user == "user;par=u%40example.net"
    assert req.uri.host == "example.com"
    assert req.headers.get_list("Accept")[-1] == "message/sipfrag"
    assert len(req.headers.get_list("accept")) == 6
    req = _req(fx.TRANSPORTS)
    assert [v.transport for v in req.vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]


def test_dblreq_trailing_octets_ignored() -> None:
    req = _req(fx.DBLREQ)
    assert req.method == "REGISTER"
    assert req.body == b""
    assert req.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"


def test_missing_content_length_on_datagram_takes_rest() -> None:
    data = fx.base_request().replace(b"Content-Length: 0\r\n", b"") + b"hello"
    req = _req(data)
    assert req.content_length is None
    assert req.body == b"hello"


def test_content_length_larger_than_body_is_marked_truncated() -> None:
    data = fx.base_request().replace(b"Content-Length: 0", b"Content-Length: 9999") + b"abc"
    req = _req(data)
    assert req.truncated
    assert req.body == b"abc"


def test_responses_with_odd_reason_phrases() -> None:
    resp = _resp(fx.UNREASON)
    assert resp.status == 200
    assert resp.reason == "= 2**3 * 5**2 но сто"
    resp = _resp(fx.NOREASON)
    assert (resp.status, resp.reason) == (100, "")
    assert resp.to is not None
    assert resp.to.tag == "2229"


def test_ipv6_references() -> None:
    req = _req(fx.IPV6)
    assert req.uri.host == "[2001:db8::10]"
    assert req.vias[0].host == "[2001:db8::9:1]"
    assert req.vias[0].sent_by == ("2001:db8::9:1", None)
    contact = req.contact[0]
    assert contact.uri is not None
    assert contact.uri.port == 5070
    assert contact.display_name == "Caller"


def test_lf_only_line_endings_are_accepted() -> None:
    data = fx.REGISTER.replace(b"\r\n", b"\n")
    req = _req(data)
    assert req.cseq == CSeq(1826, "REGISTER")


def test_leading_crlf_before_start_line_is_ignored() -> None:
    assert _req(b"\r\n\r\n" + fx.REGISTER).method == "REGISTER"


@pytest.mark.parametrize("name", sorted(fx.BROKEN))
def test_broken_messages_raise(name: str) -> None:
    with pytest.raises(SipParseError):
        parse_message(fx.BROKEN[name])


def test_broken_header_keeps_partial_message_for_400() -> None:
    with pytest.raises(SipParseError) as info:
        parse_message(fx.BROKEN["scalar02"])
    partial = info.value.partial
    assert isinstance(partial, Request)
    assert partial.call_id == "base.1@example.com"
    assert "CSeq" in info.value.reason


def test_size_cap() -> None:
    assert MAX_MESSAGE_SIZE == 65536
    with pytest.raises(SipParseError, match="too large"):
        parse_message(fx.BROKEN["too-large"])


def test_sip_parse_error_is_value_error() -> None:
    assert issubclass(SipParseError, ValueError)


@pytest.mark.parametrize(
    "data",
    [fx.REGISTER, fx.INVITE, fx.WSINV, fx.INTMETH, fx.ESC01, fx.SEMIURI, fx.UNREASON, fx.IPV6],
)
def test_round_trip_is_stable(data: bytes) -> None:
    first = parse_message(data)
    wire = first.serialize()
    second = parse_message(wire)
    assert second.serialize() == wire
    assert list(second.headers) == list(first.headers)
    assert second.body == first.body
    assert bytes(second) == wire


def test_serialize_exact_bytes_and_original_names() -> None:
    req = _req(fx.LWSDISP)
    wire = req.serialize()
    assert wire.startswith(b"OPTIONS sip:user@example.com SIP/2.0\r\nTo: sip:user@example.com\r\n")
    assert b"\r\nl: 0\r\n\r\n" in wire  # compact name kept, value rewritten from the body
    assert wire.endswith(b"\r\n\r\n")


def test_serialize_fixes_content_length() -> None:
    req = _req(fx.REGISTER)
    req.body = b"abcdef"
    wire = req.serialize()
    assert b"Content-Length: 6\r\n" in wire
    assert wire.endswith(b"\r\n\r\nabcdef")
    req.headers.remove("content-length")
    assert b"Content-Length: 6\r\n" in req.serialize()


def test_header_mutation_refreshes_accessors() -> None:
    req = _req(fx.REGISTER)
    assert req.expires == 3600
    req.headers.set("expires", "60")
    assert req.expires == 60
    req.headers.add_first("Via", "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKtop")
    assert req.vias[0].host == "proxy.example.com"
    assert len(req.vias) == 2
    req.headers.replace_first_value("Via", "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKnew")
    assert req.vias[0].branch == "z9hG4bKnew"


def test_compact_and_case_insensitive_lookup() -> None:
    req = _req(fx.DBLREQ)
    assert req.headers.get("call-id") == req.headers.get("I") == req.headers.get("CALL-ID")
    assert "Call-ID" in req.headers
    assert req.headers.count("via") == 1


def test_wildcard_contact() -> None:
    req = _req(fx.base_request("REGISTER", "sip:example.com", "Contact: *\nExpires: 0\n"))
    (contact,) = req.contact
    assert contact.is_wildcard
    assert contact.uri is None
    assert str(contact) == "*"
    assert req.expires == 0


def test_quoted_comma_inside_contact_list() -> None:
    req = _req(
        fx.base_request(
            "REGISTER",
            "sip:example.com",
            'Contact: "Doe, John" <sip:j@127.0.0.1>;q=1, <sip:j@127.0.0.2;a=b,c>\n'.replace(
                "a=b,c", "a=b"
            ),
        )
    )
    assert [c.display_name for c in req.contact] == ["Doe, John", None]
