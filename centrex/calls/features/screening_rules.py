"""Call screening rules, pure: block and allow lists, outbound barring classes, premium rates.

Why a module of its own: the decisions are plain functions of (rules, direction, number,
extension) and of (class, premium, number, country), so they are unit-tested without sockets
or a database (Hypothesis sweeps them), and the same checks serve the call feature
(`screening.py`, which reads the rows) and the administrators' writes (`provisioning/
screening.py`: a pattern is checked here before it is stored).

Patterns (issue 12 item 5):

* an E.164 number (`+41797770000`; a national number is normalised for the tenant's country
  with `phonenumbers`), matching exactly that number;
* a prefix of E.164 digits ending in `*` (`+3389*`), matching every number that starts so;
* `anonymous`: an inbound caller without a caller ID (From `anonymous`, a From host
  `anonymous.invalid` or `Privacy: id`, RFC 3323 §4.2 / RFC 3325 §9.3) — inbound only.

Decisions for one call (`screen`): the rules that apply are those of the call's direction that
are tenant-wide or scoped to the call's extension (the callee of an inbound call, the caller of
an outbound one). A matching blocklist entry refuses the call (the most specific one decides the
action: an extension's entry before a tenant-wide one, then the longest pattern) — block wins
over allow. Otherwise, when allowlist entries apply, only a number matching one of them passes;
a caller refused by an allowlist gets voicemail only if every applying allowlist entry says so,
else it is rejected. Emergency numbers are never screened (the feature checks before calling).

Barring (`barred`): `internal` calls nothing outside, `national` only numbers of the tenant's
country code, `international` any geographic country code as well, `all` also the global
non-geographic services (+800, +881…). Premium-rate and shared-cost numbers
(`phonenumbers.number_type`) need `premium` on, whatever the class.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from centrex.errors import ValidationFailed

ANONYMOUS = "anonymous"
ANONYMOUS_HOST = "anonymous.invalid"  # RFC 3323 §4.1.1.3
MAX_PATTERN = 24
NON_GEOGRAPHIC = "001"  # phonenumbers' region code of +800, +808, +870, +881, +882, +883…
PREMIUM_TYPES = frozenset({phonenumbers.PhoneNumberType.PREMIUM_RATE,
                           phonenumbers.PhoneNumberType.SHARED_COST})  # fmt: skip


class ListKind(StrEnum):
    BLOCK = "block"
    ALLOW = "allow"


class ScreenDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ScreenAction(StrEnum):
    REJECT = "reject"  # inbound: 603 Decline; outbound: 403 Forbidden
    VOICEMAIL = "voicemail"  # inbound: the callee's mailbox (outbound: same as reject)


class OutboundClass(StrEnum):
    """How far an extension may call out (the default `all` keeps every call as before)."""

    INTERNAL = "internal"
    NATIONAL = "national"
    INTERNATIONAL = "international"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class Rule:
    """One list entry as the decision needs it (`extension` None: tenant-wide)."""

    kind: ListKind
    direction: ScreenDirection
    pattern: str
    extension: str | None = None
    action: ScreenAction = ScreenAction.REJECT


@dataclass(frozen=True, slots=True)
class Verdict:
    """What screening decided: pass, or refuse with `action` and a reason for the Warning."""

    allowed: bool
    action: ScreenAction = ScreenAction.REJECT
    reason: str = ""
    rule: Rule | None = None


PASS = Verdict(True)


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(message, error_id="screening-bad-pattern", field="pattern")


def check_pattern(text: str, direction: ScreenDirection, country: str) -> str:
    """The stored form of a pattern, or `ValidationFailed` (`screening-bad-pattern`)."""
    value = "".join(ch for ch in text.strip() if ch not in " -.()/")
    if value.lower() == ANONYMOUS:
        if direction is ScreenDirection.OUTBOUND:
            raise _invalid("'anonymous' screens inbound callers only")
        return ANONYMOUS
    if value.endswith("*"):
        digits = value[:-1]
        if not (digits.startswith("+") and digits[1:].isascii() and digits[1:].isdigit()):
            raise _invalid(f"{text!r} is no prefix: '+' and digits, then '*' (e.g. +3389*)")
        if not 1 <= len(digits) - 1 <= 15 or digits[1] == "0":
            raise _invalid(f"{text!r}: a prefix has 1 to 15 digits after '+', no leading 0")
        return value
    number = e164(value, country)
    if number is None:
        raise _invalid(f"{text!r} is not an E.164 number, a prefix ending in '*' or 'anonymous'")
    return number


def e164(text: str, country: str) -> str | None:
    """`text` as a possible E.164 number (national numbers read for `country`), else None."""
    value = text.strip()
    if not value or not value.removeprefix("+").isascii() or not value.removeprefix("+").isdigit():
        return None
    try:
        parsed = phonenumbers.parse(value, None if value.startswith("+") else country.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_number(
    user: str | None, host: str | None, privacy: str | None, country: str
) -> str | None:
    """Who an inbound caller is for screening: its E.164 number, its raw user part when that
    is no number, or None when it withholds its identity (From `anonymous`, host
    `anonymous.invalid`, `Privacy: id`/`header`/`user`, RFC 3323 §4.2)."""
    tokens = {t.strip().lower() for t in (privacy or "").replace(",", ";").split(";")}
    if tokens & {"id", "header", "user"}:
        return None
    if not user or user.lower() == ANONYMOUS or (host or "").lower() == ANONYMOUS_HOST:
        return None
    return e164(user, country) or user


def matches(pattern: str, number: str | None) -> bool:
    """Does `pattern` (a stored pattern) cover `number` (None: an anonymous caller)?"""
    if pattern == ANONYMOUS:
        return number is None
    if number is None:
        return False
    if pattern.endswith("*"):
        return number.startswith(pattern[:-1])
    return number == pattern


def _specificity(rule: Rule) -> tuple[bool, int]:
    """Sort key: an extension's entry first, then the longest (most precise) pattern."""
    exact = 0 if rule.pattern.endswith("*") else 1
    return (rule.extension is None, -(len(rule.pattern) + exact))


def screen(
    rules: Iterable[Rule], direction: ScreenDirection, number: str | None, extension: str | None
) -> Verdict:
    """Screen `number` (None: anonymous) of a call in `direction` concerning `extension`."""
    applying = [r for r in rules if r.direction is direction and r.extension in (None, extension)]
    hits = [r for r in applying if r.kind is ListKind.BLOCK and matches(r.pattern, number)]
    blocked = sorted(hits, key=_specificity)
    who = number or ANONYMOUS
    if blocked:
        rule = blocked[0]
        return Verdict(False, rule.action, f"{who} is on the blocklist ({rule.pattern})", rule)
    allows = [r for r in applying if r.kind is ListKind.ALLOW]
    if allows and not any(matches(r.pattern, number) for r in allows):
        voicemail = all(r.action is ScreenAction.VOICEMAIL for r in allows)
        action = ScreenAction.VOICEMAIL if voicemail else ScreenAction.REJECT
        return Verdict(False, action, f"{who} is not on the allowlist")
    return PASS


def is_premium(number: str) -> bool:
    """Premium-rate or shared-cost (`phonenumbers.number_type`)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(parsed) in PREMIUM_TYPES


def barred(outbound: OutboundClass, premium: bool, number: str, country: str) -> str | None:
    """Why an extension of class `outbound` may not dial the E.164 `number` (None: it may).
    Emergency numbers are the caller's business to exempt before asking."""
    if outbound is OutboundClass.INTERNAL:
        return "outside calls are barred for this extension"
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return f"{number} is not a number this extension may dial"
    region = phonenumbers.region_code_for_number(parsed)
    home = phonenumbers.country_code_for_region(country.upper())
    if outbound is OutboundClass.NATIONAL and parsed.country_code != home:
        return "international calls are barred for this extension"
    if outbound is OutboundClass.INTERNATIONAL and region == NON_GEOGRAPHIC:
        return "calls to global services are barred for this extension"
    if not premium and phonenumbers.number_type(parsed) in PREMIUM_TYPES:
        return "premium-rate numbers are barred for this extension"
    return None
