"""Refer-To, Replaces, message/sipfrag and Subscription-State (centrex/sip/refer.py): fields,
round trips and the exact error for broken input (RFC 3515, RFC 3891, RFC 3420, RFC 6665)."""

from __future__ import annotations

import pytest

from centrex.sip.errors import SipParseError
from centrex.sip.message import parse_message
from centrex.sip.refer import (
    Replaces,
    parse_refer_to,
    parse_replaces,
    parse_sipfrag,
    sipfrag,
    subscription_state,
)

# a REFER as baresip sends it for an attended transfer (addresses rewritten to loopback)
REFER = (
    b"REFER sip:centrex@127.0.0.1:5060 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKref1;rport\r\n"
    b"From: <sip:101@acme.test>;tag=a1\r\n"
    b"To: <sip:102@acme.test>;tag=c1\r\n"
    b"Call-ID: call-1@127.0.0.1\r\n"
    b"CSeq: 3 REFER\r\n"
    b"Refer-To: <sip:103@acme.test?Replaces=call-2%40127.0.0.1%3Bto-tag%3Dcx%3Bfrom-tag%3Dax>\r\n"
    b"Referred-By: <sip:101@acme.test>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def test_a_blind_refer_to_names_its_target() -> None:
    refer = parse_refer_to("<sip:103@acme.test>")
    assert (refer.user, refer.uri.host, refer.replaces) == ("103", "acme.test", None)
    assert parse_refer_to("sip:103@acme.test").user == "103"  # addr-spec without <>
    assert parse_refer_to('"Reception" <sip:%2B41446681800@acme.test;user=phone>').user == (
        "+41446681800"
    )
    assert parse_refer_to("<tel:+41446681800>").user == "+41446681800"


def test_an_attended_refer_to_carries_the_escaped_replaces() -> None:
    request = parse_message(REFER)
    value = request.headers.get("Refer-To")
    assert value is not None
    refer = parse_refer_to(value)
    assert refer.user == "103"
    assert refer.replaces == Replaces("call-2@127.0.0.1", "cx", "ax")
    assert parse_message(REFER.replace(b"Refer-To:", b"r:")).headers.get("Refer-To") == value


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<mailto:x@acme.test>", "Refer-To scheme mailto is not a SIP or tel URI"),
        ("<sip:acme.test>", "Refer-To names no user"),
        ("<sip:103@acme.test", "unterminated '<' in address"),
        ("", "empty address"),
        ("<sip:103@acme.test?Replaces=abc>", "Replaces needs to-tag and from-tag"),
    ],
)
def test_broken_refer_to_is_refused_with_the_reason(text: str, error: str) -> None:
    with pytest.raises(SipParseError, match=error):
        parse_refer_to(text)


def test_replaces_fields_round_trip_and_errors() -> None:
    value = "425928@bobster.example.org;to-tag=7743;from-tag=6472;early-only"
    replaces = parse_replaces(value)
    assert replaces == Replaces("425928@bobster.example.org", "7743", "6472", True)
    assert str(replaces) == value
    assert parse_replaces(" x@y ; from-tag = 2 ; to-tag=1 ") == Replaces("x@y", "1", "2")
    with pytest.raises(SipParseError, match="Replaces without a valid Call-ID"):
        parse_replaces(";to-tag=1;from-tag=2")
    with pytest.raises(SipParseError, match="Replaces to-tag is not a token"):
        parse_replaces("x@y;to-tag=;from-tag=2")
    with pytest.raises(SipParseError, match="bad Replaces parameter"):
        parse_replaces("x@y;to-tag=1;from-tag=2;<x>")


def test_sipfrag_bodies_are_status_lines() -> None:
    assert sipfrag(100) == b"SIP/2.0 100 Trying\r\n"
    assert sipfrag(200) == b"SIP/2.0 200 OK\r\n"
    assert sipfrag(486) == b"SIP/2.0 486 Busy Here\r\n"
    assert sipfrag(404, "Not Found (extension 109)") == b"SIP/2.0 404 Not Found (extension 109)\r\n"
    for status in (100, 180, 200, 404, 486, 503, 603):
        assert parse_sipfrag(sipfrag(status))[0] == status
    assert parse_sipfrag(b"SIP/2.0 200 OK\r\nContact: <sip:x@y>\r\n") == (200, "OK")
    with pytest.raises(SipParseError, match=r"sipfrag without a SIP/2\.0 status line"):
        parse_sipfrag(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(SipParseError, match="sipfrag status out of range"):
        parse_sipfrag(b"SIP/2.0 999 What\r\n")
    with pytest.raises(ValueError, match="not a SIP status"):
        sipfrag(42)
    with pytest.raises(ValueError, match="one line"):
        sipfrag(200, "OK\r\nX: y")


def test_subscription_state_active_then_terminated() -> None:
    assert subscription_state(False) == "active;expires=60"
    assert subscription_state(False, 30) == "active;expires=30"
    assert subscription_state(True) == "terminated;reason=noresource"
