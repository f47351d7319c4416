"""Linear PCM conventions shared by the whole media engine (pure; no I/O).

Audio inside Centrex is signed 16-bit little-endian linear PCM ("pcm16"), mono, 8000 Hz unless
a codec says otherwise, cut into 20 ms frames of 160 samples (RFC 3551 §4.5 default packetization
for G.711). Little-endian is the WAV convention, so a frame can go to a file without a swap.

Levels are given in dBm0 (ITU-T G.711 / O.41): a sine at 0 dBm0 has a peak 3.17 dB below the
full scale of the codec, which is mapped onto the 16-bit range here.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable

__all__ = [
    "DBM0_AMPLITUDE",
    "FRAME_BYTES",
    "FRAME_MS",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "amplitude_for_dbm0",
    "from_samples",
    "rms",
    "to_samples",
]

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 160
FRAME_BYTES = FRAME_SAMPLES * 2  # 320
# Peak amplitude of a 0 dBm0 sine: G.711 overload point is +3.17 dBm0 (full scale 32767).
DBM0_AMPLITUDE = 32767 * 10 ** (-3.17 / 20)

_BIG_ENDIAN = sys.byteorder == "big"


def amplitude_for_dbm0(level_dbm0: float) -> float:
    """Peak amplitude (16-bit scale) of a sine at `level_dbm0`."""
    return DBM0_AMPLITUDE * 10 ** (level_dbm0 / 20)


def to_samples(pcm: bytes | bytearray | memoryview) -> array[int]:
    """pcm16 little-endian bytes -> array of signed ints. O(n), one copy.

    A trailing odd byte is ignored (a half sample is no sample).
    """
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) & ~1])
    if _BIG_ENDIAN:
        samples.byteswap()
    return samples


def from_samples(samples: Iterable[int]) -> bytes:
    """Signed ints (clipped to 16 bits) -> pcm16 little-endian bytes. O(n)."""
    out = array("h", (max(-32768, min(32767, int(s))) for s in samples))
    if _BIG_ENDIAN:
        out.byteswap()
    return out.tobytes()


def rms(pcm: bytes | bytearray | memoryview) -> float:
    """Root-mean-square level of a pcm16 frame (0.0 for an empty frame). O(n)."""
    samples = to_samples(pcm)
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))
