"""Legal hours for telemarketing calls per *callee* country, and its public holidays (pure).

A campaign with `legal_rules` on (the default) never calls a number outside the hours the
callee's country allows, whatever its own window says: the country comes from the number
(phonenumbers' region: +1 numbers are US or CA by area code), the hours are wall-clock times
of the callee (`calling_window` applies them in every zone of the number). A country absent
from `RULES` has no rule here: only the campaign's own window and calling days apply.

Each rule lists, per weekday (Monday = 0), the spans in which a call may start (start
included, end excluded, never over midnight) and whether the country's **national** public
holidays are closed (the `holidays` package, no subdivisions: a regional holiday of Alsace or
Bavaria is not known here). Where the law sets no hours, the rule is the well-known industry
or regulator practice and its comment says so; the sources are in the comments of `RULES`.
Consent-based exceptions (a consumer who asked to be called at 21:00) are not modelled: a
campaign that has such consent turns `legal_rules` off.

No clock is read here: every function takes the callee's local time or date as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import holidays
import phonenumbers

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FULL_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class Span:
    """A span of wall-clock time within one day (start included, end excluded)."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        return self.start <= local < self.end


@dataclass(frozen=True, slots=True)
class CountryRule:
    """When telemarketing calls to one country are allowed (module docstring)."""

    country: str
    week: tuple[tuple[Span, ...], ...]  # seven entries, Monday first; () = no call that day
    closed_on_holidays: bool
    source: str

    def spans_on(self, weekday: int) -> tuple[Span, ...]:
        return self.week[weekday]

    def allows(self, local: datetime) -> bool:
        """Whether the legal hours allow a call at this wall-clock time (holidays aside)."""
        wall = local.time().replace(tzinfo=None)
        return any(span.contains(wall) for span in self.week[local.weekday()])

    def describe(self) -> str:
        """'10:00-13:00, 14:00-20:00 Mon-Fri' (weekdays with the same hours grouped)."""
        parts: list[str] = []
        day = 0
        while day < 7:
            spans = self.week[day]
            last = day
            while last + 1 < 7 and self.week[last + 1] == spans:
                last += 1
            if spans:
                days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
                parts.append(f"{', '.join(str(s) for s in spans)} {days}")
            day = last + 1
        return "; ".join(parts) if parts else "never"


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _spans(*texts: str) -> tuple[Span, ...]:
    return tuple(Span(_hm(t.split("-")[0]), _hm(t.split("-")[1])) for t in texts)


def _rule(
    country: str,
    source: str,
    *,
    holidays_closed: bool,
    weekdays: tuple[Span, ...],
    saturday: tuple[Span, ...] = (),
    sunday: tuple[Span, ...] = (),
) -> CountryRule:
    return CountryRule(country, (weekdays,) * 5 + (saturday, sunday), holidays_closed, source)


RULES: dict[str, CountryRule] = {
    rule.country: rule
    for rule in (
        # France: Code de la consommation art. L223-1 ff. and Décret n° 2022-1313 of 13 October
        # 2022 (art. D223-8), in force since 1 March 2023: Monday to Friday 10:00-13:00 and
        # 14:00-20:00, never on Saturdays, Sundays or public holidays
        _rule(
            "FR",
            "Décret n° 2022-1313 (Code de la consommation L223-1 ff.)",
            holidays_closed=True,
            weekdays=_spans("10:00-13:00", "14:00-20:00"),
        ),
        # Spain: Ley General para la Defensa de los Consumidores y Usuarios art. 96.2 (as
        # amended by Ley 4/2022): never before 09:00 nor after 21:00, nor on weekends or holidays
        _rule(
            "ES",
            "TRLGDCU art. 96.2 (Ley 4/2022)",
            holidays_closed=True,
            weekdays=_spans("09:00-21:00"),
        ),
        # Italy: Codice di condotta per le attività di telemarketing e teleselling (Garante,
        # G.U. 27 March 2024, in force 28 September 2024): 09:00-20:00 on working days,
        # 10:00-19:00 on Saturdays, never on Sundays or public holidays (its eve-of-holiday
        # hours, 10:00-19:00, are not modelled)
        _rule(
            "IT",
            "Codice di condotta telemarketing (Garante, 2024)",
            holidays_closed=True,
            weekdays=_spans("09:00-20:00"),
            saturday=_spans("10:00-19:00"),
        ),
        # Switzerland: no statutory hours (UWG art. 3 para. 1 lit. u governs consent); the call
        # filters operators run under FDV art. 83 (Swisscom's criteria) block calls before 08:00
        # or after 20:30 on weekdays, before 09:00 or after 16:00 on Saturdays, and on Sundays
        # and public holidays
        _rule(
            "CH",
            "UWG art. 3 u; operator call-filter criteria (FDV art. 83)",
            holidays_closed=True,
            weekdays=_spans("08:00-20:30"),
            saturday=_spans("09:00-16:00"),
        ),
        # Belgium: no statutory hours (Code de droit économique VI.111 ff. is the "Ne m'appelez
        # plus" list); the consumer agreement of energy suppliers' "reasonable hours" 09:00-20:00,
        # and no calls on Sundays or public holidays (common practice)
        _rule(
            "BE",
            "CDE VI.111 ff.; consumer agreement (reasonable hours 09:00-20:00)",
            holidays_closed=True,
            weekdays=_spans("09:00-20:00"),
            saturday=_spans("09:00-20:00"),
        ),
        # Germany: no statutory hours (UWG § 7 requires prior consent); Sunday and public
        # holiday rest (GG art. 140 with WRV art. 139) and the industry's usual 09:00-20:00 on
        # working days including Saturday
        _rule(
            "DE",
            "UWG § 7; Sunday and holiday rest (GG art. 140 / WRV art. 139)",
            holidays_closed=True,
            weekdays=_spans("09:00-20:00"),
            saturday=_spans("09:00-20:00"),
        ),
        # United Kingdom: Ofcom's persistent misuse policy and ICO guidance: 08:00-21:00 local,
        # every day; no holiday rule
        _rule(
            "GB",
            "Ofcom persistent misuse policy / ICO guidance",
            holidays_closed=False,
            weekdays=_spans("08:00-21:00"),
            saturday=_spans("08:00-21:00"),
            sunday=_spans("08:00-21:00"),
        ),
        # United States: TCPA, 47 CFR § 64.1200(c)(1): not before 08:00 nor after 21:00 at the
        # called party's location, every day; no federal holiday rule
        _rule(
            "US",
            "TCPA, 47 CFR § 64.1200(c)(1)",
            holidays_closed=False,
            weekdays=_spans("08:00-21:00"),
            saturday=_spans("08:00-21:00"),
            sunday=_spans("08:00-21:00"),
        ),
        # Canada: CRTC Unsolicited Telecommunications Rules, Part III (telemarketing rules):
        # 09:00-21:30 on weekdays, 10:00-18:00 on Saturdays and Sundays; no holiday rule
        # (provinces may restrict further)
        _rule(
            "CA",
            "CRTC Unsolicited Telecommunications Rules, Part III",
            holidays_closed=False,
            weekdays=_spans("09:00-21:30"),
            saturday=_spans("10:00-18:00"),
            sunday=_spans("10:00-18:00"),
        ),
    )
}


def rule_for(country: str | None) -> CountryRule | None:
    """The rule of a country (ISO 3166 alpha-2), None when there is none."""
    return RULES.get((country or "").upper())


def country_of(e164: str) -> str | None:
    """The country of a number (phonenumbers' region, e.g. "US" or "CA" for +1), or None."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != "001" else None


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, years=year)
        language = found.default_language
        if language:
            found = holidays.country_holidays(country, years=year, language=language)
    except NotImplementedError:  # a country the package does not know
        return {}
    return {day: str(name) for day, name in found.items()}


def holiday_name(country: str, day: date) -> str | None:
    """The national public holiday of `country` on `day` (its local name), or None."""
    return _holidays(country.upper(), day.year).get(day)


@lru_cache(maxsize=64)
def _described(rule: CountryRule) -> str:
    return rule.describe()


def legal_reason(rule: CountryRule, local: datetime) -> str | None:
    """Why the country's rule forbids a call at this wall-clock time of the callee (None: it
    allows it): 'public holiday in FR: Noël' or 'outside the legal hours in FR (…)'."""
    if rule.closed_on_holidays:
        name = holiday_name(rule.country, local.date())
        if name is not None:
            return f"public holiday in {rule.country}: {name}"
    if not rule.allows(local):
        return f"outside the legal hours in {rule.country} ({_described(rule)})"
    return None
