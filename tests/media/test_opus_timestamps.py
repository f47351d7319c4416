"""RTP that Centrex generates toward an Opus leg steps its timestamps in the 48 kHz RTP clock
(RFC 7587 §4.1): 960 per 20 ms packet from players and rooms, telephone-events in 48 kHz
units; timestamp-keyed buffers (recorder, room playout) count in that clock too, so a pause
of 15 s (720 000 units: more than a minute at 8 kHz) is no new stream on an Opus leg.
"""

from __future__ import annotations

import wave
from collections.abc import AsyncIterator
from itertools import pairwise
from pathlib import Path

import pytest

from centrex.clock import ManualClock
from centrex.media.codecs import G722, OPUS, PCMA, PCMU, rtp_step, ulaw_decode
from centrex.media.dtmf import telephone_event_packets
from centrex.media.engine import MediaEngine
from centrex.media.playout import PlayoutBuffer
from centrex.media.rtp import RtpPacket, ts_delta
from centrex.media.session import MediaLeg
from tests.media.opus_fixtures import opus_sdp
from tests.media.phones import LOOPBACK, Phone, make_engine, manual_ticks, rtp, sdp, wait_until
from tests.media.signals import dominant_frequency, to_pcm, tone

Env = tuple[MediaEngine, ManualClock, Phone]


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    engine, clock = make_engine()
    phone = await Phone.open()
    yield engine, clock, phone
    phone.close()
    await engine.close()


async def opus_leg(engine: MediaEngine, phone: Phone, *, events: int = 48000) -> MediaLeg:
    """A leg whose party negotiated Opus (a browser's Opus leg, plain view)."""
    leg = await engine.allocate()
    engine.set_remote(leg, opus_sdp(phone.port, event_clocks=(events,)))
    return leg


def steps(packets: list[RtpPacket]) -> set[int]:
    stamps = [p.timestamp for p in packets]
    return {ts_delta(b, a) for a, b in pairwise(stamps)}


def test_rtp_step_follows_the_rtp_clock() -> None:
    assert [rtp_step(c, 160) for c in (PCMU, PCMA, G722, OPUS)] == [160, 160, 160, 960]


def test_telephone_events_at_48khz_step_in_48khz_units() -> None:
    packets = telephone_event_packets("1", 100, clock_rate=48000)
    assert [p.duration for p in packets] == [960, 1920, 2880, 3840, 4800, 4800, 4800]
    assert packets[0].marker


async def test_a_player_steps_960_on_an_opus_leg(env: Env) -> None:
    engine, clock, phone = env
    leg = await opus_leg(engine, phone)
    player = engine.play(leg, to_pcm(tone([800.0], 1000, -10.0)))
    manual_ticks(engine, clock, 50)
    got = await phone.wait_for(50)
    assert {p.payload_type for p in got} == {111}
    assert steps(got) == {960}
    assert got[0].marker
    decoder = OPUS.new_stream()
    heard = b"".join(decoder.decode(p.payload) for p in got)
    assert abs(dominant_frequency(heard[1600:]) - 800.0) < 10
    manual_ticks(engine, clock, 1)  # the source is done: the player stops
    assert not player.playing


async def test_a_player_still_steps_160_on_a_g711_leg(env: Env) -> None:
    engine, clock, phone = env
    leg = await engine.allocate()
    engine.set_remote(leg, sdp(phone.port, (0,)))
    engine.play(leg, to_pcm(tone([800.0], 200, -10.0)))
    manual_ticks(engine, clock, 10)
    assert steps(await phone.wait_for(10)) == {160}


async def test_a_room_steps_960_toward_an_opus_member_and_160_toward_g711(env: Env) -> None:
    engine, clock, phone = env
    other = await Phone.open()
    try:
        opus = await opus_leg(engine, phone)
        g711 = await engine.allocate()
        engine.set_remote(g711, sdp(other.port, (0,)))
        room = engine.mixing_room()
        room.join(opus)
        room.join(g711)
        room.play(to_pcm(tone([600.0], 400, -10.0)))
        manual_ticks(engine, clock, 20)
        to_opus = await phone.wait_for(20)
        to_g711 = await other.wait_for(20)
        assert steps(to_opus) == {960}
        assert {p.payload_type for p in to_opus} == {111}
        assert steps(to_g711) == {160}
        heard = b"".join(ulaw_decode(p.payload) for p in to_g711)
        assert abs(dominant_frequency(heard[640:]) - 600.0) < 15
        room.close()
    finally:
        other.close()


async def test_an_opus_member_is_mixed_in_by_its_own_clock(env: Env) -> None:
    """What the Opus member says (960 a packet) reaches the G.711 member at its frequency."""
    engine, clock, phone = env
    other = await Phone.open()
    try:
        opus = await opus_leg(engine, phone)
        g711 = await engine.allocate()
        engine.set_remote(g711, sdp(other.port, (0,)))
        room = engine.mixing_room()
        room.join(opus)
        room.join(g711)
        pcm = to_pcm(tone([1000.0], 600, -10.0))
        encoder = OPUS.new_stream()
        for n in range(30):
            payload = encoder.encode(pcm[n * 320 : (n + 1) * 320])
            phone.send(rtp(111, n, 5000 + 960 * n, 0xA1, payload), (LOOPBACK, opus.rtp_port))
            await wait_until(lambda n=n: opus.packets_in == n + 1)
            manual_ticks(engine, clock, 1)
        heard = b"".join(ulaw_decode(p.payload) for p in await other.wait_for(30))
        assert abs(dominant_frequency(heard[3200:]) - 1000.0) < 10
        member = room.member(opus)
        assert member is not None
        assert member.buffer.reanchor == 48000 * 60
        assert member.buffer.late == member.buffer.overflow == 0
        room.close()
    finally:
        other.close()


def test_the_playout_buffer_counts_in_the_legs_clock() -> None:
    buffer: PlayoutBuffer[str] = PlayoutBuffer(playout_frames=1, max_queue=5)
    buffer.reanchor = 48000 * 60
    buffer.push(0, "first")
    assert buffer.pop() == "first"
    buffer.push(720_000, "after a 15 s pause")  # beyond 60 s at 8 kHz, not at 48 kHz
    assert buffer.pop() == "after a 15 s pause"
    buffer.push(960, "late")  # from before the pause: its slot is long played
    assert buffer.late == 1


async def test_the_recorder_keys_an_opus_leg_by_its_48khz_clock(env: Env, tmp_path: Path) -> None:
    engine, clock, phone = env
    leg = await opus_leg(engine, phone)
    path = tmp_path / "opus.wav"
    recorder = engine.record(leg, path, max_seconds=2.0)
    pcm = to_pcm(tone([1000.0], 400, -10.0))
    encoder = OPUS.new_stream()
    payloads = [encoder.encode(pcm[n * 320 : (n + 1) * 320]) for n in range(20)]
    order = [1, 0, 3, 2, *range(4, 20)]  # a reordered pair at the start
    for count, n in enumerate(order, start=1):
        phone.send(rtp(111, n, 960 * n, 0xA2, payloads[n]), (LOOPBACK, leg.rtp_port))
        await wait_until(lambda c=count: leg.packets_in == c)
        if count >= 4:
            manual_ticks(engine, clock, 1)
    manual_ticks(engine, clock, 4)
    # 15 s of silence later (no packets) the party talks again: same stream, not re-anchored,
    # so a straggler from before the pause is late, not written
    phone.send(rtp(111, 20, 960 * 20 + 720_000, 0xA2, payloads[0]), (LOOPBACK, leg.rtp_port))
    await wait_until(lambda: leg.packets_in == 21)
    manual_ticks(engine, clock, 3)
    phone.send(rtp(111, 5, 960 * 5, 0xA2, payloads[5]), (LOOPBACK, leg.rtp_port))
    await wait_until(lambda: leg.packets_in == 22)
    assert recorder.late == 1
    recorder.stop()
    with wave.open(str(path), "rb") as wav:
        assert wav.getframerate() == 8000
        written = wav.readframes(wav.getnframes())
    assert abs(dominant_frequency(written[640:6400]) - 1000.0) < 10
