"""Call-progress tones (dial, ringback, busy, congestion, call waiting), beeps and sine frames.

Why here: when Centrex answers early (183 with SDP) or plays to an app's channel, the caller must
hear the tones of *their* country, not of the server. The cadences come from ITU-T E.180
Supplement 2 ("Various tones used in national networks") as also used by Asterisk's
indications.conf, for CH, DE, FR, IT, US and GB.

Theory of operation: a `TonePlan` is a list of `ToneSegment`s (frequencies and a duration; no
frequencies is silence; no duration is "for ever") that repeats or plays once. `ToneGenerator`
renders a plan into 20 ms pcm16 frames at sample accuracy: segment boundaries may fall inside a
frame, and each frequency keeps its phase across frames and segments so there are no clicks.
Each frame costs O(samples x frequencies) calls to `math.sin`; a generator serves one channel and
the media ticker pulls one frame per 20 ms tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from centrex.media.dtmf import dtmf_frequencies
from centrex.media.pcm import FRAME_SAMPLES, SAMPLE_RATE, amplitude_for_dbm0, from_samples

__all__ = [
    "TONE_PLANS",
    "SineGenerator",
    "ToneGenerator",
    "ToneKind",
    "TonePlan",
    "ToneSegment",
    "beep",
    "dtmf_tone",
    "silence_frame",
    "tone_plan",
]


class ToneKind(Enum):
    """The call-progress signals a PBX plays (ITU-T E.180 names)."""

    DIAL = "dial"
    RINGBACK = "ringback"
    BUSY = "busy"
    CONGESTION = "congestion"
    CALL_WAITING = "call_waiting"


@dataclass(frozen=True, slots=True)
class ToneSegment:
    """Some frequencies (empty = silence) for `duration_ms`, or for ever when None."""

    frequencies: tuple[float, ...]
    duration_ms: int | None = None

    def __post_init__(self) -> None:
        if self.duration_ms is not None and self.duration_ms <= 0:
            raise ValueError("segment duration must be positive (or None for continuous)")


@dataclass(frozen=True, slots=True)
class TonePlan:
    """A cadence: segments played in order, repeated when `repeat` is true."""

    name: str
    segments: tuple[ToneSegment, ...]
    repeat: bool = True

    def __post_init__(self) -> None:
        if not self.segments:
            raise ValueError("a tone plan needs at least one segment")
        if any(s.duration_ms is None for s in self.segments[:-1]):
            raise ValueError("only the last segment may be continuous")

    @property
    def cycle_ms(self) -> int | None:
        """Length of one cadence cycle, None for a continuous tone."""
        if self.segments[-1].duration_ms is None:
            return None
        return sum(s.duration_ms or 0 for s in self.segments)


def _cadence(name: str, spec: str) -> TonePlan:
    """Parse indications.conf-style cadences: "425/1000,0/4000" or "350+440" (continuous)."""
    segments: list[ToneSegment] = []
    for part in spec.split(","):
        freqs, _, duration = part.partition("/")
        frequencies = tuple(float(f) for f in freqs.split("+") if float(f) > 0)
        segments.append(ToneSegment(frequencies, int(duration) if duration else None))
    return TonePlan(name, tuple(segments))


_SPECS: dict[str, dict[ToneKind, str]] = {
    "CH": {
        ToneKind.DIAL: "425",
        ToneKind.RINGBACK: "425/1000,0/4000",
        ToneKind.BUSY: "425/500,0/500",
        ToneKind.CONGESTION: "425/200,0/200",
        ToneKind.CALL_WAITING: "425/200,0/200,425/200,0/4000",
    },
    "DE": {
        ToneKind.DIAL: "425",
        ToneKind.RINGBACK: "425/1000,0/4000",
        ToneKind.BUSY: "425/480,0/480",
        ToneKind.CONGESTION: "425/240,0/240",
        ToneKind.CALL_WAITING: "425/200,0/200,425/200,0/5000",
    },
    "FR": {
        ToneKind.DIAL: "440",
        ToneKind.RINGBACK: "440/1500,0/3500",
        ToneKind.BUSY: "440/500,0/500",
        ToneKind.CONGESTION: "440/250,0/250",
        ToneKind.CALL_WAITING: "440/300,0/10000",
    },
    "IT": {
        ToneKind.DIAL: "425/200,0/200,425/600,0/1000",
        ToneKind.RINGBACK: "425/1000,0/4000",
        ToneKind.BUSY: "425/500,0/500",
        ToneKind.CONGESTION: "425/200,0/200",
        ToneKind.CALL_WAITING: "425/400,0/100,425/250,0/100,425/150,0/14000",
    },
    "US": {
        ToneKind.DIAL: "350+440",
        ToneKind.RINGBACK: "440+480/2000,0/4000",
        ToneKind.BUSY: "480+620/500,0/500",
        ToneKind.CONGESTION: "480+620/250,0/250",
        ToneKind.CALL_WAITING: "440/300,0/10000",
    },
    "GB": {
        ToneKind.DIAL: "350+440",
        ToneKind.RINGBACK: "400+450/400,0/200,400+450/400,0/2000",
        ToneKind.BUSY: "400/375,0/375",
        ToneKind.CONGESTION: "400/400,0/350,400/225,0/525",
        ToneKind.CALL_WAITING: "400/100,0/4000",
    },
}

# Immutable data, not a singleton: {country: {kind: plan}}.
TONE_PLANS: MappingProxyType[str, MappingProxyType[ToneKind, TonePlan]] = MappingProxyType(
    {
        country: MappingProxyType(
            {
                kind: _cadence(f"{country.lower()}-{kind.value}", spec)
                for kind, spec in kinds.items()
            }
        )
        for country, kinds in _SPECS.items()
    }
)


def tone_plan(country: str, kind: ToneKind) -> TonePlan:
    """The plan for an ISO 3166 country code; raises KeyError for countries not tabulated."""
    return TONE_PLANS[country.upper()][kind]


def beep(frequency: float = 1000.0, duration_ms: int = 250) -> TonePlan:
    """A single beep (e.g. "record after the tone"), played once."""
    return TonePlan("beep", (ToneSegment((frequency,), duration_ms),), repeat=False)


def dtmf_tone(digit: str, on_ms: int = 100, off_ms: int = 100) -> TonePlan:
    """In-band DTMF for one digit (ITU-T Q.23 pair), played once, with a trailing pause."""
    return TonePlan(
        f"dtmf-{digit}",
        (ToneSegment(dtmf_frequencies(digit), on_ms), ToneSegment((), off_ms)),
        repeat=False,
    )


def silence_frame(samples: int = FRAME_SAMPLES) -> bytes:
    """pcm16 digital silence."""
    return bytes(2 * samples)


class SineGenerator:
    """Sum of sines rendered frame after frame with continuous phase. O(samples x freqs)."""

    __slots__ = ("_amplitude", "_phases", "_steps")

    def __init__(
        self,
        frequencies: tuple[float, ...],
        level_dbm0: float = -13.0,
        sample_rate: int = SAMPLE_RATE,
    ) -> None:
        """`level_dbm0` is per frequency component, as tone specifications state it."""
        self._amplitude = amplitude_for_dbm0(level_dbm0)
        self._steps = [2.0 * math.pi * f / sample_rate for f in frequencies]
        self._phases = [0.0] * len(frequencies)

    def samples(self, count: int) -> list[float]:
        """Next `count` samples as floats (unclipped), advancing the phases."""
        out = [0.0] * count
        amp = self._amplitude
        for i, step in enumerate(self._steps):
            phase = self._phases[i]
            sin = math.sin
            for n in range(count):
                out[n] += amp * sin(phase + step * n)
            self._phases[i] = (phase + step * count) % (2.0 * math.pi)
        return out

    def next_frame(self, samples: int = FRAME_SAMPLES) -> bytes:
        """The next frame of pcm16 (default 20 ms at 8 kHz)."""
        return from_samples(round(x) for x in self.samples(samples))


class ToneGenerator:
    """Renders a `TonePlan` into consecutive pcm16 frames, sample-accurate and click-free."""

    __slots__ = ("_generators", "_index", "_level", "_plan", "_position", "_sample_rate")

    def __init__(
        self, plan: TonePlan, level_dbm0: float = -13.0, sample_rate: int = SAMPLE_RATE
    ) -> None:
        self._plan = plan
        self._level = level_dbm0
        self._sample_rate = sample_rate
        self._index = 0
        self._position = 0  # samples into the current segment
        # One phase-continuous generator per distinct frequency set of the plan.
        self._generators: dict[tuple[float, ...], SineGenerator] = {}

    @property
    def finished(self) -> bool:
        """True when a non-repeating plan has played out (frames are silence from then on)."""
        return self._index >= len(self._plan.segments)

    def _segment_samples(self, segment: ToneSegment) -> int | None:
        if segment.duration_ms is None:
            return None
        return max(1, segment.duration_ms * self._sample_rate // 1000)

    def _render(self, segment: ToneSegment, count: int) -> list[float]:
        if not segment.frequencies:
            return [0.0] * count
        gen = self._generators.get(segment.frequencies)
        if gen is None:
            gen = SineGenerator(segment.frequencies, self._level, self._sample_rate)
            self._generators[segment.frequencies] = gen
        return gen.samples(count)

    def next_frame(self, samples: int = FRAME_SAMPLES) -> bytes:
        """The next `samples` samples of the cadence as pcm16."""
        out: list[float] = []
        segments = self._plan.segments
        while len(out) < samples:
            if self._index >= len(segments):
                out.extend([0.0] * (samples - len(out)))
                break
            segment = segments[self._index]
            length = self._segment_samples(segment)
            take = samples - len(out)
            if length is not None:
                take = min(take, length - self._position)
            out.extend(self._render(segment, take))
            self._position += take
            if length is not None and self._position >= length:
                self._position = 0
                self._index += 1
                if self._index >= len(segments) and self._plan.repeat:
                    self._index = 0
        return from_samples(round(x) for x in out)
