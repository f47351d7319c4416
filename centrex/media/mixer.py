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

import sys
from array import array
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import add, sub
from typing import TypeVar

from centrex.media.pcm import FRAME_SAMPLES

__all__ = ["INT16_MAX", "INT16_MIN", "QUIET_BOUND", "Frame", "Voice", "mix_step", "saturate"]

INT16_MAX = 32767
INT16_MIN = -32768
_BIG_ENDIAN = sys.byteorder == "big"

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


def _high_bytes_within(limit: int) -> bytes:
    """High bytes (little-endian pcm16) of the samples in [-limit, limit - 1] (limit: 256 * 2^n)."""
    span = limit // 256
    return bytes([*range(span), *range(256 - span, 256)])


# (bound, high bytes of the samples below it): a frame's peak class from one C-level
# translate per class, instead of max()/min() over 160 Python ints (7 us a frame).
_PEAK_CLASSES = tuple(
    (limit, _high_bytes_within(limit)) for limit in (256, 2048, 4096, 8192, 16384)
)
QUIET_BOUND = 256  # a "quiet" frame: every sample in [-256, 255], below -42 dBFS


def _peak_bound(frame: Frame) -> int:
    """An upper bound of max |sample| (exact to a power of two); 32768 when unknown."""
    if isinstance(frame, array) and frame.typecode == "h" and not _BIG_ENDIAN:
        high = frame.tobytes()[1::2]
        for limit, allowed in _PEAK_CLASSES:
            if not high.translate(None, allowed):
                return limit
        return 32768
    if not frame:
        return 0
    high_sample, low_sample = max(frame), min(frame)
    return max(high_sample + 1, -low_sample)


def _contributions(
    voices: Mapping[K, Voice],
    frames: Mapping[K, Frame | None],
    frame_samples: int,
    drop_quiet: bool,
) -> tuple[dict[K, Frame], Restricted[K], bool]:
    """This tick's talkers, scaled: heard by all (public) or by a set (restricted), and
    whether no sum of them can clip (unit gains, int16 arrays, peak bounds adding up to at
    most 32768: a sum then lies in [-32768, 32767])."""
    public: dict[K, Frame] = {}
    restricted: Restricted[K] = []
    bounds = 0
    packable = True
    for key, frame in frames.items():
        if frame is None:
            continue
        voice = voices.get(key)
        if voice is None or voice.silent:
            continue
        if len(frame) != frame_samples:
            raise ValueError(f"frame of {len(frame)} samples from {key!r}, not {frame_samples}")
        bound = _peak_bound(frame)
        if drop_quiet and bound <= QUIET_BOUND:
            continue  # idle noise of a phone that keeps sending: not a talker
        bounds += bound
        packable = packable and voice.gain == 1.0 and isinstance(frame, array)
        contribution = _scaled(frame, voice.gain)
        if voice.heard_by is None:
            public[key] = contribution
        else:
            restricted.append((key, contribution, voice.heard_by))
    return public, restricted, packable and bounds <= -INT16_MIN


def _public_part(key: K, public: Mapping[K, Frame], total: Frame) -> Frame | None:
    """What public talker `key` hears of the other public talkers (None: nobody else)."""
    if len(public) == 1:
        return None
    if len(public) == 2:  # the other talker's frame as is: no arithmetic at all
        return next(c for k, c in public.items() if k != key)
    return list(map(sub, total, public[key]))  # exact: the total is unbounded ints


def _mix_exact(
    voices: Mapping[K, Voice], public: dict[K, Frame], restricted: Restricted[K]
) -> dict[K, array[int] | None]:
    """The general path: sample sums as Python ints, saturated at the end."""
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


# --- the packed path: a frame as one big integer of 32-bit lanes ----------------------------------
# A sample x is stored as x + 32768 (0..65535) in its own 32-bit lane, so adding and subtracting
# whole frames is one big-integer operation in C, with no carry between lanes for up to 65536
# frames. A sum of m frames has m * 32768 of bias per lane; when no sum can clip (checked from
# the peaks) removing (m - 1) * 32768 leaves S + 32768 in 0..65535 with no borrow, and the
# int16 frame is read back with byte slicing. Same result as the exact path, sample for sample.

_XOR_HIGH = bytes(b ^ 0x80 for b in range(256))  # high byte of x <-> of x + 32768


@lru_cache(maxsize=8)
def _lane_ones(samples: int) -> int:
    return int.from_bytes(b"\x01\x00\x00\x00" * samples, "little")


def _to_lanes(frame: array[int]) -> int:
    pcm = frame.tobytes()
    if _BIG_ENDIAN:
        swapped = array("h", frame)
        swapped.byteswap()
        pcm = swapped.tobytes()
    wide = bytearray(2 * len(pcm))
    wide[0::4] = pcm[0::2]
    wide[1::4] = pcm[1::2].translate(_XOR_HIGH)
    return int.from_bytes(wide, "little")


def _from_lanes(value: int, count: int, samples: int) -> array[int]:
    value -= (count - 1) * 32768 * _lane_ones(samples)
    wide = value.to_bytes(4 * samples, "little")
    pcm = bytearray(2 * samples)
    pcm[0::2] = wide[0::4]
    pcm[1::2] = wide[1::4].translate(_XOR_HIGH)
    out = array("h")
    out.frombytes(pcm)
    if _BIG_ENDIAN:
        out.byteswap()
    return out


def _mix_packed(
    voices: Mapping[K, Voice],
    public: dict[K, Frame],
    restricted: Restricted[K],
    samples: int,
) -> dict[K, array[int] | None]:
    """The fast path when nothing can clip (`_contributions`): whole-frame integer sums.
    Lanes are built only for mixes of two frames or more (one frame heard is passed as is)."""
    lanes: dict[K, int] = {}
    total: int | None = None
    unset = object()
    shared: object = unset
    out: dict[K, array[int] | None] = {}
    for key, voice in voices.items():
        if voice.deaf:
            out[key] = None
            continue
        extras = [(k, f) for k, f, heard in restricted if k != key and key in heard]
        talker = key in public
        if not talker and not extras and shared is not unset:
            out[key] = shared  # type: ignore[assignment]
            continue
        count = len(public) - talker + len(extras)
        mix: array[int] | None
        if count == 0:
            mix = None
        elif count == 1:  # one frame heard: itself, no arithmetic
            one = extras[0][1] if extras else next(f for k, f in public.items() if k != key)
            mix = saturate(one)
        else:
            if total is None:
                for k, f in public.items():
                    lanes[k] = _to_lanes(f)  # type: ignore[arg-type]
                total = sum(lanes.values())
            value = total - lanes[key] if talker else total
            for k, f in extras:
                lane = lanes.get(k)
                if lane is None:
                    lane = lanes[k] = _to_lanes(f)  # type: ignore[arg-type]
                value += lane
            mix = _from_lanes(value, count, samples)
        if not talker and not extras:
            shared = mix
        out[key] = mix
    return out


def mix_step(
    voices: Mapping[K, Voice],
    frames: Mapping[K, Frame | None],
    *,
    frame_samples: int = FRAME_SAMPLES,
    drop_quiet: bool = False,
) -> dict[K, array[int] | None]:
    """What each participant of `voices` hears this tick: None (silence) or an int16 frame.

    `frames` holds the participants' frames this tick (a missing key or None: nothing to mix);
    every frame has `frame_samples` samples (ValueError otherwise: the room pads short ones).
    With `drop_quiet` a frame whose samples all lie in [-256, 255] (below -42 dBFS: the idle
    noise of a phone that keeps sending) counts as no frame. Participants that hear the same
    mix share one array object.
    """
    public, restricted, packable = _contributions(voices, frames, frame_samples, drop_quiet)
    if packable and (public or restricted):
        return _mix_packed(voices, public, restricted, frame_samples)
    return _mix_exact(voices, public, restricted)
