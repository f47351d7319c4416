"""Ring-group strategies as pure functions (calls/features/ring_strategies.py): the steps each
strategy makes of a group's members, for every strategy and its edge cases."""

from __future__ import annotations

import math

import pytest

from centrex.calls.features.ring_strategies import STRATEGIES, RingContext, steps_for

MEMBERS = ("101", "102", "103")


def test_simultaneous_is_one_step_with_every_member() -> None:
    assert steps_for("simultaneous", MEMBERS, RingContext()) == (MEMBERS,)
    assert steps_for("simultaneous", (), RingContext()) == ()


def test_sequential_keeps_the_configured_order_whatever_the_context() -> None:
    context = RingContext(last_answered="101", idle_since={"101": 5.0})
    assert steps_for("sequential", MEMBERS, context) == (("101",), ("102",), ("103",))


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        (None, ("101", "102", "103")),
        ("101", ("102", "103", "101")),
        ("102", ("103", "101", "102")),
        ("103", ("101", "102", "103")),
        ("999", ("101", "102", "103")),  # that member left the group
    ],
)
def test_round_robin_starts_after_the_last_answerer(
    last: str | None, expected: tuple[str, ...]
) -> None:
    steps = steps_for("round-robin", MEMBERS, RingContext(last_answered=last))
    assert steps == tuple((m,) for m in expected)


def test_longest_idle_orders_by_idle_since_never_busy_first_ties_in_member_order() -> None:
    context = RingContext(idle_since={"101": 30.0, "103": 10.0})
    # 102 never had a call (idle forever) first, then 103 (idle since 10), then 101 (since 30)
    assert steps_for("longest-idle", MEMBERS, context) == (("102",), ("103",), ("101",))
    tie = RingContext(idle_since={"101": 7.0, "102": 7.0, "103": -math.inf})
    assert steps_for("longest-idle", MEMBERS, tie) == (("103",), ("101",), ("102",))


def test_the_registry_names_every_strategy_the_data_model_allows() -> None:
    from centrex.data.models import RingStrategy

    assert set(STRATEGIES) == {s.value for s in RingStrategy}
    with pytest.raises(KeyError, match="unknown ring strategy 'random'"):
        steps_for("random", MEMBERS, RingContext())
