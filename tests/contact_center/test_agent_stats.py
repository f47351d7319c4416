"""The agent statistics' arithmetic (`contact_center/agent_stats.py`, pure): each logged-in
second gets exactly one kind (pause by reason, talk, wrap-up, ringing, idle) whatever the
sequence of state changes and calls (a Hypothesis sweep: the parts add up to the logged-in
time exactly), calls outside logged-in time count nowhere, the period clips everything,
occupancy excludes pauses, and the totals sum the agents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from centrex.contact_center.agent_stats import (
    AgentFigures,
    CallSpan,
    StateSpan,
    agent_figures,
    occupancy,
    seconds_of,
    totals,
)

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_one_morning_by_hand() -> None:
    states = [StateSpan("ready", "", at(0), at(600)),
              StateSpan("paused", "lunch", at(600), at(900)),
              StateSpan("ready", "", at(900), at(1200)),
              StateSpan("wrap-up", "", at(1200), at(1230))]  # fmt: skip
    calls = [CallSpan(at(100), 20, 200, 30, "answered", "sale"),
             CallSpan(at(1000), 15, 0, 0, "no-answer"),
             CallSpan(at(5000), 10, 60, 0, "answered")]  # logged out by then: no time  # fmt: skip
    f = agent_figures("301", states, calls, at(0), at(7200))
    assert (f.ring, f.talk, f.wrap, f.pause, f.idle) == (35, 200, 60, {"lunch": 300}, 635)
    assert f.logged_in == 1230 == f.ring + f.talk + f.wrap + f.pause_total + f.idle
    assert (f.calls, f.contacts, f.dispositions) == (3, 2, {"sale": 1})
    assert f.occupancy == round(100 * 260 / 930, 2)
    d = f.as_dict()
    assert (d["talk_seconds"], d["pause_seconds"], d["logged_in_seconds"]) == (200, {"lunch": 300},
                                                                               1230)  # fmt: skip


def test_the_period_clips_states_and_calls_and_counts() -> None:
    states = [StateSpan("ready", "", at(-3600), at(3600))]
    calls = [CallSpan(at(-30), 10, 100, 0, "answered")]  # rang and talked across the start
    f = agent_figures("301", states, calls, at(0), at(1800))
    assert (f.logged_in, f.ring, f.talk, f.idle) == (1800, 0, 80, 1720)
    assert f.calls == 0  # started before the period: not one of its calls


def test_in_call_state_is_talk_and_sub_second_boundaries_floor() -> None:
    states = [
        StateSpan("ready", "", at(0.4), at(10.9)),
        StateSpan("in-call", "", at(10.9), at(20.2)),
    ]
    f = agent_figures("301", states, [], at(0), at(60))
    assert (f.idle, f.talk, f.logged_in) == (10, 10, 20)


def test_counted_calls_are_the_campaigns_only() -> None:
    mine = CallSpan(at(10), 5, 50, 5, "answered", "sale")
    other = CallSpan(at(100), 5, 50, 5, "answered", "callback")
    states = [StateSpan("ready", "", at(0), at(300))]
    f = agent_figures("301", states, [mine, other], at(0), at(300), counted_calls=[mine],
                      appointments=2)  # fmt: skip
    assert (f.calls, f.dispositions, f.talk, f.appointments) == (1, {"sale": 1}, 100, 2)


def test_occupancy_and_totals() -> None:
    assert occupancy(0, 0, 100, 100) is None
    assert occupancy(30, 20, 200, 100) == 50.0
    a = AgentFigures("301", calls=2, contacts=1, talk=100, wrap=20, ring=10, idle=70,
                     pause={"lunch": 100}, logged_in=300, dispositions={"sale": 1},
                     appointments=1)  # fmt: skip
    b = AgentFigures("302", calls=1, talk=50, idle=50, pause={"break": 10, "lunch": 5},
                     logged_in=115, dispositions={"sale": 2, "callback": 1})  # fmt: skip
    t = totals([a, b])
    assert (t.calls, t.contacts, t.talk, t.logged_in, t.appointments) == (3, 1, 150, 415, 1)
    assert t.pause == {"lunch": 105, "break": 10}
    assert t.dispositions == {"sale": 3, "callback": 1}
    assert t.occupancy == round(100 * 170 / 300, 2)


def test_seconds_of_floors_and_reads_naive_as_utc() -> None:
    assert seconds_of(at(1.999)) - seconds_of(T0) == 1
    assert seconds_of(T0.replace(tzinfo=None)) == seconds_of(T0)
    assert seconds_of(at(-0.5)) - seconds_of(T0) == -1


STATE = st.sampled_from(["ready", "paused", "wrap-up", "in-call", "logged-out"])
CHANGES = st.lists(st.tuples(st.floats(0, 4000, allow_nan=False), STATE,
                             st.sampled_from(["break", "lunch", "meeting"])), max_size=25)  # fmt: skip
CALLS = st.lists(st.tuples(st.floats(-500, 5000, allow_nan=False), st.integers(0, 120),
                           st.integers(0, 900), st.integers(0, 300),
                           st.sampled_from(["answered", "no-answer", "machine"])),
                 max_size=15)  # fmt: skip


def _spans(changes: list[tuple[float, str, str]], end: float) -> list[StateSpan]:
    """The log's intervals from a sequence of changes, as `record_agent_state` writes them."""
    spans: list[StateSpan] = []
    current: tuple[float, str, str] | None = None
    for moment, state, reason in sorted(changes):
        if current is not None:
            spans.append(StateSpan(current[1], current[2], at(current[0]), at(moment)))
        current = None if state == "logged-out" else (moment, state, reason)
    if current is not None:
        spans.append(StateSpan(current[1], current[2], at(current[0]), at(end)))
    return spans


@given(CHANGES, CALLS, st.floats(0, 2000), st.floats(0, 5000))
def test_the_parts_add_up_to_the_logged_in_time_exactly(
    changes: list[tuple[float, str, str]],
    calls: list[tuple[float, int, int, int, str]],
    since: float,
    length: float,
) -> None:
    spans = _spans(changes, 4500)
    low, high = seconds_of(at(since)), seconds_of(at(since + length))
    expected = sum(max(0, min(seconds_of(s.end), high) - max(seconds_of(s.start), low))
                   for s in spans)  # fmt: skip
    f = agent_figures("301", spans, [CallSpan(at(t), r, k, w, o) for t, r, k, w, o in calls],
                      at(since), at(since + length))  # fmt: skip
    assert f.ring + f.talk + f.wrap + f.pause_total + f.idle == f.logged_in == expected
    assert min(f.ring, f.talk, f.wrap, f.idle, *f.pause.values(), 0) >= 0
    paused = sum(max(0, min(seconds_of(s.end), high) - max(seconds_of(s.start), low))
                 for s in spans if s.state == "paused")  # fmt: skip
    assert f.pause_total == paused
    if f.logged_in - f.pause_total > 0:
        assert f.occupancy is not None
        assert 0 <= f.occupancy <= 100
