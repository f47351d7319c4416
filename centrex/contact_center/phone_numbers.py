"""Phone numbers of leads and DNC entries: parse, validate and normalise to E.164 (phonenumbers).

Leads arrive as people type them ("01 42 68 53 00", "+33142685300", "0033 1 42..."); the region
of a number without a country code is the tenant's country (`Tenant.country`), FR when the
tenant has none. A number is kept only when phonenumbers calls it *valid* for its region (not
merely possible): a dialer that calls unassigned numbers wastes trunk capacity and agents' time.
Each refusal carries a reason a person can act on ("too short", "not a number").
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

DEFAULT_REGION = "FR"

_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "invalid length",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
}
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


class BadNumber(ValueError):
    """A number that cannot be called; `reason` is the short human explanation."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"{reason}: {raw!r}" if raw else reason)
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Normalised:
    e164: str
    parsed: PhoneNumber


def region_of(country: str | None) -> str:
    """The default region for numbers without a country code: the tenant's, else FR."""
    value = (country or "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else DEFAULT_REGION


def parse(raw: str, region: str = DEFAULT_REGION) -> Normalised:
    """`raw` as E.164, or `BadNumber` saying why not."""
    text = raw.strip()
    if not text:
        raise BadNumber(raw, "no number")
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise BadNumber(text, _PARSE_REASONS.get(exc.error_type, "not a phone number")) from None
    if not phonenumbers.is_valid_number(parsed):
        reason = _REASONS.get(
            phonenumbers.is_possible_number_with_reason(parsed), "not a valid number"
        )
        raise BadNumber(text, reason)
    return Normalised(phonenumbers.format_number(parsed, PhoneNumberFormat.E164), parsed)


def normalise(raw: str, region: str = DEFAULT_REGION) -> str:
    """`raw` as an E.164 string (`+33142685300`), or `BadNumber`."""
    return parse(raw, region).e164
