"""Call screening of a tenant for the CLI and the API: blocklist and allowlist entries, and the
outbound barring of an extension (class and premium numbers). Issue 12 item 5.

Rules (each with a stable error id; the matching itself is `calls/features/screening_rules.py`,
which the call feature applies to every call from a trunk and every call to one):

* pattern: an E.164 number (national numbers are read for the tenant's country), a `+prefix*`
  or `anonymous` (inbound only) — `screening-bad-pattern`;
* direction: `inbound` or `outbound` — `screening-bad-direction`;
* action: `reject` or `voicemail` (inbound only: an outbound call has no mailbox to go to) —
  `screening-bad-action`;
* extension: an extension of *this* tenant (another tenant's 301 is simply unknown here:
  `screening-extension-unknown`), or none for a tenant-wide entry;
* the same entry twice is a 409 `screening-entry-exists`.

Every query goes through `TenantScope`: another tenant's entry is "not found" (404).
"""

from __future__ import annotations

from typing import Any

from centrex.calls.features.screening_rules import (
    ListKind,
    OutboundClass,
    ScreenAction,
    ScreenDirection,
    check_pattern,
)
from centrex.data.models import Extension, ScreeningEntry, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.extensions import get_extension

DIRECTIONS = tuple(d.value for d in ScreenDirection)
ACTIONS = tuple(a.value for a in ScreenAction)
CLASSES = tuple(c.value for c in OutboundClass)
NAMES = {ListKind.BLOCK: "blocklist", ListKind.ALLOW: "allowlist"}


def entry_view(entry: ScreeningEntry, extension: str | None) -> dict[str, Any]:
    """An entry as the CLI and the API show it (`extension` is the number, None: tenant-wide)."""
    return {
        "id": entry.id,
        "list": entry.list_kind,
        "direction": entry.direction,
        "pattern": entry.pattern,
        "extension": extension,
        "action": entry.action,
    }


def _direction(value: str) -> ScreenDirection:
    try:
        return ScreenDirection(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"direction must be inbound or outbound, not {value!r}",
                               error_id="screening-bad-direction",
                               field="direction") from None  # fmt: skip


def _action(value: str, direction: ScreenDirection) -> ScreenAction:
    try:
        action = ScreenAction(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"action must be reject or voicemail, not {value!r}",
                               error_id="screening-bad-action",
                               field="action") from None  # fmt: skip
    if action is ScreenAction.VOICEMAIL and direction is ScreenDirection.OUTBOUND:
        raise ValidationFailed("voicemail is an action for inbound entries only",
                               error_id="screening-bad-action", field="action")  # fmt: skip
    return action


async def _extension(scope: TenantScope, number: str | None) -> Extension | None:
    if number is None or not number.strip():
        return None
    extension = await scope.first(Extension, Extension.number == number.strip())
    if extension is None:
        raise ValidationFailed(f"extension {number} does not exist in {scope.domain}",
                               error_id="screening-extension-unknown",
                               field="extension")  # fmt: skip
    return extension


async def add_entry(
    scope: TenantScope,
    kind: ListKind,
    *,
    pattern: str,
    direction: str,
    extension: str | None = None,
    action: str = ScreenAction.REJECT.value,
) -> dict[str, Any]:
    """Add an entry to the tenant's `kind` list; everything is checked before writing."""
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    way = _direction(direction)
    chosen = _action(action, way)
    stored = check_pattern(pattern, way, tenant.country)
    owner = await _extension(scope, extension)
    owner_id = owner.id if owner is not None else None
    same = await scope.first(
        ScreeningEntry,
        ScreeningEntry.list_kind == kind.value,
        ScreeningEntry.direction == way.value,
        ScreeningEntry.pattern == stored,
        ScreeningEntry.extension_id.is_(None)
        if owner_id is None
        else ScreeningEntry.extension_id == owner_id,
    )
    if same is not None:
        raise Conflict(f"{stored} ({way.value}) is on the {NAMES[kind]} already",
                       error_id="screening-entry-exists", field="pattern")  # fmt: skip
    entry = scope.add(ScreeningEntry(list_kind=kind.value, direction=way.value, pattern=stored,
                                     action=chosen.value, extension_id=owner_id))  # fmt: skip
    await scope.session.flush()
    return entry_view(entry, owner.number if owner is not None else None)


async def _numbers(scope: TenantScope) -> dict[int, str]:
    return {e.id: e.number for e in await scope.list(Extension)}


async def list_entries(scope: TenantScope, kind: ListKind) -> list[dict[str, Any]]:
    numbers = await _numbers(scope)
    rows = await scope.list(ScreeningEntry, ScreeningEntry.list_kind == kind.value)
    return [entry_view(r, numbers.get(r.extension_id or 0)) for r in rows]


async def _entry(scope: TenantScope, kind: ListKind, entry_id: int) -> ScreeningEntry:
    entry = await scope.first(
        ScreeningEntry, ScreeningEntry.id == entry_id, ScreeningEntry.list_kind == kind.value
    )
    if entry is None:
        raise NotFound(f"{NAMES[kind]} entry {entry_id} not found",
                       error_id="screening-entry-not-found")  # fmt: skip
    return entry


async def get_entry(scope: TenantScope, kind: ListKind, entry_id: int) -> dict[str, Any]:
    entry = await _entry(scope, kind, entry_id)
    return entry_view(entry, (await _numbers(scope)).get(entry.extension_id or 0))


async def delete_entry(scope: TenantScope, kind: ListKind, entry_id: int) -> None:
    await scope.remove(await _entry(scope, kind, entry_id))
    await scope.session.flush()


def check_outbound_class(value: str) -> OutboundClass:
    try:
        return OutboundClass(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"outbound class must be one of {', '.join(CLASSES)}, not "
                               f"{value!r}", error_id="outbound-class-unknown",
                               field="outbound_class") from None  # fmt: skip


async def set_barring(
    scope: TenantScope,
    number: str,
    *,
    outbound_class: str | None = None,
    premium: bool | None = None,
) -> Extension:
    """Change an extension's outbound class and/or premium permission (None: unchanged)."""
    extension = await get_extension(scope, number)
    chosen = check_outbound_class(outbound_class) if outbound_class is not None else None
    if chosen is not None:
        extension.outbound_class = chosen.value
    if premium is not None:
        extension.premium = premium
    await scope.session.flush()
    return extension
