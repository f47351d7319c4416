"""G.722 through PyAV: round trips keep a tone's frequency, the 8 kHz face, the registry's
per-stream instances, and the relay's G.722 <-> G.711 transcoding over real sockets."""

from __future__ import annotations

import asyncio
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from centrex.media.channel import Channel
from centrex.media.codecs import (
    G722,
    PCMU,
    G711Bridge,
    G722Codec,
    default_registry,
    transcoder,
    ulaw_decode,
    ulaw_encode,
)
from centrex.media.engine import MediaEngine
from centrex.media.rtp import RtpPacket
from centrex.media.sdp_rewrite import plan_bridge, stream_params
from tests.media.phones import (
    LOOPBACK,
    Phone,
    bridged_call,
    make_engine,
    manual_ticks,
    rtp,
    sdp,
    wait_until,
)
from tests.media.signals import dominant_frequency, to_pcm, tone

FRAME = 160  # samples of 20 ms at 8 kHz; also bytes of 20 ms of G.722 at 64 kbit/s


def frames(samples: np.ndarray, size: int = FRAME) -> list[bytes]:
    pcm = to_pcm(samples)
    return [pcm[i : i + 2 * size] for i in range(0, len(pcm) - 2 * size + 1, 2 * size)]


@pytest.mark.parametrize("hz", [300.0, 1000.0, 3000.0])
def test_round_trip_at_8k_keeps_the_tone(hz: float) -> None:
    codec = G722.new_stream()
    encoded = [codec.encode(f) for f in frames(tone([hz], 1000))]
    assert {len(p) for p in encoded} == {160}  # 64 kbit/s: 160 bytes per 20 ms
    decoder = G722.new_stream()
    decoded = b"".join(decoder.decode(p) for p in encoded)
    assert len(decoded) == 2 * 8000  # the 8 kHz face: 160 samples per payload
    middle = decoded[4000:12000]
    assert abs(dominant_frequency(middle) - hz) < 10
    level = np.sqrt(np.mean(np.frombuffer(middle, "<i2").astype(float) ** 2))
    assert level > 0.5 * np.sqrt(np.mean(tone([hz], 100) ** 2))  # not attenuated away


def test_wideband_round_trip_keeps_a_6khz_tone() -> None:
    """Above 4 kHz: only the wideband path (a plain relay between G.722 phones) carries it."""
    codec = G722Codec()
    wide = frames(tone([6000.0], 1000, rate=16000), size=320)
    payloads = [codec.encode_wide(f) for f in wide]
    assert {len(p) for p in payloads} == {160}
    out = b"".join(codec.decode_wide(p) for p in payloads)
    assert abs(dominant_frequency(out[8000:24000], rate=16000) - 6000) < 20


def test_registry_hands_out_one_state_per_stream() -> None:
    registry = default_registry()
    assert registry.names() == ("PCMA", "PCMU", "G722")
    first, second = registry.get("g722"), registry.by_payload_type(9)
    assert isinstance(first, G722Codec)
    assert isinstance(second, G722Codec)
    assert first is not second
    assert first is not G722
    assert registry.get("PCMU") is PCMU  # stateless G.711 stays shared
    assert (G722.clock_rate, G722.sample_rate, G722.payload_type) == (8000, 8000, 9)


def test_transcoder_choice() -> None:
    assert transcoder("G722", "G722") is None
    assert isinstance(transcoder("G722", "PCMU"), G711Bridge)
    assert isinstance(transcoder("pcma", "g722"), G711Bridge)
    assert transcoder("G722", "G729") is None
    assert transcoder("PCMU", "PCMA") is not None
    a, b = transcoder("G722", "PCMU"), transcoder("G722", "PCMU")
    assert a is not b  # one state per bridge direction


def test_rewrite_keeps_header_and_drops_padding() -> None:
    bridge = G711Bridge(PCMU, to_g711=False)
    payload = ulaw_encode(to_pcm(tone([1000.0], 20)))
    packet = bytearray(RtpPacket(0, 7, 1120, 0xABCD, payload, marker=True).serialize())
    packet[0] |= 0x20
    packet += b"\0\0\x03"  # three octets of padding, the last one counts them
    out = bridge.rewrite(packet, 9)
    parsed = RtpPacket.parse(bytes(out))
    assert (parsed.payload_type, parsed.sequence, parsed.timestamp, parsed.ssrc) == (
        9,
        7,
        1120,
        0xABCD,
    )
    assert parsed.marker
    assert not out[0] & 0x20
    assert len(parsed.payload) == 160


def test_plan_relays_g722_untouched_and_transcodes_to_g711() -> None:
    wide = stream_params(sdp(4000, (9, 0)))
    narrow = stream_params(sdp(4002, (0,)))
    assert wide is not None
    assert narrow is not None
    same = plan_bridge(wide, wide)
    assert same.a_to_b[9] == (9, None)
    assert same.b_to_a[9] == (9, None)
    mixed = plan_bridge(wide, narrow)
    assert mixed.a_to_b[9][0] == 0
    assert isinstance(mixed.a_to_b[9][1], G711Bridge)
    assert mixed.a_to_b[0] == (0, None)


@pytest.fixture
async def env() -> AsyncIterator[tuple[MediaEngine, Phone, Phone]]:
    engine, _clock = make_engine()
    a = await Phone.open()
    b = await Phone.open()
    yield engine, a, b
    a.close()
    b.close()
    await engine.close()


async def test_relay_transcodes_g722_to_pcmu_and_back(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, b = await bridged_call(engine, pa, pb, a_pts=(9,), b_pts=(0,))
    assert engine.bridges["a"].plan.transcoding
    encoder = G722.new_stream()
    for i, frame in enumerate(frames(tone([1000.0], 1000))):
        pa.send(rtp(9, i, 160 * i, 0xAAAA, encoder.encode(frame)), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(50)
    assert {p.payload_type for p in got} == {0}
    assert [p.timestamp - got[0].timestamp for p in got[:3]] == [0, 160, 320]
    heard = b"".join(ulaw_decode(p.payload) for p in got)
    assert abs(dominant_frequency(heard[4000:12000]) - 1000) < 10

    for i, frame in enumerate(frames(tone([700.0], 600))):
        pb.send(rtp(0, i, 160 * i, 0xBBBB, ulaw_encode(frame)), (LOOPBACK, b.rtp_port))
    back = await pa.wait_for(30)
    assert {p.payload_type for p in back} == {9}
    decoder = G722.new_stream()
    heard_a = b"".join(decoder.decode(p.payload) for p in back)
    assert abs(dominant_frequency(heard_a[2000:8000]) - 700) < 10
    assert engine.snapshot(a).codec == "G722"


async def test_relay_between_g722_phones_forwards_untouched(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, _b = await bridged_call(engine, pa, pb, a_pts=(9, 0), b_pts=(9, 0))
    plan = engine.bridges["a"].plan
    assert plan.a_to_b[9] == (9, None)
    assert plan.b_to_a[9] == (9, None)
    sent = [bytes((i + k) & 0xFF for k in range(160)) for i in range(10)]
    for i, data in enumerate(sent):
        pa.send(rtp(9, i, 160 * i, 1, data), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(10)
    assert [p.payload for p in got] == sent
    assert {p.payload_type for p in got} == {9}


async def test_a_g722_only_offer_gets_g711_added_for_the_callee(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, _pb = env
    b = await engine.allocate("b")
    offer = engine.offer_for(b, sdp(pa.port, (9,)))
    assert offer.media[0].formats[:3] == ["9", "8", "0"]


async def test_an_app_plays_to_and_records_a_g722_phone(tmp_path: Path) -> None:
    """IVR/voicemail path: the channel answers a G.722-first offer, plays a tone the phone
    decodes, records the phone's G.722 into an 8 kHz WAV holding its tone (FFT)."""
    engine, clock = make_engine()
    phone = await Phone.open()
    try:
        leg = await engine.allocate("app")
        answer = engine.answer_for(leg, sdp(phone.port, (9, 0))).serialize().decode()
        assert "m=audio" in answer
        codec, pt = engine.codec_for(leg)
        assert (codec.name, pt) == ("G722", 9)
        channel = Channel(engine, leg, on_answer=_nothing, on_hangup=_nothing)

        played = asyncio.create_task(channel.play(to_pcm(tone([800.0], 1000))))
        for _ in range(60):
            manual_ticks(engine, clock, 1)
            await asyncio.sleep(0)
        assert played.done()
        got = await phone.wait_for(50)
        assert {p.payload_type for p in got} == {9}
        decoder = G722.new_stream()
        heard = b"".join(decoder.decode(p.payload) for p in got)
        assert abs(dominant_frequency(heard[2000:10000]) - 800) < 10

        path = tmp_path / "message.wav"
        recording = asyncio.create_task(channel.record(path, max_seconds=1.0))
        await asyncio.sleep(0)
        encoder = G722.new_stream()
        for i, frame in enumerate(frames(tone([1200.0], 1000))):
            phone.send(rtp(9, i, 160 * i, 7, encoder.encode(frame)), (LOOPBACK, leg.rtp_port))
            await wait_until(lambda i=i: leg.packets_in == i + 1)
            manual_ticks(engine, clock, 1)
        for _ in range(20):
            if recording.done():
                break
            manual_ticks(engine, clock, 1)
            await asyncio.sleep(0)
        assert recording.done()
        with wave.open(str(path), "rb") as wav:
            assert wav.getframerate() == 8000
            samples = wav.readframes(wav.getnframes())
        assert abs(dominant_frequency(samples[4000:12000]) - 1200) < 10
    finally:
        phone.close()
        await engine.close()


async def _nothing() -> None:
    return None
