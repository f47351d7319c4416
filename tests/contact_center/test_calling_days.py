"""Calling days, per-country legal hours and public holidays (contact_center/calling_window.py
with country_rules.py): parsing the days, the reason a number is closed, the next opening over
weekends and holidays, the never-opening campaign, and a property held against a brute-force
scan at minute resolution."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.contact_center.calling_window import (
    ALL_DAYS,
    BadDays,
    Window,
    callee_zones,
    closed_reason,
    format_days,
    is_open,
    never_opens_reason,
    next_opening,
    parse_days,
    parse_window,
)
from centrex.contact_center.country_rules import (
    RULES,
    CountryRule,
    country_of,
    holiday_name,
    rule_for,
)

PARIS, MADRID, ZURICH, NEW_YORK, TORONTO, TOKYO = (
    "+33142685300", "+34915550123", "+41445550101", "+12125550123", "+14165550123",
    "+81312345678",
)  # fmt: skip
LONDON, BERLIN, ROME, BRUSSELS, LOS_ANGELES = (
    "+442079460000", "+493012345678", "+390612345678", "+3225550123", "+13105550123",
)  # fmt: skip
TOLL_FREE = "+18005550123"
WEEKDAYS = parse_days("mon-fri")
EVERY_DAY = ALL_DAYS


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_days_parse_and_print_canonically() -> None:
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("Mon, Wed ,FRI") == frozenset({0, 2, 4})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})  # wraps over Sunday
    assert parse_days("monday-saturday") == frozenset(range(6))
    assert format_days(parse_days("mon-sun")) == "mon-sun"
    assert format_days(parse_days("sat,mon,tue,sun")) == "mon-tue,sat-sun"
    assert format_days(parse_days("wed")) == "wed"
    for bad in ("", "mon-", "mo-fr", "weekdays", "mon;fri", ","):
        with pytest.raises(BadDays, match="calling days"):
            parse_days(bad)


def test_the_reason_a_french_number_is_closed() -> None:
    window = parse_window("09:00-20:00")

    def why(now: str, days: frozenset[int] = EVERY_DAY, legal: bool = True) -> str | None:
        return closed_reason(window, PARIS, at(now), "UTC", days=days, legal=legal)

    # 2026-12-05 is a Saturday: the campaign's days speak first, then the law
    assert why("2026-12-05T10:00", WEEKDAYS) == "not a calling day (Saturday)"
    assert why("2026-12-05T10:00") == (
        "outside the legal hours in FR (10:00-13:00, 14:00-20:00 Mon-Fri)"
    )
    assert why("2026-12-05T10:00", legal=False) is None
    assert why("2026-12-25T10:00") == "public holiday in FR: Noël"  # a Friday
    assert why("2026-12-03T12:30") == (  # 13:30 in Paris: the lunch break
        "outside the legal hours in FR (10:00-13:00, 14:00-20:00 Mon-Fri)"
    )
    assert why("2026-12-03T13:00") is None  # 14:00 in Paris
    assert why("2026-12-03T08:30", legal=False) is None  # 09:30: the campaign's window allows
    narrow = parse_window("14:00-15:00")
    assert closed_reason(narrow, PARIS, at("2026-12-03T09:30"), "UTC", legal=True) == (
        "outside the campaign window 14:00-15:00"
    )
    assert not is_open(window, PARIS, at("2026-12-25T10:00"), "UTC", legal=True)
    assert is_open(window, PARIS, at("2026-12-25T10:00"), "UTC")  # default: no legal rules


def test_other_countries_rules() -> None:
    window = parse_window("00:00-23:59")
    sunday, saturday = "2026-12-06", "2026-12-05"
    # TCPA: 08:00-21:00 every day, no holiday rule (Christmas is allowed)
    assert is_open(window, NEW_YORK, at(f"{sunday}T14:00"), "UTC", legal=True)  # 09:00 EST
    assert not is_open(window, NEW_YORK, at(f"{sunday}T12:59"), "UTC", legal=True)  # 07:59
    assert is_open(window, NEW_YORK, at("2026-12-25T15:00"), "UTC", legal=True)
    # Canada (CRTC): 10:00-18:00 at weekends
    assert country_of(TORONTO) == "CA"
    assert not is_open(window, TORONTO, at(f"{saturday}T23:30"), "UTC", legal=True)  # 18:30
    assert is_open(window, TORONTO, at(f"{saturday}T22:30"), "UTC", legal=True)  # 17:30
    # Spain: never at weekends; Italy: 10:00-19:00 on Saturdays
    assert not is_open(window, MADRID, at(f"{saturday}T11:00"), "UTC", legal=True)
    assert is_open(window, ROME, at(f"{saturday}T11:00"), "UTC", legal=True)  # 12:00
    assert not is_open(window, ROME, at(f"{saturday}T18:30"), "UTC", legal=True)  # 19:30
    # Switzerland: the national day is closed; Germany: Sunday rest; UK: Sunday allowed
    assert closed_reason(window, ZURICH, at("2026-08-01T10:00"), "UTC", legal=True) == (
        "public holiday in CH: Nationalfeiertag"
    )
    assert not is_open(window, BERLIN, at(f"{sunday}T11:00"), "UTC", legal=True)
    assert is_open(window, LONDON, at(f"{sunday}T11:00"), "UTC", legal=True)
    # no rule for Japan: the campaign's own window and days only
    assert rule_for(country_of(TOKYO)) is None
    assert is_open(window, TOKYO, at(f"{sunday}T14:00"), "UTC", legal=True)  # 23:00 in Tokyo


def test_next_opening_skips_holidays_and_weekends() -> None:
    window = parse_window("09:00-20:00")
    # Thursday 24 December 19:30 in Paris: Christmas, then the weekend, then Monday 10:00
    now = at("2026-12-24T19:30")
    assert next_opening(window, PARIS, now, "UTC", legal=True) == at("2026-12-28T09:00")
    assert next_opening(window, PARIS, now, "UTC") == at("2026-12-25T08:00")  # rules off
    assert next_opening(window, PARIS, at("2026-12-24T18:30"), "UTC", legal=True) == (
        at("2026-12-24T18:30")  # 19:30 on Christmas Eve: still open
    )
    # Friday 11:30 in Paris with days mon,wed: Monday 09:00 (legal off) or 10:00 (on)
    days = parse_days("mon,wed")
    friday = at("2026-12-04T10:30")
    assert next_opening(window, PARIS, friday, "UTC", days=days) == at("2026-12-07T08:00")
    assert next_opening(window, PARIS, friday, "UTC", days=days, legal=True) == (
        at("2026-12-07T09:00")
    )
    # the lunch break reopens at 14:00
    assert next_opening(window, PARIS, at("2026-12-03T12:10"), "UTC", legal=True) == (
        at("2026-12-03T13:00")
    )
    # never open (weekends only in France): None, after a bounded search
    weekend = parse_days("sat-sun")
    assert next_opening(window, PARIS, friday, "UTC", days=weekend, legal=True) is None
    assert next_opening(window, PARIS, friday, "UTC", days=weekend) == at("2026-12-05T08:00")


def test_next_opening_over_a_dst_gap() -> None:
    # 29 March 2026 in Paris: 02:00 CET jumps to 03:00 CEST (01:00 UTC); a window starting at
    # 02:30 opens at the jump, not at a wall time that does not exist
    window = parse_window("02:30-04:00")
    assert next_opening(window, PARIS, at("2026-03-29T00:10"), "UTC") == at("2026-03-29T01:00")
    assert is_open(window, PARIS, at("2026-03-29T01:00"), "UTC")


def test_next_opening_over_a_dst_fold() -> None:
    # 25 October 2026 in Paris: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:30 comes twice
    window = parse_window("02:30-02:45")
    assert next_opening(window, PARIS, at("2026-10-25T00:20"), "UTC") == at("2026-10-25T00:30")
    assert next_opening(window, PARIS, at("2026-10-25T00:50"), "UTC") == at("2026-10-25T01:30")


@pytest.mark.parametrize(
    ("window", "number", "start"),
    [
        ("02:30-04:00", PARIS, "2026-03-28T22:00"),  # spring forward
        ("01:00-02:15", PARIS, "2026-10-24T23:00"),  # fall back
        ("01:30-03:00", NEW_YORK, "2026-03-08T04:00"),
        ("01:15-01:45", NEW_YORK, "2026-11-01T03:00"),
    ],
)
def test_dst_days_match_a_minute_scan(window: str, number: str, start: str) -> None:
    parsed, now = parse_window(window), at(start)
    for _day in range(2):  # the opening on the DST night, then the one after it
        opening = next_opening(parsed, number, now, "UTC")
        assert opening is not None
        minute = now
        while minute < opening:
            assert not oracle_open(parsed, number, minute, EVERY_DAY, False), minute
            minute += timedelta(minutes=1)
        assert oracle_open(parsed, number, opening, EVERY_DAY, False)
        now = opening + timedelta(hours=3)


def test_a_campaign_that_can_never_call_a_country() -> None:
    window = parse_window("09:00-20:00")
    assert "never legal calling days in FR" in (
        never_opens_reason(window, parse_days("sat-sun"), "FR", legal=True) or ""
    )
    assert never_opens_reason(window, parse_days("sat-sun"), "FR", legal=False) is None
    assert never_opens_reason(window, parse_days("sat-sun"), "JP", legal=True) is None
    assert never_opens_reason(window, parse_days("sat"), "IT", legal=True) is None
    early = parse_window("06:00-10:00")
    assert never_opens_reason(early, WEEKDAYS, "FR", legal=True) == (
        "the calling window 06:00-10:00 on mon-fri never meets the legal hours in FR "
        "(10:00-13:00, 14:00-20:00 Mon-Fri)"
    )
    assert never_opens_reason(parse_window("06:00-10:01"), WEEKDAYS, "FR", legal=True) is None
    assert never_opens_reason(parse_window("13:00-14:00"), WEEKDAYS, "FR", legal=True)
    assert never_opens_reason(parse_window("23:00-10:30"), WEEKDAYS, "FR", legal=True) is None


# --- the property, against an independent oracle and a brute-force scan ---------------------

NUMBERS = (PARIS, MADRID, ZURICH, NEW_YORK, TORONTO, TOKYO, LONDON, BERLIN, ROME, BRUSSELS,
           LOS_ANGELES, TOLL_FREE)  # fmt: skip


@cache
def zones_of(number: str) -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(name) for name in callee_zones(number, "UTC"))


@cache
def rule_of(number: str) -> CountryRule | None:
    return RULES.get(country_of(number) or "")


def oracle_open(window: Window, number: str, now: datetime, days: frozenset[int],
                legal: bool) -> bool:  # fmt: skip
    """The rule spelt out directly: in every zone, a calling day, inside the window and, with
    legal rules, inside a legal span of that weekday and not on a closed national holiday."""
    rule = rule_of(number) if legal else None
    for zone in zones_of(number):
        local = now.astimezone(zone)
        wall = local.time().replace(tzinfo=None)
        if local.weekday() not in days:
            return False
        inside = (window.start <= wall < window.end if window.start < window.end
                  else wall >= window.start or wall < window.end)  # fmt: skip
        if not inside:
            return False
        if rule is not None:
            if not any(s.start <= wall < s.end for s in rule.week[local.weekday()]):
                return False
            if rule.closed_on_holidays and holiday_name(rule.country, local.date()):
                return False
    return True


minutes = st.integers(min_value=0, max_value=24 * 60 - 1)
SCAN = timedelta(days=2)


@settings(max_examples=60, deadline=None)
@given(
    start=minutes,
    length=st.integers(min_value=1, max_value=24 * 60 - 1),
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    legal=st.booleans(),
    number=st.sampled_from(NUMBERS),
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
)
def test_open_and_next_opening_match_a_minute_scan(
    start: int, length: int, days: frozenset[int], legal: bool, number: str, moment: datetime
) -> None:
    end = (start + length) % (24 * 60)
    window = parse_window(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}")
    now = moment.replace(second=0, microsecond=0, tzinfo=UTC)
    assert is_open(window, number, now, "UTC", days=days, legal=legal) == oracle_open(
        window, number, now, days, legal
    )
    opening = next_opening(window, number, now, "UTC", days=days, legal=legal)
    if opening is not None:
        assert opening >= now
        assert oracle_open(window, number, opening, days, legal)
    # every minute before the opening (or before the scan's end) is closed
    last = now + SCAN if opening is None else min(opening, now + SCAN)
    minute = now
    while minute < last:
        assert not oracle_open(window, number, minute, days, legal), minute
        minute += timedelta(minutes=1)


def test_holidays_are_national_and_in_the_local_language() -> None:
    assert holiday_name("FR", date(2026, 7, 14)) == "Fête nationale"
    assert holiday_name("DE", date(2026, 10, 3)) == "Tag der Deutschen Einheit"
    assert holiday_name("DE", date(2026, 1, 6)) is None  # Epiphany: only some Länder
    assert holiday_name("FR", date(2026, 12, 24)) is None
