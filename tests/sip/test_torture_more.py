"""More RFC 4475-style cases, and one fixture per deliberate leniency (DESIGN.md habit 10)."""

from __future__ import annotations

import pytest

from centrex.sip import SipParseError, parse_message, validate_request
from centrex.sip.matching import server_key
from centrex.sip.message import Request
from tests.sip import fixtures as fx


def _req(data: bytes) -> Request:
    msg = parse_message(data)
    assert isinstance(msg, Request)
    return msg


def test_longreq_long_values_and_many_vias() -> None:
    long_name = "A" * 1000
    vias = "".join(
        f"Via: SIP/2.0/TCP sip{i}.example.com;branch=z9hG4bK{i:04d}\n" for i in range(60)
    )
    data = fx.crlf(
        "INVITE sip:user@example.com SIP/2.0\n"
        f'To: "{long_name}" <sip:user@example.com>\n'
        "From: sip:caller@example.net;tag=" + "b" * 500 + "\n"
        "Call-ID: longreq." + "c" * 2000 + "\n"
        "CSeq: 1 INVITE\n"
        "Max-Forwards: 70\n"
        + vias
        + "X-Long: " + "d" * 5000 + "\n"
        "Content-Length: 0\n\n"
    )  # fmt: skip
    req = _req(data)
    assert req.to is not None
    assert req.to.display_name == long_name
    assert req.from_ is not None
    assert req.from_.tag == "b" * 500
    assert len(req.vias) == 60
    assert req.vias[-1].branch == "z9hG4bK0059"
    assert req.call_id is not None
    assert req.call_id == "longreq." + "c" * 2000
    assert validate_request(req) is None


def test_mpart01_binary_multipart_body_kept_exactly() -> None:
    body = (
        b"--7a9cbec02ceef655\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
        b"\r\n--7a9cbec02ceef655\r\nContent-Type: application/octet-stream\r\n\r\n"
        b"\x00\x01\xff\xfe\r\n\r\n\x80"
        b"\r\n--7a9cbec02ceef655--\r\n"
    )
    head = fx.base_request("MESSAGE").replace(b"Content-Length: 0\r\n\r\n", b"")
    data = (
        head
        + b"Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    req = _req(data)
    assert req.body == body
    assert req.mime_type == "multipart/mixed"
    assert parse_message(req.serialize()).body == body


def test_cparam_and_regescrt_contacts() -> None:
    req = _req(
        fx.base_request(
            "REGISTER",
            "sip:example.com",
            "Contact: sip:+19725552222@gw1.example.net;unknownparam\n",
        )
    )
    (contact,) = req.contact
    assert contact.param("unknownparam") == ""  # header parameter when outside <>
    assert contact.uri is not None
    assert contact.uri.params == ()
    req = _req(
        fx.base_request(
            "REGISTER",
            "sip:example.com",
            "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\n",
        )
    )
    (contact,) = req.contact
    assert contact.uri is not None
    assert contact.uri.param("unknownparam") == ""
    req = _req(
        fx.base_request(
            "REGISTER",
            "sip:example.com",
            "Contact: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n",
        )
    )
    (contact,) = req.contact
    assert contact.uri is not None
    assert contact.uri.headers == (("Route", "%3Csip:sip.example.com%3E"),)


def test_escnull_and_badbranch() -> None:
    req = _req(
        fx.base_request(uri="sip:null-%00-null@example.com").replace(b"z9hG4bKbase01", b"z9hG4bK")
    )
    assert req.uri.aor() == "sip:null-\x00-null@example.com"
    assert req.vias[0].branch == "z9hG4bK"
    key = server_key(req)
    assert key is not None
    assert key.branch == "z9hG4bK"


def test_inv2543_without_branch_or_max_forwards_is_accepted() -> None:
    # Leniency: RFC 2543 clients send no Max-Forwards and no branch
    data = fx.crlf(
        "INVITE sip:UserB@example.com SIP/2.0\n"
        "Via: SIP/2.0/UDP 127.0.0.1\n"
        "From: <sip:UserA@example.com>;tag=1234\n"
        "To: <sip:UserB@example.com>\n"
        "Call-ID: inv2543.1717@example.com\n"
        "CSeq: 1 INVITE\n"
        "Contact: <sip:UserA@127.0.0.1>\n"
        "Content-Length: 0\n\n"
    )
    req = _req(data)
    assert req.max_forwards is None
    assert req.vias[0].branch is None
    assert validate_request(req) is None


def test_leniency_missing_final_blank_line() -> None:
    data = fx.base_request().removesuffix(b"\r\n")
    req = _req(data)
    assert req.body == b""


def test_leniency_empty_uri_parameters_skipped() -> None:
    req = _req(fx.base_request(uri="sip:user@example.com;;transport=tcp;"))
    assert req.uri.params == (("transport", "tcp"),)


def test_leniency_underscore_in_host() -> None:
    req = _req(fx.base_request(uri="sip:user@my_host.example.com"))
    assert req.uri.host == "my_host.example.com"


def test_leniency_quoted_date_contact_expires_ignored() -> None:
    req = _req(
        fx.base_request(
            "REGISTER",
            "sip:example.com",
            'Contact: <sip:u@127.0.0.1>;expires="Thu, 01 Dec 2040 16:00:00 GMT"\n',
        )
    )
    assert req.contact[0].expires is None


def test_leniency_mixed_case_version_and_header_names() -> None:
    req = _req(
        fx.base_request()
        .replace(b"SIP/2.0\r\nVia", b"sip/2.0\r\nVia")
        .replace(b"Call-ID:", b"cALL-iD:")
    )
    assert req.version == "SIP/2.0"
    assert req.call_id == "base.1@example.com"
    assert validate_request(req) is None


def test_blank_continuation_line_adds_nothing() -> None:
    # found by fuzzing: a whitespace-only folded line must not leave trailing space behind
    data = fx.base_request().replace(b"CSeq: 1 OPTIONS\r\n", b"CSeq: 1 OPTIONS\r\n \r\n")
    req = _req(data)
    assert req.headers.get("cseq") == "1 OPTIONS"
    assert parse_message(req.serialize()).serialize() == req.serialize()


def test_bare_cr_is_rejected() -> None:
    with pytest.raises(SipParseError, match="bare CR"):
        parse_message(fx.base_request().replace(b"Max-Forwards: 70", b"Max-Forwards: 70\r"))
