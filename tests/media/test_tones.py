"""Call-progress tones, beeps and the phase-continuous sine generator."""

from __future__ import annotations

import numpy as np
import pytest

from centrex.media import tones
from centrex.media.dtmf import InbandDtmfDetector
from centrex.media.pcm import FRAME_BYTES, amplitude_for_dbm0
from centrex.media.tones import SineGenerator, ToneGenerator, ToneKind, TonePlan, ToneSegment
from tests.media.signals import dominant_frequency, from_pcm

COUNTRIES = ["CH", "DE", "FR", "IT", "US", "GB"]


def render(gen: ToneGenerator | SineGenerator, ms: int) -> bytes:
    return b"".join(gen.next_frame() for _ in range(ms // 20))


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_country_has_every_tone(country: str) -> None:
    for kind in ToneKind:
        plan = tones.tone_plan(country.lower(), kind)
        assert plan.segments
        assert plan.repeat


@pytest.mark.parametrize(
    ("country", "kind", "cycle"),
    [
        ("CH", ToneKind.RINGBACK, 5000),
        ("DE", ToneKind.BUSY, 960),
        ("FR", ToneKind.RINGBACK, 5000),
        ("IT", ToneKind.DIAL, 2000),
        ("US", ToneKind.RINGBACK, 6000),
        ("US", ToneKind.CONGESTION, 500),
        ("CH", ToneKind.DIAL, None),
    ],
)
def test_cadence_lengths(country: str, kind: ToneKind, cycle: int | None) -> None:
    assert tones.tone_plan(country, kind).cycle_ms == cycle


def test_unknown_country() -> None:
    with pytest.raises(KeyError):
        tones.tone_plan("XX", ToneKind.DIAL)


@pytest.mark.parametrize(("country", "freq"), [("CH", 425), ("DE", 425), ("FR", 440), ("IT", 425)])
def test_dial_tone_frequency(country: str, freq: float) -> None:
    pcm = render(ToneGenerator(tones.tone_plan(country, ToneKind.DIAL)), 200)
    assert dominant_frequency(pcm) == pytest.approx(freq, abs=5)


def test_us_dial_tone_has_both_components() -> None:
    x = from_pcm(render(ToneGenerator(tones.tone_plan("US", ToneKind.DIAL)), 1000))
    spectrum = np.abs(np.fft.rfft(x))  # 1 s: 1 Hz bins
    top = sorted(np.argsort(spectrum)[-2:])
    assert list(top) == [350, 440]


def test_busy_cadence_is_sample_accurate() -> None:
    """DE busy: 480 ms on, 480 ms off (3840 samples): boundaries fall inside 20 ms frames."""
    x = from_pcm(render(ToneGenerator(tones.tone_plan("DE", ToneKind.BUSY)), 1920))
    assert np.all(x[3840:7680] == 0)
    assert np.all(x[11520:15360] == 0)
    for start in (0, 7680):
        on = x[start : start + 3840]
        assert np.sqrt(np.mean(on**2)) == pytest.approx(
            amplitude_for_dbm0(-13) / np.sqrt(2), rel=0.02
        )
        assert np.count_nonzero(on[:8]) >= 6  # tone starts right at the boundary


def test_ringback_has_silence_and_tone_in_ratio() -> None:
    x = from_pcm(render(ToneGenerator(tones.tone_plan("CH", ToneKind.RINGBACK)), 10000))
    on = np.count_nonzero(np.abs(x) > 0)
    assert on / len(x) == pytest.approx(0.2, abs=0.01)


def test_sine_generator_phase_is_continuous() -> None:
    gen = SineGenerator((425.0,), level_dbm0=-10)
    got = from_pcm(b"".join(gen.next_frame() for _ in range(50)))
    n = np.arange(len(got))
    ref = amplitude_for_dbm0(-10) * np.sin(2 * np.pi * 425 * n / 8000)
    assert np.max(np.abs(got - ref)) <= 1.0
    # No click at frame boundaries: the largest sample step equals that of the ideal sine.
    assert np.max(np.abs(np.diff(got))) <= np.max(np.abs(np.diff(ref))) + 2


def test_sine_generator_frame_size() -> None:
    gen = SineGenerator((1000.0,))
    assert len(gen.next_frame()) == FRAME_BYTES
    assert len(gen.next_frame(80)) == 160


def test_beep_plays_once() -> None:
    gen = ToneGenerator(tones.beep(1000.0, 250))
    first = render(gen, 260)
    assert gen.finished
    x = from_pcm(first)
    assert np.sqrt(np.mean(x[:2000] ** 2)) == pytest.approx(
        amplitude_for_dbm0(-13) / np.sqrt(2), rel=0.02
    )
    assert not np.any(x[2000:])
    assert gen.next_frame() == tones.silence_frame()
    assert dominant_frequency(first[:4000]) == pytest.approx(1000, abs=5)


def test_silence_frame() -> None:
    assert tones.silence_frame() == bytes(320)
    assert tones.silence_frame(80) == bytes(160)


def test_dtmf_tone_is_detected() -> None:
    for digit in "0123456789*#ABCD":
        pcm = render(ToneGenerator(tones.dtmf_tone(digit), level_dbm0=-8), 200)
        assert InbandDtmfDetector().feed(pcm) == [digit]


def test_plan_validation() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TonePlan("x", ())
    with pytest.raises(ValueError, match="only the last"):
        TonePlan("x", (ToneSegment((425.0,)), ToneSegment((), 100)))
    with pytest.raises(ValueError, match="positive"):
        ToneSegment((425.0,), 0)
