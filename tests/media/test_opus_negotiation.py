"""Opus negotiation (issue 14 item 4): who gets Opus, who gets G.711, and the relay plan.

* Two browsers: Opus end to end, relayed untouched (no transcoder in either direction), their
  telephone-events too.
* A browser (Chromium's offer: Opus first) calling a G.711 phone: G.711 on the browser leg,
  nothing transcoded.
* A browser that offers Opus only: the phone still gets G.711 (added to its offer, with an
  8 kHz telephone-event), the browser leg Opus, the relay transcodes both ways.
* Apps and Centrex's fresh offers never list Opus; a leg that has it still gets players and
  recorders (the registry knows Opus, it just does not offer it).
* A browser's Opus leg re-bridged to a G.711 phone (a transfer): the plan transcodes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from centrex.media.codecs import OpusCodec, PcmBridge, default_registry
from centrex.media.codecs.pcm_bridge import EventRetimer
from centrex.media.engine import MediaEngine
from centrex.media.sdp_rewrite import event_clock
from tests.media.opus_fixtures import opus_sdp, opus_to_opus, opus_to_phone
from tests.media.phones import make_engine, sdp
from tests.media.webrtc.test_reoffer import chromium

PHONE = 40300
BROWSER = 40310
OTHER = 40320


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    engine, _clock = make_engine()
    yield engine
    await engine.close()


def formats(text: str) -> list[str]:
    found = re.search(r"^m=audio \d+ \S+ ([\d ]+)\r$", text, re.MULTILINE)
    assert found is not None, text
    return found.group(1).split()


def rtpmaps(text: str) -> dict[str, str]:
    return dict(re.findall(r"a=rtpmap:(\d+) (\S+)\r\n", text))


def test_the_registry_knows_opus_but_does_not_offer_it() -> None:
    registry = default_registry()
    assert registry.names() == ("PCMA", "PCMU", "G722")
    assert [c.name for c in registry.offered()] == ["PCMA", "PCMU", "G722"]
    assert "opus" in registry
    opus = registry.get("OPUS")
    assert isinstance(opus, OpusCodec)
    assert (opus.clock_rate, opus.sample_rate, opus.payload_type) == (48000, 8000, 111)


async def test_two_browsers_relay_opus_untouched(engine: MediaEngine) -> None:
    a, b, offer_b, answer = await opus_to_opus(engine, BROWSER, OTHER)
    assert formats(offer_b)[0] == "111"  # the caller's order is kept toward the callee
    assert formats(answer) == ["111", "126"]
    assert rtpmaps(answer) == {"111": "opus/48000/2", "126": "telephone-event/8000"}
    assert "PCMU" not in answer
    plan = engine.bridges[a.leg_id].plan
    assert plan.a_to_b == {111: (111, None), 126: (126, None)}
    assert plan.b_to_a == {111: (111, None), 126: (126, None)}
    assert not plan.transcoding
    assert a.out.clock_rate == b.out.clock_rate == 48000


async def test_two_browsers_with_wideband_events_answer_the_peers_event_clock(
    engine: MediaEngine,
) -> None:
    """Chromium's own offer lists telephone-event/48000 and /8000; the callee answered /8000:
    the caller gets /8000 too, so events are relayed as they come (no retiming)."""
    a = await engine.allocate("a")
    engine.set_remote(a, chromium(), signalling_host="127.0.0.9")
    b = await engine.allocate("b")
    engine.offer_for(b, chromium())
    engine.set_remote(b, opus_sdp(OTHER, event_clocks=(8000,)))
    answer = engine.answer_for(a, chromium(), peer=b).serialize().decode()
    assert formats(answer) == ["111", "126"]
    engine.bridge(a, b)
    assert not engine.bridges["a"].plan.transcoding
    # a callee that answered /48000: the caller gets /48000 as well
    c = await engine.allocate("c")
    engine.set_remote(c, chromium(), signalling_host="127.0.0.9")
    d = await engine.allocate("d")
    engine.offer_for(d, chromium())
    engine.set_remote(d, opus_sdp(OTHER + 2, event_clocks=(48000,)))
    answer = engine.answer_for(c, chromium(), peer=d).serialize().decode()
    assert formats(answer) == ["111", "110"]
    assert rtpmaps(answer)["110"] == "telephone-event/48000"


async def test_a_browser_calling_a_g711_phone_gets_g711(engine: MediaEngine) -> None:
    a = await engine.allocate("a")
    engine.set_remote(a, chromium(), signalling_host="127.0.0.9")
    b = await engine.allocate("b")
    engine.offer_for(b, chromium())
    engine.set_remote(b, sdp(PHONE, (0,)))
    answer = engine.answer_for(a, chromium(), peer=b).serialize().decode()
    assert formats(answer) == ["0", "126"]
    assert "opus" not in answer
    engine.bridge(a, b)
    plan = engine.bridges["a"].plan
    assert not plan.transcoding
    assert plan.a_to_b[0] == (0, None)


async def test_an_opus_only_browser_and_a_g711_phone_are_transcoded(engine: MediaEngine) -> None:
    a, b, offer_b, answer = await opus_to_phone(engine, BROWSER, PHONE)
    # the phone's offer: Opus kept, both G.711 laws added, and an 8 kHz telephone-event beside
    # the browser's 48 kHz one (RFC 4733 §7.1.1: events run the audio codec's clock)
    maps = rtpmaps(offer_b)
    assert formats(offer_b)[:3] == ["111", "8", "0"]
    assert {maps[pt] for pt in formats(offer_b)} == {
        "opus/48000/2", "PCMA/8000", "PCMU/8000", "telephone-event/48000", "telephone-event/8000",
    }  # fmt: skip
    assert formats(answer) == ["111", "110"]  # the browser keeps Opus and its 48 kHz events
    plan = engine.bridges["a"].plan
    assert plan.transcoding
    pt, to_phone = plan.a_to_b[111]
    assert pt == 0
    assert isinstance(to_phone, PcmBridge)
    assert repr(to_phone) == "PcmBridge(opus->PCMU)"
    pt, to_browser = plan.b_to_a[0]
    assert pt == 111
    assert repr(to_browser) == "PcmBridge(PCMU->opus)"
    events_pt, retimer = plan.a_to_b[110]
    assert events_pt == 101
    assert isinstance(retimer, EventRetimer)
    assert repr(retimer) == "EventRetimer(48000->8000)"
    assert a.remote is not None
    assert event_clock(a.remote) == 48000
    assert (a.out.clock_rate, b.out.clock_rate) == (48000, 8000)


async def test_apps_and_fresh_offers_never_choose_opus(engine: MediaEngine) -> None:
    leg = await engine.allocate()
    answer = engine.answer_for(leg, chromium()).serialize().decode()
    assert "opus" not in answer
    assert formats(answer)[0] == "9"  # the first offered codec an app has: G.722, 8 kHz RTP
    fresh = engine.offer_for(await engine.allocate()).serialize().decode()
    assert "opus" not in fresh
    assert formats(fresh)[:2] == ["8", "0"]
    with pytest.raises(ValueError, match="no codec in common"):
        engine.answer_for(await engine.allocate(), opus_sdp(BROWSER))  # Opus only: 488


async def test_an_opus_leg_is_served_by_players(engine: MediaEngine) -> None:
    a, _b, _offer, _answer = await opus_to_opus(engine, BROWSER, OTHER)
    codec, pt = engine.codec_for(a)
    assert isinstance(codec, OpusCodec)
    assert pt == 111


async def test_a_transferred_opus_leg_is_transcoded_to_the_phone(engine: MediaEngine) -> None:
    """Browser A talked Opus with browser B; A is transferred to a G.711 phone C: A keeps its
    codec (no re-INVITE), the new bridge transcodes."""
    a, b, _offer, _answer = await opus_to_opus(engine, BROWSER, OTHER)
    c = await engine.allocate("c")
    assert a.remote is not None
    engine.offer_for(c, opus_sdp(BROWSER, g711=True, event_clocks=(8000,)))
    engine.set_remote(c, sdp(PHONE, (0,)))
    engine.release(b)
    bridge = engine.bridge(a, c)
    assert repr(bridge.plan.a_to_b[111][1]) == "PcmBridge(opus->PCMU)"
    assert repr(bridge.plan.b_to_a[0][1]) == "PcmBridge(PCMU->opus)"
    assert repr(bridge.plan.a_to_b[126][1]) == "EventRetimer(8000->8000)"
