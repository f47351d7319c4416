"""WebRTC SDP: recognising a browser's offer, the DTLS role table, our attributes."""

from __future__ import annotations

import pytest

from centrex.media.webrtc.sdp import (
    WEBRTC_PROTO,
    LocalWebRtc,
    WebRtcSdpError,
    decorate,
    plain_view,
    remote_webrtc,
    role_for_answer,
    role_from_answer,
)

FP = "AB:" * 31 + "CD"

BROWSER_OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=msid-semantic:WMS *\r\n"
    "m=audio 50000 UDP/TLS/RTP/SAVPF 111 0 8 101\r\nc=IN IP4 127.0.0.9\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-fb:111 transport-cc\r\n"
    "a=ssrc:1 cname:x\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
    f"a=fingerprint:sha-256 {FP.lower()}\r\na=setup:actpass\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.9 50000 typ host\r\n"
)
LOCAL = LocalWebRtc(
    ufrag="ours", pwd="p" * 24, fingerprint=FP, address="127.0.0.1", port=40000,
    candidate="1 1 udp 2130706431 127.0.0.1 40000 typ host",
)  # fmt: skip


def test_browser_offer_is_recognised_with_its_transport() -> None:
    remote = remote_webrtc(BROWSER_OFFER)
    assert remote is not None
    assert (remote.ufrag, remote.pwd, remote.setup, remote.mid) == (
        "abcd", "0123456789abcdef012345", "actpass", "0"
    )  # fmt: skip
    assert remote.fingerprint == ("sha-256", FP)  # upper-cased for comparison
    assert remote.bundle


def test_session_level_fingerprint_and_ice_are_read() -> None:
    lines = [ln for ln in BROWSER_OFFER.split("\r\n") if ln]
    moved = [ln for ln in lines if ln.startswith(("a=ice-", "a=fingerprint"))]
    rest = [ln for ln in lines if ln not in moved]
    sdp = "\r\n".join(rest[:4] + moved + rest[4:]) + "\r\n"
    remote = remote_webrtc(sdp)
    assert remote is not None
    assert remote.ufrag == "abcd"


def test_plain_sdp_is_not_webrtc() -> None:
    plain = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
    assert remote_webrtc(plain + "m=audio 4000 RTP/AVP 0\r\n") is None
    sdes = plain + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n"
    assert remote_webrtc(sdes) is None  # SDES is the desk-phone path, not ours


def test_savpf_without_fingerprint_is_a_488_error() -> None:
    no_fp = "\r\n".join(ln for ln in BROWSER_OFFER.split("\r\n") if "fingerprint" not in ln)
    with pytest.raises(WebRtcSdpError, match="fingerprint"):
        remote_webrtc(no_fp)
    no_ice = "\r\n".join(ln for ln in BROWSER_OFFER.split("\r\n") if "ice-pwd" not in ln)
    with pytest.raises(WebRtcSdpError, match="ice-ufrag"):
        remote_webrtc(no_ice)
    bad_fp = BROWSER_OFFER.replace(f"sha-256 {FP.lower()}", "sha-256")
    with pytest.raises(WebRtcSdpError, match="malformed"):
        remote_webrtc(bad_fp)


@pytest.mark.parametrize(
    ("offered", "answer", "client"),
    [("actpass", "active", True), ("active", "passive", False), ("passive", "active", True),
     ("", "passive", False)],
)  # fmt: skip
def test_role_table_for_answers(offered: str, answer: str, client: bool) -> None:
    assert role_for_answer(offered) == (answer, client)


def test_holdconn_cannot_be_answered() -> None:
    with pytest.raises(WebRtcSdpError, match="holdconn"):
        role_for_answer("holdconn")


@pytest.mark.parametrize(
    ("answered", "client"), [("active", False), ("passive", True), ("", False)]
)
def test_role_table_from_answers(answered: str, client: bool) -> None:
    assert role_from_answer(answered) is client


def test_an_answer_saying_actpass_is_refused() -> None:
    with pytest.raises(WebRtcSdpError, match="actpass"):
        role_from_answer("actpass")


def test_plain_view_keeps_codecs_and_drops_transport() -> None:
    plain = plain_view(BROWSER_OFFER)
    media = plain.media[0]
    assert media.proto == "RTP/AVP"
    assert media.formats == ["111", "0", "8", "101"]
    text = plain.serialize().decode()
    for gone in ("ice-", "fingerprint", "setup", "candidate", "mid", "group", "ssrc", "extmap",
                 "rtcp-fb", "rtcp-mux"):  # fmt: skip
        assert f"a={gone}" not in text
    assert "a=fmtp:101 0-15" in text


def test_decorate_adds_ice_lite_dtls_bundle_and_one_candidate() -> None:
    plain = plain_view(BROWSER_OFFER)
    out = decorate(plain, LOCAL, setup="active", mid="0")
    text = out.serialize().decode()
    media = out.media[0]
    assert media.proto == WEBRTC_PROTO
    assert media.port == 40000
    assert ("ice-lite", None) in out.attributes
    assert ("group", "BUNDLE 0") in out.attributes
    for attr in ("a=mid:0", "a=ice-ufrag:ours", f"a=ice-pwd:{'p' * 24}",
                 f"a=fingerprint:sha-256 {FP}", "a=setup:active", "a=rtcp-mux",
                 "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
                 "a=end-of-candidates", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"):  # fmt: skip
        assert attr in text
    assert text.count("a=candidate") == 1
    again = remote_webrtc(text)  # our own SDP reads back as WebRTC
    assert again is not None
    assert again.setup == "active"
