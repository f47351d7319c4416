"""SDP rewriting, answer codec choice and bridge plans (pure), and the engine's SDP steps."""

from __future__ import annotations

import pytest

from centrex.media.codecs import ALAW_TO_ULAW, ULAW_TO_ALAW
from centrex.media.sdp_rewrite import (
    NoCommonCodecError,
    answer_for_offer,
    plan_bridge,
    rewrite_sdp,
    stream_params,
)
from centrex.sip.sdp import Origin, parse_sdp
from tests.media.phones import make_engine, sdp

ICE_OFFER = (
    b"v=0\r\no=alice 1 1 IN IP4 192.168.1.20\r\ns=-\r\nc=IN IP4 192.168.1.20\r\nt=0 0\r\n"
    b"a=ice-ufrag:abcd\r\n"
    b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-16\r\na=rtcp:40001\r\na=candidate:1 1 UDP 1 192.168.1.20 40000 typ host\r\n"
    b"a=ptime:20\r\na=sendrecv\r\n"
    b"m=video 40002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
)
ORIGIN = Origin("centrex", "42", "1", address="127.0.0.1")


def test_rewrite_points_at_centrex_keeps_codecs_and_adds_the_other_law() -> None:
    out = rewrite_sdp(ICE_OFFER, address="127.0.0.1", port=30000, origin=ORIGIN)
    assert out.connection is not None
    assert out.connection.address == "127.0.0.1"
    assert out.origin == ORIGIN
    audio, video = out.media
    assert audio.port == 30000
    assert audio.formats == ["0", "8", "101"]
    names = {k for k, _ in audio.attributes} | {k for k, _ in out.attributes}
    assert not names & {"rtcp", "candidate", "ice-ufrag"}
    assert video.port == 0  # only one audio stream is anchored
    params = stream_params(out)
    assert params is not None
    assert params.telephone_event == 101
    assert params.rtcp_port == 30001
    assert b"192.168.1.20" not in out.serialize().split(b"\r\n", 2)[2]


def test_rewrite_can_force_a_hold_direction() -> None:
    out = rewrite_sdp(ICE_OFFER, address="127.0.0.1", port=30000, direction="sendonly")
    params = stream_params(out)
    assert params is not None
    assert params.direction == "sendonly"
    assert params.on_hold


def test_answer_prefers_the_peer_codec_then_a_transcodable_one() -> None:
    offer = parse_sdp(sdp(4000, (8, 0)))
    same = stream_params(sdp(5000, (0,)))
    assert same is not None
    answer = answer_for_offer(offer, same, address="127.0.0.1", port=30000, origin=ORIGIN)
    assert answer.media[0].formats == ["0", "101"]
    only_alaw = parse_sdp(sdp(4000, (8,)))
    answer = answer_for_offer(only_alaw, same, address="127.0.0.1", port=30000, origin=ORIGIN)
    assert answer.media[0].formats[0] == "8"  # transcoded: A-law to the caller, µ-law to B
    g729 = stream_params(sdp(5000, (18,)))
    assert g729 is not None
    with pytest.raises(NoCommonCodecError):
        answer_for_offer(only_alaw, g729, address="127.0.0.1", port=30000, origin=ORIGIN)


def test_bridge_plans() -> None:
    ulaw = stream_params(sdp(1, (0,), te=101))
    alaw = stream_params(sdp(2, (8,), te=96))
    g729 = stream_params(sdp(3, (18,), te=None))
    assert ulaw is not None
    assert alaw is not None
    assert g729 is not None
    plan = plan_bridge(ulaw, alaw)
    assert plan.a_to_b == {0: (8, ULAW_TO_ALAW), 101: (96, None)}
    assert plan.b_to_a == {8: (0, ALAW_TO_ULAW), 96: (101, None)}
    assert plan.transcoding
    same = plan_bridge(ulaw, ulaw)
    assert same.a_to_b == {0: (0, None), 101: (101, None)}
    assert not same.transcoding
    with pytest.raises(NoCommonCodecError):
        plan_bridge(ulaw, g729)


async def test_engine_offer_and_answer_for_an_app_call() -> None:
    engine, _ = make_engine()
    leg = await engine.allocate()
    fresh = engine.offer_for(leg)
    assert fresh.media[0].port == leg.rtp_port
    assert fresh.origin.session_version == "1"
    answer = engine.answer_for(leg, sdp(4000, (18, 8, 0)))
    assert answer.media[0].formats[:2] == ["8", "0"]
    assert int(answer.origin.session_version) == 2  # RFC 3264 §8: version grows
    assert leg.remote is not None
    assert leg.remote.port == 4000
    codec, pt = engine.codec_for(leg)
    assert (codec.name, pt) == ("PCMA", 8)
    with pytest.raises(NoCommonCodecError):
        engine.set_remote(leg, b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
    await engine.close()


async def test_inactivity_is_reported_once_on_the_ticker() -> None:
    from tests.media.phones import manual_ticks

    engine, clock = make_engine()
    silent: list[str] = []
    engine.inactivity_timeout = 3.0
    engine.on_inactive = lambda leg: silent.append(leg.leg_id)
    leg = await engine.allocate("quiet")
    engine.set_remote(leg, sdp(4000))
    manual_ticks(engine, clock, 100)  # 2 s
    assert silent == []
    manual_ticks(engine, clock, 150)  # 5 s
    assert silent == ["quiet"]
    manual_ticks(engine, clock, 150)
    assert silent == ["quiet"]
    await engine.close()


def test_comfort_noise_passes_only_when_both_sides_negotiated_it() -> None:
    with_cn = stream_params(
        sdp(1, (0,), te=101, extra="a=rtpmap:13 CN/8000").replace(b" 0 101", b" 0 13 101")
    )
    without = stream_params(sdp(2, (8,), te=101))
    assert with_cn is not None
    assert without is not None
    assert with_cn.extra[0].encoding == "CN"
    assert plan_bridge(with_cn, with_cn).a_to_b[13] == (13, None)
    assert 13 not in plan_bridge(with_cn, without).a_to_b


def test_srtp_keys_never_cross_to_the_other_leg() -> None:
    offer = ICE_OFFER.replace(b"RTP/AVP 0 101", b"RTP/SAVP 0 101") + (
        b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n"
    )
    out = rewrite_sdp(offer, address="127.0.0.1", port=30000)
    assert out.media[0].proto == "RTP/AVP"
    assert b"crypto" not in out.serialize()


async def test_an_srtp_only_offer_is_refused_for_a_488() -> None:
    engine, _ = make_engine()
    leg = await engine.allocate()
    with pytest.raises(NoCommonCodecError, match="SRTP"):
        engine.answer_for(leg, sdp(4000).replace(b"RTP/AVP", b"RTP/SAVP"))
    await engine.close()
