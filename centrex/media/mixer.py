"""The N-party mixing step of a conference: who hears what in one 20 ms frame (pure).

Theory of operation
-------------------
Every media tick (`ticker.py`, 20 ms) a room hands this module one frame per participant:
160 samples of 16-bit linear PCM (`pcm.py`), or None when the participant sent nothing, sent
silence, or could not be heard anyway. `mix_step` returns, for each participant, what it must
hear: the sum of the *others'* frames, never its own (a talker hearing itself 40 ms late is an
echo), each scaled by its talker's gain, saturated to the int16 range. Saturation, not
wrap-around: two loud talkers summing past 32767 must clip to 32767, never flip to -32768 (a
wrapped sum is a full-scale click).

Who hears whom is one rule per talker (`Voice`):

* `muted`: heard by nobody (the participant still hears the room);
* `deaf`: hears nothing (silence is sent to it); the participant may still be heard;
* `heard_by`: None (default) means heard by every other participant; a set of participant keys
  restricts it to them. This expresses the supervisor modes of a call center: *listen* is a
  supervisor with `heard_by=frozenset()` (hears both parties, heard by none), *whisper* is
  `heard_by={agent}` (only the agent hears the coach), *barge* is the default (a three-way call).

Cost: a room of N participants of which k are active talkers (a frame and heard by someone)
costs O(N + k * frame) per tick, not O(N^2 * frame). The frames of the talkers heard by
everyone ("public" talkers) are summed once into a total; a public talker hears the total minus
its own contribution, everybody else hears the total itself. Participants whose mix is the same
get the *same* array object, so the room encodes each distinct mix once per codec: in a room
where one person speaks, the 99 listeners cost one addition-free mix and one G.711 encode
between them, plus one send each. Restricted talkers (whisper) are added to the mixes of their
listeners only; they are rare and cost O(frame) per listener that hears them.

Arithmetic: frames are summed as Python ints (no overflow while summing), so
`total - own` is exact; the result is converted to `array('h')`, whose constructor raises
`OverflowError` on an out-of-range sample: that is the (C-speed) test for "needs clipping", and
only then is the frame clamped sample by sample. A gain other than 1.0 scales the talker's
samples once per tick, rounded to the nearest integer, before summing. numpy is not used in
`centrex/` (tests/test_architecture.py); the per-sample work runs in C through `map` and
`operator` where it can.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from operator import add, sub
from typing import TypeVar

from centrex.media.pcm import FRAME_SAMPLES

__all__ = ["INT16_MAX", "INT16_MIN", "Frame", "Voice", "is_silent", "mix_step", "saturate"]

INT16_MAX = 32767
INT16_MIN = -32768

K = TypeVar("K", bound=Hashable)
Frame = Sequence[int]


@dataclass(frozen=True, slots=True)
class Voice:
    """How one participant takes part in the mix (module docstring: muted, deaf, heard_by)."""

    gain: float = 1.0
    muted: bool = False
    deaf: bool = False
    heard_by: frozenset[Hashable] | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.gain <= 16.0:
            raise ValueError(f"gain {self.gain} outside 0..16")

    @property
    def silent(self) -> bool:
        """Heard by nobody: its frames need not even be read."""
        return self.muted or self.gain == 0.0 or self.heard_by == frozenset()


def saturate(samples: Frame) -> array[int]:
    """`samples` as an int16 array, clamped to [-32768, 32767] (never wrapped). O(n)."""
    if isinstance(samples, array) and samples.typecode == "h":
        return samples
    try:
        return array("h", samples)
    except OverflowError:
        return array(
            "h",
            [INT16_MAX if s > INT16_MAX else INT16_MIN if s < INT16_MIN else s for s in samples],
        )


def is_silent(samples: Frame, peak: int) -> bool:
    """True when every sample lies within +-`peak` (two C-level passes). G.711 idle noise
    decodes to a few units (A-law 0xD5 is +8), so a small `peak` treats it as silence."""
    return not samples or (max(samples) <= peak and min(samples) >= -peak)


def _scaled(frame: Frame, gain: float) -> Frame:
    if gain == 1.0:
        return frame
    return [round(s * gain) for s in frame]


def _sum(frames: Sequence[Frame]) -> Frame:
    """Sample-wise sum of one or more frames of equal length, as unbounded ints."""
    if len(frames) == 1:
        return frames[0]
    total: Frame = list(map(add, frames[0], frames[1]))
    for frame in frames[2:]:
        total = list(map(add, total, frame))
    return total


Restricted = list[tuple[K, Frame, frozenset[Hashable]]]


def _contributions(
    voices: Mapping[K, Voice], frames: Mapping[K, Frame | None], frame_samples: int
) -> tuple[dict[K, Frame], Restricted[K]]:
    """The scaled frames of this tick's talkers: heard by all (public) or by a set (restricted)."""
    public: dict[K, Frame] = {}
    restricted: Restricted[K] = []
    for key, frame in frames.items():
        if frame is None:
            continue
        voice = voices.get(key)
        if voice is None or voice.silent:
            continue
        if len(frame) != frame_samples:
            raise ValueError(f"frame of {len(frame)} samples from {key!r}, not {frame_samples}")
        contribution = _scaled(frame, voice.gain)
        if voice.heard_by is None:
            public[key] = contribution
        else:
            restricted.append((key, contribution, voice.heard_by))
    return public, restricted


def _public_part(key: K, public: Mapping[K, Frame], total: Frame) -> Frame | None:
    """What public talker `key` hears of the other public talkers (None: nobody else)."""
    if len(public) == 1:
        return None
    if len(public) == 2:  # the other talker's frame as is: no arithmetic at all
        return next(c for k, c in public.items() if k != key)
    return list(map(sub, total, public[key]))  # exact: the total is unbounded ints


def mix_step(
    voices: Mapping[K, Voice],
    frames: Mapping[K, Frame | None],
    *,
    frame_samples: int = FRAME_SAMPLES,
) -> dict[K, array[int] | None]:
    """What each participant of `voices` hears this tick: None (silence) or an int16 frame.

    `frames` holds the participants' frames this tick (a missing key or None: nothing to mix);
    every frame has `frame_samples` samples (ValueError otherwise: the room pads short ones).
    Participants that hear the same mix share one array object (module docstring).
    """
    public, restricted = _contributions(voices, frames, frame_samples)
    total = _sum(list(public.values())) if public else None
    # What a participant that is not a public talker hears from the public ones; shared.
    shared = saturate(total) if total is not None else None
    out: dict[K, array[int] | None] = {}
    for key, voice in voices.items():
        if voice.deaf:
            out[key] = None
            continue
        extras = [c for k, c, heard in restricted if k != key and key in heard]
        if key not in public:  # a listener: the whole public total
            base = total
            if not extras:
                out[key] = shared
                continue
        else:
            assert total is not None  # key is a public talker
            base = _public_part(key, public, total)
            if not extras:
                out[key] = saturate(base) if base is not None else None
                continue
        out[key] = saturate(_sum([base, *extras] if base is not None else extras))
    return out
