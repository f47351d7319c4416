"""Test signal generators (numpy is allowed in tests only)."""

from __future__ import annotations

import numpy as np

from centrex.media.pcm import amplitude_for_dbm0

RATE = 8000


def tone(
    freqs: tuple[float, ...] | list[float],
    ms: float,
    dbm0: float = -10.0,
    *,
    phase: float = 0.0,
    rate: int = RATE,
) -> np.ndarray:
    """Float samples of a sum of sines, each component at `dbm0`."""
    n = round(ms * rate / 1000)
    t = np.arange(n) / rate
    out = np.zeros(n)
    for f in freqs:
        out += amplitude_for_dbm0(dbm0) * np.sin(2 * np.pi * f * t + phase)
    return out


def silence(ms: float, rate: int = RATE) -> np.ndarray:
    return np.zeros(round(ms * rate / 1000))


def noise(ms: float, rms: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, rms, round(ms * RATE / 1000))


def to_pcm(samples: np.ndarray) -> bytes:
    """Float samples -> pcm16 little-endian bytes (clipped)."""
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def from_pcm(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def dominant_frequency(pcm: bytes, rate: int = RATE) -> float:
    """Frequency of the largest FFT bin (Hann window)."""
    x = from_pcm(pcm)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def vowel(f0: float, ms: float, peak: float = 12000.0) -> np.ndarray:
    """Speech-like harmonic signal: harmonics of f0 shaped by three formants (an /a/)."""
    n = round(ms * RATE / 1000)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for h in range(1, int(3800 / f0)):
        f = h * f0
        gain = sum(
            np.exp(-(((f - fc) / bw) ** 2) / 2) for fc, bw in ((700, 130), (1220, 70), (2600, 160))
        )
        out += (gain + 0.05) * np.sin(2 * np.pi * f * t + 0.7 * h)
    return out / np.max(np.abs(out)) * peak
