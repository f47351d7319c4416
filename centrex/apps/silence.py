"""Silence detection on pcm16 frames (pure): when to stop a voicemail recording, what to trim.

Why RMS over 20 ms frames with a hang time: a caller who stops talking (or hangs up, leaving the
line silent) should not fill the mailbox with minutes of nothing, yet short pauses between
sentences must not cut the message. A frame is "silent" below `threshold_rms` (about -45 dBm0,
well under speech at -20...-30 dBm0 and above G.711 idle noise); the recording ends once
`silence_ms` of consecutive silent frames have passed, and the trailing silence is trimmed
(keeping a short tail so the message does not end abruptly).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from centrex.media.pcm import FRAME_BYTES, FRAME_MS, rms

DEFAULT_THRESHOLD_RMS = 150.0
DEFAULT_SILENCE_MS = 5000


@dataclass(slots=True)
class SilenceDetector:
    """Feed frames; `feed` turns True once `silence_ms` of silence follows at least one frame."""

    silence_ms: int = DEFAULT_SILENCE_MS
    threshold_rms: float = DEFAULT_THRESHOLD_RMS
    frame_ms: int = FRAME_MS
    silent_ms: int = field(default=0, init=False)
    heard_sound: bool = field(default=False, init=False)

    def feed(self, frame: bytes) -> bool:
        """True when the recording should stop because of silence."""
        if rms(frame) < self.threshold_rms:
            self.silent_ms += self.frame_ms
        else:
            self.silent_ms = 0
            self.heard_sound = True
        return self.silent_ms >= self.silence_ms


def is_silent(pcm: bytes, threshold_rms: float = DEFAULT_THRESHOLD_RMS) -> bool:
    """True when no 20 ms frame of `pcm` reaches the threshold (nothing was said)."""
    return all(rms(f) < threshold_rms for f in _frames(pcm))


def _frames(pcm: bytes) -> Iterable[bytes]:
    return (pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES))


def trailing_silent_frames(
    frames: Sequence[bytes], threshold_rms: float = DEFAULT_THRESHOLD_RMS
) -> int:
    """How many frames at the end are silent."""
    count = 0
    for frame in reversed(frames):
        if rms(frame) >= threshold_rms:
            break
        count += 1
    return count


def trim_trailing_silence(
    pcm: bytes, threshold_rms: float = DEFAULT_THRESHOLD_RMS, keep_ms: int = 300
) -> bytes:
    """`pcm` without its trailing silence, keeping `keep_ms` of it as a natural tail."""
    frames = list(_frames(pcm))
    silent = trailing_silent_frames(frames, threshold_rms)
    drop = max(0, silent - keep_ms // FRAME_MS)
    if drop == 0:
        return pcm
    return b"".join(frames[: len(frames) - drop])
