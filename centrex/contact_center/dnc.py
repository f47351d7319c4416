"""Do-not-call lists: tenant-wide entries and per-campaign entries (E.164).

A number on the tenant's list is never dialled by any campaign of the tenant; a campaign entry
only stops that campaign. The lists are applied twice: at import (`lead_import` filters the
numbers and counts them in `dnc_filtered`) and at dial time (`is_blocked`, which the dialer
calls just before placing a call, so a number added after the import is still never called).
Numbers are normalised like leads (region: the tenant's country), so "01 42 68 53 00" and
"+33142685300" are one entry. Adding a number that is already listed is not an error; it is
counted as `existing`.

The provider's national lists (`national_dnc`: Bloctel, the TPS, ...) block too, for every
tenant, and a tenant cannot lift them: `blocked_numbers` and `is_blocked` include them, and
removing a nationally listed number from the tenant's list leaves it blocked
(`national_listing` says by which list). National lists are far too big to read whole, so
only the numbers at hand are looked up: `candidates` when the caller has them, else the
campaign's own leads (one join).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select

from centrex.contact_center.dnc_files import numbered_lines
from centrex.contact_center.national_dnc import (
    lists_holding,
    national_blocked,
    national_blocked_in_campaign,
)
from centrex.contact_center.phone_numbers import BadNumber, normalise, region_of
from centrex.data.models import Campaign, DncEntry, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

MAX_NOTE = 200


def dnc_dict(entry: DncEntry, campaign_name: str | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "number": entry.number,
        "campaign": campaign_name,
        "campaign_id": entry.campaign_id,
        "note": entry.note,
        "created_at": entry.created_at,
    }


async def tenant_region(scope: TenantScope) -> str:
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    return region_of(tenant.country if tenant is not None else None)


def _campaign_clause(campaign: Campaign | None) -> Any:
    if campaign is None:
        return DncEntry.campaign_id.is_(None)
    return DncEntry.campaign_id == campaign.id


async def blocked_numbers(
    scope: TenantScope, campaign: Campaign, candidates: Iterable[str] | None = None
) -> set[str]:
    """Every number the campaign must not call: the tenant's list and the campaign's, whole,
    plus those of `candidates` on a national list (without `candidates`: those of the
    campaign's leads; a national list is never read whole, module docstring)."""
    stmt = select(DncEntry.number).where(
        DncEntry.tenant_id == scope.tenant_id,
        or_(DncEntry.campaign_id.is_(None), DncEntry.campaign_id == campaign.id),
    )
    blocked = set((await scope.session.scalars(stmt)).all())
    if candidates is None:
        national = await national_blocked_in_campaign(scope.session, scope.tenant_id, campaign.id)
    else:
        national = await national_blocked(scope.session, candidates)
    blocked.update(national)
    return blocked


async def is_blocked(scope: TenantScope, campaign: Campaign, e164: str) -> bool:
    """The dial-time check: is this number on the tenant's, the campaign's or a national list
    now?"""
    entry = await scope.first(
        DncEntry,
        DncEntry.number == e164,
        or_(DncEntry.campaign_id.is_(None), DncEntry.campaign_id == campaign.id),
    )
    return entry is not None or bool(await national_blocked(scope.session, [e164]))


async def national_listing(scope: TenantScope, number: str) -> str | None:
    """The national lists holding `number` (normalised with the tenant's region), as
    "Bloctel (FR)", else None: a tenant may know that, never a list's contents."""
    try:
        e164 = normalise(number, await tenant_region(scope))
    except BadNumber:
        return None
    lists = await lists_holding(scope.session, e164)
    return ", ".join(f"{row.name} ({row.country})" for row in lists) or None


async def add_numbers(
    scope: TenantScope,
    numbers: list[tuple[int, str]],
    campaign: Campaign | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Add (line, raw number) pairs; returns `{added, existing, rejected: [{line, error}]}`.

    A single number that is not valid is a `ValidationFailed` (nothing to report line by line);
    from a file, bad lines are reported and the others added."""
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"a note has at most {MAX_NOTE} characters",
                               error_id="dnc-bad-note", field="note")  # fmt: skip
    region = await tenant_region(scope)
    stmt = select(DncEntry.number).where(
        DncEntry.tenant_id == scope.tenant_id, _campaign_clause(campaign)
    )
    listed = set((await scope.session.scalars(stmt)).all())
    rejected: list[dict[str, Any]] = []
    added = existing = 0
    for line, raw in numbers:
        try:
            e164 = normalise(raw, region)
        except BadNumber as exc:
            rejected.append({"line": line, "error": str(exc)})
            continue
        if e164 in listed:
            existing += 1
            continue
        listed.add(e164)
        scope.add(DncEntry(number=e164, campaign_id=campaign.id if campaign else None,
                           note=note.strip()))  # fmt: skip
        added += 1
    await scope.session.flush()
    return {"added": added, "existing": existing, "rejected": rejected}


async def add_number(
    scope: TenantScope, number: str, campaign: Campaign | None = None, note: str = ""
) -> dict[str, Any]:
    """Add one number (refused with a clear error when it is not a valid number)."""
    result = await add_numbers(scope, [(1, number)], campaign, note)
    if result["rejected"]:
        raise ValidationFailed(f"not a number to block: {result['rejected'][0]['error']}",
                               error_id="dnc-bad-number", field="number")  # fmt: skip
    return result


def numbers_of_file(data: bytes) -> list[tuple[int, str]]:
    """One number per line (the first CSV column); blank lines and `#` comments are skipped,
    and a first line that has no digit at all is taken for a header (`dnc_files`)."""
    return numbered_lines(data, what="the DNC file", error_id="dnc-file-empty")


async def list_entries(
    scope: TenantScope, campaign: Campaign | None = None, *, every: bool = False
) -> list[dict[str, Any]]:
    """The tenant list (or a campaign's; `every`: both kinds), by number."""
    where = () if every else (_campaign_clause(campaign),)
    entries = await scope.list(DncEntry, *where, order_by=DncEntry.number)
    names = {c.id: c.name for c in await scope.list(Campaign)}
    return [dnc_dict(e, names.get(e.campaign_id) if e.campaign_id else None) for e in entries]


async def remove_number(scope: TenantScope, number: str, campaign: Campaign | None = None) -> int:
    region = await tenant_region(scope)
    try:
        e164 = normalise(number, region)
    except BadNumber as exc:
        raise ValidationFailed(str(exc), error_id="dnc-bad-number", field="number") from None
    removed = await scope.delete(DncEntry, DncEntry.number == e164, _campaign_clause(campaign))
    if not removed:
        where = f"campaign {campaign.name!r}" if campaign else "the tenant list"
        raise NotFound(f"{e164} is not on {where}", error_id="dnc-not-found")
    return removed


async def get_entry(scope: TenantScope, entry_id: int) -> DncEntry:
    entry = await scope.first(DncEntry, DncEntry.id == entry_id)
    if entry is None:
        raise NotFound(f"DNC entry {entry_id} not found", error_id="dnc-not-found")
    return entry


async def remove_entry(scope: TenantScope, entry: DncEntry) -> None:
    await scope.remove(entry)
    await scope.session.flush()
