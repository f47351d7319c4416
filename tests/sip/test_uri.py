"""URI parsing, serialization and RFC 3261 §19.1.4 comparison."""

from __future__ import annotations

import pytest

from centrex.sip import SipParseError, parse_uri
from centrex.sip.uri import unescape


def test_full_sip_uri() -> None:
    uri = parse_uri(
        "sips:alice:secret@Example.COM:5061;transport=tcp;lr?Subject=hi&Priority=urgent"
    )
    assert uri.scheme == "sips"
    assert (uri.user, uri.password, uri.host, uri.port) == ("alice", "secret", "Example.COM", 5061)
    assert uri.transport == "tcp"
    assert uri.param("LR") == ""
    assert uri.param("maddr") is None
    assert uri.headers == (("Subject", "hi"), ("Priority", "urgent"))
    assert (
        str(uri) == "sips:alice:secret@Example.COM:5061;transport=tcp;lr?Subject=hi&Priority=urgent"
    )


def test_ipv6_reference_and_host_port() -> None:
    uri = parse_uri("sip:bob@[2001:db8::1]:5070;maddr=[2001:db8::2]")
    assert uri.host == "[2001:db8::1]"
    assert uri.host_port == ("2001:db8::1", 5070)
    assert uri.param("maddr") == "[2001:db8::2]"
    assert parse_uri("sip:[2001:DB8:0::1]").equivalent(parse_uri("sip:[2001:db8::1]"))


def test_tel_uri() -> None:
    uri = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert uri.scheme == "tel"
    assert uri.user == "+1-201-555-0123"
    assert uri.param("phone-context") == "example.com"
    assert str(uri) == "tel:+1-201-555-0123;phone-context=example.com"
    assert uri.equivalent(parse_uri("tel:+1.201.555.0123;phone-context=EXAMPLE.com"))
    assert uri.aor() == "tel:+12015550123"


def test_unknown_scheme_is_opaque() -> None:
    uri = parse_uri("soap.beep://127.0.0.1:3002")
    assert uri.scheme == "soap.beep"
    assert uri.opaque == "//127.0.0.1:3002"
    assert not uri.is_sip
    assert str(uri) == "soap.beep://127.0.0.1:3002"


def test_unescape() -> None:
    assert unescape("%75se%72") == "user"
    assert unescape("I%20have%20spaces") == "I have spaces"
    assert unescape("100%") == "100%"
    assert unescape("%e2%82%ac") == "€"


# RFC 3261 §19.1.4 examples of equivalent and non-equivalent URIs
EQUIVALENT = [
    ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"),
    (
        "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
        "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com",
    ),
    (
        "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:alice@atlanta.com?priority=urgent&subject=project%20x",
    ),
]
NOT_EQUIVALENT = [
    ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
    ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
    ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
    ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
    ("sip:alice@example.com", "sips:alice@example.com"),
    ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;newparam=6"),
]


@pytest.mark.parametrize(("a", "b"), EQUIVALENT)
def test_equivalent(a: str, b: str) -> None:
    assert parse_uri(a).equivalent(parse_uri(b))
    assert parse_uri(b).equivalent(parse_uri(a))


@pytest.mark.parametrize(("a", "b"), NOT_EQUIVALENT)
def test_not_equivalent(a: str, b: str) -> None:
    assert not parse_uri(a).equivalent(parse_uri(b))
    assert not parse_uri(b).equivalent(parse_uri(a))


def test_aor_removes_params_and_unescapes() -> None:
    assert parse_uri("sip:%62ob@Biloxi.COM;transport=tcp").aor() == "sip:bob@biloxi.com"
    assert parse_uri("sip:bob@biloxi.com:5070").aor() == "sip:bob@biloxi.com:5070"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sip:",
        "alice@example.com",
        "sip:alice@",
        "sip:@example.com",
        "sip:alice@exa mple.com",
        "sip:alice@example.com:port",
        "sip:alice@example.com:70000",
        "sip:alice@[::1",
        "sip:alice@[::1]x",
        "sip:al<ice@example.com",
        "sip:alice@example.com;=x",
        "sip:alice@example.com?noequals",
        "sip:a%zzb@example.com",
        "1sip:alice@example.com",
        "tel:abc!",
        "foo:has space",
    ],
)
def test_invalid_uris(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_uri(text)


@pytest.mark.parametrize(
    "text",
    [
        "sip:alice@example.com",
        "sip:example.com:5060",
        "sips:bob:pw@[2001:db8::1]:5061;transport=tls",
        "sip:user;par=u%40example.net@example.com",
        "sip:alice@example.com;lr;maddr=127.0.0.1?X-Head=v",
        "tel:+4930123456",
        "urn:service:sos",
    ],
)
def test_round_trip(text: str) -> None:
    assert str(parse_uri(text)) == text
