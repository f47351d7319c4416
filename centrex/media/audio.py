"""Audio file and frame helpers for the player, the recorder and tests (pure; stdlib `wave`).

Why: prompts come from people and tools as WAV files of any common rate and channel count,
while the media engine wants 8 kHz mono pcm16 cut into 20 ms frames (see `centrex.media.pcm`).
`read_wav` converts on load (stereo is averaged to mono, an integer rate ratio is resampled with
a windowed-sinc low-pass), `write_wav` stores what the recorder captured. Loading is O(n x taps)
in pure Python: fine for prompts loaded once, not for the per-packet path.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Iterator
from operator import mul
from pathlib import Path

from centrex.media.pcm import FRAME_SAMPLES, SAMPLE_RATE, from_samples, rms, to_samples

__all__ = [
    "AudioFormatError",
    "frames",
    "read_wav",
    "resample",
    "rms",
    "to_mono",
    "write_wav",
]

_TAPS_PER_SIDE = 16  # windowed-sinc half-length, in zero crossings of the low-pass


class AudioFormatError(ValueError):
    """A WAV file Centrex cannot turn into 8 kHz mono pcm16 (not 16-bit, odd rate ratio...)."""


def to_mono(pcm: bytes, channels: int) -> bytes:
    """Average interleaved pcm16 channels into one. O(n)."""
    if channels == 1:
        return pcm
    samples = to_samples(pcm)
    usable = len(samples) - len(samples) % channels
    return from_samples(
        sum(samples[i : i + channels]) // channels for i in range(0, usable, channels)
    )


def _lowpass(cutoff: float, half: int) -> list[float]:
    """Hann-windowed sinc low-pass, `cutoff` as a fraction of the sample rate (0..0.5)."""
    taps = []
    for n in range(-half, half + 1):
        x = 2.0 * cutoff * n
        sinc = 1.0 if n == 0 else math.sin(math.pi * x) / (math.pi * x)
        window = 0.5 + 0.5 * math.cos(math.pi * n / (half + 1))
        taps.append(2.0 * cutoff * sinc * window)
    return taps


def _fir(samples: list[float], taps: list[float], step: int = 1) -> list[float]:
    """Convolve, keeping every `step`-th output (decimation computes only what it keeps)."""
    half = len(taps) // 2
    width = len(taps)
    padded = [0.0] * half + samples + [0.0] * half
    return [sum(map(mul, taps, padded[i : i + width])) for i in range(0, len(samples), step)]


def resample(pcm: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample pcm16 by an integer ratio (e.g. 16000 -> 8000 or 8000 -> 48000).

    Down: low-pass at the new Nyquist frequency, then keep every k-th sample. Up: insert k-1
    zeros per sample, then low-pass and scale by k. Both use a windowed sinc of about
    2 x 16 x k taps, enough to keep telephone-band speech clean (no aliasing of a 3.4 kHz tone
    above -30 dB). Raises `AudioFormatError` when neither rate divides the other.
    """
    if from_rate == to_rate:
        return pcm
    if from_rate <= 0 or to_rate <= 0:
        raise AudioFormatError("sample rates must be positive")
    samples = [float(s) for s in to_samples(pcm)]
    if from_rate % to_rate == 0:
        k = from_rate // to_rate
        filtered = _fir(samples, _lowpass(0.5 / k, _TAPS_PER_SIDE * k), step=k)
        return from_samples(round(x) for x in filtered)
    if to_rate % from_rate == 0:
        k = to_rate // from_rate
        stuffed = [0.0] * (len(samples) * k)
        stuffed[::k] = samples
        filtered = _fir(stuffed, _lowpass(0.5 / k, _TAPS_PER_SIDE * k))
        return from_samples(round(x * k) for x in filtered)
    raise AudioFormatError(f"cannot resample {from_rate} Hz to {to_rate} Hz by an integer ratio")


def read_wav(path: str | Path, rate: int = SAMPLE_RATE) -> bytes:
    """Read a 16-bit PCM WAV file as mono pcm16 at `rate` (default 8 kHz)."""
    try:
        with wave.open(str(path), "rb") as wav:
            width = wav.getsampwidth()
            channels = wav.getnchannels()
            source_rate = wav.getframerate()
            data = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioFormatError(f"not a PCM WAV file: {exc}") from exc
    if width != 2:
        raise AudioFormatError(f"WAV sample width is {8 * width} bits, 16 needed")
    return resample(to_mono(data, channels), source_rate, rate)


def write_wav(path: str | Path, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    """Write mono pcm16 as a WAV file (the recorder's format)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def frames(pcm: bytes, samples: int = FRAME_SAMPLES, *, pad: bool = True) -> Iterator[bytes]:
    """Split pcm16 into frames of `samples` (20 ms by default). O(n).

    The last partial frame is padded with silence when `pad` is true, dropped otherwise: the
    ticker always sends whole frames.
    """
    size = 2 * samples
    if size <= 0:
        raise ValueError("frame size must be positive")
    for start in range(0, len(pcm), size):
        chunk = pcm[start : start + size]
        if len(chunk) < size:
            if not pad:
                return
            chunk += bytes(size - len(chunk))
        yield chunk
