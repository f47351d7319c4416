"""Prepaid credit and trials."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from centrex.billing.credit import Refusal, Trial, authorize_call, debit
from centrex.billing.decks import Increment, Rate

D = Decimal
MOBILE = Rate("417", "CH mobile", D("0.30"), D("0.10"), Increment(60, 60), "CHF")


def test_trial_defaults_and_dates() -> None:
    trial = Trial(start=date(2026, 3, 1))
    assert (trial.days, trial.test_numbers, trial.credit, trial.currency) == (40, 5, D(20), "CHF")
    assert trial.last_day == date(2026, 4, 9)
    assert trial.active(date(2026, 4, 9))
    assert not trial.active(date(2026, 4, 10))
    assert not trial.active(date(2026, 2, 28))
    assert trial.days_left(date(2026, 3, 1)) == 40
    assert trial.days_left(date(2026, 4, 9)) == 1
    assert trial.days_left(date(2026, 5, 1)) == 0
    assert trial.days_left(date(2026, 1, 1)) == 40


def test_authorize_limits_the_call_to_what_the_balance_pays() -> None:
    # 1.00 - 0.10 fee = 0.90 -> 180 s at 0.30/min, in whole minutes: 180 s
    auth = authorize_call(D("1.00"), MOBILE)
    assert auth.allowed
    assert auth.max_seconds == 180


def test_zero_balance_refuses_chargeable_calls_but_not_free_ones() -> None:
    refused = authorize_call(D(0), MOBILE)
    assert (refused.allowed, refused.refusal) == (False, Refusal.NO_CREDIT)
    too_low = authorize_call(D("0.20"), MOBILE)  # fee + first minute = 0.40
    assert (too_low.allowed, too_low.refusal) == (False, Refusal.CREDIT_TOO_LOW)
    free = authorize_call(D(0), Rate("112", "Emergency", D(0)))
    assert free.allowed
    assert free.max_seconds is None


def test_debit_and_low_balance_alert_fires_once() -> None:
    first = debit(D("5.00"), D("2.00"), low_balance_threshold=D("3.00"))
    assert (first.balance, first.low_balance_alert, first.exhausted) == (D("3.00"), True, False)
    second = debit(first.balance, D("1.00"), low_balance_threshold=D("3.00"))
    assert not second.low_balance_alert
    last = debit(D("0.50"), D("0.60"))
    assert last.exhausted
    assert last.balance == D("-0.10")
    with pytest.raises(ValueError, match="negative"):
        debit(D(1), D(-1))
