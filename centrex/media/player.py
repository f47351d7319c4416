"""Player: sends audio (frames, a WAV file, a tone plan) to a leg, one packet per media tick.

Why on the ticker: generated media must leave at 50 packets/s (RFC 3551 §4.5: 20 ms G.711
frames of 160 samples) however busy the loop is; the shared ticker (DESIGN.md §1) calls every
player once per tick with the nominal tick time, so timestamps advance by exactly one frame per
packet in the codec's RTP clock (`codecs.rtp_step`: 160 for G.711/G.722, 960 for Opus at
48 kHz, RFC 7587 §4.1), never by the 8 kHz sample count.

The player builds packets with its own SSRC and counters (RFC 3550 §5.1: random initial values
chosen by the engine) and hands them to `MediaLeg.send_generated`, which runs them through the
leg's `OutStream`: the party sees a single continuous stream when a player starts or stops
in the middle of a bridged call (music on hold, announcements). The first packet carries the
marker bit (RFC 3551 §4.1: start of a talkspurt).

Cost per tick: one G.711 encode of 160 samples (table lookups) and one `sendto`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from itertools import cycle, islice
from pathlib import Path

from centrex.media.audio import frames, read_wav
from centrex.media.codecs import Codec, rtp_step
from centrex.media.pcm import FRAME_BYTES
from centrex.media.rtp import pack_header
from centrex.media.session import MediaLeg
from centrex.media.ticker import Ticker
from centrex.media.tones import ToneGenerator, TonePlan

__all__ = ["AudioSource", "Player", "frame_source"]

AudioSource = bytes | str | Path | TonePlan | Iterable[bytes]


def _tone_frames(plan: TonePlan) -> Iterator[bytes]:
    generator = ToneGenerator(plan)
    while not generator.finished:
        yield generator.next_frame()


def frame_source(
    source: AudioSource, *, max_seconds: float | None = None, loop: bool = False
) -> Iterator[bytes]:
    """20 ms pcm16 frames from raw pcm16 bytes, a WAV path, a tone plan or an iterable of frames.

    A repeating tone plan never ends on its own: pass `max_seconds` (or stop the player).
    `loop` starts a finite source again at its end (music on hold plays until the resume); the
    frames are kept after the first pass, which for a telephone WAV is 16 kB per second.
    """
    it: Iterator[bytes]
    if isinstance(source, bytes):
        it = frames(source)
    elif isinstance(source, str | Path):
        it = frames(read_wav(source))
    elif isinstance(source, TonePlan):
        it = _tone_frames(source)
    else:
        it = iter(source)
    if loop:
        it = cycle(it)
    if max_seconds is not None:
        it = islice(it, max(0, round(max_seconds * 50)))
    return it


class Player:
    """Plays frames to one leg until they run out or `stop` is called."""

    def __init__(
        self,
        leg: MediaLeg,
        ticker: Ticker,
        source: Iterator[bytes],
        codec: Codec,
        payload_type: int,
        *,
        ssrc: int,
        initial_seq: int = 0,
        initial_ts: int = 0,
    ) -> None:
        self.leg = leg
        self.ticker = ticker
        self._source = source
        self.codec = codec
        self.payload_type = payload_type
        self.ssrc = ssrc
        self.seq = initial_seq
        self.timestamp = initial_ts
        self.packets = 0
        self.sent = 0
        self._step = rtp_step(codec, FRAME_BYTES // 2)  # every frame is padded to 20 ms
        self._key: int | None = None
        self.done = asyncio.Event()

    def start(self) -> Player:
        """Take over the leg's outgoing stream and start on the next tick."""
        self.leg.attach_source(self)
        self._key = self.ticker.add(self._on_tick)
        return self

    def _on_tick(self, now: float) -> None:
        frame = next(self._source, None)
        if frame is None or self.leg.closed:
            self.stop()
            return
        if len(frame) != FRAME_BYTES:
            frame = frame[:FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
        payload = self.codec.encode(frame)
        packet = bytearray(
            pack_header(self.payload_type, self.seq, self.timestamp, self.ssrc, self.packets == 0)
        )
        packet += payload
        if self.leg.send_generated(packet, now, self):
            self.sent += 1
        self.packets += 1
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + self._step) & 0xFFFFFFFF

    def stop(self) -> None:
        """Stop now; the relay (if bridged) takes the stream back. Safe to call twice."""
        if self._key is not None:
            self.ticker.remove(self._key)
            self._key = None
        self.leg.detach_source(self)
        self.done.set()

    @property
    def playing(self) -> bool:
        return self._key is not None

    async def wait(self) -> None:
        await self.done.wait()
