"""Recorder: writes what a leg receives to a WAV file, one 20 ms frame per media tick.

Why on the ticker: the file must have the call's real duration even when packets are lost or
the party sends nothing (a muted phone, silence suppression with RFC 3551 comfort noise): each
tick writes exactly one frame, the next received one or silence. Packets are decoded in the
leg's tap (`centrex.media.codecs`, G.711 tables) into a short buffer ordered by RTP timestamp
(RFC 3550 §5.1, in the units of the leg's RTP clock: 960 per frame on Opus, whose 8 kHz face
still decodes 160 samples), so packets reordered by the network are written in send order; a
packet whose slot was already written is dropped (`late`). Writing starts `playout_frames`
frames after the first packet of a stream (a fixed 40 ms playout delay by default): without
it, a packet that arrives a millisecond after its tick leaves a 20 ms hole of silence in the
file and shifts the rest (bench/apps/apps_bench.py measured about one such gap per 1 000
frames on a loaded machine). A sender whose clock runs faster than ours fills the buffer, and
frames beyond `max_queue` are dropped (`overflow`) so the recording neither drifts nor grows a
backlog. This is a minimal jitter buffer: no loss concealment.

Output is 8 kHz mono pcm16 WAV (`centrex.media.audio` conventions); frames are written to the
open file once per second so a crash loses at most a second and memory stays O(1).
"""

from __future__ import annotations

import asyncio
import bisect
import wave
from pathlib import Path

from centrex.media.codecs import Codec
from centrex.media.pcm import FRAME_BYTES, SAMPLE_RATE
from centrex.media.rtp import RtpParseError, payload_offset, ts_delta
from centrex.media.session import MediaLeg
from centrex.media.ticker import Ticker

__all__ = ["Recorder"]

_FLUSH_TICKS = 50
_SILENCE = bytes(FRAME_BYTES)


class Recorder:
    """Records one leg's incoming audio until `stop` or `max_seconds`."""

    def __init__(
        self,
        leg: MediaLeg,
        ticker: Ticker,
        path: str | Path,
        codecs: dict[int, Codec],
        *,
        max_seconds: float | None = None,
        max_queue: int = 5,
        playout_frames: int = 2,
    ) -> None:
        """`codecs` maps the payload types the leg negotiated to codecs for decoding."""
        self.leg = leg
        self.ticker = ticker
        self.path = Path(path)
        self._codecs = codecs
        self._max_ticks = round(max_seconds * 50) if max_seconds is not None else None
        self._max_queue = max_queue
        # (timestamp offset from the anchor, pcm16), kept sorted: a 5-frame reorder buffer.
        self._queue: list[tuple[int, bytes]] = []
        self._anchor: int | None = None
        self._written: int | None = None
        self.late = 0
        self._playout = max(1, min(playout_frames, max_queue))
        self._primed = False
        self._pending: list[bytes] = []
        self._wav: wave.Wave_write | None = None
        self._key: int | None = None
        self.frames = 0
        self.overflow = 0
        self.done = asyncio.Event()

    @property
    def duration(self) -> float:
        """Seconds written so far (frames x 20 ms)."""
        return self.frames * FRAME_BYTES / 2 / SAMPLE_RATE

    def start(self) -> Recorder:
        wav = wave.open(str(self.path), "wb")  # noqa: SIM115 - closed in stop()
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        self._wav = wav
        self.leg.taps.append(self._tap)
        self._key = self.ticker.add(self._on_tick)
        return self

    def _tap(self, data: bytes, pt: int, ts: int) -> None:
        codec = self._codecs.get(pt)
        if codec is None:
            return  # telephone-event, comfort noise: not audio to write
        try:
            start = payload_offset(data)
        except RtpParseError:
            return
        # Keys are timestamp units of the leg's RTP clock: 48 kHz on Opus (RFC 7587 §4.1).
        if self._anchor is None or abs(ts_delta(ts, self._anchor)) > codec.clock_rate * 60:
            # First packet, or a new timestamp base (re-INVITE, new SSRC): order from here.
            self._anchor = ts
            self._written = None
            self._primed = False
        key = ts_delta(ts, self._anchor)
        if self._written is not None and key <= self._written:
            self.late += 1  # its slot was already written (as silence or a later frame)
            return
        bisect.insort(self._queue, (key, codec.decode(data[start:])))
        if len(self._queue) > self._max_queue:
            self._queue.pop(0)
            self.overflow += 1

    def _on_tick(self, now: float) -> None:
        if self.leg.closed:  # the call ended under us: finish the file
            self.stop()
            return
        frame = _SILENCE
        if self._queue and (self._primed or len(self._queue) >= self._playout):
            self._primed = True
            self._written, frame = self._queue.pop(0)
        if len(frame) != FRAME_BYTES:
            frame = frame[:FRAME_BYTES].ljust(FRAME_BYTES, b"\0")
        self._pending.append(frame)
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
        if self._key is not None:
            self.ticker.remove(self._key)
            self._key = None
        if self._tap in self.leg.taps:
            self.leg.taps.remove(self._tap)
        self._flush()
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        self.done.set()

    async def wait(self) -> None:
        await self.done.wait()
