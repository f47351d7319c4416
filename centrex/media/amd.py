"""Answering-machine detection: a person or a machine picked up? (pure, frames in, verdict out)

Why: a predictive dialer that hands an answering machine to an agent wastes the agent's time,
and one that plays a machine the safe-harbour message counts a drop that never was (issue 15
item 3: optional per campaign, outcome `machine`). Nothing in SIP says who answered; only the
first seconds of audio do. The established method is voice activity detection on the
greeting's shape, the one Asterisk's `app_amd` made the de-facto standard (also FreeSWITCH's
`mod_amd` and VICIdial use it, with the same parameter names and defaults, `AmdSettings`):

* a person says a short word or two ("Allô ?", "Hello, Marie speaking") and waits: a short
  voiced period followed by silence (`after_greeting_silence`) is HUMAN;
* a machine talks on: a greeting longer than `greeting`, a single word longer than
  `max_word_length`, or `max_words` words or more before a pause is MACHINE;
* nothing at all for `initial_silence` is MACHINE too (many voicemail systems wait silently
  for the beep, and a person who picks up and says nothing for 2.5 s is rare);
* after `total_analysis` without a verdict it is NOT_SURE, which the dialer treats as a person:
  dropping a live person is the worse error (the 3 % rule counts it, the person is annoyed).

Theory of operation: frames (16-bit linear PCM, any length; 20 ms at 8 kHz normally) are voiced
when their mean absolute amplitude reaches `silence_threshold` (256 of 32768, Asterisk's
default: about -42 dBFS, above line noise, below any speech). Runs of voiced and silent time
are timed from the *samples fed*, never from a clock, so the classifier is exact and
deterministic (tests feed synthetic greetings; the dialer feeds what the lead sends). A voiced
run becomes a *word* once it lasts `min_word_length`; a silence only separates words once it
lasts `between_words_silence` (shorter gaps are inside one word). The states and what moves
them are the table `TRANSITIONS`; the verdict checks run after each frame in a fixed order.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["TRANSITIONS", "AmdDetector", "AmdSettings", "AmdState", "Verdict", "frame_is_voiced"]


class Verdict(StrEnum):
    HUMAN = "human"
    MACHINE = "machine"
    NOT_SURE = "not-sure"


class AmdState(StrEnum):
    INITIAL_SILENCE = "initial-silence"  # nothing voiced yet
    IN_WORD = "in-word"  # a voiced run (short gaps included)
    AFTER_WORD = "after-word"  # silent for at least between_words_silence after a word
    DONE = "done"


# (state, frame voiced?) -> next state, before the verdict checks. A voiced frame always means
# "in a word"; a silent frame leaves a word only once the silence lasts between_words_silence
# (IN_WORD stays IN_WORD until then: `AmdDetector._silent`).
TRANSITIONS: dict[tuple[AmdState, bool], AmdState] = {
    (AmdState.INITIAL_SILENCE, True): AmdState.IN_WORD,
    (AmdState.INITIAL_SILENCE, False): AmdState.INITIAL_SILENCE,
    (AmdState.IN_WORD, True): AmdState.IN_WORD,
    (AmdState.IN_WORD, False): AmdState.IN_WORD,  # -> AFTER_WORD once the gap is long enough
    (AmdState.AFTER_WORD, True): AmdState.IN_WORD,
    (AmdState.AFTER_WORD, False): AmdState.AFTER_WORD,
    (AmdState.DONE, True): AmdState.DONE,
    (AmdState.DONE, False): AmdState.DONE,
}


_POSITIVE = ("initial_silence", "greeting", "after_greeting_silence", "total_analysis",
             "min_word_length", "max_words", "max_word_length", "silence_threshold")  # fmt: skip


@dataclass(frozen=True, slots=True)
class AmdSettings:
    """Milliseconds (and one amplitude), Asterisk `amd.conf`'s names and defaults."""

    initial_silence: int = 2500
    greeting: int = 1500
    after_greeting_silence: int = 800
    total_analysis: int = 5000
    min_word_length: int = 100
    between_words_silence: int = 50
    max_words: int = 3
    max_word_length: int = 5000
    silence_threshold: int = 256

    def __post_init__(self) -> None:
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                raise ValueError(f"AMD setting {name} must be positive")
        if self.between_words_silence < 0:
            raise ValueError("AMD setting between_words_silence must not be negative")


def frame_is_voiced(pcm: bytes, threshold: int) -> bool:
    """Mean absolute amplitude of 16-bit little-endian samples at or over `threshold`."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) & ~1])
    if not samples:
        return False
    return sum(map(abs, samples)) >= threshold * len(samples)


class AmdDetector:
    """Feed the answered party's audio; `verdict` is set once, then feeding is a no-op."""

    def __init__(self, settings: AmdSettings | None = None, sample_rate: int = 8000) -> None:
        self.settings = settings or AmdSettings()
        self.sample_rate = sample_rate
        self.state = AmdState.INITIAL_SILENCE
        self.verdict: Verdict | None = None
        self.cause = ""  # why, in Asterisk's words (LONGGREETING, MAXWORDS, HUMAN, ...)
        self.elapsed_ms = 0.0
        self.words = 0
        self.voiced_ms = 0.0  # voiced time in the greeting so far
        self.run_ms = 0.0  # the current voiced run (a word being spoken)
        self.silence_ms = 0.0  # the current silence
        self._counted = False  # the current run already counted as a word

    def feed(self, pcm: bytes) -> Verdict | None:
        """One frame of 16-bit mono PCM; returns the verdict once there is one."""
        if self.verdict is not None:
            return self.verdict
        ms = (len(pcm) // 2) * 1000.0 / self.sample_rate
        if ms <= 0:
            return None
        voiced = frame_is_voiced(pcm, self.settings.silence_threshold)
        self.elapsed_ms += ms
        self.state = TRANSITIONS[(self.state, voiced)]
        if voiced:
            self._voiced(ms)
        else:
            self._silent(ms)
        if self.verdict is None and self.elapsed_ms >= self.settings.total_analysis:
            self._decide(Verdict.NOT_SURE, "TOOLONG")
        return self.verdict

    def timeout(self) -> Verdict:
        """No more audio will come (the dialer's wall-clock cap): whatever is known, or NOT_SURE."""
        if self.verdict is None:
            self._decide(Verdict.NOT_SURE, "TIMEOUT")
        assert self.verdict is not None
        return self.verdict

    def _voiced(self, ms: float) -> None:
        s = self.settings
        if self.silence_ms and self.silence_ms < s.between_words_silence:
            self.run_ms += self.silence_ms  # a short gap stays inside the word
        self.silence_ms = 0.0
        self.run_ms += ms
        self.voiced_ms += ms
        if not self._counted and self.run_ms >= s.min_word_length:
            self._counted = True
            self.words += 1
        if self.run_ms >= s.max_word_length:
            self._decide(Verdict.MACHINE, "MAXWORDLENGTH")
        elif self.words >= s.max_words:
            self._decide(Verdict.MACHINE, "MAXWORDS")
        elif self.voiced_ms >= s.greeting:
            self._decide(Verdict.MACHINE, "LONGGREETING")

    def _silent(self, ms: float) -> None:
        s = self.settings
        self.silence_ms += ms
        if self.state is AmdState.INITIAL_SILENCE:
            if self.silence_ms >= s.initial_silence:
                self._decide(Verdict.MACHINE, "INITIALSILENCE")
            return
        if self.state is AmdState.IN_WORD and self.silence_ms >= s.between_words_silence:
            self.state = AmdState.AFTER_WORD
            if not self._counted:  # too short to be a word: noise, forget its voiced time
                self.voiced_ms -= self.run_ms
            self.run_ms = 0.0
            self._counted = False
        if self.words and self.silence_ms >= s.after_greeting_silence:
            self._decide(Verdict.HUMAN, "HUMAN")
        elif not self.words and self.elapsed_ms >= s.initial_silence and self.voiced_ms <= 0:
            self._decide(Verdict.MACHINE, "INITIALSILENCE")  # only noise bursts so far

    def _decide(self, verdict: Verdict, cause: str) -> None:
        self.verdict = verdict
        self.cause = cause
        self.state = AmdState.DONE
