"""SDP parse/serialize (RFC 8866) and offer/answer (RFC 3264)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrex.sip.errors import SdpParseError
from centrex.sip.offer_answer import (
    G722,
    PCMA,
    PCMU,
    Codec,
    answer_direction,
    build_answer,
    build_offer,
    is_rejected,
    negotiated,
)
from centrex.sip.sdp import Connection, Origin, RtpMap, parse_sdp
from tests.sip import fixtures as fx

OFFER = fx.crlf(
    "v=0\n"
    "o=alice 2890844526 2890844527 IN IP4 127.0.0.1\n"
    "s=Talk\n"
    "c=IN IP4 127.0.0.1\n"
    "b=AS:64\n"
    "t=0 0\n"
    "a=tool:test\n"
    "m=audio 49170 RTP/AVP 18 0 8 96 101\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=fmtp:96 useinbandfec=1\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=ptime:30\n"
    "a=rtcp:49171 IN IP4 127.0.0.1\n"
    "a=sendonly\n"
    "a=x-unknown:keep me\n"
    "m=video 51372 RTP/AVP 31\n"
    "a=rtpmap:31 H261/90000\n"
)
ORIGIN = Origin("centrex", "42", "1", "IN", "IP4", "127.0.0.2")


def test_parse_fields() -> None:
    sdp = parse_sdp(OFFER)
    assert sdp.origin == Origin("alice", "2890844526", "2890844527", "IN", "IP4", "127.0.0.1")
    assert sdp.session_name == "Talk"
    assert sdp.connection == Connection("127.0.0.1")
    assert sdp.bandwidths == ["AS:64"]
    assert sdp.timing == [("t", "0 0")]
    assert sdp.attributes == [("tool", "test")]
    audio, video = sdp.media
    assert (audio.media, audio.port, audio.proto) == ("audio", 49170, "RTP/AVP")
    assert audio.formats == ["18", "0", "8", "96", "101"]
    maps = audio.rtpmaps()
    assert maps[0] == RtpMap(0, "PCMU", 8000, 1)
    assert maps[96] == RtpMap(96, "opus", 48000, 2)
    assert audio.fmtp(96) == "useinbandfec=1"
    assert audio.fmtp(0) is None
    assert audio.ptime == 30
    assert audio.rtcp_port == 49171
    assert audio.direction == "sendonly"
    assert audio.telephone_event == 101
    assert sdp.effective_direction(video) == "sendrecv"
    assert sdp.connection_for(video) == Connection("127.0.0.1")


def test_round_trip_is_exact() -> None:
    assert parse_sdp(OFFER).serialize() == OFFER
    sdp = parse_sdp(fx.crlf(fx.SDP_BODY))
    assert bytes(sdp) == fx.crlf(fx.SDP_BODY)


def test_lf_line_ends_and_missing_t_are_tolerated() -> None:
    sdp = parse_sdp("v=0\no=- 1 1 IN IP6 ::1\ns=-\nc=IN IP6 ::1\nm=audio 4000 RTP/AVP 0\n")
    assert sdp.media[0].port == 4000
    assert sdp.connection == Connection("::1", "IN", "IP6")
    assert sdp.timing == [("t", "0 0")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "v=1\no=- 1 1 IN IP4 127.0.0.1\ns=-\n",
        "v=0\ns=-\nt=0 0\n",
        "v=0\no=- 1 IN IP4 127.0.0.1\ns=-\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nm=audio x RTP/AVP 0\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nm=audio 70000 RTP/AVP 0\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nm=audio 4000 RTP/AVP\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nq=what\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nbroken line\n",
        "v=0\no=- 1 1 IN IP4 127.0.0.1\nm=audio 4000 RTP/AVP 0\ns=late\n",
    ],
)
def test_bad_sdp_raises(text: str) -> None:
    with pytest.raises(SdpParseError):
        parse_sdp(text.encode())


def test_non_utf8_raises() -> None:
    with pytest.raises(SdpParseError):
        parse_sdp(b"v=0\r\no=\xff\r\n")


def test_answer_keeps_offer_payload_types_and_flips_direction() -> None:
    offer = parse_sdp(OFFER)
    answer = build_answer(offer, [PCMA, PCMU], address="127.0.0.2", port=20000, origin=ORIGIN)
    audio, video = answer.media
    # same number and order of m-lines; video rejected with port 0
    assert (video.media, video.port, video.formats) == ("video", 0, ["31"])
    assert audio.port == 20000
    assert audio.formats == ["0", "8", "101"]  # offer order, offer PT numbers
    assert audio.fmtp(101) == "0-15"
    assert audio.ptime == 30
    assert audio.direction == "recvonly"  # offer was sendonly
    assert answer.connection == Connection("127.0.0.2")
    assert answer.origin == ORIGIN
    wire = answer.serialize()
    assert parse_sdp(wire).serialize() == wire
    result = negotiated(answer)
    assert result is not None
    assert result.codec == RtpMap(0, "PCMU", 8000, 1)
    assert (result.address, result.port, result.telephone_event, result.direction) == (
        "127.0.0.2",
        20000,
        101,
        "recvonly",
    )


def test_dynamic_payload_types_are_kept() -> None:
    offer = parse_sdp(
        fx.crlf(
            "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 97 100\na=rtpmap:97 G722/8000\na=rtpmap:100 telephone-event/8000\n"
        )
    )
    answer = build_answer(
        offer, [G722], address="127.0.0.2", port=5000, origin=ORIGIN, telephone_event=False
    )
    assert answer.media[0].formats == ["97"]
    assert answer.media[0].rtpmaps()[97].encoding == "G722"


def test_no_common_codec_rejects_stream() -> None:
    offer = parse_sdp(OFFER)
    answer = build_answer(
        offer, [Codec("AMR", 8000)], address="127.0.0.2", port=20000, origin=ORIGIN
    )
    assert [m.port for m in answer.media] == [0, 0]
    assert is_rejected(answer)
    assert negotiated(answer) is None


def test_port_zero_offer_is_rejected_in_answer() -> None:
    offer = parse_sdp(fx.crlf(fx.SDP_BODY.replace("m=audio 49170", "m=audio 0")))
    answer = build_answer(offer, [PCMU], address="127.0.0.2", port=20000, origin=ORIGIN)
    assert answer.media[0].port == 0


@pytest.mark.parametrize(
    ("offered", "local", "expected"),
    [
        ("sendrecv", "sendrecv", "sendrecv"),
        ("sendonly", "sendrecv", "recvonly"),
        ("recvonly", "sendrecv", "sendonly"),
        ("inactive", "sendrecv", "inactive"),
        ("sendrecv", "sendonly", "sendonly"),  # we hold
        ("sendonly", "sendonly", "inactive"),  # both hold
        ("recvonly", "recvonly", "inactive"),
        ("sendrecv", "inactive", "inactive"),
    ],
)
def test_direction_negotiation(offered: str, local: str, expected: str) -> None:
    assert answer_direction(offered, local) == expected


def test_hold_answer_via_session_level_direction() -> None:
    offer = parse_sdp(
        fx.crlf(fx.SDP_BODY.replace("a=sendrecv\n", "")).replace(
            b"t=0 0\r\n", b"t=0 0\r\na=inactive\r\n"
        )
    )
    answer = build_answer(offer, [PCMU], address="127.0.0.2", port=1, origin=ORIGIN)
    assert answer.media[0].direction == "inactive"


def test_build_offer() -> None:
    offer = build_offer(
        [PCMU, PCMA, Codec("opus", 48000, 2, "useinbandfec=1")],
        address="::1",
        port=30000,
        origin=ORIGIN,
        direction="sendonly",
    )
    media = offer.media[0]
    assert media.formats == ["0", "8", "96", "101"]
    assert media.rtpmaps()[96] == RtpMap(96, "opus", 48000, 2)
    assert media.fmtp(96) == "useinbandfec=1"
    assert media.telephone_event == 101
    assert media.direction == "sendonly"
    assert offer.connection == Connection("::1", "IN", "IP6")
    assert parse_sdp(offer.serialize()).serialize() == offer.serialize()


SDP_SEEDS = [OFFER, fx.crlf(fx.SDP_BODY)]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SDP_SEEDS),
    st.lists(st.tuples(st.integers(0, 600), st.binary(max_size=8)), max_size=6),
    st.integers(0, 700),
)
def test_fuzz_sdp_only_raises_sdp_parse_error(
    seed: bytes, edits: list[tuple[int, bytes]], cut: int
) -> None:
    data = bytearray(seed)
    for pos, chunk in edits:
        data[pos : pos + len(chunk)] = chunk
    data = data[: max(cut, 1)] if cut < len(data) else data
    try:
        sdp = parse_sdp(bytes(data))
    except SdpParseError:
        return
    wire = sdp.serialize()
    assert parse_sdp(wire).serialize() == wire
    build_answer(sdp, [PCMU, PCMA], address="127.0.0.2", port=1000, origin=ORIGIN)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_sdp_text(text: str) -> None:
    with contextlib.suppress(SdpParseError):
        parse_sdp(text)


CHROMIUM_AUDIO = (
    "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n"
)


def test_telephone_event_prefers_the_8khz_one_chromium_lists_second() -> None:
    """Chromium's m-line order: telephone-event/48000 (110) before /8000 (126)."""
    media = parse_sdp(CHROMIUM_AUDIO).media[0]
    assert media.telephone_event == 126
    only_wideband = CHROMIUM_AUDIO.replace(" 126", "").replace(
        "a=rtpmap:126 telephone-event/8000\r\n", ""
    )
    assert parse_sdp(only_wideband).media[0].telephone_event == 110  # better than none
    no_events = CHROMIUM_AUDIO.replace(" 110 126", "")
    assert parse_sdp(no_events).media[0].telephone_event is None
