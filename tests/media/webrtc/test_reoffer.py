"""Re-offers on a browser leg bridged to a phone (hold and resume), SDP only, no sockets peer.

The B2BUA's in-dialog steps (`calls/in_dialog.py`) replayed on the engine: the holder's offer
applied to its leg, relayed as an offer to the other leg, that answer applied, ours built. A
browser's re-offer lists Opus (48 kHz) first like its first offer; it must not become the codec
the relay sends to the browser before the answer (the bridge would have no route: 488). Our
SDP towards the browser keeps the ICE credentials, the fingerprint and the DTLS role of the
first exchange (RFC 5763 §5, RFC 8842 §5: no new handshake while the fingerprint is the same).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from centrex.media.engine import MediaEngine
from centrex.media.session import MediaLeg
from tests.media.phones import make_engine, sdp

FP = "AB:" * 31 + "CD"
PHONE_PORT = 40100


def chromium(direction: str = "sendrecv", *, version: int = 2, setup: str = "actpass") -> bytes:
    """Chromium's audio offer (or answer) m-line as SIP.js sends it: Opus first, then G.722,
    G.711, CN, and telephone-event/48000 listed before telephone-event/8000."""
    return (
        f"v=0\r\no=- 4611731400430051336 {version} IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS x\r\n"
        "m=audio 50000 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\nc=IN IP4 127.0.0.9\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.9 50000 typ host\r\n"
        "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\na=ice-options:trickle\r\n"
        f"a=fingerprint:sha-256 {FP}\r\na=setup:{setup}\r\na=mid:0\r\n"
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        f"a={direction}\r\na=msid:x y\r\na=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
        "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n"
        "a=fmtp:63 111/111\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\na=rtpmap:13 CN/8000\r\n"
        "a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n"
        "a=ssrc:1 cname:x\r\n"
    ).encode()


def chromium_answer(offer: str, direction: str) -> bytes:
    """Chromium's answer to our offer: our first codec, its fingerprint, a=setup:active."""
    pt = re.search(r"m=audio \d+ \S+ (\d+)", offer)
    assert pt is not None
    codec = {"0": "PCMU", "8": "PCMA"}[pt.group(1)]
    te = re.search(r"a=rtpmap:(\d+) telephone-event/8000", offer)
    formats = pt.group(1) + (f" {te.group(1)}" if te else "")
    return (
        "v=0\r\no=- 77 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        f"m=audio 9 UDP/TLS/RTP/SAVPF {formats}\r\nc=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:efgh\r\na=ice-pwd:0123456789abcdef999999\r\n"
        f"a=fingerprint:sha-256 {FP}\r\na=setup:active\r\na=mid:0\r\na={direction}\r\n"
        f"a=rtcp-mux\r\na=rtpmap:{pt.group(1)} {codec}/8000\r\n"
        + (f"a=rtpmap:{te.group(1)} telephone-event/8000\r\n" if te else "")
    ).encode()


def transport(text: str) -> dict[str, str]:
    """Our WebRTC transport attributes in an SDP (what must not change in a re-offer)."""
    out = {}
    for name in ("ice-ufrag", "ice-pwd", "fingerprint", "setup"):
        found = re.search(rf"a={name}:(.*)\r\n", text)
        assert found is not None, name
        out[name] = found.group(1)
    assert "a=ice-lite\r\n" in text
    assert "m=audio" in text
    assert "UDP/TLS/RTP/SAVPF" in text
    return out


def direction(text: str) -> str:
    found = re.search(r"a=(sendrecv|sendonly|recvonly|inactive)\r\n", text)
    assert found is not None
    return found.group(1)


def codec(text: str) -> str:
    found = re.search(r"m=audio \d+ \S+ (\d+)", text)
    assert found is not None
    return found.group(1)


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    engine, _clock = make_engine()
    yield engine
    await engine.close()


async def browser_calls_phone(engine: MediaEngine) -> tuple[MediaLeg, MediaLeg, str]:
    a = await engine.allocate()
    engine.set_remote(a, chromium(), signalling_host="127.0.0.9")
    b = await engine.allocate()
    engine.offer_for(b, chromium())
    engine.set_remote(b, sdp(PHONE_PORT, (0,)))
    answer = engine.answer_for(a, chromium(), peer=b).serialize().decode()
    engine.bridge(a, b)
    return a, b, answer


def reinvite(
    engine: MediaEngine, side: MediaLeg, other: MediaLeg, body: bytes, *, hold: bool, reply: bytes
) -> tuple[str, str]:
    """in_dialog.on_reinvite's engine calls: (the relayed offer, our answer to `side`)."""
    engine.set_remote(side, body)
    relayed = engine.offer_for(other, body, direction="sendonly" if hold else None)
    engine.set_remote(other, reply)
    ours = engine.answer_for(side, body, peer=other)
    return relayed.serialize().decode(), ours.serialize().decode()


async def test_browser_holds_and_resumes_a_phone(engine: MediaEngine) -> None:
    a, b, first = await browser_calls_phone(engine)
    assert codec(first) == "0"
    established = transport(first)
    assert established["setup"] == "active"
    assert a.webrtc is not None
    association = a.webrtc.dtls
    relayed, ours = reinvite(
        engine, a, b, chromium("sendonly", version=3), hold=True,
        reply=sdp(PHONE_PORT, (0,), direction="recvonly"),
    )  # fmt: skip
    assert "RTP/AVP" in relayed
    assert "fingerprint" not in relayed
    assert direction(relayed) == "sendonly"
    assert direction(ours) == "recvonly"
    assert codec(ours) == "0"
    assert transport(ours) == established  # same ICE, DTLS association and role
    assert a.remote is not None
    assert not a.remote.receives
    relayed, ours = reinvite(
        engine, a, b, chromium("sendrecv", version=4), hold=False, reply=sdp(PHONE_PORT, (0,))
    )
    assert direction(relayed) == "sendrecv"
    assert direction(ours) == "sendrecv"
    assert transport(ours) == established
    assert a.remote is not None
    assert a.remote.receives
    assert a.remote.codec is not None
    assert a.remote.codec.encoding == "PCMU"
    assert a.webrtc.dtls is association  # no new DTLS handshake (RFC 8842 §5)
    assert a.remote.telephone_event == 126  # the 8 kHz event, not Chromium's first (48 kHz)
    assert "telephone-event/8000" in ours
    assert "telephone-event/48000" not in ours


async def test_phone_holds_and_resumes_a_browser(engine: MediaEngine) -> None:
    a = await engine.allocate()
    phone_offer = sdp(PHONE_PORT, (0, 8))
    engine.set_remote(a, phone_offer)
    b = await engine.allocate()
    offer = engine.offer_for(b, phone_offer, webrtc=True).serialize().decode()
    assert transport(offer)["setup"] == "actpass"
    engine.set_remote(b, chromium_answer(offer, "sendrecv"))
    engine.answer_for(a, phone_offer, peer=b)
    engine.bridge(a, b)
    assert b.webrtc is not None
    association = b.webrtc.dtls
    relayed, ours = reinvite(
        engine, a, b, sdp(PHONE_PORT, (0, 8), direction="sendonly"), hold=True,
        reply=chromium_answer(offer, "recvonly"),
    )  # fmt: skip
    held = transport(relayed)
    assert held["setup"] == "passive"  # the browser took active: the role is kept
    assert {k: v for k, v in held.items() if k != "setup"} == {
        k: v for k, v in transport(offer).items() if k != "setup"
    }
    assert direction(relayed) == "sendonly"
    assert direction(ours) == "recvonly"
    relayed, ours = reinvite(
        engine, a, b, sdp(PHONE_PORT, (0, 8)), hold=False,
        reply=chromium_answer(relayed, "sendrecv"),
    )  # fmt: skip
    assert transport(relayed) == held
    assert direction(relayed) == "sendrecv"
    assert direction(ours) == "sendrecv"
    assert b.remote is not None
    assert b.remote.receives
    assert b.webrtc.dtls is association
