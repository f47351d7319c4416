"""Time conditions of a call flow: weekly opening hours, holidays and a time zone (pure).

Why zoneinfo and local wall-clock times: opening hours are written the way a receptionist says
them ("Monday 08:00-12:00") in the tenant's zone; the same UTC instant is 09:30 in winter and
10:30 in summer in Zurich, so the instant is converted with the IANA rules before matching. A
range ends exclusively ("08:00-12:00" is closed at 12:00:00); "24:00" is accepted as an end.
Holidays are local dates, either one day ("2026-12-25") or every year ("12-25").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])|24:00")
_YEARLY = re.compile(r"(\d\d)-(\d\d)")


class ScheduleError(ValueError):
    """A malformed schedule; `error_id` is stable, `field` says where."""

    def __init__(self, message: str, *, error_id: str, field: str) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.field = field


class TimeState(StrEnum):
    """The outcome of a time condition."""

    OPEN = "open"
    CLOSED = "closed"
    HOLIDAY = "holiday"


def _minutes(text: object, field: str) -> int:
    if not isinstance(text, str) or not _HHMM.fullmatch(text):
        raise ScheduleError(f"{text!r} is not a time HH:MM", error_id="flow-bad-time", field=field)
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Opening ranges per weekday (minutes since local midnight, end exclusive)."""

    ranges: Mapping[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date]
    yearly_holidays: frozenset[tuple[int, int]]
    zone: ZoneInfo

    def state(self, now: datetime) -> TimeState:
        """Open, closed or holiday at the aware instant `now`."""
        if now.tzinfo is None:
            raise ValueError("a time condition needs an aware datetime")
        local = now.astimezone(self.zone)
        day = local.date()
        if day in self.holidays or (day.month, day.day) in self.yearly_holidays:
            return TimeState.HOLIDAY
        minute = local.hour * 60 + local.minute
        for start, end in self.ranges.get(local.weekday(), ()):
            if start <= minute < end:
                return TimeState.OPEN
        return TimeState.CLOSED


def _holiday(value: object, field: str) -> date | tuple[int, int]:
    if isinstance(value, str):
        if _YEARLY.fullmatch(value):
            month, day = (int(p) for p in value.split("-"))
            try:
                date(2024, month, day)  # a leap year accepts 02-29
            except ValueError:
                pass
            else:
                return (month, day)
        else:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    raise ScheduleError(
        f"{value!r} is not a date YYYY-MM-DD or MM-DD", error_id="flow-bad-holiday", field=field
    )


def parse_schedule(
    weekly: object, holidays: object, timezone: object, *, field: str = ""
) -> WeeklySchedule:
    """Build a schedule from its JSON parts; raises `ScheduleError` naming the bad part."""
    prefix = f"{field}." if field else ""
    if not isinstance(timezone, str) or not timezone:
        raise ScheduleError(
            "a time condition needs a time zone",
            error_id="flow-bad-timezone",
            field=f"{prefix}timezone",
        )
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"unknown time zone {timezone!r}",
            error_id="flow-bad-timezone",
            field=f"{prefix}timezone",
        ) from exc
    if not isinstance(weekly, Mapping):
        raise ScheduleError(
            "the schedule must map weekdays to time ranges",
            error_id="flow-bad-schedule",
            field=f"{prefix}schedule",
        )
    ranges: dict[int, tuple[tuple[int, int], ...]] = {}
    for day_name, day_ranges in weekly.items():
        where = f"{prefix}schedule.{day_name}"
        if day_name not in WEEKDAYS:
            raise ScheduleError(
                f"{day_name!r} is not a weekday (mon..sun)",
                error_id="flow-bad-schedule",
                field=where,
            )
        if not isinstance(day_ranges, Sequence) or isinstance(day_ranges, str):
            raise ScheduleError(
                "a weekday needs a list of [start, end] ranges",
                error_id="flow-bad-schedule",
                field=where,
            )
        parsed: list[tuple[int, int]] = []
        for item in day_ranges:
            if not isinstance(item, Sequence) or isinstance(item, str) or len(item) != 2:
                raise ScheduleError(
                    f"{item!r} is not a [start, end] pair",
                    error_id="flow-bad-schedule",
                    field=where,
                )
            start, end = _minutes(item[0], where), _minutes(item[1], where)
            if start >= end:
                raise ScheduleError(
                    f"range {item[0]}-{item[1]} ends before it starts",
                    error_id="flow-bad-time",
                    field=where,
                )
            parsed.append((start, end))
        ranges[WEEKDAYS.index(day_name)] = tuple(sorted(parsed))
    if holidays is None:
        holidays = []
    if not isinstance(holidays, Sequence) or isinstance(holidays, str):
        raise ScheduleError(
            "holidays must be a list of dates",
            error_id="flow-bad-holiday",
            field=f"{prefix}holidays",
        )
    days: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    for item in holidays:
        parsed_day = _holiday(item, f"{prefix}holidays")
        if isinstance(parsed_day, date):
            days.add(parsed_day)
        else:
            yearly.add(parsed_day)
    return WeeklySchedule(ranges, frozenset(days), frozenset(yearly), zone)


def local_time(now: datetime, zone_name: str) -> time:
    """The wall-clock time at `now` in `zone_name` (for the speaking clock)."""
    return now.astimezone(ZoneInfo(zone_name)).time()
