"""Answering-machine detection on synthetic greetings: a short "hello" then silence is a
person, a long greeting, many words, one endless word or a long initial silence are machines,
nothing decided in the analysis time is "not sure"; verdict times exact to the frame; the
transition table is total; a Hypothesis sweep checks the verdicts' preconditions on any audio.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media.amd import (
    TRANSITIONS,
    AmdDetector,
    AmdSettings,
    AmdState,
    Verdict,
    frame_is_voiced,
)

FRAME_MS = 20


def voice(ms: int, amplitude: int = 4000) -> list[bytes]:
    """20 ms frames of a 300 Hz tone (speech-like level)."""
    frames = []
    for f in range(ms // FRAME_MS):
        samples = [round(amplitude * math.sin(2 * math.pi * 300 * (f * 160 + i) / 8000))
                   for i in range(160)]  # fmt: skip
        frames.append(struct.pack("<160h", *samples))
    return frames


def silence(ms: int, noise: int = 30) -> list[bytes]:
    """20 ms frames of line noise well under the threshold."""
    return [struct.pack("<160h", *([noise, -noise] * 80)) for _ in range(ms // FRAME_MS)]


def run(frames: list[bytes], settings: AmdSettings | None = None) -> AmdDetector:
    detector = AmdDetector(settings)
    for frame in frames:
        if detector.feed(frame) is not None:
            break
    return detector


def test_a_person_says_hello_and_waits() -> None:
    detector = run(voice(400) + silence(2000))
    assert (detector.verdict, detector.cause, detector.words) == (Verdict.HUMAN, "HUMAN", 1)
    assert detector.elapsed_ms == 400 + 800  # decided at the 800th ms of silence


def test_two_short_words_then_silence_is_still_a_person() -> None:
    detector = run(voice(300) + silence(200) + voice(400) + silence(1000))
    assert (detector.verdict, detector.words) == (Verdict.HUMAN, 2)
    assert detector.elapsed_ms == 300 + 200 + 400 + 800


def test_a_long_greeting_is_a_machine() -> None:
    detector = run(voice(700) + silence(100) + voice(3000))
    assert (detector.verdict, detector.cause) == (Verdict.MACHINE, "LONGGREETING")
    assert detector.elapsed_ms == 700 + 100 + 800  # 1 500 ms voiced in all


def test_many_words_before_a_pause_is_a_machine() -> None:
    words = voice(200) + silence(300) + voice(200) + silence(300) + voice(200)
    detector = run(words + silence(2000))
    assert (detector.verdict, detector.cause, detector.words) == (Verdict.MACHINE, "MAXWORDS", 3)
    assert detector.elapsed_ms == 200 + 300 + 200 + 300 + 100  # the third word's 100th ms


def test_a_long_initial_silence_is_a_machine() -> None:
    detector = run(silence(4000))
    assert (detector.verdict, detector.cause) == (Verdict.MACHINE, "INITIALSILENCE")
    assert detector.elapsed_ms == 2500


def test_clicks_shorter_than_a_word_do_not_count() -> None:
    clicks = (voice(40) + silence(200)) * 12  # 40 ms bursts: never a word
    detector = run(clicks)
    assert (detector.verdict, detector.cause, detector.words) == (
        Verdict.MACHINE, "INITIALSILENCE", 0)  # fmt: skip


def test_short_gaps_stay_inside_one_word() -> None:
    """Gaps under between_words_silence (40 < 50 ms) do not split a word: one long word."""
    word = (voice(200) + silence(40)) * 3 + voice(200)
    detector = run(word + silence(1000))
    assert (detector.verdict, detector.words) == (Verdict.HUMAN, 1)


def test_one_endless_word_is_a_machine() -> None:
    settings = AmdSettings(greeting=10_000, max_word_length=2000, total_analysis=8000)
    detector = run(voice(3000), settings)
    assert (detector.verdict, detector.cause) == (Verdict.MACHINE, "MAXWORDLENGTH")
    assert detector.elapsed_ms == 2000


def test_nothing_decided_in_time_is_not_sure_and_timeout_too() -> None:
    settings = AmdSettings(greeting=10_000, max_words=50, after_greeting_silence=2000)
    talk = (voice(300) + silence(500)) * 10  # a person who keeps talking in short words
    detector = run(talk, settings)
    assert (detector.verdict, detector.cause) == (Verdict.NOT_SURE, "TOOLONG")
    assert detector.elapsed_ms == 5000
    early = AmdDetector()
    early.feed(voice(20)[0])
    assert early.timeout() is Verdict.NOT_SURE
    assert early.cause == "TIMEOUT"
    assert run(voice(400) + silence(1000)).timeout() is Verdict.HUMAN  # a verdict stays


def test_feeding_after_the_verdict_changes_nothing_and_odd_input_is_harmless() -> None:
    detector = run(voice(400) + silence(1000))
    for frame in voice(3000):
        assert detector.feed(frame) is Verdict.HUMAN
    assert detector.feed(b"") is Verdict.HUMAN
    fresh = AmdDetector()
    assert fresh.feed(b"") is None
    assert fresh.feed(b"\x01") is None
    assert fresh.elapsed_ms == 0
    assert not frame_is_voiced(b"", 256)
    assert frame_is_voiced(struct.pack("<2h", 256, -256), 256)
    assert not frame_is_voiced(struct.pack("<2h", 255, -256), 256)


def test_settings_are_checked_and_the_table_is_total() -> None:
    with pytest.raises(ValueError, match="greeting"):
        AmdSettings(greeting=0)
    with pytest.raises(ValueError, match="between_words_silence"):
        AmdSettings(between_words_silence=-1)
    assert set(TRANSITIONS) == {(state, voiced) for state in AmdState for voiced in (True, False)}
    assert all(TRANSITIONS[(AmdState.DONE, v)] is AmdState.DONE for v in (True, False))


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 60)), max_size=60))
def test_verdicts_follow_from_the_audio(segments: list[tuple[bool, int]]) -> None:
    """Any audio: at most one verdict, never after the analysis time; a person only after a
    word and the after-greeting silence; a long greeting only with that much voice fed."""
    frames: list[bytes] = []
    for voiced, count in segments:
        frames += (voice if voiced else silence)(count * FRAME_MS)
    detector = AmdDetector()
    fed_voice = 0
    verdicts = set()
    for frame in frames:
        before = detector.verdict
        got = detector.feed(frame)
        if before is None and frame_is_voiced(frame, 256):
            fed_voice += FRAME_MS
        if got is not None:
            verdicts.add(got)
    assert len(verdicts) <= 1
    assert detector.elapsed_ms <= 5000
    if detector.verdict is Verdict.HUMAN:
        assert detector.words >= 1
        assert detector.silence_ms >= 800
    if detector.cause == "LONGGREETING":
        assert fed_voice >= 1500
    if detector.cause == "INITIALSILENCE":
        assert detector.words == 0
        assert detector.elapsed_ms >= 2500
    if detector.verdict is None:
        assert detector.elapsed_ms == len(frames) * FRAME_MS < 5000
