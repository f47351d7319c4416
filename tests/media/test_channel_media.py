"""Channel operations for apps: play, record, collect_digits, all driven by a manual ticker."""

from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from centrex.clock import ManualClock
from centrex.media.audio import write_wav
from centrex.media.channel import Channel, ChannelClosed
from centrex.media.codecs import ulaw_decode, ulaw_encode
from centrex.media.dtmf import telephone_event_packets
from centrex.media.engine import MediaEngine
from centrex.media.rtp import seq_delta
from centrex.media.tones import ToneGenerator, beep, dtmf_tone
from tests.media.phones import LOOPBACK, Phone, make_engine, manual_ticks, rtp, sdp, wait_until

Env = tuple[MediaEngine, ManualClock, Phone, Channel]


async def open_channel(te: int | None = 101) -> Env:
    engine, clock = make_engine()
    phone = await Phone.open()
    leg = await engine.allocate("app")
    engine.answer_for(leg, sdp(phone.port, (0,), te=te), direction=None)
    events: list[str] = []

    async def answered() -> None:
        events.append("answer")

    async def hung_up() -> None:
        events.append("hangup")

    channel = Channel(engine, leg, on_answer=answered, on_hangup=hung_up)
    channel.events = events  # type: ignore[attr-defined]
    return engine, clock, phone, channel


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    engine, clock, phone, channel = await open_channel()
    yield engine, clock, phone, channel
    phone.close()
    await engine.close()


@pytest.fixture
async def env_no_te() -> AsyncIterator[Env]:
    engine, clock, phone, channel = await open_channel(te=None)
    yield engine, clock, phone, channel
    phone.close()
    await engine.close()


async def tick_until_done(
    engine: MediaEngine, clock: ManualClock, task: asyncio.Task[object]
) -> int:
    """Advance the manual ticker one tick at a time until `task` finishes (bounded)."""
    for n in range(3000):
        if task.done():
            return n
        manual_ticks(engine, clock, 1)
        await asyncio.sleep(0)
    raise AssertionError("task did not finish within 60 s of media time")


async def test_player_sends_50_packets_per_second_of_g711(env: Env) -> None:
    engine, clock, phone, channel = env
    # One second of a 440 Hz tone.
    generator = ToneGenerator(beep(440.0, 1000))
    pcm = b"".join(generator.next_frame() for _ in range(50))
    task = asyncio.create_task(channel.play(pcm))
    await asyncio.sleep(0)
    manual_ticks(engine, clock, 25)
    assert channel.leg.packets_out == 25  # one packet per 20 ms tick
    manual_ticks(engine, clock, 25)
    assert channel.leg.packets_out == 50
    await tick_until_done(engine, clock, task)
    assert task.result() is True
    got = await phone.wait_for(50)
    assert len(got) == 50
    assert all(len(p.payload) == 160 and p.payload_type == 0 for p in got)
    assert all(seq_delta(q.sequence, p.sequence) == 1 for p, q in itertools.pairwise(got))
    assert all((q.timestamp - p.timestamp) & 0xFFFFFFFF == 160 for p, q in itertools.pairwise(got))
    assert got[0].marker
    assert b"".join(p.payload for p in got) == ulaw_encode(pcm)


async def test_play_a_wav_file_and_a_tone(env: Env, tmp_path: Path) -> None:
    engine, clock, phone, channel = env
    path = tmp_path / "prompt.wav"
    write_wav(path, bytes(320 * 10))
    task = asyncio.create_task(channel.play(path))
    await tick_until_done(engine, clock, task)
    task = asyncio.create_task(channel.play(dtmf_tone("5"), max_seconds=0.1))
    await tick_until_done(engine, clock, task)
    got = await phone.wait_for(15)
    assert len(got) == 15
    assert len({p.ssrc for p in got}) == 1  # one outgoing stream across prompts


async def test_recorder_writes_a_wav_of_the_recorded_duration(env: Env, tmp_path: Path) -> None:
    engine, clock, phone, channel = env
    path = tmp_path / "message.wav"
    task = asyncio.create_task(channel.record(path, max_seconds=1.5))
    await asyncio.sleep(0)
    leg = channel.leg
    tone = ToneGenerator(beep(1000.0, 2000))
    for i in range(40):  # 0.8 s of audio arrives, then the caller goes quiet
        phone.send(rtp(0, i, 160 * i, 1, ulaw_encode(tone.next_frame())), (LOOPBACK, leg.rtp_port))
        await wait_until(lambda i=i: leg.packets_in == i + 1)
        manual_ticks(engine, clock, 1)
    await tick_until_done(engine, clock, task)
    assert task.result() == pytest.approx(1.5)
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 8000
        assert wav.getnframes() == 12000
        samples = np.frombuffer(wav.readframes(12000), dtype="<i2").astype(float)
    voiced = samples[: 8000 * 3 // 4]
    spectrum = np.abs(np.fft.rfft(voiced))
    assert np.fft.rfftfreq(len(voiced), 1 / 8000)[int(np.argmax(spectrum))] == pytest.approx(
        1000, abs=3
    )
    assert not samples[-1000:].any()  # silence written for the quiet part


async def test_record_stops_on_the_terminator_key(env: Env, tmp_path: Path) -> None:
    engine, clock, phone, channel = env
    task = asyncio.create_task(channel.record(tmp_path / "m.wav", max_seconds=60))
    await asyncio.sleep(0)
    manual_ticks(engine, clock, 10)
    send_rfc4733(phone, channel, "#", seq0=0)
    await asyncio.wait_for(task, 5)
    assert task.result() == pytest.approx(0.2)


def send_rfc4733(phone: Phone, channel: Channel, digits: str, seq0: int = 0, pt: int = 101) -> int:
    seq = seq0
    for n, digit in enumerate(digits):
        ts = 8000 * (n + 1)
        for packet in telephone_event_packets(digit, 100):
            phone.send(
                rtp(pt, seq, ts, 0x42, packet.payload, packet.marker),
                (LOOPBACK, channel.leg.rtp_port),
            )
            seq += 1
    return seq


async def test_collect_digits_from_rfc4733_events(env: Env) -> None:
    _engine, _clock, phone, channel = env
    task = asyncio.create_task(channel.collect_digits(digit_timeout=5.0))
    send_rfc4733(phone, channel, "1234#9")
    assert await asyncio.wait_for(task, 5) == "1234"
    await wait_until(lambda: channel.flush_digits() == "9")


async def test_collect_digits_from_inband_tones(env_no_te: Env) -> None:
    _engine, _clock, phone, channel = env_no_te
    task = asyncio.create_task(channel.collect_digits(digit_timeout=5.0))
    seq = 0
    for digit in "1234#":
        generator = ToneGenerator(dtmf_tone(digit, on_ms=100, off_ms=100), level_dbm0=-10.0)
        for _ in range(10):
            payload = ulaw_encode(generator.next_frame())
            phone.send(rtp(0, seq, 160 * seq, 0x43, payload), (LOOPBACK, channel.leg.rtp_port))
            seq += 1
    assert await asyncio.wait_for(task, 5) == "1234"
    assert len(ulaw_decode(b"\xff" * 2)) == 4


async def test_collect_digits_times_out_on_the_ticker(env: Env) -> None:
    engine, clock, phone, channel = env
    task = asyncio.create_task(
        channel.collect_digits(4, digit_timeout=2.0, first_digit_timeout=3.0)
    )
    send_rfc4733(phone, channel, "7")
    await wait_until(lambda: channel.leg.packets_in >= 7)
    ticks = await tick_until_done(engine, clock, task)  # type: ignore[arg-type]
    assert task.result() == "7"
    assert 99 <= ticks <= 102  # the inter-digit timeout: 2 s of media time
    task = asyncio.create_task(channel.collect_digits(4, digit_timeout=1.0))
    await asyncio.sleep(0)
    ticks = await tick_until_done(engine, clock, task)  # type: ignore[arg-type]
    assert task.result() == ""


async def test_max_digits_and_type_ahead(env: Env) -> None:
    _engine, _clock, phone, channel = env
    send_rfc4733(phone, channel, "5678")
    await wait_until(lambda: len(channel._digits) == 4)
    assert await channel.collect_digits(2) == "56"
    assert await channel.collect_digits(2) == "78"


async def test_play_is_interrupted_by_a_digit(env: Env) -> None:
    engine, clock, phone, channel = env
    task = asyncio.create_task(channel.play(bytes(320 * 500), interrupt_on_digit=True))
    await asyncio.sleep(0)
    manual_ticks(engine, clock, 5)
    send_rfc4733(phone, channel, "3")
    assert await asyncio.wait_for(task, 5) is False
    assert channel.leg.source is None
    assert await channel.collect_digits(1) == "3"


async def test_answer_and_hangup_use_the_call_layer_callbacks(env: Env) -> None:
    engine, clock, _phone, channel = env
    await channel.answer()
    await channel.answer()
    task = asyncio.create_task(channel.collect_digits(digit_timeout=30))
    await asyncio.sleep(0)
    await channel.hangup()
    assert await asyncio.wait_for(task, 5) == ""
    assert channel.events == ["answer", "hangup"]  # type: ignore[attr-defined]
    with pytest.raises(ChannelClosed):
        await channel.play(b"")
    await channel.hangup()
    manual_ticks(engine, clock, 1)


async def test_bridge_two_channels(env: Env) -> None:
    engine, _clock, phone, channel = env
    other_phone = await Phone.open()
    try:
        leg = await engine.allocate("other")
        engine.answer_for(leg, sdp(other_phone.port, (0,)))
        other = Channel(engine, leg)
        await channel.bridge(other)
        phone.send(rtp(0, 1, 160, 1, bytes(160)), (LOOPBACK, channel.leg.rtp_port))
        got = await other_phone.wait_for(1)
        assert got[0].payload == bytes(160)
        await channel.unbridge()
        assert engine.bridges == {}
    finally:
        other_phone.close()


async def test_recorder_puts_reordered_packets_back_in_order(env: Env, tmp_path: Path) -> None:
    engine, clock, phone, channel = env
    leg = channel.leg
    path = tmp_path / "ordered.wav"
    recorder = engine.record(leg, path, max_seconds=1.0)
    frames = [bytes([0x80 + i]) * 160 for i in range(4)]  # four distinct µ-law levels
    for i in (1, 0, 3, 2):  # swapped pairs
        phone.send(rtp(0, i, 160 * i, 1, frames[i]), (LOOPBACK, leg.rtp_port))
    await wait_until(lambda: leg.packets_in == 4)
    manual_ticks(engine, clock, 10)
    phone.send(rtp(0, 0, 0, 1, frames[0]), (LOOPBACK, leg.rtp_port))  # a duplicate, too late
    await wait_until(lambda: leg.packets_in == 5)
    assert recorder.late == 1
    recorder.stop()
    with wave.open(str(path), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    assert [pcm[320 * i : 320 * (i + 1)] for i in range(4)] == [ulaw_decode(f) for f in frames]


async def test_recorder_playout_delay_absorbs_a_packet_just_after_its_tick(
    env: Env, tmp_path: Path
) -> None:
    """Packet 1 arrives after the tick that would have written it without a playout delay: the
    file must still hold frames 0, 1, 2 back to back, with no 20 ms hole of silence."""
    engine, clock, phone, channel = env
    leg = channel.leg
    path = tmp_path / "jitter.wav"
    recorder = engine.record(leg, path, max_seconds=1.0)
    frames = [bytes([0x90 + i]) * 160 for i in range(3)]
    phone.send(rtp(0, 0, 0, 1, frames[0]), (LOOPBACK, leg.rtp_port))
    await wait_until(lambda: leg.packets_in == 1)
    manual_ticks(engine, clock, 1)  # frame 0's slot (buffered: playout delay)
    manual_ticks(engine, clock, 1)  # frame 1's slot: its packet is late
    phone.send(rtp(0, 1, 160, 1, frames[1]), (LOOPBACK, leg.rtp_port))
    phone.send(rtp(0, 2, 320, 1, frames[2]), (LOOPBACK, leg.rtp_port))
    await wait_until(lambda: leg.packets_in == 3)
    manual_ticks(engine, clock, 6)
    recorder.stop()
    with wave.open(str(path), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    chunks = [pcm[320 * i : 320 * (i + 1)] for i in range(len(pcm) // 320)]
    voiced = [i for i, c in enumerate(chunks) if c != bytes(320)]
    assert [chunks[i] for i in voiced] == [ulaw_decode(f) for f in frames]
    assert voiced == list(range(voiced[0], voiced[0] + 3))  # contiguous: no gap
    assert recorder.late == 0
