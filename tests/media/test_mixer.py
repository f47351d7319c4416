"""The pure mixing step (centrex/media/mixer.py) on PCM arrays: exact sums, saturation, rules."""

from __future__ import annotations

from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.media.mixer import (
    INT16_MAX,
    INT16_MIN,
    Voice,
    _mix_exact,
    _mix_packed,
    _peak_bound,
    mix_step,
    saturate,
)

N = 160


def const(value: int) -> array[int]:
    return array("h", [value] * N)


def ramp(start: int, step: int = 1) -> array[int]:
    return array("h", [start + step * i for i in range(N)])


def clamp(value: int) -> int:
    return max(INT16_MIN, min(INT16_MAX, value))


def test_each_hears_the_sum_of_the_others_and_never_itself() -> None:
    voices = {k: Voice() for k in "abcd"}
    frames = {"a": const(100), "b": const(20), "c": ramp(-50), "d": None}
    out = mix_step(voices, frames)
    assert list(out["a"] or []) == [20 + (-50 + i) for i in range(N)]
    assert list(out["b"] or []) == [100 + (-50 + i) for i in range(N)]
    assert list(out["c"] or []) == [120] * N
    assert list(out["d"] or []) == [120 + (-50 + i) for i in range(N)]  # a listener: all three


def test_two_talkers_hear_each_others_frame_and_listeners_share_one_mix() -> None:
    voices = {k: Voice() for k in "abxyz"}
    a, b = const(7), const(-3)
    out = mix_step(voices, {"a": a, "b": b})
    assert out["a"] is b  # no arithmetic for a pair
    assert out["b"] is a
    assert out["x"] is out["y"] is out["z"]  # one mix object: the room encodes it once
    assert list(out["x"] or []) == [4] * N


def test_a_single_talker_hears_silence_and_an_idle_room_is_all_silence() -> None:
    voices = {k: Voice() for k in "abc"}
    out = mix_step(voices, {"a": const(500)})
    assert out["a"] is None
    assert list(out["b"] or []) == [500] * N
    assert mix_step(voices, {}) == {"a": None, "b": None, "c": None}
    assert mix_step(voices, {"a": None, "b": None}) == {"a": None, "b": None, "c": None}


def test_saturation_clips_at_both_ends_instead_of_wrapping() -> None:
    voices = {k: Voice() for k in "abcd"}
    frames = {"a": const(30000), "b": const(30000), "c": const(-30000), "d": const(-30000)}
    out = mix_step(voices, {"a": frames["a"], "b": frames["b"], "c": const(1)})
    assert list(out["c"] or []) == [INT16_MAX] * N  # 60000, not 60000 - 65536
    assert list(out["d"] or []) == [INT16_MAX] * N
    out = mix_step(voices, {"c": frames["c"], "d": frames["d"]})
    assert list(out["a"] or []) == [INT16_MIN] * N  # -60000 clipped to -32768
    out = mix_step(voices, frames)
    assert list(out["a"] or []) == [-30000] * N  # 30000 - 60000: in range, exact
    assert list(out["c"] or []) == [30000] * N


def test_saturate_keeps_int16_arrays_and_clamps_the_rest() -> None:
    frame = ramp(0)
    assert saturate(frame) is frame
    assert list(saturate([40000, -40000, 12])) == [INT16_MAX, INT16_MIN, 12]


def test_a_muted_participant_is_heard_by_nobody_but_hears_everyone() -> None:
    voices = {"a": Voice(muted=True), "b": Voice(), "c": Voice()}
    out = mix_step(voices, {"a": const(1000), "b": const(10), "c": const(1)})
    assert list(out["b"] or []) == [1] * N
    assert list(out["c"] or []) == [10] * N
    assert list(out["a"] or []) == [11] * N


def test_a_deaf_participant_hears_nothing_but_is_heard() -> None:
    voices = {"a": Voice(deaf=True), "b": Voice()}
    out = mix_step(voices, {"a": const(5), "b": const(9)})
    assert out["a"] is None
    assert list(out["b"] or []) == [5] * N


def test_gain_scales_a_talker_for_every_listener() -> None:
    voices = {"a": Voice(gain=0.5), "b": Voice(gain=2.0), "c": Voice(), "d": Voice(gain=0.0)}
    out = mix_step(voices, {"a": const(101), "b": const(-20000), "d": const(999)})
    assert list(out["c"] or []) == [clamp(round(101 * 0.5) - 40000)] * N
    assert list(out["a"] or []) == [INT16_MIN] * N  # b at double gain clips
    assert list(out["b"] or []) == [50] * N  # round(50.5) is 50 (banker's rounding)
    with pytest.raises(ValueError, match="gain"):
        Voice(gain=-1.0)


def test_listen_whisper_and_barge_rules() -> None:
    caller, agent, sup = "caller", "agent", "supervisor"
    frames = {caller: const(1), agent: const(10), sup: const(100)}
    listen = {caller: Voice(), agent: Voice(), sup: Voice(heard_by=frozenset())}
    out = mix_step(listen, frames)
    assert [out[k][0] for k in (caller, agent, sup)] == [10, 1, 11]  # type: ignore[index]
    whisper = {caller: Voice(), agent: Voice(), sup: Voice(heard_by=frozenset({agent}))}
    out = mix_step(whisper, frames)
    assert [out[k][0] for k in (caller, agent, sup)] == [10, 101, 11]  # type: ignore[index]
    barge = {k: Voice() for k in frames}
    out = mix_step(barge, frames)
    assert [out[k][0] for k in (caller, agent, sup)] == [110, 101, 11]  # type: ignore[index]


def test_a_restricted_talker_reaches_a_lone_listener_and_not_itself() -> None:
    voices = {"coach": Voice(heard_by=frozenset({"coach", "agent"})), "agent": Voice()}
    out = mix_step(voices, {"coach": const(42)})
    assert list(out["agent"] or []) == [42] * N
    assert out["coach"] is None  # listed in its own heard_by, still never hears itself


def test_frames_of_unknown_participants_are_ignored_and_wrong_lengths_refused() -> None:
    voices = {"a": Voice(), "b": Voice()}
    out = mix_step(voices, {"a": const(3), "stranger": const(1000)})
    assert list(out["b"] or []) == [3] * N
    with pytest.raises(ValueError, match="80 samples"):
        mix_step(voices, {"a": array("h", [0] * 80)})


def test_peak_bounds_by_class() -> None:
    assert _peak_bound(const(8)) == 256
    assert _peak_bound(array("h", [0] * 159 + [-256])) == 256
    assert _peak_bound(array("h", [0] * 159 + [-257])) == 2048
    assert _peak_bound(array("h", [0] * 159 + [2047])) == 2048
    assert _peak_bound(array("h", [0] * 159 + [2048])) == 4096
    assert _peak_bound(array("h", [16383, -16384] * 80)) == 16384
    assert _peak_bound(array("h", [0] * 159 + [INT16_MIN])) == 32768
    assert _peak_bound([5, -9]) == 9  # not an int16 array: exact
    assert _peak_bound([300, -9]) == 301


samples = st.lists(st.integers(INT16_MIN, INT16_MAX), min_size=N, max_size=N)
participant = st.tuples(
    st.one_of(st.none(), samples),
    st.sampled_from([1.0, 1.0, 0.5, 2.0, 0.0, 3.3]),
    st.booleans(),  # muted
    st.booleans(),  # deaf
)


@settings(max_examples=60, deadline=None)
@given(st.lists(participant, min_size=1, max_size=6))
def test_property_each_output_is_the_clamped_sum_of_the_others(
    people: list[tuple[list[int] | None, float, bool, bool]],
) -> None:
    voices = {i: Voice(gain=g, muted=m, deaf=d) for i, (_, g, m, d) in enumerate(people)}
    frames = {i: (array("h", f) if f is not None else None) for i, (f, *_x) in enumerate(people)}
    out = mix_step(voices, frames)
    assert out.keys() == voices.keys()
    for i, (_f, _g, _m, deaf) in enumerate(people):
        talkers = [
            (f, g) for j, (f, g, m, _d) in enumerate(people) if j != i and f is not None and not m
        ]
        mixed = out[i]
        if deaf or not talkers or all(g == 0.0 for _f2, g in talkers):
            assert mixed is None or (not deaf and not any(mixed))
            continue
        assert mixed is not None
        for n in range(N):
            exact = sum(g * f[n] for f, g in talkers)
            # Each scaled contribution is rounded to an integer: at most 0.5 off per talker.
            bound = 0.5 * sum(1 for _f2, g in talkers if g not in (0.0, 1.0))
            if INT16_MIN <= exact <= INT16_MAX:
                assert abs(mixed[n] - exact) <= bound
            else:
                assert mixed[n] == clamp(round(exact)) or abs(mixed[n] - clamp(exact)) <= bound
            if all(g == 1.0 for _f2, g in talkers):
                assert mixed[n] == clamp(round(exact))  # unit gains: exact


quiet = st.lists(st.integers(-5000, 5000), min_size=N, max_size=N)  # 6 x 5000 cannot clip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), quiet), st.booleans(), st.booleans()), max_size=6),
    st.data(),
)
def test_property_the_packed_path_equals_the_exact_sums(
    people: list[tuple[list[int] | None, bool, bool]], data: st.DataObject
) -> None:
    """Frames that cannot clip take the big-integer path: same samples as the exact sums, for
    every rule (mute, deaf, restricted listeners), and None where nobody is heard."""
    keys = list(range(len(people)))
    voices = {}
    for i, (_f, muted, deaf) in enumerate(people):
        heard = data.draw(st.one_of(st.none(), st.frozensets(st.sampled_from(keys))))
        voices[i] = Voice(muted=muted, deaf=deaf, heard_by=heard)
    frames = {i: (array("h", f) if f is not None else None) for i, (f, *_x) in enumerate(people)}
    out = mix_step(voices, frames)
    for i in keys:
        heard_from = [
            frames[j]
            for j in keys
            if j != i
            and frames[j] is not None
            and any(frames[j])  # type: ignore[arg-type]
            and not voices[j].muted
            and (voices[j].heard_by is None or i in voices[j].heard_by)  # type: ignore[operator]
        ]
        expected = [sum(f[n] for f in heard_from) for n in range(N)]  # type: ignore[index]
        if voices[i].deaf or not heard_from:
            assert out[i] is None or not any(out[i])  # type: ignore[arg-type]
        else:
            assert list(out[i] or []) == expected


def test_both_paths_agree_and_share_the_listeners_mix() -> None:
    voices = {k: Voice() for k in "abcxy"}
    voices["c"] = Voice(heard_by=frozenset({"a", "x"}))
    public = {"a": ramp(-80), "b": const(300)}
    restricted = [("c", const(-7), frozenset({"a", "x"}))]
    packed = _mix_packed(voices, dict(public), list(restricted), N)
    exact = _mix_exact(voices, dict(public), list(restricted))
    assert {k: list(v or []) for k, v in packed.items()} == {
        k: list(v or []) for k, v in exact.items()
    }
    assert packed["y"] is not None
    assert packed["y"] is not packed["x"]  # x hears c as well
    voices["z"] = Voice()
    packed = _mix_packed(voices, dict(public), list(restricted), N)
    assert packed["y"] is packed["z"]


def test_quiet_frames_are_no_talkers_when_asked() -> None:
    voices = {k: Voice() for k in "abc"}
    frames = {"a": ramp(-100), "b": const(500)}  # a: within [-256, 255]
    out = mix_step(voices, frames, drop_quiet=True)
    assert out["b"] is None  # a's idle noise is left out: b is alone
    assert list(out["c"] or []) == [500] * N
    out = mix_step(voices, frames)
    assert list(out["b"] or []) == list(ramp(-100))


def test_sums_at_the_edge_of_the_packed_path() -> None:
    """Peak bounds adding up to exactly 32768 take the packed path; the extremes survive."""
    voices = {k: Voice() for k in "abc"}
    frames = {"a": const(-16384), "b": const(-16384), "c": const(16383)}
    out = mix_step(voices, frames)
    assert list(out["c"] or []) == [INT16_MIN] * N
    assert list(out["a"] or []) == [-1] * N
    frames = {"a": const(16383), "b": const(16383)}
    out = mix_step(voices, frames)
    assert list(out["c"] or []) == [INT16_MAX - 1] * N
