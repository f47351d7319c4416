"""The media engine with a real WebRTC peer (aiortc) bridged to a plain RTP phone, no SIP.

The browser offers UDP/TLS/RTP/SAVPF; Centrex answers as ICE-lite DTLS client, decrypts to the
relay path and the plain phone hears the browser's tone (and the reverse). The edge cases are
refused and counted, and the engine keeps working.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import numpy as np
import pytest

from centrex.media.codecs import alaw_decode, ulaw_decode, ulaw_encode
from centrex.media.engine import MediaEngine, NoCommonCodecError
from centrex.media.session import MediaLeg
from centrex.media.webrtc.stun import Attr, StunClass, StunMethod, build
from tests.media.phones import LOOPBACK, Phone, make_engine, rtp, sdp, wait_until
from tests.media.signals import to_pcm, tone
from tests.media.webrtc.browser import Browser, host_addresses, tone_level

BROWSER_HOST = "127.0.0.61"
_counter = itertools.count(1)


@pytest.fixture
async def env() -> AsyncIterator[tuple[MediaEngine, Phone, Browser]]:
    engine, _clock = make_engine()
    phone = await Phone.open()
    with host_addresses(BROWSER_HOST):
        browser = Browser(700.0)
        yield engine, phone, browser
    await browser.close()
    phone.close()
    await engine.close()


async def call_from_browser(
    engine: MediaEngine, phone: Phone, browser: Browser, *, tamper: str | None = None
) -> tuple[MediaLeg, MediaLeg, str]:
    """The B2BUA's media steps for a browser calling a phone; returns (a, b, answer)."""
    offer = await browser.offer()
    if tamper == "fingerprint":
        line = next(ln for ln in offer.splitlines() if ln.startswith("a=fingerprint:"))
        algo, value = line.split(":", 1)[1].split(" ", 1)
        flipped = ("00" if value[:2] != "00" else "11") + value[2:]
        offer = offer.replace(line, f"a=fingerprint:{algo} {flipped}")
    n = next(_counter)
    a = await engine.allocate(f"a{n}")
    engine.set_remote(a, offer, signalling_host=BROWSER_HOST)
    b = await engine.allocate(f"b{n}")
    offer_b = engine.offer_for(b, offer)
    text_b = offer_b.serialize().decode()
    assert offer_b.media[0].proto == "RTP/AVP"
    assert "fingerprint" not in text_b
    assert "ice-ufrag" not in text_b
    engine.set_remote(b, sdp(phone.port, (0,)))
    answer = engine.answer_for(a, offer, peer=b).serialize().decode()
    engine.bridge(a, b)
    await browser.accept_answer(answer)
    return a, b, answer


async def send_tone(phone: Phone, port: int, freq: float, frames: int) -> None:
    pcm = to_pcm(tone((freq,), 20 * frames, -10.0))
    for i in range(frames):
        payload = ulaw_encode(pcm[i * 320 : (i + 1) * 320])
        phone.send(rtp(0, 100 + i, 160 * i, 0xCAFE, payload), (LOOPBACK, port))
        await asyncio.sleep(0.02)


def phone_audio(phone: Phone) -> np.ndarray:
    pcm = b"".join(ulaw_decode(p.payload) for p in phone.packets() if p.payload_type == 0)
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


async def test_browser_and_phone_hear_each_other(env: tuple[MediaEngine, Phone, Browser]) -> None:
    engine, phone, browser = env
    a, b, answer = await call_from_browser(engine, phone, browser)
    assert "UDP/TLS/RTP/SAVPF" in answer
    assert "a=ice-lite" in answer
    assert "a=setup:active" in answer  # the browser offered actpass: we are the DTLS client
    assert "a=rtcp-mux" in answer
    assert "a=group:BUNDLE 0" in answer
    assert "a=rtpmap:0 PCMU/8000" in answer  # the phone's codec: no transcoding
    assert "opus" not in answer

    await wait_until(lambda: len(phone.received) >= 75, limit=15.0)
    heard = phone_audio(phone)[-8000:]
    assert tone_level(heard, 700.0) > 0.8  # the browser's tone, decrypted and relayed

    await send_tone(phone, b.rtp_port, 1000.0, 75)
    await wait_until(lambda: len(browser.received) >= 40, limit=15.0)
    assert tone_level(browser.audio()[-4000:], 1000.0) > 0.8

    snap = engine.snapshot(a).webrtc
    assert snap is not None
    assert snap.dtls_state == "connected"
    assert snap.stun_binding_requests >= 1
    assert snap.srtp_packets_in >= 75
    assert snap.srtp_packets_out >= 40
    assert (snap.srtp_auth_failures, snap.stun_bad, snap.dtls_failures) == (0, 0, 0)
    assert engine.snapshot(b).webrtc is None  # the phone's leg is plain RTP


async def test_wrong_fingerprint_is_refused_no_media(
    env: tuple[MediaEngine, Phone, Browser],
) -> None:
    engine, phone, browser = env
    a, _b, _answer = await call_from_browser(engine, phone, browser, tamper="fingerprint")
    await wait_until(lambda: (engine.snapshot(a).webrtc or _none()).dtls_failures == 1, limit=10)
    snap = engine.snapshot(a).webrtc
    assert snap is not None
    assert snap.dtls_state == "failed"
    assert "fingerprint" in (snap.dtls_failure or "")
    await asyncio.sleep(0.3)
    assert phone.received == []  # no key, no media
    assert engine.snapshot(a).packets_in == 0


async def test_bad_stun_and_bad_srtp_are_counted_and_the_call_goes_on(
    env: tuple[MediaEngine, Phone, Browser],
) -> None:
    engine, phone, browser = env
    a, _b, _answer = await call_from_browser(engine, phone, browser)
    await wait_until(lambda: len(phone.received) >= 10, limit=15.0)
    stranger = await Phone.open("127.0.0.62")
    try:
        stranger.send(
            b"\x00\x01\x00\x08" + b"\x21\x12\xa4\x42" + bytes(12) + b"junk", (LOOPBACK, a.rtp_port)
        )
        bad_user = build(StunMethod.BINDING, StunClass.REQUEST, bytes(12),
                         [(Attr.USERNAME, b"nobody:x")], integrity_key=b"k" * 22)  # fmt: skip
        stranger.send(bad_user, (LOOPBACK, a.rtp_port))
        stranger.send(b"\x16\xfe\xfd" + bytes(40), (LOOPBACK, a.rtp_port))  # DTLS from elsewhere
        await wait_until(lambda: len(stranger.received) >= 1)  # the 401 to the bad check
        # SRTP with a wrong tag from the ICE-selected address, sent through aiortc's own pair.
        ice = browser.pc.getTransceivers()[0].sender.transport.transport
        await ice._connection.sendto(rtp(0, 9, 9, 0xBAD, bytes(160)) + bytes(10), 1)
        await wait_until(lambda: (engine.snapshot(a).webrtc or _none()).srtp_auth_failures >= 1)
    finally:
        stranger.close()
    snap = engine.snapshot(a).webrtc
    assert snap is not None
    assert snap.stun_bad == 2
    assert snap.dtls_state == "connected"
    assert engine.snapshot(a).foreign >= 1
    before = len(phone.received)
    await wait_until(lambda: len(phone.received) >= before + 10)  # media still flows


async def test_savpf_offer_without_fingerprint_is_a_clear_488(
    env: tuple[MediaEngine, Phone, Browser],
) -> None:
    engine, _phone, browser = env
    offer = await browser.offer()
    stripped = "\r\n".join(ln for ln in offer.splitlines() if not ln.startswith("a=fingerprint"))
    a = await engine.allocate("nofp")
    with pytest.raises(NoCommonCodecError, match="fingerprint"):
        engine.set_remote(a, stripped)
    with pytest.raises(NoCommonCodecError, match="fingerprint"):
        engine.answer_for(a, stripped)


def _none() -> object:
    class Nothing:
        dtls_failures = 0
        srtp_auth_failures = 0

    return Nothing()


async def test_phone_calls_a_browser_we_offer_actpass_and_serve_dtls(
    env: tuple[MediaEngine, Phone, Browser],
) -> None:
    """Towards a browser (registered over WS/WSS): the B2BUA asks offer_for(webrtc=True)."""
    engine, phone, browser = env
    a = await engine.allocate("phone-a")
    offer_a = sdp(phone.port, (8, 0))
    engine.set_remote(a, offer_a, signalling_host=LOOPBACK)
    b = await engine.allocate("browser-b")
    offer_b = engine.offer_for(b, offer_a, webrtc=True).serialize().decode()
    assert "UDP/TLS/RTP/SAVPF" in offer_b
    assert "a=setup:actpass" in offer_b
    assert "a=ice-lite" in offer_b
    assert "a=mid:0" in offer_b
    answer_b = await browser.answer(offer_b)
    assert "a=setup:active" in answer_b  # aiortc, like browsers, takes the client role
    engine.set_remote(b, answer_b)
    engine.answer_for(a, offer_a, peer=b)
    engine.bridge(a, b)
    await wait_until(lambda: (engine.snapshot(b).webrtc or _none()).srtp_packets_in >= 50, 15)
    snap = engine.snapshot(b).webrtc
    assert snap is not None
    assert snap.dtls_state == "connected"
    assert b.webrtc is not None
    assert b.webrtc.client is False  # we are the DTLS server
    await wait_until(lambda: len(phone.received) >= 50, limit=15.0)
    pcm = b"".join(alaw_decode(p.payload) for p in phone.packets())
    heard = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    assert tone_level(heard[-4000:], 700.0) > 0.8  # PCMA end to end (the phone's first law)
    reoffer = engine.offer_for(b, direction="sendonly").serialize().decode()
    assert "a=setup:passive" in reoffer  # a re-offer keeps the association's role
