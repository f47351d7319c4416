"""Rating: increments, charges, quotes, CDR rating with margin, max duration (worked numbers and
Hypothesis properties)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.billing.decks import Increment, Rate, RateDeck
from centrex.billing.rating import (
    Cdr,
    NoRateError,
    billed_seconds,
    charge,
    max_duration,
    quote,
    rate_cdr,
)

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "increment", "billed"),
    [
        (61, Increment(60, 60), 120),
        (60, Increment(60, 60), 60),
        (1, Increment(60, 60), 60),
        (31, Increment(30, 6), 36),
        (30, Increment(30, 6), 30),
        (37, Increment(30, 6), 42),
        (5, Increment(30, 6), 30),
        (61, Increment(1, 1), 61),
        (0, Increment(60, 60), 0),
    ],
)
def test_billed_seconds_worked_examples(seconds: int, increment: Increment, billed: int) -> None:
    assert billed_seconds(seconds, increment) == billed


def test_unanswered_call_bills_nothing_not_even_the_fee() -> None:
    rate = Rate("41", "CH", Decimal("0.30"), Decimal("0.10"), Increment(60, 60), "CHF")
    assert billed_seconds(100, rate.increment, answered=False) == 0
    assert charge(rate, 100, answered=False) == 0


def test_answered_zero_second_call_pays_the_connection_fee_only() -> None:
    rate = Rate("41", "CH", Decimal("0.30"), Decimal("0.10"), Increment(60, 60), "CHF")
    assert charge(rate, 0) == Decimal("0.1000")
    free_fee = Rate("41", "CH", Decimal("0.30"), Decimal(0), Increment(60, 60), "CHF")
    assert charge(free_fee, 0) == 0


def test_charge_rounds_to_four_decimals_half_up() -> None:
    # 7 s at 0.0123/min = 0.001435 -> 0.0014 ; 0.00015 exactly -> 0.0002 (half up)
    assert charge(Rate("1", "X", Decimal("0.0123")), 7) == Decimal("0.0014")
    assert charge(Rate("1", "X", Decimal("0.0009")), 10) == Decimal("0.0002")


def test_quote_61_seconds_at_60_60(retail: RateDeck) -> None:
    q = quote(retail, "+33123456789", 61)
    assert (q.prefix, q.destination, q.billed_seconds) == ("33", "France", 120)
    assert q.price == Decimal("0.0800")
    assert q.currency == "CHF"


def test_quote_with_connection_fee_and_30_6(retail: RateDeck) -> None:
    q = quote(retail, "+41791234567", 31)
    assert q.billed_seconds == 36
    assert q.price == Decimal("0.2800")  # 0.10 + 36/60 * 0.30


def test_quote_unknown_number_and_negative_seconds(retail: RateDeck) -> None:
    with pytest.raises(NoRateError, match="no rate for \\+4930"):
        quote(retail, "+4930123456", 10)
    with pytest.raises(ValueError, match="negative"):
        quote(retail, "+41441234567", -1)


def test_rate_cdr_price_cost_margin(retail: RateDeck, wholesale: RateDeck) -> None:
    cdr = Cdr("c1", "+41781234567", START, 90)
    rated = rate_cdr(cdr, retail, wholesale)
    assert rated.prefix == "417"
    assert rated.billed_seconds == 90
    assert rated.price == Decimal("0.3750")  # 90 s at 0.25/min
    assert rated.cost == Decimal("0.1500")  # 90 s at 0.10/min
    assert rated.margin == Decimal("0.2250")
    assert rated.rated


def test_rate_cdr_inbound_unanswered_and_unmatched(retail: RateDeck) -> None:
    assert rate_cdr(Cdr("c", "+41441234567", START, 60, outbound=False), retail).price == 0
    assert rate_cdr(Cdr("c", "+41441234567", START, 60, answered=False), retail).price == 0
    missing = rate_cdr(Cdr("c", "+4930123456", START, 60), retail)
    assert not missing.rated
    assert missing.price == 0


def test_rate_cdr_refuses_mixed_currency_margin(retail: RateDeck) -> None:
    eur = RateDeck.build("eur", [Rate("41", "CH", Decimal("0.01"), currency="EUR")])
    with pytest.raises(ValueError, match="margin"):
        rate_cdr(Cdr("c", "+41441234567", START, 60), retail, eur)


@pytest.mark.parametrize(
    ("balance", "rate", "seconds"),
    [
        # 1.00 at 0.60/min per second: 100 s
        (Decimal("1.00"), Rate("1", "X", Decimal("0.60")), 100),
        # fee 0.10 leaves 0.90 -> 90 s at 0.60/min, 60/60 -> one minute only
        (Decimal("1.00"), Rate("1", "X", Decimal("0.60"), Decimal("0.10"), Increment(60, 60)), 60),
        # 30/6: 0.50 at 0.60/min = 50 s raw -> 30 + 18 = 48 s
        (Decimal("0.50"), Rate("1", "X", Decimal("0.60"), increment=Increment(30, 6)), 48),
        # cannot pay the first 30 s block (0.30): refuse
        (Decimal("0.29"), Rate("1", "X", Decimal("0.60"), increment=Increment(30, 6)), 0),
        # cannot pay the connection fee
        (Decimal("0.05"), Rate("1", "X", Decimal("0.60"), Decimal("0.10")), 0),
        # floor to whole seconds: 0.015 at 0.60/min = 1.5 s -> 1 s
        (Decimal("0.015"), Rate("1", "X", Decimal("0.60")), 1),
        (Decimal(0), Rate("1", "X", Decimal("0.60")), 0),
    ],
)
def test_max_duration_worked_examples(balance: Decimal, rate: Rate, seconds: int) -> None:
    assert max_duration(balance, rate) == seconds
    assert charge(rate, seconds) <= balance or seconds == 0


def test_max_duration_free_rate_is_unlimited() -> None:
    assert max_duration(Decimal(0), Rate("1", "X", Decimal(0))) is None
    assert max_duration(Decimal("0.05"), Rate("1", "X", Decimal(0), Decimal("0.10"))) == 0


increments = st.builds(Increment, st.integers(1, 120), st.integers(1, 120))
prices = st.decimals(min_value=0, max_value=5, places=4)
rates = st.builds(
    Rate,
    st.just("41"),
    st.just("CH"),
    prices,
    st.decimals(min_value=0, max_value=1, places=4),
    increments,
    st.just("CHF"),
)


@given(rates, st.integers(0, 20_000), st.integers(0, 20_000))
def test_rating_is_monotonic_in_duration(rate: Rate, a: int, b: int) -> None:
    short, long_ = sorted((a, b))
    assert billed_seconds(short, rate.increment) <= billed_seconds(long_, rate.increment)
    assert charge(rate, short) <= charge(rate, long_)


@given(rates, st.integers(0, 20_000), st.booleans())
def test_rating_is_never_negative_and_bills_at_least_the_duration(
    rate: Rate, seconds: int, answered: bool
) -> None:
    billed = billed_seconds(seconds, rate.increment, answered=answered)
    assert charge(rate, seconds, answered=answered) >= 0
    assert billed >= (seconds if answered else 0)
    assert billed < seconds + max(rate.increment.first, rate.increment.step) or seconds == 0


@given(rates, st.integers(0, 20_000), st.booleans())
def test_rerating_is_idempotent(rate: Rate, seconds: int, answered: bool) -> None:
    deck = RateDeck.build("d", [rate])
    cdr = Cdr("c", "+41441234567", START, seconds, answered=answered)
    assert rate_cdr(cdr, deck) == rate_cdr(cdr, deck)
    first = [rate_cdr(cdr, deck) for _ in range(3)]
    assert len(set(first)) == 1


@given(rates, st.decimals(min_value=0, max_value=50, places=4))
def test_max_duration_is_the_largest_affordable_length(rate: Rate, balance: Decimal) -> None:
    seconds = max_duration(balance, rate)
    if seconds is None:
        assert rate.price_per_minute == 0
        return
    if seconds > 0:
        assert charge(rate, seconds) <= balance
        assert billed_seconds(seconds, rate.increment) == seconds
    # one second more would cost more than the balance
    assert charge(rate, seconds + 1) > balance or rate.price_per_minute == 0
