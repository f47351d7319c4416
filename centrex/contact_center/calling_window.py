"""Calling windows in the *called party's* local time (pure).

A campaign may call between two wall-clock times ("09:00-20:00") of the callee, wherever the
callee is: the time zone comes from the number (phonenumbers' geographic time zones). A number
that maps to several zones (a US toll-free number, a country spanning zones) is inside the
window only when it is inside in *every* one of them: a call at 08:00 somewhere is never worth
the risk. A number with no known zone uses the `fallback` zone (the tenant's).

A window whose end is before its start runs over midnight ("21:00-02:00"); a window whose start
equals its end never opens, and is refused when the campaign is created, not discovered by an
empty hopper.

Two more conditions, in the callee's local time too: the campaign's **calling days** ("mon-fri",
"mon,wed,fri"; a day is the callee's calendar day, so the small hours of a window over midnight
belong to the day they fall on), and, when the campaign's `legal_rules` is on, the **legal
hours and national public holidays** of the callee's country (`country_rules`; a country
without a rule adds nothing). `closed_reason` names the first condition that fails, in that
order (day, holiday, legal hours, window); `is_open` is "no reason".

`next_opening` does not scan minutes: whether a number is open changes only at a wall-clock
boundary of one of its zones (local midnight, the window's start, a legal span's start) or at a
UTC-offset change of one of them, so those instants (both folds of an ambiguous wall time) over
the next `horizon_days` are the only candidates, and the earliest open one is the answer (None
when nothing opens in the horizon: weekends, holidays and legal hours can close a fortnight).
No clock is read here: `now` is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from centrex.contact_center.country_rules import (
    FULL_DAY_NAMES,
    CountryRule,
    country_of,
    legal_reason,
    rule_for,
)

DEFAULT_WINDOW = "09:00-20:00"
DEFAULT_DAYS = "mon-sun"
ALL_DAYS: frozenset[int] = frozenset(range(7))
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 14
UNKNOWN_ZONE = "Etc/Unknown"
_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class BadWindow(ValueError):
    """A window that cannot be parsed or never opens."""


class BadDays(ValueError):
    """Calling days that cannot be parsed."""


@dataclass(frozen=True, slots=True)
class Window:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        """Whether a wall-clock time is inside (start included, end excluded)."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # over midnight


def parse_window(text: str) -> Window:
    """'HH:MM-HH:MM' → `Window`, or `BadWindow` naming the problem."""
    match = _PATTERN.match(text.strip())
    if match is None:
        raise BadWindow(f"a calling window is HH:MM-HH:MM, not {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60):
        raise BadWindow(f"{text!r} is not a time of day (00:00-23:59)")
    window = Window(time(h1, m1), time(h2, m2))
    if window.start == window.end:
        raise BadWindow(f"the calling window {window} never opens (it starts when it ends)")
    return window


def callee_zones(e164: str, fallback: str) -> tuple[str, ...]:
    """The IANA zones of a number (its geographic zones, else `fallback`)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return (fallback,)
    zones = tuple(z for z in phone_timezone.time_zones_for_number(parsed) if z != UNKNOWN_ZONE)
    valid = tuple(z for z in zones if _zone(z) is not None)
    return valid or (fallback,)


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_times(e164: str, now: datetime, fallback: str) -> dict[str, datetime]:
    """The callee's wall-clock time in each of its zones at `now` (aware)."""
    result: dict[str, datetime] = {}
    for name in callee_zones(e164, fallback):
        zone = _zone(name) or UTC
        result[name] = now.astimezone(zone)
    return result


def _day(text: str, whole: str) -> int:
    word = text.strip().lower()
    key = word[:3]
    if key not in DAY_KEYS or word not in (key, FULL_DAY_NAMES[DAY_KEYS.index(key)].lower()):
        raise BadDays(f"calling days are days like mon-fri or mon,wed,fri, not {whole!r} "
                      f"({text.strip()!r} is not a day: {', '.join(DAY_KEYS)})")  # fmt: skip
    return DAY_KEYS.index(key)


def parse_days(text: str) -> frozenset[int]:
    """'mon-fri', 'mon,wed,fri', 'fri-mon' (a range may wrap over Sunday) → weekday numbers
    (Monday = 0), or `BadDays` naming the problem."""
    days: set[int] = set()
    items = [item for item in text.split(",") if item.strip()]
    if not items:
        raise BadDays(f"calling days are days like mon-fri or mon,wed,fri, not {text!r}")
    for item in items:
        first, sep, last = item.partition("-")
        start = _day(first, text)
        end = _day(last, text) if sep else start
        days.update((start + k) % 7 for k in range((end - start) % 7 + 1))
    return frozenset(days)


def format_days(days: Collection[int]) -> str:
    """The canonical text of calling days: runs of days as ranges, Monday first ('mon-fri',
    'mon,wed,fri', 'mon-sun')."""
    ordered = sorted(set(days))
    parts: list[str] = []
    index = 0
    while index < len(ordered):
        last = index
        while last + 1 < len(ordered) and ordered[last + 1] == ordered[last] + 1:
            last += 1
        first_key, last_key = DAY_KEYS[ordered[index]], DAY_KEYS[ordered[last]]
        parts.append(first_key if last == index else f"{first_key}-{last_key}")
        index = last + 1
    return ",".join(parts)


@dataclass(frozen=True, slots=True)
class _Callee:
    """What the checks need of one number, worked out once: its zones and country rule."""

    zones: tuple[tzinfo, ...]
    rule: CountryRule | None


def _callee(e164: str, fallback: str, legal: bool) -> _Callee:
    zones = tuple(_zone(name) or UTC for name in callee_zones(e164, fallback))
    return _Callee(zones, rule_for(country_of(e164)) if legal else None)


def _reason(window: Window, days: Collection[int], callee: _Callee, now: datetime) -> str | None:
    for zone in callee.zones:
        local = now.astimezone(zone)
        if local.weekday() not in days:
            return f"not a calling day ({FULL_DAY_NAMES[local.weekday()]})"
        if callee.rule is not None:
            forbidden = legal_reason(callee.rule, local)
            if forbidden is not None:
                return forbidden
        if not window.contains(local.time().replace(tzinfo=None)):
            return f"outside the campaign window {window}"
    return None


def closed_reason(
    window: Window,
    e164: str,
    now: datetime,
    fallback: str,
    *,
    days: Collection[int] = ALL_DAYS,
    legal: bool = False,
) -> str | None:
    """Why the callee may not be called at `now` (module docstring: day, holiday, legal hours,
    window, in every zone of the number), or None when the call is allowed."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return _reason(window, days, _callee(e164, fallback, legal), now)


def is_open(
    window: Window,
    e164: str,
    now: datetime,
    fallback: str,
    *,
    days: Collection[int] = ALL_DAYS,
    legal: bool = False,
) -> bool:
    """Whether the callee may be called at `now` (`closed_reason` finds nothing)."""
    return closed_reason(window, e164, now, fallback, days=days, legal=legal) is None


def _transition(zone: tzinfo, lo: datetime, hi: datetime) -> datetime:
    """The first minute in (lo, hi] (UTC) with hi's UTC offset, lo having another one."""
    target = hi.astimezone(zone).utcoffset()
    while hi - lo > timedelta(minutes=1):
        mid = lo + timedelta(minutes=(hi - lo) // timedelta(minutes=1) // 2)
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def _candidates(window: Window, callee: _Callee, now: datetime, end: datetime) -> list[datetime]:
    """Every instant in (now, end] at which the number may open (module docstring)."""
    found: set[datetime] = set()
    for zone in callee.zones:
        first = now.astimezone(zone).date() - timedelta(days=1)
        for offset in range((end - now).days + 3):
            day: date = first + timedelta(days=offset)
            starts = {time(0, 0), window.start}
            if callee.rule is not None:
                starts.update(span.start for span in callee.rule.spans_on(day.weekday()))
            for wall in starts:
                for fold in (0, 1):
                    found.add(datetime.combine(day, wall, tzinfo=zone).replace(fold=fold)
                              .astimezone(UTC))  # fmt: skip
            midnight = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
            following = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
            following_utc = following.astimezone(UTC)
            if midnight.astimezone(zone).utcoffset() != following_utc.astimezone(zone).utcoffset():
                found.add(_transition(zone, midnight, following_utc))
    return sorted(c for c in found if now < c <= end)


def next_opening(
    window: Window,
    e164: str,
    now: datetime,
    fallback: str,
    *,
    days: Collection[int] = ALL_DAYS,
    legal: bool = False,
    horizon_days: int = HORIZON_DAYS,
) -> datetime | None:
    """The first instant at or after `now` when the callee may be called (UTC), or None when
    none comes within `horizon_days` (module docstring)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    callee = _callee(e164, fallback, legal)
    if _reason(window, days, callee, now) is None:
        return now.astimezone(UTC)
    end = now + timedelta(days=horizon_days)
    for candidate in _candidates(window, callee, now, end):
        if _reason(window, days, callee, candidate) is None:
            return candidate
    return None


def never_opens_reason(
    window: Window, days: Collection[int], country: str | None, *, legal: bool
) -> str | None:
    """Why a campaign could never call a number of `country` in any week (its calling days
    and window never meet that country's legal hours), or None. Holidays aside: they close
    days, not every week."""
    rule = rule_for(country) if legal else None
    if rule is None:
        return None  # a window always opens (parse_window) on at least one day (parse_days)
    legal_days = {d for d in range(7) if rule.spans_on(d)}
    if not legal_days & set(days):
        return (f"the calling days {format_days(days)} are never legal calling days in "
                f"{rule.country} ({rule.describe()})")  # fmt: skip
    for weekday in sorted(set(days) & legal_days):
        for span in rule.spans_on(weekday):
            minute = span.start.hour * 60 + span.start.minute
            stop = span.end.hour * 60 + span.end.minute
            while minute < stop:
                if window.contains(time(minute // 60, minute % 60)):
                    return None
                minute += 1
    return (f"the calling window {window} on {format_days(days)} never meets the legal hours "
            f"in {rule.country} ({rule.describe()})")  # fmt: skip
