"""Prepaid credit and trials (pure).

A trial tenant gets 40 days, 5 test numbers and a test credit (CHF 20 by default); a prepaid
tenant has a balance. Both are debited as calls are rated, and a new outbound call is only
authorized for as long as the balance pays for it (`rating.max_duration`: connection fee and
increments respected, floored to whole seconds). At zero balance a chargeable outbound call is
refused; a free one (price and fee both 0, e.g. a bundle or emergency route) is always allowed.
The low-balance alert fires once, when a debit crosses the threshold downwards, so the tenant is
mailed once and not after every call.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from centrex.billing.decks import Rate
from centrex.billing.money import ZERO
from centrex.billing.rating import max_duration

TRIAL_DAYS = 40
TRIAL_NUMBERS = 5
TRIAL_CREDIT = Decimal(20)
TRIAL_CURRENCY = "CHF"


@dataclass(frozen=True, slots=True)
class Trial:
    """A trial: it runs `days` days from `start` inclusive, so a 40-day trial from 1 March ends
    on 9 April (last day) and the tenant is blocked from 10 April."""

    start: date
    days: int = TRIAL_DAYS
    test_numbers: int = TRIAL_NUMBERS
    credit: Decimal = TRIAL_CREDIT
    currency: str = TRIAL_CURRENCY

    @property
    def last_day(self) -> date:
        """Last day the trial is usable."""
        return self.start + timedelta(days=self.days - 1)

    def active(self, on: date) -> bool:
        """True while the trial runs."""
        return self.start <= on <= self.last_day

    def days_left(self, on: date) -> int:
        """Days left including `on` (0 once expired)."""
        return max(0, (self.last_day - on).days + 1) if on >= self.start else self.days


class Refusal(enum.Enum):
    """Why an outbound call is not authorized."""

    NO_CREDIT = "no_credit"
    CREDIT_TOO_LOW = "credit_too_low"


@dataclass(frozen=True, slots=True)
class Authorization:
    """Answer to "may this call start?": `max_seconds` None means no limit from the balance."""

    allowed: bool
    max_seconds: int | None
    refusal: Refusal | None = None


def authorize_call(balance: Decimal, rate: Rate) -> Authorization:
    """Authorize a new outbound call against a prepaid balance."""
    if rate.price_per_minute == 0 and rate.connection_fee == 0:
        return Authorization(True, None)
    if balance <= 0:
        return Authorization(False, 0, Refusal.NO_CREDIT)
    seconds = max_duration(balance, rate)
    if seconds == 0:
        return Authorization(False, 0, Refusal.CREDIT_TOO_LOW)
    return Authorization(True, seconds)


@dataclass(frozen=True, slots=True)
class Debit:
    """Result of debiting a rated call: new balance and whether to send the low-balance alert."""

    balance: Decimal
    low_balance_alert: bool
    exhausted: bool


def debit(balance: Decimal, amount: Decimal, low_balance_threshold: Decimal = ZERO) -> Debit:
    """Debit `amount`; the balance may dip below 0 by a call's last block if a call overran its
    authorization (the CDR is the truth), and the next call is then refused."""
    if amount < 0:
        raise ValueError("a debit cannot be negative")
    new = balance - amount
    crossed = balance > low_balance_threshold >= new and amount > 0
    return Debit(new, crossed, new <= 0)
