"""Mixing rooms with real RTP on loopback, driven tick by tick by a manual ticker.

Each fake phone sends its own tone; what it receives is decoded with its own law and looked at
with an FFT: the others' tones must be there, its own must not (a conference never echoes a
talker back to itself).
"""

from __future__ import annotations

import asyncio
import itertools
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from centrex.clock import ManualClock
from centrex.media.channel import Channel
from centrex.media.codecs import PCMA, PCMU, Codec
from centrex.media.engine import MediaEngine
from centrex.media.room import PlayoutBuffer
from centrex.media.rtp import seq_delta
from centrex.media.session import MediaLeg
from centrex.media.tones import beep
from tests.media.phones import LOOPBACK, Phone, make_engine, manual_ticks, rtp, sdp, wait_until
from tests.media.signals import from_pcm, to_pcm, tone

CODECS = {0: PCMU, 8: PCMA}
TONES = (400.0, 800.0, 1200.0)


@dataclass
class Party:
    phone: Phone
    leg: MediaLeg
    codec: Codec
    freq: float
    ssrc: int
    sent: int = 0

    def send_frame(self, samples: np.ndarray) -> None:
        payload = self.codec.encode(to_pcm(samples))
        n = self.sent
        self.phone.send(
            rtp(self.codec.payload_type, n, 160 * n, self.ssrc, payload),
            (LOOPBACK, self.leg.rtp_port),
        )
        self.sent += 1

    def heard(self, skip: int = 0) -> np.ndarray:
        """What the phone received after the first `skip` packets, decoded with its law."""
        packets = self.phone.packets()[skip:]
        return from_pcm(b"".join(self.codec.decode(p.payload) for p in packets))


Env = tuple[MediaEngine, ManualClock, list[Party]]


async def open_parties(engine: MediaEngine, pts: tuple[int, ...]) -> list[Party]:
    parties = []
    for i, pt in enumerate(pts):
        phone = await Phone.open()
        leg = await engine.allocate(f"p{i}")
        engine.answer_for(leg, sdp(phone.port, (pt,)))
        parties.append(Party(phone, leg, CODECS[pt], TONES[i % 3], 0x1000 + i))
    return parties


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    engine, clock = make_engine()
    parties = await open_parties(engine, (0, 8, 0))  # µ-law, A-law, µ-law in one room
    yield engine, clock, parties
    for party in parties:
        party.phone.close()
    await engine.close()


async def talk(
    engine: MediaEngine,
    clock: ManualClock,
    parties: list[Party],
    ticks: int,
    *,
    talkers: list[Party] | None = None,
) -> None:
    """Each talker sends one 20 ms frame of its tone per tick; every tick runs after the
    frames arrived, so the run is the same every time."""
    talkers = parties if talkers is None else talkers
    for _ in range(ticks):
        for party in talkers:
            start = party.sent * 20
            party.send_frame(tone((party.freq,), 20, phase=2 * np.pi * party.freq * start / 1000))
        counts = [(p.leg, p.leg.packets_in + 1) for p in talkers]
        await wait_until(lambda counts=counts: all(leg.packets_in >= n for leg, n in counts))
        manual_ticks(engine, clock, 1)


def level(samples: np.ndarray, freq: float) -> float:
    """Amplitude of `freq` in `samples` (Hann-windowed FFT bin, 8 kHz)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) / len(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / 8000)
    return float(spectrum[int(np.argmin(np.abs(freqs - freq)))])


def assert_hears(party: Party, heard: np.ndarray, others: list[float]) -> None:
    loud = [level(heard, f) for f in others]
    own = level(heard, party.freq)
    assert min(loud) > 300, f"{party.leg.leg_id} misses a tone: {loud}"
    assert own < min(loud) / 50, f"{party.leg.leg_id} hears itself: {own} vs {loud}"


async def test_three_parties_each_hear_the_two_others_and_not_themselves(env: Env) -> None:
    engine, clock, parties = env
    room = engine.mixing_room("conf")
    for party in parties:
        room.join(party.leg)
    await talk(engine, clock, parties, 60)
    for party in parties:
        await party.phone.wait_for(60)
        heard = party.heard(skip=5)  # past the 40 ms playout delay
        assert_hears(party, heard, [p.freq for p in parties if p is not party])
        packets = party.phone.packets()
        assert {p.payload_type for p in packets} == {party.codec.payload_type}  # its own law
        assert len({p.ssrc for p in packets}) == 1
        assert all(seq_delta(q.sequence, p.sequence) == 1 for p, q in itertools.pairwise(packets))
        assert all(
            (q.timestamp - p.timestamp) & 0xFFFFFFFF == 160 for p, q in itertools.pairwise(packets)
        )


async def test_a_muted_party_is_not_heard_but_hears_everyone(env: Env) -> None:
    engine, clock, parties = env
    a, b, c = parties
    room = engine.mixing_room()
    members = [room.join(p.leg) for p in parties]
    members[2].muted = True
    await talk(engine, clock, parties, 60)
    for party in parties:
        await party.phone.wait_for(60)
    assert level(a.heard(5), c.freq) < level(a.heard(5), b.freq) / 50
    assert level(b.heard(5), c.freq) < level(b.heard(5), a.freq) / 50
    assert_hears(c, c.heard(5), [a.freq, b.freq])


async def test_listen_and_whisper_rules_on_the_wire(env: Env) -> None:
    engine, clock, parties = env
    caller, agent, supervisor = parties
    room = engine.mixing_room()
    room.join(caller.leg)
    agent_member = room.join(agent.leg)
    coach = room.join(supervisor.leg)
    coach.hear_only_by([agent_member])  # whisper
    await talk(engine, clock, parties, 60)
    for party in parties:
        await party.phone.wait_for(60)
    assert level(caller.heard(5), supervisor.freq) < level(caller.heard(5), agent.freq) / 50
    assert_hears(agent, agent.heard(5), [caller.freq, supervisor.freq])
    assert_hears(supervisor, supervisor.heard(5), [caller.freq, agent.freq])


async def test_leaving_hands_the_stream_back_to_the_relay_without_a_break(env: Env) -> None:
    engine, clock, parties = env
    a, b, c = parties
    engine.bridge(a.leg, b.leg)
    for _ in range(3):  # relayed: B -> A
        b.send_frame(tone((b.freq,), 20))
    await a.phone.wait_for(3)
    room = engine.mixing_room()
    member = room.join(a.leg)  # takes A out of the bridge
    assert not engine.bridges
    room.join(c.leg)
    await talk(engine, clock, parties, 20, talkers=[c])
    await a.phone.wait_for(23)
    member.leave()
    assert a.leg.source is None
    engine.bridge(a.leg, b.leg)
    for _ in range(3):
        b.send_frame(tone((b.freq,), 20))
    packets = await a.phone.wait_for(26)
    assert len({p.ssrc for p in packets}) == 1  # one stream toward A across relay/room/relay
    assert all(seq_delta(q.sequence, p.sequence) == 1 for p, q in itertools.pairwise(packets))
    assert sum(p.marker for p in packets) >= 2  # a marker at each source switch (RFC 3551 §4.1)
    assert level(from_pcm(b"".join(PCMU.decode(p.payload) for p in packets[8:23])), c.freq) > 300


async def test_silence_is_sent_to_a_lone_member_and_released_legs_leave(env: Env) -> None:
    engine, clock, parties = env
    a, b, _c = parties
    room = engine.mixing_room()
    room.join(a.leg)
    room.join(b.leg)
    await talk(engine, clock, parties, 10, talkers=[a])
    got = await a.phone.wait_for(10)
    assert all(p.payload == PCMU.encode(bytes(320)) for p in got)  # alone with itself: silence
    engine.release(b.leg)
    assert [m.leg for m in room.members] == [a.leg]
    manual_ticks(engine, clock, 5)
    await a.phone.wait_for(15)
    room.close()
    assert not engine.rooms
    assert a.leg.source is None
    ticks_before = engine.ticker.listener_count
    manual_ticks(engine, clock, 1)
    assert engine.ticker.listener_count == ticks_before


async def test_channels_join_and_leave_and_a_prompt_to_one_member(env: Env) -> None:
    engine, clock, parties = env
    a, b, _c = parties
    room = engine.mixing_room()
    chan_a = Channel(engine, a.leg)
    chan_b = Channel(engine, b.leg)
    member = await chan_a.join(room, muted=True)
    await chan_b.join(room)
    assert chan_a.member is member
    assert member.muted
    prompt = asyncio.create_task(chan_a.play(beep(1000.0, 100)))  # 5 frames to A alone
    await asyncio.sleep(0)
    assert a.leg.source is not member
    manual_ticks(engine, clock, 6)
    await asyncio.wait_for(prompt, 5)
    await talk(engine, clock, parties, 10, talkers=[b])
    assert a.leg.source is member  # taken back after the prompt, still in the room
    assert member.reclaimed == 1
    await a.phone.wait_for(15)
    await chan_a.leave()
    assert chan_a.member is None
    assert [m.leg for m in room.members] == [b.leg]
    await chan_b.hangup()
    assert not room.members


async def test_room_sources_and_recording_of_the_mix(env: Env, tmp_path: Path) -> None:
    engine, clock, parties = env
    room = engine.mixing_room()
    for party in parties[:2]:
        room.join(party.leg)
    recording = room.record(tmp_path / "mix.wav", max_seconds=1.2)
    source = room.play(beep(1200.0, 2000))  # an announcement heard by every member
    await talk(engine, clock, parties, 60, talkers=parties[:2])
    assert recording.duration == pytest.approx(1.2)
    source.stop()
    with wave.open(str(tmp_path / "mix.wav"), "rb") as wav:
        mixed = from_pcm(wav.readframes(wav.getnframes()))
    assert all(level(mixed[400:], f) > 300 for f in TONES)
    for party in parties[:2]:
        await party.phone.wait_for(60)
        other = next(p for p in parties[:2] if p is not party)
        assert_hears(party, party.heard(5), [other.freq, 1200.0])


def test_playout_buffer_orders_delays_and_counts() -> None:
    buffer = PlayoutBuffer(playout_frames=2, max_queue=3)
    assert buffer.pop() is None  # nothing yet
    buffer.push(160, b"b")
    buffer.push(0, b"a")  # reordered on the way: played in timestamp order
    assert [buffer.pop(), buffer.pop()] == [b"a", b"b"]
    assert buffer.pop() is None  # a late packet: one silent tick inside the talkspurt
    buffer.push(320, b"c")
    assert buffer.pop() == b"c"  # still primed: played at once, no second silent tick
    assert buffer.underruns == 1
    buffer.push(160, b"old")  # its slot was played already
    assert buffer.late == 1
    for n in range(4, 8):
        buffer.push(160 * n, bytes([n]))
    assert buffer.overflow == 1  # a faster sender: the oldest frame goes
    assert buffer.pop() == bytes([5])
    for _ in range(12):  # the talkspurt ends: after 200 ms the next one is delayed again
        buffer.pop()
    assert buffer.underruns == 1  # the end of a talkspurt is no underrun
    buffer.push(160 * 100, b"x")
    assert buffer.pop() is None
    buffer.push(160 * 101, b"y")
    assert buffer.pop() == b"x"


async def test_one_talker_heard_alone_is_exactly_its_frame_in_each_law(env: Env) -> None:
    """A listener hearing one voice gets encode(decode(payload)) in its own law, byte for
    byte (the room passes it through a 256-entry table instead of encoding); a gain other
    than 1 is still scaled and encoded."""
    engine, clock, parties = env
    talker, alaw_listener, ulaw_listener = parties  # µ-law talker
    room = engine.mixing_room()
    for party in parties:
        room.join(party.leg)
    await talk(engine, clock, parties, 12, talkers=[talker])
    sent = [
        talker.codec.encode(
            to_pcm(tone((talker.freq,), 20, phase=2 * np.pi * talker.freq * n * 20 / 1000))
        )
        for n in range(12)
    ]

    def voiced(party: Party) -> list[bytes]:
        silence = party.codec.encode(bytes(320))
        return [p.payload for p in party.phone.packets() if p.payload != silence]

    for listener in (alaw_listener, ulaw_listener):
        await listener.phone.wait_for(12)
        expected = [listener.codec.encode(talker.codec.decode(x)) for x in sent]
        heard = voiced(listener)
        assert len(heard) >= 9  # 12 ticks minus the 40 ms playout delay
        assert heard == expected[: len(heard)]
    assert voiced(talker) == []  # never itself
    room.member(talker.leg).gain = 0.5  # type: ignore[union-attr]
    before = len(alaw_listener.phone.packets())
    await talk(engine, clock, parties, 3, talkers=[talker])
    await alaw_listener.phone.wait_for(before + 3)
    halved = [
        PCMA.encode(to_pcm(np.round(from_pcm(PCMU.decode(sent[n % 12])) * 0.5).astype(np.int16)))
        for n in range(12)
    ]
    assert set(voiced(alaw_listener)[-2:]) <= set(halved)


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_a_mix_is_encoded_to_the_codec_bytes_for_every_sample(codec: Codec) -> None:
    from array import array

    from centrex.media.room import _encode, _pcm

    every = array("h", range(-32768, 32768))
    assert _encode(codec, every, None) == codec.encode(_pcm(every))
    for source in (PCMU, PCMA):  # a lone talker passed on: encode(decode()) per byte
        payload = bytes(range(256))
        expected = codec.encode(source.decode(payload))
        assert _encode(codec, array("h"), (source, payload)) == expected
