"""MixingRoom: N media legs mixed on the one media ticker (conference, three-way, monitoring).

Theory of operation
-------------------
A room is the engine-side glue around the pure mixing step (`mixer.mix_step`):

* **Input.** Joining a leg puts a tap on it (`MediaLeg.taps`, like the recorder): each RTP
  packet of an audio payload type the leg negotiated goes with its codec (G.711 µ-law or
  A-law, any mix in one room) into a small per-member `PlayoutBuffer` ordered by RTP timestamp
  (RFC 3550 §5.1), and is decoded when it is played out, only if somebody hears it. Playout
  starts `playout_frames` frames (40 ms) after the first packet of a talkspurt, so a packet
  arriving a millisecond after its tick is not a 20 ms hole (a packet later than that is an
  `underrun`: one silent frame, no loss concealment yet); a sender
  faster than our clock overflows `max_queue` and the oldest frame goes (`overflow`), so the
  delay stays bounded. RFC 4733 events and comfort noise are not audio and never enter the mix
  (digit listeners on the leg still see them).
* **Mix.** On every tick the room takes one frame per member (or none: no packet) and asks
  `mix_step` what each member hears; with `drop_quiet` (default) a frame within [-256, 255]
  (below -42 dBFS) is no talker, which is how an idle phone that keeps sending G.711 silence
  costs nearly nothing.
* **Output.** Joining takes over the leg's outgoing stream, as a player does
  (`MediaLeg.attach_source`): our packets go through the leg's `OutStream`, so the party sees
  one SSRC with continuous sequence numbers and timestamps (stepped in the leg's RTP clock,
  960 per tick on Opus) before, during and after the room (RFC 7667 §3.2.1.1), and leaving
  hands the stream back (`detach_source`). Each distinct mix is encoded once per codec per
  tick (the mixer shares mix objects between members that hear the same thing; a stateful
  codec such as Opus encodes per member, its encoder predicting from its own last frame);
  silence is a cached payload per stateless codec. A mix that *is* one talker's frame (one
  voice heard at gain 1: every listener of a lone speaker, each of two talkers) is not encoded
  at all: its packet goes through a 256-entry table, encode(decode(byte)) from the talker's
  law to the listener's, one `bytes.translate`, the same bytes as decode + encode. Every
  member gets a packet every tick, silence included: phones and carriers treat an RTP stream
  that stops as a dead call.
* **Prompts to one member.** `MediaEngine.play` on a member's leg (a "you are muted" prompt)
  takes the stream for the prompt's length; when the player stops and the stream is free
  again, the member takes it back on the next tick, still in the room throughout.
* **Room sources and recording.** `play` mixes an audio source into the room (entry and exit
  tones, announcements) as a participant without a leg; `record` writes what a silent
  listener would hear (every talker heard by all) to a WAV file, one frame per tick.

Cost per tick: one dict lookup and a buffer pop per member, a decode and two C-level passes for
the silence test per member with a frame, the mix (`mixer.py`: O(N + k * frame)), one encode
(or translate) per distinct mix and codec, one header pack and one `sendto` per member. An empty
room leaves the ticker. Measured in docs/performance.md, "Conference mixer".
"""

from __future__ import annotations

import sys
import wave
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from centrex.media.codecs import Codec, CodecRegistry, StatefulCodec, rtp_step
from centrex.media.codecs.g711 import G711Codec
from centrex.media.mixer import Voice, mix_step
from centrex.media.pcm import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, to_samples
from centrex.media.player import AudioSource, frame_source
from centrex.media.playout import PlayoutBuffer
from centrex.media.rtp import RtpParseError, pack_header, payload_offset
from centrex.media.session import MediaLeg
from centrex.media.ticker import Ticker

__all__ = ["MixingRoom", "PlayoutBuffer", "RoomMember", "RoomRecording", "RoomSource"]

_BIG_ENDIAN = sys.byteorder == "big"
_FLUSH_TICKS = 50
_Packets = dict[int, tuple[G711Codec, bytes]]  # id() of a frame -> the packet it came from


def _pad(pcm: bytes) -> bytes:
    """Exactly one frame of pcm16: cut, or padded with silence."""
    return pcm[:FRAME_BYTES].ljust(FRAME_BYTES, b"\0")


@lru_cache(maxsize=16)
def _translation(source: G711Codec, target: G711Codec) -> bytes:
    """256-entry table: a `source` byte -> `target`.encode(`source`.decode(byte))."""
    return target.encode(source.decode(bytes(range(256))))


@lru_cache(maxsize=8)
def _codes(codec: G711Codec) -> list[int]:
    """The code of every sample, indexed by the sample read as a native uint16 (made with
    `codec.encode`): a list is read ~25 % quicker per sample than the codec's bytes table."""
    return list(codec.encode(array("H", range(65536)).tobytes()))


def _encode(codec: Codec, mix: array[int], packet: tuple[G711Codec, bytes] | None) -> bytes:
    """`codec.encode(mix)`, the same bytes. G.711: a mix that is one talker's frame as it came
    (`packet`: one voice heard, gain 1) is that payload through `_translation`, one translate;
    any other mix goes through `_codes`, one lookup a sample."""
    if not isinstance(codec, G711Codec):
        return codec.encode(_pcm(mix))
    if packet is not None:
        return packet[1].translate(_translation(packet[0], codec))
    return bytes(map(_codes(codec).__getitem__, memoryview(_pcm(mix)).cast("H").tolist()))


def _pcm(samples: array[int]) -> bytes:
    """int16 array -> pcm16 little-endian bytes (the codecs' input), one C-level copy."""
    if _BIG_ENDIAN:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


class RoomMember:
    """One leg in a room. Settings (`muted`, `deaf`, `gain`, `hear_only_by`) apply next tick."""

    def __init__(
        self,
        room: MixingRoom,
        leg: MediaLeg,
        *,
        ssrc: int,
        initial_seq: int,
        initial_ts: int,
        playout_frames: int,
        max_queue: int,
    ) -> None:
        self.room = room
        self.leg = leg
        self.key = leg.leg_id
        self.buffer: PlayoutBuffer[tuple[Codec, bytes]] = PlayoutBuffer(playout_frames, max_queue)
        self.ssrc = ssrc
        self.seq = initial_seq
        self.timestamp = initial_ts
        self.packets = 0
        self.sent = 0
        self.reclaimed = 0
        self.codec: Codec
        self.step: int  # timestamp units per tick: 960 on an Opus leg (RFC 7587 §4.1)
        self.payload_type = 0
        self._decoders: dict[int, Codec] = {}
        self._remote: object = None
        self.refresh()

    def refresh(self) -> None:
        """Re-read the leg's negotiated codecs (a re-INVITE may have changed them)."""
        self.codec, self.payload_type = self.room._codec_for(self.leg)
        self.step = rtp_step(self.codec, FRAME_SAMPLES)
        self.buffer.reanchor = self.codec.clock_rate * 60
        decoders: dict[int, Codec] = {}
        if self.leg.remote is not None:
            for rtpmap in self.leg.remote.codecs:
                codec = self.room.codecs.get(rtpmap.encoding)
                if codec is not None:
                    decoders[rtpmap.payload_type] = codec
        self._decoders = decoders
        self._remote = self.leg.remote

    # --- what the room hears of it and what it hears ----------------------------------------

    @property
    def voice(self) -> Voice:
        return self.room._voices[self.key]

    def _set(self, **changes: object) -> None:
        old = self.voice
        values: dict[str, object] = {
            "gain": old.gain,
            "muted": old.muted,
            "deaf": old.deaf,
            "heard_by": old.heard_by,
        }
        values.update(changes)
        self.room._voices[self.key] = Voice(**values)  # type: ignore[arg-type]

    @property
    def muted(self) -> bool:
        """Heard by nobody (still hears the room)."""
        return self.voice.muted

    @muted.setter
    def muted(self, value: bool) -> None:
        self._set(muted=value)

    @property
    def deaf(self) -> bool:
        """Hears nothing (silence is sent); may still be heard."""
        return self.voice.deaf

    @deaf.setter
    def deaf(self, value: bool) -> None:
        self._set(deaf=value)

    @property
    def gain(self) -> float:
        """Scale of this member's voice for everybody (0..16, 1.0 unchanged)."""
        return self.voice.gain

    @gain.setter
    def gain(self, value: float) -> None:
        self._set(gain=value)

    def hear_only_by(self, members: Iterable[RoomMember] | None) -> None:
        """Restrict who hears this member: None for everyone (barge), [] for nobody (listen),
        [agent] for one member (whisper)."""
        heard = None if members is None else frozenset(m.key for m in members)
        self._set(heard_by=heard)

    def leave(self) -> None:
        """Leave the room and hand the outgoing stream back (safe to call twice)."""
        self.room.leave(self)

    # --- per packet and per tick ------------------------------------------------------------

    def _tap(self, data: bytes, pt: int, ts: int) -> None:
        codec = self._decoders.get(pt)
        if codec is None:
            return  # telephone-event, comfort noise: not audio to mix
        try:
            start = payload_offset(data)
        except RtpParseError:
            return
        self.buffer.push(ts, (codec, data[start:]))  # decoded at playout, if anybody hears it

    def _send(self, payload: bytes, now: float) -> None:
        leg = self.leg
        packet = bytearray(
            pack_header(self.payload_type, self.seq, self.timestamp, self.ssrc, self.packets == 0)
        )
        packet += payload
        if leg.source is None and not leg.closed:
            leg.attach_source(self)  # a prompt to this member ended: take the stream back
            self.reclaimed += 1
        if leg.send_generated(packet, now, self):
            self.sent += 1
        self.packets += 1
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + self.step) & 0xFFFFFFFF


class RoomSource:
    """Audio mixed into the room without a leg (tones, announcements); `stop()` ends it."""

    def __init__(self, room: MixingRoom, key: Hashable, frames: Iterator[bytes]) -> None:
        self.room = room
        self.key = key
        self._frames = frames
        self.playing = True

    def next_frame(self) -> array[int] | None:
        frame = next(self._frames, None)
        if frame is None:
            self.stop()
            return None
        return to_samples(_pad(frame))

    def stop(self) -> None:
        if self.playing:
            self.playing = False
            self.room._drop_virtual(self.key)


class RoomRecording:
    """The room's mix (every talker heard by all) written to a WAV file, one frame per tick."""

    def __init__(self, room: MixingRoom, key: Hashable, path: Path, max_ticks: int | None):
        self.room = room
        self.key = key
        self.path = path
        self.frames = 0
        self._max_ticks = max_ticks
        self._pending: list[bytes] = []
        wav = wave.open(str(path), "wb")  # noqa: SIM115 - closed in stop()
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        self._wav: wave.Wave_write | None = wav

    @property
    def duration(self) -> float:
        return self.frames * FRAME_SAMPLES / SAMPLE_RATE

    def write(self, mix: array[int] | None) -> None:
        self._pending.append(_pcm(mix) if mix is not None else bytes(FRAME_BYTES))
        self.frames += 1
        if len(self._pending) >= _FLUSH_TICKS:
            self._flush()
        if self._max_ticks is not None and self.frames >= self._max_ticks:
            self.stop()

    def _flush(self) -> None:
        if self._wav is not None and self._pending:
            self._wav.writeframes(b"".join(self._pending))
        self._pending.clear()

    def stop(self) -> None:
        """Finish the file (safe to call twice)."""
        self._flush()
        if self._wav is not None:
            self._wav.close()
            self._wav = None
            self.room._drop_virtual(self.key)


class MixingRoom:
    """Legs mixed together. Create through `MediaEngine.mixing_room`; see the module docstring."""

    def __init__(
        self,
        room_id: str,
        ticker: Ticker,
        codecs: CodecRegistry,
        *,
        codec_for: Callable[[MediaLeg], tuple[Codec, int]],
        take_leg: Callable[[MediaLeg], None],
        new_stream: Callable[[], tuple[int, int, int]],
        on_close: Callable[[MixingRoom], None] | None = None,
        drop_quiet: bool = True,
        playout_frames: int = 2,
        max_queue: int = 5,
    ) -> None:
        """`take_leg` frees a leg before it joins (unbridge, leave other rooms, stop a player);
        `new_stream` draws (ssrc, initial seq, initial ts) for a member (RFC 3550 §5.1)."""
        self.room_id = room_id
        self.ticker = ticker
        self.codecs = codecs
        self._codec_for = codec_for
        self._take_leg = take_leg
        self._new_stream = new_stream
        self._on_close = on_close
        self.drop_quiet = drop_quiet
        self.playout_frames = playout_frames
        self.max_queue = max_queue
        self._members: dict[Hashable, RoomMember] = {}
        self._voices: dict[Hashable, Voice] = {}
        self._sources: dict[Hashable, RoomSource] = {}
        self._recordings: dict[Hashable, RoomRecording] = {}
        self._silence: dict[str, bytes] = {}
        self._virtual = 0
        self._key: int | None = None
        self.ticks = 0
        self.closed = False

    # --- membership ---------------------------------------------------------------------------

    @property
    def members(self) -> tuple[RoomMember, ...]:
        return tuple(self._members.values())

    def member(self, leg: MediaLeg) -> RoomMember | None:
        return self._members.get(leg.leg_id)

    def join(
        self,
        leg: MediaLeg,
        *,
        muted: bool = False,
        deaf: bool = False,
        gain: float = 1.0,
    ) -> RoomMember:
        """Add `leg` (unbridged and taken from any other room first); mixing starts next tick.

        Raises `NoCommonCodecError` when the leg negotiated no codec Centrex can encode and
        `RuntimeError` when the room or the leg is closed. Joining twice returns the member.
        """
        if self.closed or leg.closed:
            raise RuntimeError(f"cannot join leg {leg.leg_id} to room {self.room_id}: closed")
        existing = self._members.get(leg.leg_id)
        if existing is not None:
            return existing
        voice = Voice(gain=gain, muted=muted, deaf=deaf)
        self._take_leg(leg)
        ssrc, seq, ts = self._new_stream()
        member = RoomMember(
            self,
            leg,
            ssrc=ssrc,
            initial_seq=seq,
            initial_ts=ts,
            playout_frames=self.playout_frames,
            max_queue=self.max_queue,
        )
        self._members[member.key] = member
        self._voices[member.key] = voice
        leg.taps.append(member._tap)
        leg.attach_source(member)
        self._ensure_ticking()
        return member

    def leave(self, member: RoomMember) -> None:
        """Remove a member: its tap goes, the outgoing stream returns to the leg's relay."""
        if self._members.get(member.key) is not member:
            return
        del self._members[member.key]
        del self._voices[member.key]
        for voice_key, voice in list(self._voices.items()):
            if voice.heard_by is not None and member.key in voice.heard_by:
                self._voices[voice_key] = Voice(
                    voice.gain, voice.muted, voice.deaf, voice.heard_by - {member.key}
                )
        leg = member.leg
        if member._tap in leg.taps:
            leg.taps.remove(member._tap)
        leg.detach_source(member)
        self._idle_check()

    def discard(self, leg: MediaLeg) -> None:
        """`leave` by leg, if it is a member (the engine calls it on release)."""
        member = self._members.get(leg.leg_id)
        if member is not None:
            self.leave(member)

    def close(self) -> None:
        """Every member leaves, sources and recordings stop; the room is unusable afterwards."""
        for member in list(self._members.values()):
            self.leave(member)
        for source in list(self._sources.values()):
            source.stop()
        for recording in list(self._recordings.values()):
            recording.stop()
        self.closed = True
        self._stop_ticking()
        if self._on_close is not None:
            self._on_close(self)

    # --- sources and recording ----------------------------------------------------------------

    def _virtual_key(self, kind: str) -> str:
        self._virtual += 1
        return f"{self.room_id}/{kind}-{self._virtual}"  # never a leg id: those have no '/'

    def play(
        self,
        source: AudioSource,
        *,
        max_seconds: float | None = None,
        heard_by: Iterable[RoomMember] | None = None,
    ) -> RoomSource:
        """Mix audio (pcm16, a WAV path, a tone plan, frames) into the room until it ends or
        `stop()`: entry and exit tones, announcements. `heard_by` limits who hears it."""
        key = self._virtual_key("source")
        playing = RoomSource(self, key, frame_source(source, max_seconds=max_seconds))
        heard = None if heard_by is None else frozenset(m.key for m in heard_by)
        self._sources[key] = playing
        self._voices[key] = Voice(heard_by=heard)
        self._ensure_ticking()
        return playing

    def record(self, path: str | Path, *, max_seconds: float | None = None) -> RoomRecording:
        """Write the room's mix to a WAV file (8 kHz mono pcm16) until `stop()`."""
        key = self._virtual_key("recording")
        max_ticks = round(max_seconds * 50) if max_seconds is not None else None
        recording = RoomRecording(self, key, Path(path), max_ticks)
        self._recordings[key] = recording
        self._voices[key] = Voice(muted=True)  # a listener nobody hears
        self._ensure_ticking()
        return recording

    def _drop_virtual(self, key: Hashable) -> None:
        self._sources.pop(key, None)
        self._recordings.pop(key, None)
        self._voices.pop(key, None)
        self._idle_check()

    # --- the tick -----------------------------------------------------------------------------

    def _ensure_ticking(self) -> None:
        if self._key is None and not self.closed:
            self._key = self.ticker.add(self._on_tick)

    def _stop_ticking(self) -> None:
        if self._key is not None:
            self.ticker.remove(self._key)
            self._key = None

    def _idle_check(self) -> None:
        if not self._voices:
            self._stop_ticking()  # an empty room costs nothing

    def _frames(self) -> tuple[dict[Hashable, array[int] | None], _Packets, list[RoomMember]]:
        """This tick's frame per member and source, and, by id() of a frame decoded from one
        whole G.711 packet, that packet (`_on_tick` may pass it on without encoding)."""
        frames: dict[Hashable, array[int] | None] = {}
        packets: _Packets = {}
        gone: list[RoomMember] = []
        voices = self._voices
        for key, member in self._members.items():
            if member.leg.closed:
                gone.append(member)
                continue
            if member.leg.remote is not member._remote:
                member.refresh()
            packet = member.buffer.pop()
            if packet is None or voices[key].silent:
                continue  # nobody hears it: not even decoded
            codec, payload = packet
            pcm = codec.decode(payload)
            whole = len(pcm) == FRAME_BYTES
            samples = frames[key] = to_samples(pcm if whole else _pad(pcm))
            if whole and isinstance(codec, G711Codec):
                packets[id(samples)] = (codec, payload)
        for key, source in list(self._sources.items()):
            frames[key] = source.next_frame()
        return frames, packets, gone

    def _silence_for(self, codec: Codec) -> bytes:
        if isinstance(codec, StatefulCodec):  # its own encoder (Opus predicts from the last)
            return codec.encode(bytes(FRAME_BYTES))
        payload = self._silence.get(codec.name)
        if payload is None:
            payload = self._silence[codec.name] = codec.encode(bytes(FRAME_BYTES))
        return payload

    def _on_tick(self, now: float) -> None:
        self.ticks += 1
        frames, packets, gone = self._frames()
        for member in gone:
            self.leave(member)  # released under us: the engine's release normally does this
        mixes = mix_step(self._voices, frames, drop_quiet=self.drop_quiet)
        encoded: dict[tuple[int, str | int], bytes] = {}
        for key, member in self._members.items():
            mix = mixes[key]
            codec = member.codec
            if mix is None:
                payload = self._silence_for(codec)
            else:
                # shared mixes: one encode per codec (mixer.py), per member for a stateful one
                slot = (id(mix), id(codec) if isinstance(codec, StatefulCodec) else codec.name)
                cached = encoded.get(slot)
                if cached is None:
                    cached = encoded[slot] = _encode(codec, mix, packets.get(id(mix)))
                payload = cached
            member._send(payload, now)
        for key, recording in list(self._recordings.items()):
            recording.write(mixes.get(key))
