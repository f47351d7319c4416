"""The call and leg state tables of `centrex/calls/leg.py`, swept pair by pair, and the call
timers' exact deadlines (RFC 3261 §9.2, §13.2.2.4, §13.3.1.4, §15; RFC 4028 §10)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.calls.leg import (
    CALL_TABLE,
    UAC_TABLE,
    UAS_TABLE,
    CallAction,
    CallInput,
    CallState,
    CallTimers,
    IllegalMove,
    LegAction,
    LegInput,
    LegState,
    TimerKind,
    ack_wait,
    call_move,
    leg_move,
    next_2xx_interval,
)
from centrex.sip.timers import TimerConfig

UAS_ONLY = {LegState.INCOMING, LegState.ACCEPTED}
UAC_ONLY = {LegState.CALLING, LegState.CANCELLING}


# ---- the call table ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "event"),
    list(itertools.product(CallState, CallInput)),
    ids=lambda v: v.name,
)
def test_every_call_pair_is_a_move_or_an_illegal_move(state: CallState, event: CallInput) -> None:
    if (state, event) in CALL_TABLE:
        action, after = call_move(state, event)
        assert (action, after) == CALL_TABLE[(state, event)]
    else:
        with pytest.raises(IllegalMove) as caught:
            call_move(state, event)
        assert caught.value.state is state
        assert caught.value.event is event
        assert event.name in str(caught.value)


def test_every_input_in_ended_is_absorbed() -> None:
    """Ends race (a BYE against a CANCEL, a timer after a hang-up): ENDED absorbs them all."""
    for event in CallInput:
        assert call_move(CallState.ENDED, event) == (CallAction.NONE, CallState.ENDED)


def test_ended_is_reached_only_by_the_three_end_actions() -> None:
    enders = {CallAction.REJECT, CallAction.REJECT_CANCELLED, CallAction.RELEASE}
    for (state, _event), (action, after) in CALL_TABLE.items():
        if after is CallState.ENDED and state is not CallState.ENDED:
            assert action in enders
        if action in enders:
            assert after is CallState.ENDED


def test_cancel_after_the_answer_changes_nothing() -> None:
    """RFC 3261 §9.2: a CANCEL after the final response has no effect."""
    assert call_move(CallState.ANSWERED, CallInput.CANCEL) == (
        CallAction.NONE,
        CallState.ANSWERED,
    )


def test_a_call_cannot_be_answered_before_it_rings() -> None:
    with pytest.raises(IllegalMove):
        call_move(CallState.ROUTING, CallInput.ANSWER)
    with pytest.raises(IllegalMove):
        call_move(CallState.ANSWERED, CallInput.ANSWER)


def test_the_happy_path() -> None:
    state = CallState.ROUTING
    actions = []
    for event in (CallInput.RING, CallInput.ANSWER, CallInput.HANGUP):
        action, state = call_move(state, event)
        actions.append(action)
    assert actions == [CallAction.RING, CallAction.CONNECT, CallAction.RELEASE]
    assert state is CallState.ENDED


def test_voicemail_after_ringing_keeps_the_call_ringing() -> None:
    assert call_move(CallState.RINGING, CallInput.APP) == (CallAction.START_APP, CallState.RINGING)


def test_call_state_values_are_the_api_contract() -> None:
    assert [s.value for s in CallState] == ["started", "ringing", "answered", "ended"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list(CallInput)), max_size=20))
def test_random_call_input_sequences_only_raise_illegal_move(events: list[CallInput]) -> None:
    state = CallState.ROUTING
    ended = 0
    for event in events:
        try:
            action, after = call_move(state, event)
        except IllegalMove:
            continue
        if after is CallState.ENDED and state is not CallState.ENDED:
            ended += 1
            assert action is not CallAction.NONE
        state = after
    assert ended <= 1  # a call ends once, whatever arrives after


# ---- the leg tables ----------------------------------------------------------------------------
@pytest.mark.parametrize("uas", [True, False], ids=["uas", "uac"])
@pytest.mark.parametrize(
    ("state", "event"), list(itertools.product(LegState, LegInput)), ids=lambda v: v.name
)
def test_every_leg_pair_is_a_move_or_an_illegal_move(
    uas: bool, state: LegState, event: LegInput
) -> None:
    table = UAS_TABLE if uas else UAC_TABLE
    if (state, event) in table:
        assert leg_move(state, event, uas=uas) == table[(state, event)]
    else:
        with pytest.raises(IllegalMove):
            leg_move(state, event, uas=uas)


def test_each_role_only_uses_its_own_states() -> None:
    for state, _ in UAS_TABLE:
        assert state not in UAC_ONLY
    for _, (_, after) in UAS_TABLE.items():
        assert after not in UAC_ONLY
    for state, _ in UAC_TABLE:
        assert state not in UAS_ONLY
    for _, (_, after) in UAC_TABLE.items():
        assert after not in UAS_ONLY


def test_a_uac_leg_never_sees_an_ack_and_a_uas_leg_never_times_out() -> None:
    for state in LegState:
        if state is LegState.TERMINATED:
            continue
        with pytest.raises(IllegalMove):
            leg_move(state, LegInput.ACK, uas=False)
        with pytest.raises(IllegalMove):
            leg_move(state, LegInput.TIMEOUT, uas=True)


def test_uas_2xx_waits_for_the_ack() -> None:
    """§13.3.1.4: a 2xx arms retransmission and the ACK wait; the ACK stops both."""
    action, state = leg_move(LegState.EARLY, LegInput.SUCCESS, uas=True)
    assert (action, state) == (LegAction.START_2XX_TIMERS, LegState.ACCEPTED)
    assert leg_move(state, LegInput.ACK, uas=True) == (LegAction.STOP_2XX_TIMERS,
                                                       LegState.CONFIRMED)  # fmt: skip
    assert leg_move(state, LegInput.ACK_TIMEOUT, uas=True) == (
        LegAction.END_CALL,
        LegState.TERMINATED,
    )


def test_a_bye_may_arrive_before_the_ack() -> None:
    assert leg_move(LegState.ACCEPTED, LegInput.BYE, uas=True) == (
        LegAction.STOP_2XX_TIMERS,
        LegState.TERMINATED,
    )


def test_a_fork_that_lost_the_race_is_acked_and_byed() -> None:
    """§15: a 2xx on a leg we CANCELled (or already ended) is confirmed and ended at once."""
    action, state = leg_move(LegState.EARLY, LegInput.CANCEL, uas=False)
    assert (action, state) == (LegAction.SEND_CANCEL, LegState.CANCELLING)
    assert leg_move(state, LegInput.SUCCESS, uas=False) == (
        LegAction.ACK_AND_BYE,
        LegState.TERMINATED,
    )
    assert leg_move(LegState.TERMINATED, LegInput.SUCCESS, uas=False)[0] is LegAction.ACK_AND_BYE


def test_the_487_of_a_cancelled_leg_is_not_a_failure_to_act_on() -> None:
    """The answer to our own CANCEL must not fail the call over (the old code did)."""
    assert leg_move(LegState.CANCELLING, LegInput.FAILURE, uas=False) == (
        LegAction.NONE,
        LegState.TERMINATED,
    )
    assert leg_move(LegState.EARLY, LegInput.FAILURE, uas=False) == (
        LegAction.RELEASE,
        LegState.TERMINATED,
    )


def test_a_2xx_retransmission_is_acked_again() -> None:
    """§13.2.2.4: the UAC ACKs every 2xx retransmission."""
    assert leg_move(LegState.CONFIRMED, LegInput.SUCCESS, uas=False) == (
        LegAction.ACK,
        LegState.CONFIRMED,
    )


def test_terminated_absorbs_everything_but_a_uac_2xx() -> None:
    for uas in (True, False):
        for event in LegInput:
            action, state = leg_move(LegState.TERMINATED, event, uas=uas)
            assert state is LegState.TERMINATED
            expected = LegAction.ACK_AND_BYE if (not uas and event is LegInput.SUCCESS) else None
            assert action is (expected or LegAction.NONE)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), st.lists(st.sampled_from(list(LegInput)), max_size=25))
def test_random_leg_sequences_only_raise_illegal_move(uas: bool, events: list[LegInput]) -> None:
    state = LegState.INCOMING if uas else LegState.CALLING
    own = UAS_ONLY if uas else UAC_ONLY
    other = UAC_ONLY if uas else UAS_ONLY
    for event in events:
        try:
            _, state = leg_move(state, event, uas=uas)
        except IllegalMove:
            continue
        assert state not in other
        assert state in own or state in {LegState.EARLY, LegState.CONFIRMED, LegState.TERMINATED}


# ---- deadlines ---------------------------------------------------------------------------------
def test_2xx_retransmission_schedule_is_exact() -> None:
    """§13.3.1.4: T1, doubling to T2 — 0.5, 1.5, 3.5, 7.5, 11.5 … s — and never past 64*T1."""
    config = TimerConfig()
    timers = CallTimers()
    sent = 100.0
    deadline = timers.arm(TimerKind.RETRANSMIT_2XX, sent, config.t1)
    give_up = timers.arm(TimerKind.ACK_WAIT, sent, ack_wait(config))
    assert give_up == sent + 32.0
    fired: list[float] = []
    while True:
        due = timers.pop_due(deadline)
        assert [t.kind for t in due] == [TimerKind.RETRANSMIT_2XX]
        fired.append(round(deadline - sent, 3))
        interval = next_2xx_interval(timers.interval(TimerKind.RETRANSMIT_2XX), config)
        if deadline + interval >= give_up:
            break
        deadline = timers.rearm(TimerKind.RETRANSMIT_2XX, deadline, interval)
    assert fired == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert timers.next_deadline() == give_up
    assert [t.kind for t in timers.pop_due(give_up)] == [TimerKind.ACK_WAIT]
    assert timers.next_deadline() is None


def test_2xx_interval_caps_at_t2_for_other_timer_values() -> None:
    config = TimerConfig(t1=0.25, t2=2.0)
    intervals = [0.25]
    for _ in range(5):
        intervals.append(next_2xx_interval(intervals[-1], config))
    assert intervals == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert ack_wait(config) == 16.0


def test_late_wakeup_keeps_the_schedule() -> None:
    """Re-arming from the previous deadline, not from `now`, keeps the schedule exact."""
    timers = CallTimers()
    first = timers.arm(TimerKind.RETRANSMIT_2XX, 0.0, 0.5)
    woke = first + 0.3  # the loop woke 300 ms late
    (due,) = timers.pop_due(woke)
    assert due.deadline == 0.5
    assert timers.rearm(TimerKind.RETRANSMIT_2XX, due.deadline, 1.0) == 1.5


def test_timers_are_per_leg_and_popped_in_deadline_order() -> None:
    timers = CallTimers()
    timers.arm(TimerKind.RING, 0.0, 60.0)
    timers.arm(TimerKind.TRUNK_SETUP, 0.0, 8.0, leg="b1")
    timers.arm(TimerKind.TRUNK_SETUP, 2.0, 8.0, leg="b2")
    assert len(timers) == 3
    assert timers.next_deadline() == 8.0
    assert timers.pop_due(7.999) == []
    due = timers.pop_due(10.0)
    assert [(t.kind, t.leg, t.deadline) for t in due] == [
        (TimerKind.TRUNK_SETUP, "b1", 8.0),
        (TimerKind.TRUNK_SETUP, "b2", 10.0),
    ]
    assert timers.next_deadline() == 60.0


def test_cancel_leg_disarms_only_that_leg() -> None:
    timers = CallTimers()
    timers.arm(TimerKind.RING, 0.0, 60.0)
    timers.arm(TimerKind.TRUNK_SETUP, 0.0, 8.0, leg="b1")
    timers.arm(TimerKind.TRUNK_SETUP, 0.0, 9.0, leg="b2")
    timers.cancel_leg("b1")
    assert (TimerKind.TRUNK_SETUP, "b1") not in timers
    assert (TimerKind.TRUNK_SETUP, "b2") in timers
    assert timers.deadline(TimerKind.RING) == 60.0
    timers.cancel(TimerKind.RING)
    timers.cancel(TimerKind.RING)  # idempotent
    assert timers.next_deadline() == 9.0
    timers.clear()
    assert timers.next_deadline() is None


def test_rearming_replaces_the_deadline() -> None:
    """A session refresh (RFC 4028 §10) moves SESSION_EXPIRES, it does not add a second one."""
    timers = CallTimers()
    timers.arm(TimerKind.SESSION_EXPIRES, 0.0, 90.0)
    timers.arm(TimerKind.SESSION_EXPIRES, 60.0, 90.0)
    assert len(timers) == 1
    assert timers.pop_due(90.0) == []
    assert [t.deadline for t in timers.pop_due(150.0)] == [150.0]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(TimerKind)),
            st.sampled_from(["", "a", "b1", "b2"]),
            st.floats(min_value=0, max_value=100, allow_nan=False),
        ),
        max_size=12,
    ),
    st.floats(min_value=0, max_value=120, allow_nan=False),
)
def test_pop_due_returns_exactly_the_due_timers(
    arms: list[tuple[TimerKind, str, float]], now: float
) -> None:
    timers = CallTimers()
    expected: dict[tuple[TimerKind, str], float] = {}
    for kind, leg, interval in arms:
        timers.arm(kind, 0.0, interval, leg)
        expected[(kind, leg)] = interval
    due = timers.pop_due(now)
    assert {(t.kind, t.leg) for t in due} == {k for k, d in expected.items() if d <= now}
    assert [t.deadline for t in due] == sorted(t.deadline for t in due)
    rest = [d for d in expected.values() if d > now]
    assert timers.next_deadline() == (min(rest) if rest else None)
