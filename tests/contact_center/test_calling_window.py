"""Calling windows in the callee's local time (contact_center/calling_window.py): parsing and
the never-opening window, time zones from the number (one zone, several zones, unknown), DST,
windows over midnight, and the next opening."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from centrex.contact_center.calling_window import (
    BadWindow,
    callee_zones,
    is_open,
    local_times,
    next_opening,
    parse_window,
)

PARIS, NEW_YORK, LOS_ANGELES = "+33142685300", "+12125550123", "+13105550123"
TOLL_FREE = "+18005550123"  # every US/Canadian zone at once


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_parse_and_refuse() -> None:
    assert str(parse_window("9:00-20:30")) == "09:00-20:30"
    with pytest.raises(BadWindow, match="never opens"):
        parse_window("09:00-09:00")
    with pytest.raises(BadWindow, match="HH:MM-HH:MM"):
        parse_window("9-17")
    with pytest.raises(BadWindow, match="not a time of day"):
        parse_window("09:00-24:00")


def test_zones_come_from_the_number() -> None:
    assert callee_zones(PARIS, "UTC") == ("Europe/Paris",)
    assert callee_zones(NEW_YORK, "UTC") == ("America/New_York",)
    assert len(callee_zones(TOLL_FREE, "UTC")) > 5
    # a non-geographic number without a known zone falls back to the tenant's
    assert callee_zones("+80012345678", "Europe/Zurich") == ("Europe/Zurich",)


def test_open_in_the_callees_local_time_winter_and_summer() -> None:
    window = parse_window("09:00-20:00")
    # December: Paris is UTC+1, New York UTC-5
    assert not is_open(window, PARIS, at("2026-12-03T07:59"), "UTC")
    assert is_open(window, PARIS, at("2026-12-03T08:00"), "UTC")
    assert not is_open(window, PARIS, at("2026-12-03T19:00"), "UTC")  # 20:00 is closed
    assert not is_open(window, NEW_YORK, at("2026-12-03T13:59"), "UTC")
    assert is_open(window, NEW_YORK, at("2026-12-03T14:00"), "UTC")
    # July: Paris is UTC+2
    assert is_open(window, PARIS, at("2026-07-01T07:00"), "UTC")
    assert local_times(PARIS, at("2026-07-01T07:00"), "UTC")["Europe/Paris"].hour == 9


def test_a_number_of_several_zones_must_be_inside_in_every_one() -> None:
    window = parse_window("09:00-20:00")
    # 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles
    assert is_open(window, NEW_YORK, at("2026-12-03T15:00"), "UTC")
    assert not is_open(window, LOS_ANGELES, at("2026-12-03T15:00"), "UTC")
    assert not is_open(window, TOLL_FREE, at("2026-12-03T15:00"), "UTC")


def test_window_over_midnight() -> None:
    window = parse_window("21:00-02:00")
    assert is_open(window, PARIS, at("2026-12-03T23:30"), "UTC")  # 00:30 in Paris
    assert not is_open(window, PARIS, at("2026-12-03T12:00"), "UTC")


def test_next_opening() -> None:
    window = parse_window("09:00-20:00")
    assert next_opening(window, NEW_YORK, at("2026-12-03T08:30"), "UTC") == at("2026-12-03T14:00")
    assert next_opening(window, PARIS, at("2026-12-03T20:00"), "UTC") == at("2026-12-04T08:00")
    now = at("2026-12-03T10:00")
    assert next_opening(window, PARIS, now, "UTC") == now
    with pytest.raises(ValueError, match="aware"):
        is_open(window, PARIS, datetime(2026, 12, 3, 10), "UTC")


def test_a_window_that_no_zone_of_a_number_shares() -> None:
    # 09:00-11:00 in New York is 06:00-08:00 in Los Angeles: never open in every zone at once
    assert next_opening(parse_window("09:00-11:00"), TOLL_FREE, at("2026-12-03T08:00"),
                        "UTC") is None  # fmt: skip
