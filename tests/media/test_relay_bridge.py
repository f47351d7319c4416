"""The bridged-call relay over real loopback UDP sockets: plain relay, transcoding, continuity."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import numpy as np
import pytest

from centrex.media.codecs import ALAW_TO_ULAW, ULAW_TO_ALAW, alaw_decode, ulaw_encode
from centrex.media.engine import MediaEngine
from centrex.media.rtp import seq_delta
from centrex.media.tones import SineGenerator
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


@pytest.fixture
async def env() -> AsyncIterator[tuple[MediaEngine, Phone, Phone]]:
    engine, _clock = make_engine()
    a = await Phone.open()
    b = await Phone.open()
    yield engine, a, b
    a.close()
    b.close()
    await engine.close()


def payload(i: int) -> bytes:
    return bytes((i * 7 + k) & 0xFF for k in range(160))


async def test_plain_relay_both_ways(env: tuple[MediaEngine, Phone, Phone]) -> None:
    engine, pa, pb = env
    a, b = await bridged_call(engine, pa, pb)
    for i in range(20):
        pa.send(rtp(0, 1000 + i, 160 * i, 0xAAAA, payload(i)), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(20)
    assert [p.payload for p in got] == [payload(i) for i in range(20)]
    assert {p.payload_type for p in got} == {0}
    assert {p.ssrc for p in got} == {b.out.ssrc}  # Centrex's own SSRC on leg B
    assert all(seq_delta(q.sequence, p.sequence) == 1 for p, q in itertools.pairwise(got))
    assert all(q.timestamp - p.timestamp == 160 for p, q in itertools.pairwise(got))
    assert pb.received[0][1] == (LOOPBACK, b.rtp_port)  # symmetric: sent from B's own port

    for i in range(5):
        pb.send(rtp(0, i, 160 * i, 0xBBBB, payload(100 + i)), (LOOPBACK, b.rtp_port))
    back = await pa.wait_for(5)
    assert [p.payload for p in back] == [payload(100 + i) for i in range(5)]
    snap = engine.snapshot(a)
    assert snap.packets_in == 20
    assert snap.packets_out == 5
    assert snap.bytes_in == 20 * 172
    assert snap.latched
    assert snap.codec == "PCMU"


async def test_ulaw_to_alaw_transcoding_uses_the_translate_table(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, b = await bridged_call(engine, pa, pb, a_pts=(0,), b_pts=(8,))
    assert engine.bridges["a"].plan.transcoding
    sent = [bytes(range(i, i + 160)) for i in range(10)]
    for i, data in enumerate(sent):
        pa.send(rtp(0, i, 160 * i, 1, data), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(10)
    assert [p.payload for p in got] == [d.translate(ULAW_TO_ALAW) for d in sent]
    assert {p.payload_type for p in got} == {8}

    for i, data in enumerate(sent[:4]):
        pb.send(rtp(8, i, 160 * i, 2, data), (LOOPBACK, b.rtp_port))
    back = await pa.wait_for(4)
    assert [p.payload for p in back] == [d.translate(ALAW_TO_ULAW) for d in sent[:4]]
    assert {p.payload_type for p in back} == {0}


async def test_1khz_tone_crosses_a_transcoding_bridge(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, _b = await bridged_call(engine, pa, pb, a_pts=(0,), b_pts=(8,))
    generator = SineGenerator((1000.0,), level_dbm0=-10.0)
    for i in range(50):
        frame = ulaw_encode(generator.next_frame())
        pa.send(rtp(0, i, 160 * i, 5, frame), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(50)
    pcm = b"".join(alaw_decode(p.payload) for p in sorted(got, key=lambda p: p.sequence))
    samples = np.frombuffer(pcm, dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    peak = np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(spectrum))]
    assert abs(peak - 1000.0) <= 2.0


async def test_ssrc_and_seq_stay_continuous_across_source_switches(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, b = await bridged_call(engine, pa, pb)
    clock = engine.clock
    assert hasattr(clock, "advance")
    for i in range(10):
        pa.send(rtp(0, 500 + i, 8000 + 160 * i, 0x1111, payload(i)), (LOOPBACK, a.rtp_port))
    await pb.wait_for(10)

    # A player (music on hold) takes over B's stream, then gives it back.
    player = engine.play(b, bytes(320 * 10))
    manual_ticks(engine, clock, 12)  # type: ignore[arg-type]
    assert not player.playing
    await pb.wait_for(20)

    # A's phone restarts with a new SSRC and a new sequence space (re-INVITE, transfer).
    for i in range(10):
        pa.send(rtp(0, 40000 + i, 99 + 160 * i, 0x2222, payload(i)), (LOOPBACK, a.rtp_port))
    got = await pb.wait_for(30)
    assert {p.ssrc for p in got} == {b.out.ssrc}
    seqs = [p.sequence for p in got]
    assert all(seq_delta(y, x) == 1 for x, y in itertools.pairwise(seqs))
    stamps = [p.timestamp for p in got]
    assert all(0 < ((y - x) & 0xFFFFFFFF) < 1 << 31 for x, y in itertools.pairwise(stamps))
    assert got[10].marker
    assert got[20].marker
    assert [p.payload for p in got[20:]] == [payload(i) for i in range(10)]


async def test_relay_keeps_working_between_many_packets(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    """Loss accounting: one missing sequence number shows up as one lost packet."""
    engine, pa, pb = env
    a, _b = await bridged_call(engine, pa, pb)
    sent = [i for i in range(30) if i != 17]
    for i in sent:
        pa.send(rtp(0, i, 160 * i, 9, payload(i)), (LOOPBACK, a.rtp_port))
    await pb.wait_for(len(sent))
    snap = engine.snapshot("a")
    assert snap.lost == 1
    assert 0 < snap.loss_ratio < 0.05
    assert snap.last_packet is not None
    await wait_until(lambda: engine.snapshots()["b"].packets_out == len(sent))


async def test_bridge_is_idempotent_and_moves_a_leg_between_forks(
    env: tuple[MediaEngine, Phone, Phone],
) -> None:
    engine, pa, pb = env
    a, b = await bridged_call(engine, pa, pb)
    assert engine.bridge(a, b) is engine.bridges["a"]
    fork = await Phone.open()
    try:
        c = await engine.allocate("c")
        engine.set_remote(c, sdp(fork.port))
        engine.bridge(a, c)  # the 200 OK came from another fork than the early media
        assert engine.bridges["a"].other(a) is c
        assert "b" not in engine.bridges
        assert b.peer is None
        pa.send(rtp(0, 1, 160, 1, payload(1)), (LOOPBACK, a.rtp_port))
        got = await fork.wait_for(1)
        assert got[0].payload == payload(1)
        assert pb.received == []
    finally:
        fork.close()
