"""The Opus <-> G.711 transcoder (`codecs/pcm_bridge.py`) alone and in the relay.

A 1 kHz tone sent as Opus (48 kHz RTP clock) by a browser-like party comes out of the phone's
leg as PCMU at 1 kHz with its energy (numpy FFT), sequence numbers continuous, timestamps
stepping 160 where they stepped 960; the reverse direction too. RFC 4733 events crossing the
clocks are retimed with the audio and their durations rescaled. Timestamps wrap at 2**32,
packets arrive out of order and streams change SSRC: the rescaler's counter copes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise

import numpy as np
import pytest

from centrex.media.codecs import OPUS, PCMU, PcmBridge, RtpClock, transcoder, ulaw_decode
from centrex.media.codecs.pcm_bridge import EventRetimer
from centrex.media.dtmf import DtmfReceiver, TelephoneEvent, telephone_event_packets
from centrex.media.rtp import RtpPacket, seq_delta, ts_delta
from centrex.media.sdp_rewrite import NoCommonCodecError
from tests.media.opus_fixtures import opus_to_phone
from tests.media.phones import LOOPBACK, Phone, make_engine, rtp
from tests.media.signals import dominant_frequency, from_pcm, to_pcm, tone

FRAMES = 50  # one second of 20 ms packets
WRAP = 2**32


@pytest.fixture
async def phones() -> AsyncIterator[tuple[Phone, Phone]]:
    a = await Phone.open()
    b = await Phone.open()
    yield a, b
    a.close()
    b.close()


def level_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples**2))))


def tone_pcm(hz: float = 1000.0, frames: int = FRAMES) -> bytes:
    return to_pcm(tone([hz], 20 * frames, -10.0))


def test_the_clock_rescales_across_the_32_bit_wrap_and_reordering() -> None:
    clock = RtpClock(48000, 8000)
    start = WRAP - 2 * 960  # the stream wraps after two packets
    first = clock.rescale(start, 7)
    out = [clock.rescale((start + 960 * n) % WRAP, 7) for n in range(1, 6)]
    assert [(o - first) % WRAP for o in out] == [160, 320, 480, 640, 800]
    late = clock.rescale((start + 960 * 2) % WRAP, 7)  # a reordered packet from before
    assert (late - first) % WRAP == 320
    assert (clock.rescale((start + 960 * 6) % WRAP, 7) - first) % WRAP == 960
    # a new SSRC starts its own counter: its steps are right from its first packet on
    other = clock.rescale(1000, 8)
    assert (clock.rescale(1000 + 960, 8) - other) % WRAP == 160
    up = RtpClock(8000, 48000)
    base = up.rescale(WRAP - 160, 1)
    assert (up.rescale(0, 1) - base) % WRAP == 960
    with pytest.raises(ValueError, match="positive"):
        RtpClock(0, 8000)


def test_a_1khz_tone_through_opus_to_pcmu_keeps_its_frequency_and_energy() -> None:
    pcm = tone_pcm()
    encoder = OPUS.new_stream()
    bridge = transcoder("opus", "PCMU")
    assert isinstance(bridge, PcmBridge)
    out = b"".join(
        ulaw_decode(bridge.payload(encoder.encode(pcm[i : i + 320])))
        for i in range(0, len(pcm), 320)
    )
    assert len(out) == len(pcm)  # one 20 ms G.711 payload per 20 ms Opus packet
    heard = from_pcm(out)[800:]  # past the codecs' start-up delay
    assert abs(dominant_frequency(to_pcm(heard)) - 1000.0) < 10
    assert abs(level_db(heard) - level_db(from_pcm(pcm))) < 2.0


def test_pcmu_to_opus_keeps_the_tone() -> None:
    pcm = tone_pcm(700.0)
    bridge = transcoder("PCMU", "opus")
    assert isinstance(bridge, PcmBridge)
    decoder = OPUS.new_stream()
    payloads = [bridge.payload(PCMU.encode(pcm[i : i + 320])) for i in range(0, len(pcm), 320)]
    assert all(0 < len(p) < 160 for p in payloads)
    heard = from_pcm(b"".join(decoder.decode(p) for p in payloads))[800:]
    assert abs(dominant_frequency(to_pcm(heard)) - 700.0) < 10
    assert abs(level_db(heard) - level_db(from_pcm(pcm))) < 2.0


def test_a_packet_is_relabelled_retimed_and_its_padding_dropped() -> None:
    clock = RtpClock(48000, 8000)
    bridge = PcmBridge(OPUS, PCMU, clock)
    opus = OPUS.new_stream().encode(tone_pcm(frames=1))
    packet = bytearray(RtpPacket(111, 5, 960 * 10, 9, opus, padding=3).serialize())
    assert packet[0] & 0x20
    out = RtpPacket.parse(bytes(bridge.rewrite(packet, 0)))
    assert (out.payload_type, out.sequence, out.ssrc, out.padding) == (0, 5, 9, 0)
    assert out.timestamp == 160 * 10
    assert len(out.payload) == 160


def test_a_corrupt_opus_payload_is_an_rtp_parse_error() -> None:
    bridge = PcmBridge(OPUS, PCMU)
    with pytest.raises(ValueError, match="does not decode"):
        bridge.payload(b"\xff" * 3)
    assert bridge.failures == 1


def test_events_are_retimed_and_their_durations_rescaled() -> None:
    clock = RtpClock(48000, 8000)
    retimer = EventRetimer(clock, 48000, 8000)
    clock.rescale(48000, 3)  # the audio stream, then a key press starting at 1.5 s
    packets = telephone_event_packets("5", 100, clock_rate=48000)
    out = [
        RtpPacket.parse(
            bytes(retimer.rewrite(bytearray(rtp(110, n, 72000, 3, p.payload, p.marker)), 101))
        )
        for n, p in enumerate(packets)
    ]
    assert {o.timestamp for o in out} == {12000}
    assert {o.payload_type for o in out} == {101}
    durations = [TelephoneEvent.parse(o.payload).duration for o in out]
    assert durations == [160, 320, 480, 640, 800, 800, 800]  # 48 kHz units / 6
    receiver = DtmfReceiver()
    digits = [receiver.feed(o.timestamp, o.marker, o.payload) for o in out]
    assert [d.digit for d in digits if d is not None] == ["5"]
    with pytest.raises(ValueError, match="shorter than 4"):
        retimer.rewrite(bytearray(rtp(110, 9, 0, 3, b"\x05")), 101)


async def test_the_relay_turns_opus_into_continuous_pcmu_and_back(
    phones: tuple[Phone, Phone],
) -> None:
    engine, _clock = make_engine()
    browser, phone = phones
    a, b, _offer, _answer = await opus_to_phone(engine, browser.port, phone.port)
    try:
        pcm = tone_pcm()
        encoder = OPUS.new_stream()
        ts0 = WRAP - 960 * 10  # the browser's timestamps wrap mid-call
        for n in range(FRAMES):
            payload = encoder.encode(pcm[n * 320 : (n + 1) * 320])
            browser.send(rtp(111, 65530 + n, ts0 + 960 * n, 0xB0, payload), (LOOPBACK, a.rtp_port))
            if n % 10 == 9:
                await phone.wait_for(n + 1)
        got = await phone.wait_for(FRAMES)
        assert {p.payload_type for p in got} == {0}
        assert {p.ssrc for p in got} == {b.out.ssrc}
        assert [seq_delta(q.sequence, p.sequence) for p, q in pairwise(got)] == [1] * 49
        assert [ts_delta(q.timestamp, p.timestamp) for p, q in pairwise(got)] == [160] * 49
        heard = from_pcm(b"".join(ulaw_decode(p.payload) for p in got))[800:]
        assert abs(dominant_frequency(to_pcm(heard)) - 1000.0) < 10
        assert abs(level_db(heard) - level_db(from_pcm(pcm))) < 2.0
        # and back: the phone's 500 Hz tone in PCMU reaches the browser as Opus, 960 a packet
        back = tone_pcm(500.0)
        for n in range(FRAMES):
            payload = PCMU.encode(back[n * 320 : (n + 1) * 320])
            phone.send(rtp(0, 100 + n, 160 * n, 0xC0, payload), (LOOPBACK, b.rtp_port))
            if n % 10 == 9:
                await browser.wait_for(n + 1)
        opus = await browser.wait_for(FRAMES)
        assert {p.payload_type for p in opus} == {111}
        assert [ts_delta(q.timestamp, p.timestamp) for p, q in pairwise(opus)] == [960] * 49
        decoder = OPUS.new_stream()
        heard = from_pcm(b"".join(decoder.decode(p.payload) for p in opus))[800:]
        assert abs(dominant_frequency(to_pcm(heard)) - 500.0) < 10
        assert engine.snapshot(a).garbage == engine.snapshot(b).garbage == 0
    finally:
        await engine.close()


async def test_events_from_an_opus_leg_reach_the_phone_at_8khz(
    phones: tuple[Phone, Phone],
) -> None:
    """DTMF on an Opus leg: telephone-event/48000 in, telephone-event/8000 out, one digit."""
    engine, _clock = make_engine()
    browser, phone = phones
    a, _b, _offer, _answer = await opus_to_phone(engine, browser.port, phone.port)
    try:
        encoder = OPUS.new_stream()
        pcm = tone_pcm(frames=3)
        for n in range(3):
            payload = encoder.encode(pcm[n * 320 : (n + 1) * 320])
            browser.send(rtp(111, n, 960 * n, 0xB1, payload), (LOOPBACK, a.rtp_port))
        await phone.wait_for(3)
        events = telephone_event_packets("9", 60, clock_rate=48000)
        for n, event in enumerate(events, start=3):
            data = rtp(110, n, 960 * 3, 0xB1, event.payload, event.marker)
            browser.send(data, (LOOPBACK, a.rtp_port))
        got = (await phone.wait_for(3 + len(events)))[3:]
        assert {p.payload_type for p in got} == {101}
        audio = (await phone.wait_for(3))[:3]
        assert {ts_delta(p.timestamp, audio[0].timestamp) for p in got} == {480}  # 2880 / 6
        parsed = [TelephoneEvent.parse(p.payload) for p in got]
        assert [e.duration for e in parsed] == [160, 320, 480, 480, 480]
        assert {e.event for e in parsed} == {9}
    finally:
        await engine.close()


async def test_no_common_codec_without_a_transcoder() -> None:
    engine, _clock = make_engine()
    try:
        with pytest.raises(NoCommonCodecError):
            await opus_to_phone(
                engine, 40400, 40402,
                offer=b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                b"m=audio 40400 RTP/AVP 96\r\na=rtpmap:96 speex/16000\r\n",
            )  # fmt: skip
    finally:
        await engine.close()
