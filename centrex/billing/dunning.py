"""Dunning: what happens to an unpaid invoice, as a pure function of dates.

Theory of operation (habit 4: a state machine is a table). An invoice is OPEN until its due date
(issue date + `due_days`, 15 by default). The day after, it is OVERDUE; `reminder_days` after the
due date a reminder is sent (REMINDED); `suspension_days` after the reminder the tenant's service
is suspended (SUSPENDED); `termination_days` after the suspension the contract is terminated
(TERMINATED). A payment at any point before termination settles the invoice (PAID) and, if the
service was suspended, restores it. A payment after termination settles the debt but does not
revive the contract.

`dunning_status` replays the dated inputs up to `today` through `TRANSITIONS`, so the answer for a
given (invoice, payment date, today) never depends on when a scheduler last ran: a job that was
down for a week catches up with the same result. A payment and a deadline on the same day: the
payment wins (it is applied first).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType


class DunningState(enum.Enum):
    """Where an invoice stands."""

    OPEN = "open"
    OVERDUE = "overdue"
    REMINDED = "reminded"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    PAID = "paid"


class DunningInput(enum.Enum):
    """Dated events that move an invoice."""

    DUE_DATE_PASSED = "due_date_passed"
    REMINDER_DUE = "reminder_due"
    SUSPENSION_DUE = "suspension_due"
    TERMINATION_DUE = "termination_due"
    PAYMENT = "payment"


class DunningAction(enum.Enum):
    """What the service layer must do on a transition."""

    NONE = "none"
    SEND_REMINDER = "send_reminder"
    SUSPEND_SERVICE = "suspend_service"
    TERMINATE_CONTRACT = "terminate_contract"
    RESTORE_SERVICE = "restore_service"
    MARK_PAID = "mark_paid"


_S, _I, _A = DunningState, DunningInput, DunningAction
TRANSITIONS: Mapping[tuple[DunningState, DunningInput], tuple[DunningAction, DunningState]] = (
    MappingProxyType(
        {
            (_S.OPEN, _I.DUE_DATE_PASSED): (_A.NONE, _S.OVERDUE),
            (_S.OPEN, _I.PAYMENT): (_A.MARK_PAID, _S.PAID),
            (_S.OVERDUE, _I.REMINDER_DUE): (_A.SEND_REMINDER, _S.REMINDED),
            (_S.OVERDUE, _I.PAYMENT): (_A.MARK_PAID, _S.PAID),
            (_S.REMINDED, _I.SUSPENSION_DUE): (_A.SUSPEND_SERVICE, _S.SUSPENDED),
            (_S.REMINDED, _I.PAYMENT): (_A.MARK_PAID, _S.PAID),
            (_S.SUSPENDED, _I.TERMINATION_DUE): (_A.TERMINATE_CONTRACT, _S.TERMINATED),
            (_S.SUSPENDED, _I.PAYMENT): (_A.RESTORE_SERVICE, _S.PAID),
            (_S.TERMINATED, _I.PAYMENT): (_A.MARK_PAID, _S.TERMINATED),
        }
    )
)
del _S, _I, _A


class DunningError(ValueError):
    """An input that is not legal in the current state (e.g. a second payment)."""


def step(state: DunningState, event: DunningInput) -> tuple[DunningAction, DunningState]:
    """One move of the table; anything not in it is an error."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise DunningError(f"{event.value} is not legal in state {state.value}") from None


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """Delays in days; each counts from the previous step (configurable per provider)."""

    due_days: int = 15
    reminder_days: int = 7
    suspension_days: int = 10
    termination_days: int = 30

    def schedule(self, issued: date) -> tuple[tuple[date, DunningInput], ...]:
        """Dates on which each deadline input fires for an invoice issued on `issued`."""
        due = issued + timedelta(days=self.due_days)
        reminder = due + timedelta(days=self.reminder_days)
        suspension = reminder + timedelta(days=self.suspension_days)
        termination = suspension + timedelta(days=self.termination_days)
        return (
            (due + timedelta(days=1), DunningInput.DUE_DATE_PASSED),
            (reminder, DunningInput.REMINDER_DUE),
            (suspension, DunningInput.SUSPENSION_DUE),
            (termination, DunningInput.TERMINATION_DUE),
        )


@dataclass(frozen=True, slots=True)
class DunningStatus:
    """State on `today`, the actions taken so far (dated) and the next deadline if any."""

    state: DunningState
    actions: tuple[tuple[date, DunningAction], ...]
    next_deadline: date | None


def dunning_status(
    issued: date, today: date, policy: DunningPolicy | None = None, paid_on: date | None = None
) -> DunningStatus:
    """Replay the invoice's dated inputs up to `today` (see module docstring)."""
    rules = policy or DunningPolicy()
    events = list(rules.schedule(issued))
    if paid_on is not None:
        events.append((paid_on, DunningInput.PAYMENT))
    events.sort(key=lambda e: (e[0], e[1] is not DunningInput.PAYMENT))
    state = DunningState.OPEN
    actions: list[tuple[date, DunningAction]] = []
    next_deadline: date | None = None
    for when, event in events:
        if (state, event) not in TRANSITIONS:
            continue  # deadlines after payment or termination no longer apply
        if when > today:
            next_deadline = when
            break
        action, state = step(state, event)
        if action is not DunningAction.NONE:
            actions.append((when, action))
    return DunningStatus(state, tuple(actions), next_deadline)
