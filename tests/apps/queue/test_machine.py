"""The waiting caller's state machine (pure, manual clock): table sweep and deadlines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.apps.queue.machine import (
    FINAL,
    TABLE,
    QueueMachineError,
    WaitAction,
    WaitingCaller,
    WaitInput,
    WaitState,
    estimated_wait,
)


def _in(state: WaitState) -> WaitingCaller:
    caller = WaitingCaller(entered_at=100.0, max_wait=60.0, announce_every=20.0)
    caller.state = state
    return caller


@pytest.mark.parametrize("state", list(WaitState))
@pytest.mark.parametrize("event", list(WaitInput))
def test_every_pair_is_a_move_or_a_protocol_error(state: WaitState, event: WaitInput) -> None:
    caller = _in(state)
    if (state, event) in TABLE:
        action, following = TABLE[(state, event)]
        assert caller.feed(event, 101.0) is action
        assert caller.state is following
    else:
        with pytest.raises(QueueMachineError):
            caller.feed(event, 101.0)
        assert caller.state is state


def test_final_states_accept_nothing() -> None:
    assert not [pair for pair in TABLE if pair[0] in FINAL]


@given(events=st.lists(st.sampled_from(list(WaitInput)), max_size=30),
       steps=st.lists(st.floats(0, 30), min_size=30, max_size=30))  # fmt: skip
def test_hypothesis_sweep_keeps_the_invariants(events: list[WaitInput], steps: list[float]) -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=90.0, announce_every=30.0)
    now = 0.0
    for event, step in zip(events, steps, strict=False):
        now += step
        before = caller.state
        if (before, event) not in TABLE:
            with pytest.raises(QueueMachineError):
                caller.feed(event, now)
            assert caller.state is before
            continue
        caller.feed(event, now)
        if caller.state in FINAL:
            assert caller.ended_at == now
            assert caller.next_deadline() is None
        if caller.state is WaitState.CONNECTED:
            assert caller.answered_at == now
        if caller.state is WaitState.WAITING:
            deadline = caller.next_deadline()
            assert deadline is not None
            assert deadline <= caller.max_wait_at


def test_announcements_every_period_then_overflow_at_max_wait() -> None:
    caller = WaitingCaller(entered_at=10.0, max_wait=50.0, announce_every=20.0)
    assert caller.next_deadline() == 30.0
    assert caller.handle_timer(29.9) is WaitAction.NONE
    assert caller.handle_timer(30.0) is WaitAction.ANNOUNCE
    assert caller.next_deadline() == 50.0
    assert caller.handle_timer(50.0) is WaitAction.ANNOUNCE
    assert caller.next_deadline() == 60.0  # the max wait comes before the next announcement
    assert caller.handle_timer(60.0) is WaitAction.OVERFLOW
    assert caller.state is WaitState.OVERFLOWED
    assert caller.waited(99.0) == 50.0


def test_no_announcements_when_the_queue_makes_none() -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=120.0)
    assert caller.next_deadline() == 120.0


def test_an_offer_ringing_past_max_wait_is_not_cut_then_the_overdue_overflow_fires() -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=30.0)
    assert caller.feed(WaitInput.AGENT_FREE, 25.0) is WaitAction.OFFER
    assert caller.next_deadline() is None
    assert caller.handle_timer(31.0) is WaitAction.NONE  # still offering
    assert caller.feed(WaitInput.OFFER_FAILED, 40.0) is WaitAction.NONE
    assert caller.handle_timer(40.0) is WaitAction.OVERFLOW
    assert caller.offers == 1


def test_answer_after_a_failed_offer_records_the_wait() -> None:
    caller = WaitingCaller(entered_at=5.0, max_wait=300.0)
    caller.feed(WaitInput.AGENT_FREE, 6.0)
    caller.feed(WaitInput.OFFER_FAILED, 21.0)
    caller.feed(WaitInput.AGENT_FREE, 22.0)
    assert caller.feed(WaitInput.ANSWERED, 27.0) is WaitAction.BRIDGE
    assert caller.waited(500.0) == 22.0
    assert caller.offers == 2


def test_hangup_while_offering_is_an_abandon() -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=300.0)
    caller.feed(WaitInput.AGENT_FREE, 1.0)
    assert caller.feed(WaitInput.HANGUP, 4.0) is WaitAction.RECORD_ABANDON
    assert caller.state is WaitState.ABANDONED


def test_no_agents_overflows_at_once() -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=300.0)
    assert caller.feed(WaitInput.NO_AGENTS, 0.5) is WaitAction.OVERFLOW
    assert caller.waited(10.0) == 0.5


def test_estimated_wait() -> None:
    assert estimated_wait(3, 120.0, 2) == 180.0
    assert estimated_wait(1, 60.0, 0) == float("inf")


def test_the_first_announcement_can_come_early() -> None:
    caller = WaitingCaller(entered_at=0.0, max_wait=300.0, announce_every=30.0, first_announce=3.0)
    assert caller.next_deadline() == 3.0
    assert caller.handle_timer(3.0) is WaitAction.ANNOUNCE
    assert caller.next_deadline() == 33.0
