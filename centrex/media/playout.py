"""PlayoutBuffer: the minimal input jitter buffer of a room member (`room.py`), one frame per tick.

Frames are kept by RTP timestamp (RFC 3550 §5.1), relative to the stream's first packet, so
reordered packets play in send order; playout starts `playout_frames` frames after the first
packet of a talkspurt; a packet whose slot was already played is `late`; a sender faster than
our clock overflows `max_queue` and the oldest frame goes. Keys are in the leg's RTP clock:
`reanchor` (a minute of it: 480 000 units at Opus's 48 kHz, RFC 7587 §4.1) is the jump that
means a new stream (a new SSRC, a re-INVITE).
"""

from __future__ import annotations

import bisect
from typing import Generic, TypeVar

from centrex.media.rtp import ts_delta

__all__ = ["PlayoutBuffer"]

_REANCHOR = 8000 * 60  # a timestamp jump of more than a minute (at 8 kHz) is a new stream
_REPRIME_TICKS = 10  # 200 ms without a packet: the talkspurt ended (silence suppression)
T = TypeVar("T")


class PlayoutBuffer(Generic[T]):
    """A minimal input jitter buffer: frames by RTP timestamp, one out per tick (see module).
    A frame is anything (the room keeps a packet's codec and payload, decoded at playout)."""

    __slots__ = (
        "_anchor",
        "_arrivals",
        "_max_queue",
        "_playout",
        "_primed",
        "_queue",
        "_written",
        "empty",
        "late",
        "overflow",
        "reanchor",
        "underruns",
    )

    def __init__(self, playout_frames: int = 2, max_queue: int = 5) -> None:
        self._max_queue = max(1, max_queue)
        self._playout = max(1, min(playout_frames, self._max_queue))
        self._queue: list[tuple[int, int, T]] = []  # (timestamp key, arrival, frame)
        self._arrivals = 0  # ties on the key never compare frames
        self._anchor: int | None = None
        self._written: int | None = None
        self._primed = False
        self.late = 0
        self.overflow = 0
        self.underruns = 0  # ticks a started stream had no frame for (late or lost packets)
        self.empty = 0  # consecutive ticks without a frame
        self.reanchor = _REANCHOR  # a minute of the leg's RTP clock (keys are in its units)

    def push(self, ts: int, frame: T) -> None:
        if self._anchor is None or abs(ts_delta(ts, self._anchor)) > self.reanchor:
            self._anchor = ts  # first packet, or a new timestamp base (new SSRC, re-INVITE)
            self._written = None
            self._primed = False
        key = ts_delta(ts, self._anchor)
        if self._written is not None and key <= self._written:
            self.late += 1  # its slot was already played (as silence or a later frame)
            return
        self._arrivals += 1
        bisect.insort(self._queue, (key, self._arrivals, frame))
        if len(self._queue) > self._max_queue:
            self._queue.pop(0)
            self.overflow += 1

    def pop(self) -> T | None:
        """This tick's frame, or None (not primed yet, or an underrun).

        A short underrun (a late or lost packet) keeps playing on as packets come: priming
        again would cost a second silent frame per late packet. After `_REPRIME_TICKS` empty
        ticks the talkspurt is over and the next one gets the playout delay again.
        """
        queue = self._queue
        if not queue:
            if self._primed:
                self.empty += 1
                if self.empty >= _REPRIME_TICKS:
                    self._primed = False
                    self.empty = 0
            return None
        if not self._primed and len(queue) < self._playout:
            return None
        self._primed = True
        self.underruns += self.empty  # silent ticks inside a talkspurt
        self.empty = 0
        self._written, _arrival, frame = queue.pop(0)
        return frame
