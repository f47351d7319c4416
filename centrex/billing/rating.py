"""Rating: from a call's billable seconds to its cost and price (pure, hot path).

Rules (the contract of the billing issue, stated once):

* Increments ``a/b``: an answered call of s > 0 seconds is billed ``a`` seconds if s <= a, else
  ``a + ceil((s - a) / b) * b``. So 61 s at 60/60 is 120 s, 31 s at 30/6 is 36 s, 1 s at 60/60 is
  60 s.
* An answered call of 0 s is billed 0 s: it pays the connection fee only. The fee is charged as
  soon as the carrier connected the call, whatever its length.
* An unanswered call costs nothing: no seconds, no connection fee.
* Charge = connection fee + billed seconds x price per minute / 60, rounded to 4 decimals
  ROUND_HALF_UP (`money.round_call`); invoices round to cents later.
* Rating is a pure function of (CDR, deck): re-rating the same CDR gives the same result, and
  the data layer stores it keyed by call id, so re-running a period overwrites instead of adding.

Only plain arithmetic happens per call (one dict probe per digit, two Decimal operations, one
quantize) so that 1 million CDRs rate in well under two minutes (bench/rating_bench.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from centrex.billing.decks import Increment, Rate, RateDeck
from centrex.billing.money import CALL_QUANTUM, ZERO, round_call

SIXTY = Decimal(60)


class NoRateError(LookupError):
    """No prefix of the deck matches the number: the call cannot be priced (and is refused)."""


def billed_seconds(seconds: int, increment: Increment, *, answered: bool = True) -> int:
    """Seconds charged for a call of `seconds` billable seconds (see module docstring)."""
    if not answered or seconds <= 0:
        return 0
    first, step = increment.first, increment.step
    if seconds <= first:
        return first
    return first + -(-(seconds - first) // step) * step


def charge(rate: Rate, seconds: int, *, answered: bool = True) -> Decimal:
    """Amount of one call against one rate, rounded to 4 decimals."""
    if not answered:
        return ZERO
    billed = billed_seconds(seconds, rate.increment)
    return round_call(rate.connection_fee + rate.price_per_minute * billed / SIXTY)


@dataclass(frozen=True, slots=True)
class Quote:
    """What a call to a number of a given length would cost against one deck."""

    prefix: str
    destination: str
    billed_seconds: int
    price: Decimal
    currency: str
    price_per_minute: Decimal
    connection_fee: Decimal
    increment: Increment


def quote(deck: RateDeck, number_e164: str, seconds: int, on: date | None = None) -> Quote:
    """Price an answered call of `seconds` to `number_e164`; raises NoRateError if unmatched."""
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    rate = deck.lookup(number_e164, on)
    if rate is None:
        raise NoRateError(f"no rate for {number_e164} in deck {deck.name!r}")
    return Quote(
        prefix=rate.prefix,
        destination=rate.destination,
        billed_seconds=billed_seconds(seconds, rate.increment),
        price=charge(rate, seconds),
        currency=rate.currency,
        price_per_minute=rate.price_per_minute,
        connection_fee=rate.connection_fee,
        increment=rate.increment,
    )


@dataclass(frozen=True, slots=True)
class Cdr:
    """The fields of a call detail record that rating needs (the CDR row has more)."""

    call_id: str
    called: str
    start: datetime
    billable_seconds: int
    answered: bool = True
    outbound: bool = True
    user: str = ""


@dataclass(frozen=True, slots=True)
class RatedCall:
    """A CDR with its price (retail deck) and cost (wholesale deck); None when not matched."""

    call_id: str
    prefix: str | None
    destination: str | None
    billed_seconds: int
    price: Decimal
    cost: Decimal
    currency: str
    rated: bool

    @property
    def margin(self) -> Decimal:
        """Price minus cost (same currency is checked by `rate_cdr`)."""
        return self.price - self.cost


def rate_cdr(cdr: Cdr, price_deck: RateDeck, cost_deck: RateDeck | None = None) -> RatedCall:
    """Rate one CDR against the retail deck and, when given, the wholesale deck.

    Inbound and unanswered calls are rated at zero (``rated=True``: nothing is owed). An outbound
    answered call whose number matches no retail prefix is returned with ``rated=False`` so an
    operator sees it in the period report instead of it silently costing nothing.
    """
    if cost_deck is not None and cost_deck.currency != price_deck.currency:
        raise ValueError(
            f"cannot compute margin: {price_deck.currency} price deck vs "
            f"{cost_deck.currency} cost deck"
        )
    currency = price_deck.currency
    if not cdr.outbound or not cdr.answered:
        return RatedCall(cdr.call_id, None, None, 0, ZERO, ZERO, currency, True)
    on = cdr.start.date()
    rate = price_deck.lookup(cdr.called, on)
    if rate is None:
        return RatedCall(cdr.call_id, None, None, 0, ZERO, ZERO, currency, False)
    cost = ZERO
    if cost_deck is not None:
        cost_rate = cost_deck.lookup(cdr.called, on)
        if cost_rate is not None:
            cost = charge(cost_rate, cdr.billable_seconds)
    return RatedCall(
        cdr.call_id,
        rate.prefix,
        rate.destination,
        billed_seconds(cdr.billable_seconds, rate.increment),
        charge(rate, cdr.billable_seconds),
        cost,
        currency,
        True,
    )


def max_duration(balance: Decimal, rate: Rate) -> int | None:
    """Longest call (whole seconds) that `balance` pays for at `rate`; None means unlimited.

    The answer respects the connection fee and the increments: it is the largest billed length
    (a, a+b, a+2b, ...) whose rounded charge fits in the balance, so the call is cut exactly when
    the money runs out and never a block later. 0 means the call must be refused (the balance
    does not cover the fee plus the first block).
    """
    if rate.price_per_minute == 0:
        return None if balance >= rate.connection_fee else 0
    if balance < rate.connection_fee:
        return 0
    # A charge is rounded half up to 4 decimals, so it fits the balance exactly when the exact
    # amount is below (balance floored to the 4-decimal grid) + half a quantum.
    ceiling = balance.quantize(CALL_QUANTUM, rounding=ROUND_FLOOR) + CALL_QUANTUM / 2
    exact = (ceiling - rate.connection_fee) * SIXTY / rate.price_per_minute
    raw = math.ceil(exact) - 1  # largest whole n with n < exact
    first, step = rate.increment.first, rate.increment.step
    candidate = 0 if raw < first else first + (raw - first) // step * step
    # Belt and braces against Decimal context rounding in `exact`: settle on the boundary with
    # the very `charge` that rating uses (each loop runs at most once in practice).
    nxt = first if candidate == 0 else candidate + step
    while charge(rate, nxt) <= balance:
        candidate, nxt = nxt, nxt + step
    while candidate > 0 and charge(rate, candidate) > balance:
        candidate = 0 if candidate == first else candidate - step
    return candidate
