"""WAV I/O, resampling, framing and levels (pcm16 conventions)."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from centrex.media import audio, pcm
from tests.media.signals import dominant_frequency, from_pcm, to_pcm, tone


def write_raw_wav(
    path: Path, samples: np.ndarray, rate: int, channels: int = 1, width: int = 2
) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 2:
            w.writeframes(to_pcm(samples))
        else:
            w.writeframes(bytes(len(samples)))


def test_wav_round_trip(tmp_path: Path) -> None:
    data = to_pcm(tone([440.0], 500, -10))
    path = tmp_path / "a.wav"
    audio.write_wav(path, data)
    assert audio.read_wav(path) == data
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)


def test_read_16k_stereo_converts_to_8k_mono(tmp_path: Path) -> None:
    left = tone([1000.0], 500, -10, rate=16000)
    stereo = np.empty(2 * len(left))
    stereo[0::2] = left
    stereo[1::2] = left
    path = tmp_path / "s.wav"
    write_raw_wav(path, stereo, 16000, channels=2)
    out = audio.read_wav(path)
    assert len(out) == 2 * 4000
    assert dominant_frequency(out) == pytest.approx(1000, abs=5)
    x = from_pcm(out)[200:-200]  # skip filter edges
    assert np.sqrt(np.mean(x**2)) == pytest.approx(
        pcm.amplitude_for_dbm0(-10) / np.sqrt(2), rel=0.03
    )


def test_downsampling_removes_content_above_new_nyquist() -> None:
    """A 5 kHz tone at 16 kHz would alias to 3 kHz at 8 kHz; the low-pass must kill it."""
    high = to_pcm(tone([5000.0], 500, -3, rate=16000))
    out = from_pcm(audio.resample(high, 16000, 8000))[100:-100]
    assert np.sqrt(np.mean(out**2)) < pcm.amplitude_for_dbm0(-3) * 10 ** (-30 / 20)


def test_upsampling_keeps_the_tone() -> None:
    src = to_pcm(tone([1000.0], 200, -10))
    out = audio.resample(src, 8000, 16000)
    assert len(out) == 2 * len(src)
    assert dominant_frequency(out, rate=16000) == pytest.approx(1000, abs=10)
    y = from_pcm(out)[200:-200]
    assert np.sqrt(np.mean(y**2)) == pytest.approx(
        pcm.amplitude_for_dbm0(-10) / np.sqrt(2), rel=0.03
    )


def test_resample_identity_and_errors() -> None:
    data = b"\x01\x00\x02\x00"
    assert audio.resample(data, 8000, 8000) is data
    with pytest.raises(audio.AudioFormatError, match="integer ratio"):
        audio.resample(data, 44100, 8000)
    with pytest.raises(audio.AudioFormatError, match="positive"):
        audio.resample(data, 0, 8000)


def test_read_wav_rejects_other_formats(tmp_path: Path) -> None:
    eight_bit = tmp_path / "8.wav"
    write_raw_wav(eight_bit, np.zeros(100), 8000, width=1)
    with pytest.raises(audio.AudioFormatError, match="16 needed"):
        audio.read_wav(eight_bit)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnope")
    with pytest.raises(audio.AudioFormatError, match="not a PCM WAV"):
        audio.read_wav(junk)


def test_frames() -> None:
    data = bytes(range(250)) * 4  # 1000 bytes = 500 samples
    chunks = list(audio.frames(data))
    assert [len(c) for c in chunks] == [320, 320, 320, 320]
    assert b"".join(chunks)[:1000] == data
    assert chunks[-1][40:] == bytes(280)
    assert len(list(audio.frames(data, pad=False))) == 3
    assert list(audio.frames(b"")) == []
    with pytest.raises(ValueError, match="positive"):
        list(audio.frames(data, 0))


def test_rms() -> None:
    assert audio.rms(b"") == 0.0
    assert audio.rms(bytes(320)) == 0.0
    assert audio.rms(struct.pack("<4h", 100, -100, 100, -100)) == 100.0
    x = tone([1000.0], 20, -10)
    assert audio.rms(to_pcm(x)) == pytest.approx(pcm.amplitude_for_dbm0(-10) / np.sqrt(2), rel=0.01)


def test_to_mono_averages_channels() -> None:
    stereo = struct.pack("<6h", 100, 300, -50, -150, 7, 7)
    assert audio.to_mono(stereo, 2) == struct.pack("<3h", 200, -100, 7)
    assert audio.to_mono(stereo, 1) is stereo


def test_pcm_helpers() -> None:
    assert list(pcm.to_samples(b"\x01\x00\xff\xff\x05")) == [1, -1]
    assert pcm.from_samples([40000, -40000, 5]) == struct.pack("<3h", 32767, -32768, 5)
    assert pcm.FRAME_SAMPLES == 160
    assert pcm.FRAME_BYTES == 320
    # 0 dBm0 sine: peak 3.17 dB below full scale (G.711 overload point).
    assert 20 * np.log10(32767 / pcm.amplitude_for_dbm0(0)) == pytest.approx(3.17)
