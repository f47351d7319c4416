"""Stream framing for TCP/TLS (RFC 3261 §18.3, RFC 5626 keep-alives)."""

from __future__ import annotations

import pytest

from centrex.sip import SipParseError, parse_message
from centrex.sip.framing import StreamFramer
from tests.sip import fixtures as fx


def test_byte_by_byte_feeding_yields_whole_messages() -> None:
    framer = StreamFramer()
    stream = fx.INVITE + b"\r\n\r\n" + fx.REGISTER + fx.INVITE
    out: list[bytes] = []
    for i in range(len(stream)):
        out.extend(framer.feed(stream[i : i + 1]))
    assert out == [fx.INVITE, fx.REGISTER, fx.INVITE]
    assert framer.take_pings() == 1
    assert framer.take_pings() == 0
    assert framer.buffered == 0
    assert parse_message(out[0]).body == fx.crlf(fx.SDP_BODY)


def test_partial_body_waits() -> None:
    framer = StreamFramer()
    assert framer.feed(fx.INVITE[:-5]) == []
    assert framer.buffered == len(fx.INVITE) - 5
    assert framer.feed(fx.INVITE[-5:]) == [fx.INVITE]


def test_crlf_keepalives_between_messages() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n\r\n\r\n") == []
    assert framer.take_pings() == 2
    assert framer.feed(b"\r\n" + fx.REGISTER) == [fx.REGISTER]


def test_missing_content_length_means_no_body_on_stream() -> None:
    framer = StreamFramer()
    data = fx.base_request().replace(b"Content-Length: 0\r\n", b"")
    assert framer.feed(data + fx.REGISTER) == [data, fx.REGISTER]


def test_compact_content_length() -> None:
    framer = StreamFramer()
    data = fx.base_request().replace(b"Content-Length: 0", b"l: 3") + b"abc"
    assert framer.feed(data) == [data]


@pytest.mark.parametrize(
    "data",
    [
        fx.base_request().replace(b"Content-Length: 0", b"Content-Length: -1"),
        fx.base_request().replace(b"Content-Length: 0", b"Content-Length: 0\r\nl: 5"),
        fx.base_request().replace(b"Content-Length: 0", b"Content-Length: 999999"),
    ],
)
def test_bad_framing_raises(data: bytes) -> None:
    with pytest.raises(SipParseError):
        StreamFramer().feed(data)


def test_header_section_too_large_raises() -> None:
    framer = StreamFramer(max_size=1000)
    with pytest.raises(SipParseError):
        framer.feed(b"OPTIONS sip:a@example.com SIP/2.0\r\nX: " + b"a" * 2000)


def test_trickled_large_message_is_linear_and_correct() -> None:
    framer = StreamFramer()
    body = b"x" * 20000
    data = (
        fx.base_request("MESSAGE").replace(
            b"Content-Length: 0", f"Content-Length: {len(body)}".encode()
        )
        + body
    )
    out: list[bytes] = []
    for i in range(0, len(data), 7):
        out.extend(framer.feed(data[i : i + 7]))
    assert out == [data]
    assert parse_message(out[0]).body == body


def test_lf_only_stream() -> None:
    framer = StreamFramer()
    data = fx.REGISTER.replace(b"\r\n", b"\n")
    assert framer.feed(data + data) == [data, data]
