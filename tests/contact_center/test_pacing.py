"""The pacer contract (issue 15, item 4): registry, settings, and each method's bounds.

Hypothesis sweeps snapshots (and, for predictive, any history of outcomes): never a negative
answer, preview 0, progressive <= ready agents, ratio and predictive within max_ratio lines.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.contact_center.pacing import (
    ANSWER_PRIOR,
    PACERS,
    Durations,
    Outcome,
    OutcomeKind,
    PredictivePacer,
    Snapshot,
    expected_overflow,
    make_pacer,
)

KINDS: tuple[OutcomeKind, ...] = (
    "answered",
    "no-answer",
    "busy",
    "failed",
    "machine",
    "connected",
    "dropped",
    "talk-ended",
    "wrap-ended",
)
ages = st.floats(min_value=0.0, max_value=4000.0, allow_nan=False)


@st.composite
def snapshots(draw: st.DrawFn) -> Snapshot:
    talking = tuple(draw(st.lists(ages, max_size=40)))
    wrapping = tuple(draw(st.lists(ages, max_size=20)))
    ready = draw(st.integers(min_value=0, max_value=40))
    waiting = draw(st.integers(min_value=0, max_value=5)) if ready == 0 else 0
    extra = draw(st.integers(min_value=0, max_value=5))  # paused agents, say
    return Snapshot(
        now=draw(st.floats(min_value=0.0, max_value=1e6, allow_nan=False)),
        agents_logged_in=ready + len(talking) + len(wrapping) + extra,
        agents_ready=ready,
        agents_talking=talking,
        agents_wrapping=wrapping,
        calls_ringing=tuple(draw(st.lists(ages, max_size=150))),
        calls_waiting=waiting,
    )


outcomes = st.builds(
    Outcome,
    kind=st.sampled_from(KINDS),
    at=st.floats(min_value=0.0, max_value=1e5, allow_nan=False),
    seconds=st.floats(min_value=0.0, max_value=3000.0, allow_nan=False),
)


def _lines(snapshot: Snapshot) -> int:
    return len(snapshot.calls_ringing) + snapshot.calls_waiting + len(snapshot.agents_talking)


def _snap(
    ready: int = 0,
    logged_in: int | None = None,
    *,
    talking: tuple[float, ...] = (),
    wrapping: tuple[float, ...] = (),
    ringing: tuple[float, ...] = (),
    waiting: int = 0,
    now: float = 100.0,
) -> Snapshot:
    total = ready + len(talking) + len(wrapping) if logged_in is None else logged_in
    return Snapshot(now, total, ready, talking, wrapping, ringing, waiting)


def _trained(answer_every: int = 10, attempts: int = 400, drops: int = 0) -> PredictivePacer:
    """A predictive pacer that has seen a steady day: 1 answer in `answer_every` attempts."""
    pacer = make_pacer("predictive")
    assert isinstance(pacer, PredictivePacer)
    at = 0.0
    for i in range(attempts):
        at += 1.0
        if i % answer_every == 0:
            pacer.observe(Outcome("answered", at, 8.0 + i % 5))
            pacer.observe(Outcome("connected", at))
            pacer.observe(Outcome("talk-ended", at, 60.0 + (i * 7) % 120))
            pacer.observe(Outcome("wrap-ended", at, 3.0 + i % 7))
        else:
            pacer.observe(Outcome("no-answer", at, 25.0))
    for _ in range(drops):
        pacer.observe(Outcome("answered", at, 8.0))
        pacer.observe(Outcome("dropped", at + 2.0))
    return pacer


# ---- registry and settings ---------------------------------------------------------------


def test_the_registry_names_the_four_methods() -> None:
    assert set(PACERS) == {"preview", "progressive", "ratio", "predictive"}
    for method in PACERS:
        assert make_pacer(method).calls_to_place(_snap(ready=0, logged_in=0)) == 0


def test_an_unknown_method_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown dial method 'adaptive'.*predictive"):
        make_pacer("adaptive")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop_target": 0.0}, "drop_target"),
        ({"drop_target": 1.5}, "drop_target"),
        ({"ratio": 0.0}, "ratio must be > 0"),
        ({"max_ratio": 0.5}, "max_ratio"),
    ],
)
def test_settings_out_of_range_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_pacer("ratio", **kwargs)


# ---- the simple methods ------------------------------------------------------------------


@given(snapshots())
def test_preview_never_places_a_call(snapshot: Snapshot) -> None:
    assert make_pacer("preview").calls_to_place(snapshot) == 0


@given(snapshots())
def test_progressive_places_one_call_per_ready_agent_not_yet_covered(snapshot: Snapshot) -> None:
    n = make_pacer("progressive").calls_to_place(snapshot)
    assert 0 <= n <= snapshot.agents_ready
    in_flight = len(snapshot.calls_ringing) + snapshot.calls_waiting
    assert n == max(0, snapshot.agents_ready - in_flight)


@given(
    snapshots(),
    st.floats(min_value=0.1, max_value=10.0, allow_nan=False),
    st.floats(min_value=1.0, max_value=6.0, allow_nan=False),
)
def test_ratio_keeps_ratio_lines_per_agent_bounded_by_max_ratio(
    snapshot: Snapshot, ratio: float, max_ratio: float
) -> None:
    n = make_pacer("ratio", ratio=ratio, max_ratio=max_ratio).calls_to_place(snapshot)
    assert n >= 0
    lines = math.floor(min(ratio, max_ratio) * snapshot.agents_logged_in + 1e-9)
    assert n == max(0, lines - _lines(snapshot))
    assert n + _lines(snapshot) <= max(_lines(snapshot), max_ratio * snapshot.agents_logged_in)


def test_ratio_two_fills_two_lines_per_agent() -> None:
    pacer = make_pacer("ratio", ratio=2.0)
    # 4 agents -> 8 lines; 2 talking + 3 ringing in use.
    assert pacer.calls_to_place(_snap(ready=2, talking=(5.0, 9.0), ringing=(1.0, 2.0, 3.0))) == 3
    assert pacer.calls_to_place(_snap(ready=0, talking=(1.0,) * 4, ringing=(1.0,) * 4)) == 0


# ---- predictive --------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(outcomes, max_size=300), snapshots(), st.floats(min_value=1.0, max_value=6.0))
def test_predictive_stays_between_progressive_and_max_ratio(
    history: list[Outcome], snapshot: Snapshot, max_ratio: float
) -> None:
    pacer = make_pacer("predictive", max_ratio=max_ratio)
    for outcome in history:
        pacer.observe(outcome)
    n = pacer.calls_to_place(snapshot)
    assert n >= 0
    progressive = make_pacer("progressive").calls_to_place(snapshot)
    cap = math.floor(max_ratio * snapshot.agents_logged_in + 1e-9) - _lines(snapshot)
    assert n <= max(0, cap)
    assert n >= min(progressive, max(0, cap))


def test_predictive_starts_conservatively_and_learns_the_answer_rate() -> None:
    fresh = make_pacer("predictive")
    first = fresh.calls_to_place(_snap(ready=10))
    # Nothing observed: dial for the ready agents at the high prior answer rate, no more.
    assert 10 <= first <= math.ceil(10 / ANSWER_PRIOR)
    trained = _trained(answer_every=10)
    assert trained.calls_to_place(_snap(ready=10)) > 2 * first
    assert trained.answer_rate < 0.15  # learned at the decision: 40 answers in 400 attempts


def test_predictive_counts_agents_about_to_finish_only_once_talk_times_are_known() -> None:
    fresh = make_pacer("predictive")
    trained = _trained()
    # No one ready; ten agents at 168 s into their calls, when the longest learned calls
    # (60-170 s) end: they will be free within the next ring time.
    snapshot = _snap(ready=0, talking=(168.0,) * 10)
    assert fresh.calls_to_place(snapshot) == 0
    assert trained.calls_to_place(snapshot) > 0
    # Agents who just started talking will not be free within the next ring time.
    assert trained.calls_to_place(_snap(ready=0, talking=(1.0,) * 10)) == 0


def test_predictive_falls_back_to_progressive_once_the_day_dropped_too_much() -> None:
    calm = _trained()
    hot = _trained(drops=10)  # 50 answers, 10 dropped: far above 3 %
    snapshot = _snap(ready=5, talking=(150.0,) * 15)
    assert calm.calls_to_place(snapshot) > 5
    assert hot.calls_to_place(snapshot) == 5  # one per ready agent: cannot drop


def test_predictive_counts_ringing_calls_by_their_age() -> None:
    pacer = _trained()
    young = pacer.calls_to_place(_snap(ready=6, ringing=(1.0,) * 12))
    # Calls ringing for 24 s are past every observed answer (8-12 s): they will not answer.
    old = pacer.calls_to_place(_snap(ready=6, ringing=(24.0,) * 12))
    assert old > young


def test_small_teams_aim_lower_than_the_target() -> None:
    pacer = _trained()
    assert pacer.setpoint(3) < pacer.setpoint(20) < pacer.setpoint(100) < 0.03
    assert pacer.setpoint(3) <= 0.5 * 0.03


def test_expected_overflow_of_the_normal_law() -> None:
    assert expected_overflow(2.0, 0.0) == 2.0
    assert expected_overflow(-2.0, 0.0) == 0.0
    assert expected_overflow(0.0, 1.0) == pytest.approx(1.0 / math.sqrt(2.0 * math.pi))
    assert expected_overflow(-3.0, 1.0) < expected_overflow(-1.0, 1.0) < expected_overflow(0.0, 4.0)


def test_durations_survival_grid_and_window() -> None:
    durations = Durations(maxlen=4)
    assert durations.survival_grid(2) == [1.0, 1.0, 1.0]
    for seconds in (0.5, 1.0, 2.5, 9.0, 3.0):  # 0.5 leaves the window of 4
        durations.add(seconds)
    assert len(durations) == 4
    assert durations.survival_grid(3) == [1.0, 0.75, 0.75, 0.25]
    assert durations.mean(0.0) == pytest.approx(15.5 / 4)
    assert durations.longest() == 9.0
