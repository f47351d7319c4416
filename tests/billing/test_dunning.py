"""Dunning state machine: the table, and the state as a pure function of dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.billing.dunning import (
    TRANSITIONS,
    DunningAction,
    DunningError,
    DunningInput,
    DunningPolicy,
    DunningState,
    dunning_status,
    step,
)

ISSUED = date(2026, 3, 1)  # due 16 March, overdue 17, reminder 23, suspension 2 April, end 2 May
A = DunningAction


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 3, 1), DunningState.OPEN),
        (date(2026, 3, 16), DunningState.OPEN),
        (date(2026, 3, 17), DunningState.OVERDUE),
        (date(2026, 3, 23), DunningState.REMINDED),
        (date(2026, 4, 1), DunningState.REMINDED),
        (date(2026, 4, 2), DunningState.SUSPENDED),
        (date(2026, 5, 1), DunningState.SUSPENDED),
        (date(2026, 5, 2), DunningState.TERMINATED),
        (date(2027, 1, 1), DunningState.TERMINATED),
    ],
)
def test_unpaid_invoice_timeline(today: date, state: DunningState) -> None:
    assert dunning_status(ISSUED, today).state is state


def test_actions_and_next_deadline() -> None:
    status = dunning_status(ISSUED, date(2026, 4, 10))
    assert status.actions == (
        (date(2026, 3, 23), A.SEND_REMINDER),
        (date(2026, 4, 2), A.SUSPEND_SERVICE),
    )
    assert status.next_deadline == date(2026, 5, 2)
    assert dunning_status(ISSUED, date(2026, 3, 5)).next_deadline == date(2026, 3, 17)


def test_payment_while_suspended_restores_service() -> None:
    status = dunning_status(ISSUED, date(2026, 6, 1), paid_on=date(2026, 4, 5))
    assert status.state is DunningState.PAID
    assert status.actions[-1] == (date(2026, 4, 5), A.RESTORE_SERVICE)
    assert status.next_deadline is None


def test_payment_on_suspension_day_wins() -> None:
    status = dunning_status(ISSUED, date(2026, 4, 2), paid_on=date(2026, 4, 2))
    assert status.state is DunningState.PAID
    assert A.SUSPEND_SERVICE not in [a for _, a in status.actions]


def test_payment_in_time_and_after_termination() -> None:
    assert dunning_status(ISSUED, date(2026, 9, 1), paid_on=ISSUED).state is DunningState.PAID
    late = dunning_status(ISSUED, date(2026, 9, 1), paid_on=date(2026, 6, 1))
    assert late.state is DunningState.TERMINATED
    assert late.actions[-1] == (date(2026, 6, 1), A.MARK_PAID)
    future = dunning_status(ISSUED, date(2026, 3, 2), paid_on=date(2026, 3, 10))
    assert future.state is DunningState.OPEN


def test_policy_is_configurable() -> None:
    policy = DunningPolicy(due_days=30, reminder_days=1, suspension_days=1, termination_days=1)
    assert dunning_status(ISSUED, date(2026, 3, 31), policy).state is DunningState.OPEN
    # due 31 March; overdue and reminded 1 April, suspended 2 April, terminated 3 April
    assert dunning_status(ISSUED, date(2026, 4, 1), policy).state is DunningState.REMINDED
    assert dunning_status(ISSUED, date(2026, 4, 2), policy).state is DunningState.SUSPENDED
    assert dunning_status(ISSUED, date(2026, 4, 3), policy).state is DunningState.TERMINATED


@pytest.mark.parametrize("state", list(DunningState))
@pytest.mark.parametrize("event", list(DunningInput))
def test_every_state_input_pair_is_a_move_or_an_error(
    state: DunningState, event: DunningInput
) -> None:
    if (state, event) in TRANSITIONS:
        action, nxt = step(state, event)
        assert isinstance(action, DunningAction)
        assert isinstance(nxt, DunningState)
    else:
        with pytest.raises(DunningError):
            step(state, event)


def test_paid_is_terminal() -> None:
    assert not any(s is DunningState.PAID for s, _ in TRANSITIONS)


@given(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))),
)
def test_state_never_goes_back_in_time(today: date, paid_on: date | None) -> None:
    order = list(DunningState)
    earlier = dunning_status(ISSUED, today, paid_on=paid_on).state
    later = dunning_status(ISSUED, date(2028, 1, 1), paid_on=paid_on).state
    if earlier is DunningState.PAID:
        assert later is DunningState.PAID
    elif later is not DunningState.PAID:
        assert order.index(earlier) <= order.index(later)
