"""In-band DTMF detection (Goertzel, ITU-T Q.23/Q.24) on generated signals."""

from __future__ import annotations

import numpy as np
import pytest

from centrex.media.dtmf import (
    DTMF_COLUMNS,
    DTMF_ROWS,
    InbandDtmfDetector,
    dtmf_frequencies,
    goertzel_power,
)
from tests.media.signals import noise, silence, to_pcm, tone, vowel

DIGITS = "0123456789*#ABCD"


def detect(samples: np.ndarray, chunk: int = 320, **kwargs: float) -> list[str]:
    det = InbandDtmfDetector(**kwargs)
    pcm = to_pcm(samples)
    found: list[str] = []
    for i in range(0, len(pcm), chunk):
        found += det.feed(pcm[i : i + chunk])
    return found


def press(digit: str, ms: float = 100, dbm0: float = -10, pause: float = 60) -> np.ndarray:
    return np.concatenate([tone(dtmf_frequencies(digit), ms, dbm0), silence(pause)])


@pytest.mark.parametrize("digit", list(DIGITS))
def test_every_digit_detected_once(digit: str) -> None:
    assert detect(np.concatenate([silence(30), press(digit)])) == [digit]


def test_digit_string_with_short_pauses() -> None:
    signal = np.concatenate([press(d, 50, pause=50) for d in DIGITS])
    assert "".join(detect(signal)) == DIGITS


@pytest.mark.parametrize("offset", range(0, 102, 3))
def test_40ms_tone_and_40ms_pause_at_any_alignment(offset: int) -> None:
    """Q.24: 40 ms tones separated by 40 ms pauses must all be recognised, once each."""
    signal = np.concatenate(
        [silence(offset / 8)] + [press(d, 40, pause=40) for d in "1155"] + [silence(40)]
    )
    assert detect(signal) == list("1155")


@pytest.mark.parametrize("offset", range(0, 102, 3))
def test_20ms_tone_is_rejected(offset: int) -> None:
    assert detect(np.concatenate([silence(offset / 8), press("8", 20)])) == []


def test_long_press_with_a_dropout_is_one_digit() -> None:
    signal = np.concatenate(
        [
            tone(dtmf_frequencies("9"), 300),
            silence(10),
            tone(dtmf_frequencies("9"), 300),
            silence(60),
        ]
    )
    assert detect(signal) == ["9"]


def test_detection_independent_of_chunking() -> None:
    signal = np.concatenate([press(d, 60, pause=60) for d in "147*"])
    assert detect(signal, chunk=320) == detect(signal, chunk=2 * 37) == detect(signal, chunk=10**6)
    assert detect(signal, chunk=2 * 37) == list("147*")


def test_odd_byte_chunks_do_not_break_alignment() -> None:
    det = InbandDtmfDetector()
    pcm = to_pcm(press("6"))
    found: list[str] = []
    for i in range(0, len(pcm), 320):
        found += det.feed(pcm[i : i + 320])
    det.reset()
    assert found == ["6"]
    assert det.feed(b"\x01") == []


@pytest.mark.parametrize("dbm0", [-3, -10, -20, -30])
def test_levels_accepted(dbm0: float) -> None:
    assert detect(press("2", dbm0=dbm0)) == ["2"]


@pytest.mark.parametrize("dbm0", [-42, -50])
def test_levels_rejected(dbm0: float) -> None:
    assert detect(press("2", dbm0=dbm0)) == []


def twisted(row_db: float, col_db: float) -> np.ndarray:
    return np.concatenate(
        [tone([DTMF_ROWS[1]], 100, row_db) + tone([DTMF_COLUMNS[2]], 100, col_db), silence(60)]
    )


def test_twist_limits() -> None:
    assert detect(twisted(-10, -16)) == ["6"]  # normal twist 6 dB: accepted
    assert detect(twisted(-10, -20)) == []  # normal twist 10 dB: rejected
    assert detect(twisted(-13, -10)) == ["6"]  # reverse twist 3 dB: accepted
    assert detect(twisted(-16, -10)) == []  # reverse twist 6 dB: rejected


@pytest.mark.parametrize("snr_db", [30, 20, 15])
def test_digit_in_noise(snr_db: float) -> None:
    sig = press("0", 100)
    tone_power = 2 * (np.max(np.abs(tone([1000.0], 10, -10))) ** 2) / 2
    rms = np.sqrt(tone_power / 10 ** (snr_db / 10))
    assert detect(sig + noise(len(sig) / 8, rms, seed=snr_db)) == ["0"]


def test_silence_noise_and_single_tones_rejected() -> None:
    assert detect(silence(1000)) == []
    for level in (100, 1000, 8000):
        assert detect(noise(1000, level, seed=level)) == []
    assert detect(tone([1000.0], 1000, -3)) == []
    for f in DTMF_ROWS + DTMF_COLUMNS:
        assert detect(tone([f], 200, -10)) == []  # one tone of a pair is not a digit


def test_non_dtmf_pairs_rejected() -> None:
    assert detect(tone([697.0, 770.0], 200, -10)) == []  # two rows
    assert detect(tone([1209.0, 1336.0], 200, -10)) == []  # two columns
    assert detect(tone([350.0, 440.0], 500, -10)) == []  # US dial tone
    assert detect(tone([480.0, 620.0], 500, -10)) == []  # US busy


@pytest.mark.parametrize("f0", range(85, 260, 9))
def test_speech_like_signal_rejected(f0: int) -> None:
    assert detect(vowel(float(f0), 400)) == []


def test_dtmf_tone_mixed_with_speech_is_rejected_or_detected_consistently() -> None:
    # A digit 20 dB above a vowel is still a digit.
    sig = press("3", 100, -10)
    assert detect(sig + vowel(120.0, len(sig) / 8, peak=700.0)) == ["3"]


def test_goertzel_power_matches_fft_bin() -> None:
    n = 160
    x = tone([1000.0], 20, -10)
    assert len(x) == n
    spectrum = np.fft.rfft(x)
    assert goertzel_power(x.tolist(), 1000.0) == pytest.approx(abs(spectrum[20]) ** 2, rel=1e-9)
    expected = (np.max(np.abs(x)) * n / 2) ** 2
    assert goertzel_power(x.tolist(), 1000.0) == pytest.approx(expected, rel=0.01)
    assert goertzel_power(x.tolist(), 2000.0) < expected * 1e-6


@pytest.mark.parametrize("law", ["u", "a"])
def test_digits_survive_g711(law: str) -> None:
    """In-band DTMF arrives as G.711: detection must work on decoded µ-law/A-law audio."""
    from centrex.media.codecs import g711

    encode, decode = (
        (g711.ulaw_encode, g711.ulaw_decode) if law == "u" else (g711.alaw_encode, g711.alaw_decode)
    )
    signal = to_pcm(np.concatenate([press(d, 60, dbm0=-25, pause=60) for d in DIGITS]))
    det = InbandDtmfDetector()
    assert "".join(det.feed(decode(encode(signal)))) == DIGITS
