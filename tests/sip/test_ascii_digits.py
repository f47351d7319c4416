"""Numbers on the wire are ASCII digits (RFC 5234 DIGIT): "²", "３" or "٣" pass `str.isdigit`
but are no number a peer may send. Each parser refuses them with its own parse error (or
ignores the field) instead of raising a bare ValueError from `int` deep in a call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.features.blf import granted_expires
from centrex.sip.errors import SdpParseError, SipParseError
from centrex.sip.grammar import is_digits
from centrex.sip.refer import parse_sipfrag
from centrex.sip.sdp import parse_rtpmap, parse_sdp

ODD = ["²", "３", "٣", "1²", "๑๒"]


def sdp(media: str, extra: str = "") -> bytes:
    return (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"{media}\r\n{extra}"
    ).encode()


@given(st.text(max_size=6))
def test_is_digits_is_ascii_digits_and_int_agrees(text: str) -> None:
    if is_digits(text):
        assert int(text) >= 0
        assert all("0" <= ch <= "9" for ch in text)
    else:
        assert not text or any(not ("0" <= ch <= "9") for ch in text)


@pytest.mark.parametrize("odd", ODD)
def test_sdp_refuses_odd_digits_in_ports_and_rtpmaps(odd: str) -> None:
    with pytest.raises(SdpParseError):
        parse_sdp(sdp(f"m=audio {odd} RTP/AVP 0"))
    with pytest.raises(SdpParseError):
        parse_sdp(sdp(f"m=audio 4000/{odd} RTP/AVP 0"))
    with pytest.raises(SdpParseError):
        parse_rtpmap(f"{odd} PCMU/8000")
    with pytest.raises(SdpParseError):
        parse_rtpmap(f"0 PCMU/{odd}")


@pytest.mark.parametrize("odd", ODD)
def test_an_odd_payload_type_is_no_static_codec(odd: str) -> None:
    parsed = parse_sdp(sdp(f"m=audio 4000 RTP/AVP 0 {odd}"))
    assert sorted(parsed.media[0].rtpmaps()) == [0]


@pytest.mark.parametrize("odd", ODD)
def test_a_sipfrag_with_an_odd_status_is_refused(odd: str) -> None:
    with pytest.raises(SipParseError):
        parse_sipfrag(f"SIP/2.0 2{odd}0 OK\r\n".encode())


@pytest.mark.parametrize("odd", ODD)
def test_a_subscription_with_odd_expires_is_refused(odd: str) -> None:
    assert granted_expires(odd) is None
    assert granted_expires("600") == 600
