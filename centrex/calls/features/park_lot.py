"""A tenant's park lot: the number calls are transferred to and the slots they wait in.

Pure: `lot_of(number, slots)` turns the tenant's settings (`tenants.park_number`,
`park_slots` such as "701-709", NULL for the platform's default) into a `ParkLot`, and
`parse_slots` says clearly what is wrong with a range (the CLI and the API show that text).
"""

from __future__ import annotations

from dataclasses import dataclass

from centrex.errors import ValidationFailed

DEFAULT_NUMBER = "700"
DEFAULT_SLOTS = "701-709"
MAX_SLOTS = 100  # a lot larger than this is a mistake, not a car park
MAX_DIGITS = 10


@dataclass(frozen=True, slots=True)
class ParkLot:
    """The park number and its slots, in order of use."""

    number: str = DEFAULT_NUMBER
    slots: tuple[str, ...] = tuple(f"70{n}" for n in range(1, 10))


def _digits(value: str, field: str) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or not 2 <= len(value) <= MAX_DIGITS:
        raise ValidationFailed(f"{field} must be 2 to {MAX_DIGITS} digits, got {value!r}",
                               error_id="bad-park-number", field=field)  # fmt: skip
    return value


def parse_slots(text: str, field: str = "park_slots") -> tuple[str, ...]:
    """The slots of a range: "701-709" → ("701", …, "709"); two numbers of the same length,
    first <= last, at most `MAX_SLOTS` of them; one number alone is a lot of one slot."""
    first, sep, last = text.partition("-")
    first = _digits(first, field)
    last = _digits(last, field) if sep else first
    if len(first) != len(last):
        raise ValidationFailed(f"{field}: {first} and {last} differ in length",
                               error_id="bad-park-slots", field=field)  # fmt: skip
    low, high = int(first), int(last)
    if low > high:
        raise ValidationFailed(f"{field}: {first} comes after {last}",
                               error_id="bad-park-slots", field=field)  # fmt: skip
    if high - low + 1 > MAX_SLOTS:
        raise ValidationFailed(f"{field}: at most {MAX_SLOTS} slots ({high - low + 1} asked)",
                               error_id="bad-park-slots", field=field)  # fmt: skip
    return tuple(str(n).zfill(len(first)) for n in range(low, high + 1))


def lot_of(number: str | None, slots: str | None) -> ParkLot:
    """The lot for a tenant's settings (None: the default); stored settings were validated,
    so a bad one (edited in the database by hand) falls back to the default."""
    try:
        park_number = _digits(number, "park_number") if number else DEFAULT_NUMBER
        park_slots = parse_slots(slots) if slots else parse_slots(DEFAULT_SLOTS)
    except ValidationFailed:
        return ParkLot()
    if park_number in park_slots:
        return ParkLot()
    return ParkLot(park_number, park_slots)


def check_lot(number: str, slots: str) -> ParkLot:
    """Validate settings to store (raises `ValidationFailed` naming the field)."""
    park_number = _digits(number, "park_number")
    park_slots = parse_slots(slots)
    if park_number in park_slots:
        raise ValidationFailed(f"park_number {park_number} is one of the slots {slots}",
                               error_id="bad-park-slots", field="park_number")  # fmt: skip
    return ParkLot(park_number, park_slots)
