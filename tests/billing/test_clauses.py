"""SLA credits (tiers, boundaries, cap, support-hours clock, excuses), contract periods and the
early-termination fee."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.billing.clauses import (
    ContractTerms,
    Excuse,
    Incident,
    SlaTerms,
    SupportHours,
    add_months,
    restoration_hours,
    service_sla_credit,
    sla_credit,
    sla_percent,
    termination_fee,
)

ZURICH = ZoneInfo("Europe/Zurich")
D = Decimal


@pytest.mark.parametrize(
    ("hours", "percent"),
    [
        ("0", 0),
        ("3.99", 0),
        ("4", 5),  # "under 4 h -> 0 %": exactly 4 h is already in 4-12 h
        ("11", 5),
        ("11.999", 5),
        ("12", 10),
        ("23.5", 10),
        ("24", 10),  # "over 24 h -> 20 %": exactly 24 h is not over
        ("24.0003", 20),
        ("100", 20),
    ],
)
def test_sla_tier_boundaries(hours: str, percent: int) -> None:
    assert sla_percent(D(hours)) == percent


def test_eleven_hour_outage_gives_five_percent() -> None:
    result = sla_credit(D(100), [D(11)])
    assert result.credit == D("5.00")
    assert not result.capped
    assert result.percent == 5


def test_three_outages_are_capped_at_twenty_percent() -> None:
    result = sla_credit(D(100), [D(13), D(25), D(5)])
    assert result.incident_percents == (D(10), D(20), D(5))
    assert result.uncapped_percent == 35
    assert result.credit == D("20.00")
    assert result.capped


def test_exactly_at_cap_is_not_capped() -> None:
    result = sla_credit(D(180), [D(25)])
    assert result.credit == D("36.00")
    assert not result.capped


def test_no_incident_no_credit_and_negative_hours_rejected() -> None:
    assert sla_credit(D(100), []).credit == 0
    with pytest.raises(ValueError, match="negative"):
        sla_percent(D(-1))


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZURICH)  # 2 March 2026 is a Monday


def test_support_hours_clock_counts_only_office_hours() -> None:
    # Friday 17:00 -> Monday 10:00: 1 h Friday + 1 h Monday = 2 h (wall clock: 65 h)
    incident = Incident("telephony", _at(6, 17), _at(9, 10))
    assert restoration_hours(incident, SlaTerms()) == 65
    office = SlaTerms(support_hours_only=True)
    assert restoration_hours(incident, office) == 2
    assert service_sla_credit(D(100), [incident], office).credit == 0
    assert service_sla_credit(D(100), [incident], SlaTerms()).credit == D("20.00")


def test_support_hours_clock_inside_one_day_and_across_a_week() -> None:
    hours = SupportHours()
    assert hours.seconds_between(_at(2, 8), _at(2, 20)) == 9 * 3600
    assert hours.seconds_between(_at(2, 10, 30), _at(2, 11)) == 1800
    # Monday 9:00 -> next Monday 9:00 = 5 x 9 h
    assert hours.seconds_between(_at(2, 9), _at(9, 9)) == 45 * 3600
    # a holiday and custom hours/days
    custom = SupportHours(
        weekdays=frozenset(range(7)),
        opens=time(8),
        closes=time(20),
        holidays=frozenset({date(2026, 3, 3)}),
    )
    assert custom.seconds_between(_at(2, 0), _at(4, 0)) == 12 * 3600


def test_support_hours_respect_the_time_zone() -> None:
    # 08:00 UTC is 09:00 in Zurich (CET, UTC+1): the whole hour 08:00-09:00 UTC counts
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert SupportHours().seconds_between(start, start + timedelta(hours=1)) == 3600
    assert SupportHours(tz="UTC").seconds_between(start, start + timedelta(hours=1)) == 0


def test_excusable_incidents_give_no_credit() -> None:
    terms = SlaTerms()
    incidents = [
        Incident("trunk", _at(2, 9), _at(3, 12), Excuse.PLANNED_MAINTENANCE),
        Incident("trunk", _at(4, 9), _at(5, 12), Excuse.CUSTOMER_EQUIPMENT),
        Incident("trunk", _at(10, 9), _at(10, 14)),  # 5 h -> 5 %
    ]
    result = service_sla_credit(D(200), incidents, terms)
    assert result.incident_percents == (D(5),)
    assert result.credit == D("10.00")


def test_incident_validation() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Incident("x", datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="precedes"):
        Incident("x", _at(3, 10), _at(2, 10))


def test_termination_fee_ninety_five_percent() -> None:
    assert termination_fee(D(180), 7) == D("1197.00")
    assert termination_fee(D(180), 7, fixed=D(250)) == D("1447.00")
    assert termination_fee(D(180), 0) == D("0.00")
    with pytest.raises(ValueError, match="negative"):
        termination_fee(D(180), -1)


def test_contract_periods_notice_and_effective_end() -> None:
    terms = ContractTerms(start=date(2026, 1, 15))
    assert terms.period_end(date(2026, 6, 1)) == date(2027, 1, 14)
    assert terms.notice_deadline(date(2026, 6, 1)) == date(2026, 10, 14)
    # notice in time ends with the current period
    assert terms.effective_end(date(2026, 10, 14)) == date(2027, 1, 14)
    # one day late: tacit renewal for 12 months
    assert terms.effective_end(date(2026, 10, 15)) == date(2028, 1, 14)
    # renewal periods continue every 12 months
    assert terms.period_end(date(2027, 1, 15)) == date(2028, 1, 14)
    assert terms.period_end(date(2030, 2, 1)) == date(2031, 1, 14)


def test_custom_terms_and_month_end_clamping() -> None:
    terms = ContractTerms(
        start=date(2026, 1, 31), initial_months=1, renewal_months=1, notice_months=0
    )
    assert terms.period_end(date(2026, 2, 10)) == date(2026, 2, 27)  # 31 Jan + 1 month = 28 Feb
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


def test_months_left_counts_started_months() -> None:
    terms = ContractTerms(start=date(2026, 1, 1))
    assert terms.months_left(date(2026, 6, 1)) == 7  # June..December
    assert terms.months_left(date(2026, 6, 15)) == 7  # June started: counts
    assert terms.months_left(date(2026, 12, 31)) == 1
    assert terms.early_termination_fee(D(180), date(2026, 6, 1)) == D("1197.00")
    assert terms.early_termination_fee(D(180), date(2026, 6, 1), D(100)) == D("1297.00")


@given(st.lists(st.decimals(min_value=0, max_value=1000, places=2), max_size=10))
def test_sla_credit_never_exceeds_cap(hours: list[Decimal]) -> None:
    result = sla_credit(D(180), hours)
    assert D(0) <= result.credit <= D("36.00")
    assert result.capped == (result.uncapped_percent > 20)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2040, 1, 1)))
def test_notice_deadline_precedes_period_end(day: date) -> None:
    terms = ContractTerms(start=date(2021, 5, 31))
    if day < terms.start:
        return
    assert terms.notice_deadline(day) < terms.period_end(day)
    assert terms.effective_end(day) >= terms.period_end(day)
    assert 1 <= terms.months_left(day) <= 12
