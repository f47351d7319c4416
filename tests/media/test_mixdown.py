"""Mixdown of party recordings into one WAV: sample-wise sum, clipped, as long as the longest."""

from __future__ import annotations

from pathlib import Path

from centrex.media.audio import read_wav, write_wav
from centrex.media.mixdown import mix_pcm, mix_wav_files
from centrex.media.pcm import from_samples, to_samples
from centrex.media.player import frame_source


def test_sum_clips_and_pads() -> None:
    a = from_samples([1000, 30000, -30000, 5])
    b = from_samples([-1000, 30000, -30000])
    assert list(to_samples(mix_pcm([a, b]))) == [0, 32767, -32768, 5]
    assert mix_pcm([]) == b""
    assert mix_pcm([a]) == a


def test_files_are_mixed_in_chunks(tmp_path: Path) -> None:
    first = [(i % 200) - 100 for i in range(20000)]  # longer than one 8000-sample chunk
    second = [7] * 12000
    write_wav(tmp_path / "a.wav", from_samples(first))
    write_wav(tmp_path / "b.wav", from_samples(second))
    mix_wav_files([tmp_path / "a.wav", tmp_path / "b.wav"], tmp_path / "mixed.wav")
    mixed = list(to_samples(read_wav(tmp_path / "mixed.wav")))
    assert mixed == [x + (7 if i < 12000 else 0) for i, x in enumerate(first)]


def test_looped_source_starts_again() -> None:
    pcm = from_samples(range(320))  # two frames
    looped = frame_source(pcm, loop=True, max_seconds=0.1)  # five frames
    frames = list(looped)
    assert len(frames) == 5
    assert frames[0] == frames[2] == frames[4] != frames[1]
    assert list(frame_source(pcm)) == frames[:2]
