"""Input checks shared by the CLI, the API and the portal, each with a stable error id."""

from __future__ import annotations

import re

import phonenumbers

from centrex.errors import ValidationFailed

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_domain(value: str) -> str:
    """A tenant's SIP domain: a lower-case host name with at least two labels (RFC 1123)."""
    domain = value.strip().rstrip(".").lower()
    labels = domain.split(".")
    if (
        not domain
        or len(domain) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationFailed(
            f"domain {value!r} is not a valid host name (e.g. acme.example.com)",
            error_id="invalid-domain",
            field="domain",
        )
    return domain


def check_extension_digits(value: int) -> int:
    """Extension length of a tenant's numbering plan: 2 to 5 digits."""
    if not 2 <= value <= 5:
        raise ValidationFailed(
            f"extension length must be between 2 and 5 digits, not {value}",
            error_id="invalid-extension-digits",
            field="extension_digits",
        )
    return value


def check_extension_number(number: str, digits: int) -> str:
    """An extension number has exactly the tenant's number of digits."""
    if not (number.isascii() and number.isdigit() and len(number) == digits):
        raise ValidationFailed(
            f"extension {number!r} must be exactly {digits} digits for this tenant",
            error_id="invalid-extension-number",
            field="number",
        )
    return number


def check_non_negative(value: int, field: str) -> int:
    if value < 0:
        raise ValidationFailed(
            f"{field.replace('_', ' ')} cannot be negative ({value})",
            error_id=f"invalid-{field.replace('_', '-')}",
            field=field,
        )
    return value


def normalise_e164(value: str, region: str | None = None) -> str:
    """A phone number in E.164 (`+41215550100`), parsed with `phonenumbers`.

    Without a leading `+`, the number is read as a national number of `region` (the tenant's
    country) when one is given.
    """
    text = value.strip()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(
            f"{value!r} is not an E.164 number (e.g. +41215550100): {exc}",
            error_id="invalid-e164",
            field="number",
        ) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationFailed(
            f"{value!r} is not a possible E.164 number",
            error_id="invalid-e164",
            field="number",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_language(value: str) -> str:
    if value not in {"de", "fr", "en", "it"}:
        raise ValidationFailed(
            f"language {value!r} is not one of de, fr, en, it",
            error_id="invalid-language",
            field="language",
        )
    return value
