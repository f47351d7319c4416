"""Mixdown: several telephone WAVs of one call summed into one (a "mixed" call recording).

Why after the call and not live: the recorder of each leg already writes one frame per media
tick from the same tick on (`recorder.py`), so the party files are sample-aligned and a mixed
recording is their sample-wise sum, clipped to 16 bits. Doing it once at the end keeps the
media tick free of extra work (DESIGN.md habit 11). `mix_pcm` is pure; `mix_wav_files` streams
one second at a time so a long call never sits in memory (run it in a worker thread).
"""

from __future__ import annotations

import wave
from collections.abc import Sequence
from pathlib import Path

from centrex.media.pcm import SAMPLE_RATE, from_samples, to_samples

__all__ = ["mix_pcm", "mix_wav_files"]

_CHUNK_FRAMES = SAMPLE_RATE  # one second per read


def mix_pcm(tracks: Sequence[bytes]) -> bytes:
    """Sample-wise sum of pcm16 tracks, clipped to [-32768, 32767]; a shorter track counts as
    silence after its end, so the result is as long as the longest track."""
    arrays = [to_samples(t) for t in tracks]
    if not arrays:
        return b""
    length = max(len(a) for a in arrays)
    total = [0] * length
    for samples in arrays:
        for i, value in enumerate(samples):
            total[i] += value
    return from_samples(total)


def mix_wav_files(inputs: Sequence[Path], output: Path) -> None:
    """Mix 8 kHz mono pcm16 WAVs (as the recorder writes them) into `output`."""
    sources = [wave.open(str(path), "rb") for path in inputs]  # noqa: SIM115 - closed below
    try:
        for source in sources:
            if (source.getnchannels(), source.getsampwidth()) != (1, 2):
                raise ValueError(f"{source} is not a mono 16-bit WAV")
        with wave.open(str(output), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sources[0].getframerate() if sources else SAMPLE_RATE)
            while True:
                chunks = [s.readframes(_CHUNK_FRAMES) for s in sources]
                if not any(chunks):
                    break
                out.writeframes(mix_pcm(chunks))
    finally:
        for source in sources:
            source.close()
