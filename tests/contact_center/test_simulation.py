"""The day simulator: its rules (2 s grace, counts, occupancy) and its determinism."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from centrex.contact_center.pacing import Outcome, Snapshot, make_pacer
from centrex.contact_center.simulation import (
    DayProfile,
    ObservedDay,
    compare_methods,
    simulate_day,
)

DAY = DayProfile(answer_rate=0.3, talk_mean=60.0)


class Recorder:
    """Wraps a pacer and keeps everything it is told."""

    def __init__(self, method: str, **kwargs: float) -> None:
        self.inner = make_pacer(method, **kwargs)
        self.outcomes: list[Outcome] = []
        self.snapshots: list[Snapshot] = []

    def observe(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.inner.observe(outcome)

    def calls_to_place(self, snapshot: Snapshot) -> int:
        self.snapshots.append(snapshot)
        return self.inner.calls_to_place(snapshot)


class Fixed:
    """Places `n` calls at every tick, whatever happens."""

    def __init__(self, n: int) -> None:
        self.n = n

    def observe(self, outcome: Outcome) -> None:
        """A fixed pace learns nothing."""

    def calls_to_place(self, snapshot: Snapshot) -> int:
        return self.n


def test_the_same_seed_is_the_same_day_and_another_seed_another() -> None:
    first = simulate_day(make_pacer("predictive"), DAY, agents=5, seconds=1800, seed=7)
    again = simulate_day(make_pacer("predictive"), DAY, agents=5, seconds=1800, seed=7)
    other = simulate_day(make_pacer("predictive"), DAY, agents=5, seconds=1800, seed=8)
    assert first == again
    assert first != other


def test_counts_add_up_and_every_outcome_reaches_the_pacer() -> None:
    recorder = Recorder("ratio", ratio=2.0)
    day = simulate_day(recorder, DAY, agents=6, seconds=3600, seed=3)
    told = Counter(o.kind for o in recorder.outcomes)
    assert day.placed == sum(day.results.values()) > 0
    assert told["answered"] == day.answered
    assert told["connected"] == day.connected
    assert told["dropped"] == day.dropped > 0  # two lines per agent drops
    # At the end at most the calls still waiting (< 2 s) are neither connected nor dropped.
    assert 0 <= day.answered - day.connected - day.dropped <= 6
    assert told["talk-ended"] <= day.connected
    assert told["wrap-ended"] <= told["talk-ended"]
    attempts = sum(told[k] for k in ("answered", "no-answer", "busy", "failed", "machine"))
    assert attempts <= day.placed
    assert day.drop_pct == pytest.approx(100.0 * day.dropped / day.answered)
    assert 0.0 < day.occupancy_pct <= 100.0
    # About once a second, in order, with consistent agent counts.
    assert len(recorder.snapshots) == 3600
    assert all(s.agents_logged_in == 6 for s in recorder.snapshots)
    assert all(
        s.agents_ready + len(s.agents_talking) + len(s.agents_wrapping) == 6
        for s in recorder.snapshots
    )
    assert all(s.calls_waiting == 0 or s.agents_ready == 0 for s in recorder.snapshots)


def test_an_answer_waits_at_most_the_grace_for_an_agent() -> None:
    recorder = Recorder("ratio", ratio=3.0)
    simulate_day(recorder, DAY, agents=4, seconds=1800, seed=5)
    answered_at: list[float] = []
    waits: list[float] = []
    for outcome in recorder.outcomes:
        if outcome.kind == "answered":
            answered_at.append(outcome.at)
        elif outcome.kind == "dropped":
            waits.append(outcome.at)
    assert waits, "three lines per agent must drop"
    # Every drop happens exactly 2 s after some answer.
    answers = set(round(a + 2.0, 6) for a in answered_at)
    assert all(round(w, 6) in answers for w in waits)


def test_progressive_never_drops_and_preview_never_dials() -> None:
    progressive = simulate_day(make_pacer("progressive"), DAY, agents=5, seconds=3600, seed=2)
    assert progressive.dropped == 0
    assert progressive.answered > 50
    preview = simulate_day(make_pacer("preview"), DAY, agents=5, seconds=600, seed=2)
    assert (preview.placed, preview.answered, preview.occupancy_pct) == (0, 0, 0.0)


def test_occupancy_counts_talk_and_wrap_until_the_end_of_the_day() -> None:
    # Conversations of exactly 100 s talk + 20 s wrap; every call answered after 1 s.
    day_log = ObservedDay(attempts=(("answered", 1.0),), conversations=((100.0, 20.0),))
    day = simulate_day(make_pacer("progressive"), day_log, agents=1, seconds=1000.0, seed=1)
    # Placed at 0, answered at 1, busy 1..121, next placed at 121 (tick), answered 122, ...
    assert day.dropped == 0
    assert day.occupancy_pct == pytest.approx(100.0 * day.busy_seconds / 1000.0)
    assert 8 * 120.0 <= day.busy_seconds <= 1000.0
    assert day.connected == 9


def test_a_negative_pace_is_a_contract_breach() -> None:
    with pytest.raises(ValueError, match="asked for -1 calls"):
        simulate_day(Fixed(-1), DAY, agents=2, seconds=10, seed=1)


def test_bad_days_are_refused() -> None:
    with pytest.raises(ValueError, match="agents >= 1"):
        simulate_day(Fixed(0), DAY, agents=0, seconds=10, seed=1)
    with pytest.raises(ValueError, match="answer_rate"):
        DayProfile(answer_rate=0.0)
    with pytest.raises(ValueError, match="answered"):
        ObservedDay(attempts=(("busy", 2.0),), conversations=((10.0, 1.0),))
    with pytest.raises(ValueError, match="conversation"):
        ObservedDay(attempts=(("answered", 2.0),), conversations=())


@pytest.mark.parametrize("answer_rate", [0.1, 0.28, 0.5, 0.9])
def test_profile_results_follow_their_shares(answer_rate: float) -> None:
    profile = DayProfile(answer_rate=answer_rate)
    rng = random.Random(1)
    draws = [profile.attempt(rng) for _ in range(20000)]
    kinds = Counter(kind for kind, _ in draws)
    assert kinds["answered"] / len(draws) == pytest.approx(answer_rate, abs=0.015)
    assert sum(kinds.values()) == len(draws)
    assert all(seconds == profile.ring_timeout for kind, seconds in draws if kind == "no-answer")
    longest = profile.ring_timeout + profile.amd_seconds
    assert all(0.2 <= seconds <= longest for _, seconds in draws)


def test_methods_are_compared_on_the_same_calls() -> None:
    results = compare_methods(DAY, agents=5, seconds=1800, seed=4)
    assert [r.method for r in results] == ["predictive", "ratio 1", "ratio 2"]
    # The k-th placed call has the same result whatever the pacer: the share of answers is
    # the same day's, close across methods.
    shares = [r.results.get("answered", 0) / r.placed for r in results]
    assert max(shares) - min(shares) < 0.05
    assert results[2].drop_pct > results[1].drop_pct
