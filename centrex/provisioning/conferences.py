"""Conference rooms of a tenant: create, list, read, change, delete (CLI, API and portal share it).

Rules, each with a stable error id (the call side is `calls/features/conference.py`, the app
`apps/conference`):

* number: 2-10 digits in the tenant's extension number space: unique among rooms
  (`conference-exists`, 409) and not a number the tenant already dials for something else —
  an extension, a ring group, a queue, a short number, the park number or a park slot
  (`conference-number-taken`, 409, naming what uses it: the router would send the call
  there, and the room could never be reached), nor an emergency number of the tenant's
  country (`conference-bad-number`);
* pin and moderator_pin: 3-8 digits each, or none (`conference-bad-pin`); they must differ
  (`conference-same-pins`: a caller entering it would be both);
* max_members: 2-100 (`conference-bad-max-members`), default 20;
* record: the room's mix is recorded, linked to the CDR of the call that opened the room.

Every query goes through `TenantScope`, so another tenant's room is "not found".
"""

from __future__ import annotations

from typing import Any

from centrex.calls.features.park_lot import DEFAULT_NUMBER, DEFAULT_SLOTS, parse_slots
from centrex.calls.router import emergency_numbers
from centrex.data.models import (
    CallQueue,
    Conference,
    Extension,
    RingGroup,
    ShortNumber,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

DEFAULT_MAX_MEMBERS = 20
MIN_MAX_MEMBERS, MAX_MAX_MEMBERS = 2, 100
MIN_PIN, MAX_PIN = 3, 8


def conference_dict(room: Conference) -> dict[str, Any]:
    """A room as the CLI and the API show it (the PINs too: the admin sets and shares them)."""
    return {
        "id": room.id,
        "number": room.number,
        "name": room.name,
        "pin": room.pin,
        "moderator_pin": room.moderator_pin,
        "record": room.record,
        "max_members": room.max_members,
    }


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


async def _tenant(scope: TenantScope) -> Tenant:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    return tenant


async def numbers_in_use(scope: TenantScope, tenant: Tenant) -> dict[str, str]:
    """What each number the tenant dials already is (number → "an extension", ...)."""
    taken = {e.number: "an extension" for e in await scope.list(Extension)}
    taken.update({g.number: "a ring group" for g in await scope.list(RingGroup)})
    taken.update({s.number: "a short number" for s in await scope.list(ShortNumber)})
    taken.update({q.number: "a queue" for q in await scope.list(CallQueue)})
    taken[tenant.park_number or DEFAULT_NUMBER] = "the park number"
    try:
        slots = parse_slots(tenant.park_slots or DEFAULT_SLOTS)
    except ValidationFailed:  # stored settings were checked when set; never block on them
        slots = ()
    taken.update({slot: "a park slot" for slot in slots})
    return taken


async def _check_number(scope: TenantScope, number: str, current: Conference | None) -> str:
    value = number.strip()
    if not (value.isascii() and value.isdigit() and 2 <= len(value) <= 10):
        raise _invalid(f"a conference number has 2 to 10 digits, not {number!r}",
                       "conference-bad-number", "number")  # fmt: skip
    tenant = await _tenant(scope)
    if value in emergency_numbers(tenant.country):
        raise _invalid(f"{value} is an emergency number", "conference-bad-number", "number")
    other = await scope.first(Conference, Conference.number == value)
    if other is not None and other is not current:
        raise Conflict(f"conference {value} exists already", error_id="conference-exists",
                       field="number")  # fmt: skip
    used = (await numbers_in_use(scope, tenant)).get(value)
    if used is not None:
        raise Conflict(f"{value} is {used} of {scope.domain}",
                       error_id="conference-number-taken", field="number")  # fmt: skip
    return value


def check_pin(value: str | None, field: str) -> str | None:
    """None or '' (no PIN), else 3-8 digits."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit() and MIN_PIN <= len(text) <= MAX_PIN):
        raise _invalid(f"a {field.replace('_', ' ')} has {MIN_PIN} to {MAX_PIN} digits",
                       "conference-bad-pin", field)  # fmt: skip
    return text


def check_max_members(value: int) -> int:
    if not MIN_MAX_MEMBERS <= value <= MAX_MAX_MEMBERS:
        raise _invalid(
            f"max members must be {MIN_MAX_MEMBERS}-{MAX_MAX_MEMBERS}, not {value}",
            "conference-bad-max-members", "max_members",
        )  # fmt: skip
    return value


def _check_pins(pin: str | None, moderator_pin: str | None) -> None:
    if pin is not None and pin == moderator_pin:
        raise _invalid("the moderator PIN must differ from the PIN", "conference-same-pins",
                       "moderator_pin")  # fmt: skip


async def create_conference(
    scope: TenantScope,
    *,
    number: str,
    name: str = "",
    pin: str | None = None,
    moderator_pin: str | None = None,
    record: bool = False,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Conference:
    """Create a room; nothing is written when any input is refused."""
    value = await _check_number(scope, number, None)
    room_pin = check_pin(pin, "pin")
    mod_pin = check_pin(moderator_pin, "moderator_pin")
    _check_pins(room_pin, mod_pin)
    size = check_max_members(max_members)
    room = scope.add(
        Conference(number=value, name=name.strip(), pin=room_pin, moderator_pin=mod_pin,
                   record=record, max_members=size)
    )  # fmt: skip
    await scope.session.flush()
    return room


async def list_conferences(scope: TenantScope) -> list[Conference]:
    return list(await scope.list(Conference, order_by=Conference.number))


async def get_conference(scope: TenantScope, number: str) -> Conference:
    room = await scope.first(Conference, Conference.number == number.strip())
    if room is None:
        raise NotFound(f"conference {number} not found", error_id="conference-not-found")
    return room


async def get_conference_by_id(scope: TenantScope, room_id: int) -> Conference:
    room = await scope.first(Conference, Conference.id == room_id)
    if room is None:
        raise NotFound(f"conference {room_id} not found", error_id="conference-not-found")
    return room


async def update_conference(
    scope: TenantScope,
    room: Conference,
    *,
    number: str | None = None,
    name: str | None = None,
    pin: str | None = None,
    moderator_pin: str | None = None,
    record: bool | None = None,
    max_members: int | None = None,
    clear_pin: bool = False,
    clear_moderator_pin: bool = False,
) -> Conference:
    """Change what is given (`clear_*` removes a PIN); everything is checked before writing."""
    new_number = await _check_number(scope, number, room) if number is not None else None
    new_pin = None if clear_pin else (check_pin(pin, "pin") if pin is not None else room.pin)
    new_mod = (
        None
        if clear_moderator_pin
        else (check_pin(moderator_pin, "moderator_pin") if moderator_pin is not None
              else room.moderator_pin)
    )  # fmt: skip
    _check_pins(new_pin, new_mod)
    size = check_max_members(max_members) if max_members is not None else None
    if new_number is not None:
        room.number = new_number
    if name is not None:
        room.name = name.strip()
    room.pin, room.moderator_pin = new_pin, new_mod
    if record is not None:
        room.record = record
    if size is not None:
        room.max_members = size
    await scope.session.flush()
    return room


async def delete_conference(scope: TenantScope, room: Conference) -> None:
    """Delete the room (callers in it stay until they hang up; nobody new gets in)."""
    await scope.remove(room)
    await scope.session.flush()
