"""Calling windows in the *called party's* local time (pure).

A campaign may call between two wall-clock times ("09:00-20:00") of the callee, wherever the
callee is: the time zone comes from the number (phonenumbers' geographic time zones). A number
that maps to several zones (a US toll-free number, a country spanning zones) is inside the
window only when it is inside in *every* one of them: a call at 08:00 somewhere is never worth
the risk. A number with no known zone uses the `fallback` zone (the tenant's).

A window whose end is before its start runs over midnight ("21:00-02:00"); a window whose start
equals its end never opens, and is refused when the campaign is created, not discovered by an
empty hopper. No clock is read here: `now` is an argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

DEFAULT_WINDOW = "09:00-20:00"
UNKNOWN_ZONE = "Etc/Unknown"
_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class BadWindow(ValueError):
    """A window that cannot be parsed or never opens."""


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


def is_open(window: Window, e164: str, now: datetime, fallback: str) -> bool:
    """Whether `now` is inside the window for the callee (in every zone of the number)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return all(
        window.contains(t.time().replace(tzinfo=None))
        for t in local_times(e164, now, fallback).values()
    )


def next_opening(window: Window, e164: str, now: datetime, fallback: str) -> datetime:
    """The first instant at or after `now` when the window is open for the callee (UTC).

    Candidates are the window's start in each zone today and the next two days (plus `now`
    itself); the earliest one open in every zone wins. Zones of one number are hours apart, so
    a window of a few hours always finds one within that range."""
    if is_open(window, e164, now, fallback):
        return now.astimezone(UTC)
    candidates: list[datetime] = []
    for local in local_times(e164, now, fallback).values():
        for days in range(3):
            day = (local + timedelta(days=days)).date()
            start = datetime.combine(day, window.start, tzinfo=local.tzinfo)
            if start >= now:
                candidates.append(start.astimezone(UTC))
    for candidate in sorted(candidates):
        if is_open(window, e164, candidate, fallback):
            return candidate
    raise BadWindow(f"the calling window {window} does not open for {e164} in every zone")
