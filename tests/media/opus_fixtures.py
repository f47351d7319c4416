"""SDP byte fixtures for the Opus tests: a browser's plain offer/answer with Opus and the
engine steps of a bridged call (`tests/media/phones.py` has the G.711 phone's SDP)."""

from __future__ import annotations

from centrex.media.engine import MediaEngine
from centrex.media.session import MediaLeg
from tests.media.phones import LOOPBACK, sdp


def opus_sdp(
    port: int,
    *,
    g711: bool = False,
    event_clocks: tuple[int, ...] = (48000,),
    direction: str = "sendrecv",
) -> bytes:
    """A browser-like plain SDP: opus/48000/2 (PT 111) first, optionally PCMU and PCMA, and
    telephone-event at the given clocks (110 for 48 kHz, 126 for 8 kHz, Chromium's numbers)."""
    events = {48000: 110, 8000: 126}
    formats = ["111"] + (["0", "8"] if g711 else []) + [str(events[c]) for c in event_clocks]
    lines = [
        "v=0",
        f"o=- 46117 2 IN IP4 {LOOPBACK}",
        "s=-",
        f"c=IN IP4 {LOOPBACK}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(formats)}",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
    ]
    if g711:
        lines += ["a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000"]
    for clock in event_clocks:
        lines += [f"a=rtpmap:{events[clock]} telephone-event/{clock}"]
    lines += ["a=ptime:20", f"a={direction}"]
    return ("\r\n".join(lines) + "\r\n").encode()


async def opus_to_phone(
    engine: MediaEngine, browser_port: int, phone_port: int, *, offer: bytes | None = None
) -> tuple[MediaLeg, MediaLeg, str, str]:
    """A browser (Opus only by default) calls a G.711 phone: (a, b, offer to B, answer to A)."""
    a = await engine.allocate("a")
    offer_a = offer or opus_sdp(browser_port)
    engine.set_remote(a, offer_a, signalling_host=LOOPBACK)
    b = await engine.allocate("b")
    offer_b = engine.offer_for(b, offer_a).serialize().decode()
    engine.set_remote(b, sdp(phone_port, (0,)))
    answer = engine.answer_for(a, offer_a, peer=b).serialize().decode()
    engine.bridge(a, b)
    return a, b, offer_b, answer


async def opus_to_opus(
    engine: MediaEngine, port_a: int, port_b: int
) -> tuple[MediaLeg, MediaLeg, str, str]:
    """Two Opus parties (browsers, plain view) through the engine: both pick Opus."""
    a = await engine.allocate("a")
    offer_a = opus_sdp(port_a, g711=True, event_clocks=(8000,))
    engine.set_remote(a, offer_a, signalling_host=LOOPBACK)
    b = await engine.allocate("b")
    offer_b = engine.offer_for(b, offer_a).serialize().decode()
    engine.set_remote(b, opus_sdp(port_b, event_clocks=(8000,)))
    answer = engine.answer_for(a, offer_a, peer=b).serialize().decode()
    engine.bridge(a, b)
    return a, b, offer_b, answer
