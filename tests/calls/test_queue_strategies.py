"""ACD queue strategies (pure): who is offered the head caller, from plain data."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.features.queue_strategies import (
    STRATEGIES,
    AgentInfo,
    OfferContext,
    offer_for,
)

A, B, C = AgentInfo("101", 0), AgentInfo("102", 1), AgentInfo("103", 2)


def test_ring_all_offers_every_free_agent_in_configured_order() -> None:
    assert offer_for("ring-all", [C, A, B], OfferContext()) == ("101", "102", "103")


def test_longest_idle_never_idle_first_then_oldest_end() -> None:
    agents = [AgentInfo("101", 0, idle_since=50.0), AgentInfo("102", 1, idle_since=10.0),
              AgentInfo("103", 2, idle_since=None)]  # fmt: skip
    assert offer_for("longest-idle", agents, OfferContext()) == ("103",)
    assert offer_for("longest-idle", agents[:2], OfferContext()) == ("102",)


def test_longest_idle_ties_keep_configured_order() -> None:
    assert offer_for("longest-idle", [C, B], OfferContext()) == ("102",)


def test_round_robin_starts_after_the_last_offered_and_skips_busy_ones() -> None:
    members = ("101", "102", "103")
    ctx = OfferContext(last_offered="101", members=members)
    assert offer_for("round-robin", [A, B, C], ctx) == ("102",)
    assert offer_for("round-robin", [A, C], ctx) == ("103",)  # 102 is not free
    wrap = OfferContext(last_offered="103", members=members)
    assert offer_for("round-robin", [A, B, C], wrap) == ("101",)
    assert offer_for("round-robin", [B, C], OfferContext(members=members)) == ("102",)


def test_fewest_calls_then_longest_idle() -> None:
    agents = [AgentInfo("101", 0, calls=3), AgentInfo("102", 1, calls=1, idle_since=5.0),
              AgentInfo("103", 2, calls=1, idle_since=2.0)]  # fmt: skip
    assert offer_for("fewest-calls", agents, OfferContext()) == ("103",)


def test_skills_highest_level_first_and_never_below_the_minimum() -> None:
    agents = [AgentInfo("101", 0, level=3), AgentInfo("102", 1, level=7),
              AgentInfo("103", 2, level=7, idle_since=1.0)]  # fmt: skip
    assert offer_for("skills", agents, OfferContext()) == ("102",)
    assert offer_for("skills", agents[:1], OfferContext(min_level=5)) == ()


def test_unknown_strategy_is_named() -> None:
    with pytest.raises(KeyError, match="nope"):
        offer_for("nope", [A], OfferContext())


agent_lists = st.lists(
    st.builds(
        AgentInfo,
        extension=st.sampled_from(["101", "102", "103", "104", "105"]),
        position=st.integers(0, 9),
        level=st.integers(1, 10),
        idle_since=st.none() | st.floats(0, 1e6),
        calls=st.integers(0, 50),
    ),
    max_size=6,
    unique_by=lambda a: a.extension,
)


@given(agents=agent_lists, name=st.sampled_from(sorted(STRATEGIES)),
       last=st.none() | st.sampled_from(["101", "103", "109"]), min_level=st.integers(1, 10))  # fmt: skip
def test_every_strategy_offers_only_free_agents_and_someone_when_it_can(
    agents: list[AgentInfo], name: str, last: str | None, min_level: int
) -> None:
    ctx = OfferContext(last_offered=last, min_level=min_level,
                       members=("101", "102", "103", "104", "105"))  # fmt: skip
    offered = offer_for(name, agents, ctx)
    free = {a.extension for a in agents}
    assert set(offered) <= free
    able = [a for a in agents if name != "skills" or a.level >= min_level]
    assert bool(offered) == bool(able)
    if name != "ring-all":
        assert len(offered) <= 1
