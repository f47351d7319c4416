"""Scheduled callbacks of outbound campaigns: promise, list, cancel, and what is due now.

Theory of operation (issue 15 item 5):

* A callback is promised to a *lead* of a campaign at a wall-clock time in the **lead's**
  time zone (the first zone of its number, `calling_window.callee_zones`; the tenant's zone
  when the number has none): "Tuesday 10:00" for a lead in Paris is 10:00 in Paris whoever
  types it. It is stored as a UTC instant (`due_at`) with the zone and the local time as typed.
  A time in the past (at or before `now`) is refused (`callback-in-the-past`), as is a local
  time that does not exist (the hour skipped when clocks go forward: `callback-bad-time`).
* Personal (an extension of the tenant: that agent calls back) or campaign-wide (any agent of
  the campaign). Tenant admins manage every callback; a user only its own extensions'.
  Who promised it is kept as a display name (`promised_by`: the API's caller, "CLI"), for the
  agent's notice when it comes back (issue 16).
* `due_callbacks(scope, now)` is what the dialer asks first, before claiming new leads: the
  scheduled callbacks whose time has come, oldest first, with the extension they belong to.
  `claim_callback` takes one exclusively (guarded UPDATE scheduled → placed, like the hopper's
  claim), `finish_callback` records how it ended: answered → ``done``; otherwise retried after
  `RETRY_SECONDS` until `MAX_TRIES` calls were placed, then ``missed`` (kept and listed, never
  silently dropped).

No clock is read: `now` is an argument everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from centrex.contact_center.calling_window import callee_zones
from centrex.contact_center.dnc import tenant_region
from centrex.contact_center.phone_numbers import BadNumber, normalise
from centrex.data.models import (
    CallbackStatus,
    Campaign,
    Extension,
    Lead,
    ScheduledCallback,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

MAX_TRIES = 3
RETRY_SECONDS = 900
MAX_NOTE = 200
MAX_PROMISER = 200  # `ScheduledCallback.promised_by`


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


def parse_local(text: str) -> datetime:
    """'YYYY-MM-DD HH:MM' (or with a T) → a naive wall-clock time."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise _invalid(f"a callback time is YYYY-MM-DD HH:MM, not {text!r}",
                       "callback-bad-time", "at") from None  # fmt: skip
    if value.tzinfo is not None:
        raise _invalid("give the callback time in the lead's local time, without an offset",
                       "callback-bad-time", "at")  # fmt: skip
    return value.replace(second=0, microsecond=0)


def to_utc(local: datetime, zone_name: str) -> datetime:
    """The UTC instant of a wall-clock time in a zone; a time skipped by DST is refused."""
    zone = ZoneInfo(zone_name)
    aware = local.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != local:
        raise _invalid(f"{local:%Y-%m-%d %H:%M} does not exist in {zone_name} (clocks go "
                       "forward then)", "callback-bad-time", "at")  # fmt: skip
    return aware.astimezone(UTC)


def callback_dict(callback: ScheduledCallback, lead: Lead, campaign: Campaign,
                  extension: str | None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": callback.id,
        "campaign": campaign.name,
        "campaign_id": campaign.id,
        "lead_id": lead.id,
        "number": lead.number,
        "name": lead.name,
        "extension": extension,
        "scope": "personal" if callback.extension_id is not None else "campaign",
        "due_at": callback.due_at,
        "local_time": callback.local_time,
        "zone": callback.zone,
        "status": callback.status.value,
        "attempts": callback.attempts,
        "note": callback.note,
        "promised_by": callback.promised_by,
    }


async def _lead(scope: TenantScope, campaign: Campaign, lead: str | int) -> Lead:
    if isinstance(lead, int):
        found = await scope.first(Lead, Lead.id == lead, Lead.campaign_id == campaign.id)
    else:
        try:
            e164 = normalise(lead, await tenant_region(scope))
        except BadNumber as exc:
            raise _invalid(f"not a lead number: {exc}", "callback-bad-number", "number") from None
        found = await scope.first(Lead, Lead.number == e164, Lead.campaign_id == campaign.id)
    if found is None:
        raise NotFound(f"no such lead in campaign {campaign.name!r}", error_id="lead-not-found")
    return found


async def _extension(scope: TenantScope, number: str) -> Extension:
    found = await scope.first(Extension, Extension.number == number.strip())
    if found is None:
        raise _invalid(f"extension {number} is not an extension of {scope.domain}",
                       "callback-agent-unknown", "extension")  # fmt: skip
    return found


async def schedule_callback(
    scope: TenantScope,
    campaign: Campaign,
    *,
    lead: str | int,
    at: str,
    now: datetime,
    extension: str | None = None,
    note: str = "",
    promised_by: str | None = None,
) -> dict[str, Any]:
    """Promise a callback (module docstring); refused when its time is not in the future.
    `promised_by`: who promised it, a display name (cut to `MAX_PROMISER` characters)."""
    if len(note) > MAX_NOTE:
        raise _invalid(f"a note has at most {MAX_NOTE} characters", "callback-bad-note", "note")
    local = parse_local(at)
    found = await _lead(scope, campaign, lead)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    zone = callee_zones(found.number, tenant.timezone if tenant is not None else "UTC")[0]
    due = to_utc(local, zone)
    if due <= now:
        there = now.astimezone(ZoneInfo(zone))
        message = (f"the callback time {local:%Y-%m-%d %H:%M} ({zone}) is in the past: it is "
                   f"{there:%Y-%m-%d %H:%M} there now")  # fmt: skip
        raise _invalid(message, "callback-in-the-past", "at")
    agent = await _extension(scope, extension) if extension else None
    made = scope.add(ScheduledCallback(
        campaign_id=campaign.id, lead_id=found.id, extension_id=agent.id if agent else None,
        due_at=due, zone=zone, local_time=f"{local:%Y-%m-%dT%H:%M}",
        status=CallbackStatus.SCHEDULED, attempts=0, note=note.strip(),
        promised_by=(promised_by or "").strip()[:MAX_PROMISER] or None,
    ))  # fmt: skip
    await scope.session.flush()
    return callback_dict(made, found, campaign, agent.number if agent else None)


async def list_callbacks(
    scope: TenantScope,
    *,
    campaign: Campaign | None = None,
    extension_ids: set[int] | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Callbacks by due time; `extension_ids` (a user's own) limits to those personal ones."""
    stmt = (
        select(ScheduledCallback, Lead, Campaign, Extension.number)
        .join(Lead, Lead.id == ScheduledCallback.lead_id)
        .join(Campaign, Campaign.id == ScheduledCallback.campaign_id)
        .outerjoin(Extension, Extension.id == ScheduledCallback.extension_id)
        .where(ScheduledCallback.tenant_id == scope.tenant_id)
        .order_by(ScheduledCallback.due_at, ScheduledCallback.id)
    )
    if campaign is not None:
        stmt = stmt.where(ScheduledCallback.campaign_id == campaign.id)
    if extension_ids is not None:
        stmt = stmt.where(ScheduledCallback.extension_id.in_(sorted(extension_ids)))
    if status is not None:
        try:
            wanted = CallbackStatus(status)
        except ValueError:
            raise _invalid(f"unknown callback status {status!r}", "callback-bad-status",
                           "status") from None  # fmt: skip
        stmt = stmt.where(ScheduledCallback.status == wanted)
    rows = (await scope.session.execute(stmt)).all()
    return [callback_dict(cb, lead, camp, ext) for cb, lead, camp, ext in rows]


async def get_callback(
    scope: TenantScope, callback_id: int, extension_ids: set[int] | None = None
) -> ScheduledCallback:
    """One callback of the tenant (a user: only one of its own extensions), else 404."""
    found = await scope.first(ScheduledCallback, ScheduledCallback.id == callback_id)
    if found is None or (extension_ids is not None and found.extension_id not in extension_ids):
        raise NotFound(f"callback {callback_id} not found", error_id="callback-not-found")
    return found


async def remove_callback(scope: TenantScope, callback: ScheduledCallback) -> None:
    await scope.remove(callback)
    await scope.session.flush()


@dataclass(frozen=True, slots=True)
class DueCallback:
    """A callback whose time has come: what the dialer needs to place it."""

    id: int
    tenant_id: int
    campaign_id: int
    lead_id: int
    number: str
    extension_id: int | None  # personal: only this agent; None: any agent of the campaign
    attempts: int


async def due_callbacks(
    scope: TenantScope, now: datetime, *, campaign_id: int | None = None, limit: int = 50
) -> list[DueCallback]:
    """Scheduled callbacks due at `now`, oldest first (the dialer serves them before leads)."""
    stmt = (
        select(ScheduledCallback, Lead.number)
        .join(Lead, Lead.id == ScheduledCallback.lead_id)
        .where(
            ScheduledCallback.tenant_id == scope.tenant_id,
            ScheduledCallback.status == CallbackStatus.SCHEDULED,
            ScheduledCallback.due_at <= now,
        )
        .order_by(ScheduledCallback.due_at, ScheduledCallback.id)
        .limit(limit)
    )
    if campaign_id is not None:
        stmt = stmt.where(ScheduledCallback.campaign_id == campaign_id)
    rows = (await scope.session.execute(stmt)).all()
    return [DueCallback(cb.id, cb.tenant_id, cb.campaign_id, cb.lead_id, number, cb.extension_id,
                        cb.attempts) for cb, number in rows]  # fmt: skip


async def claim_callback(scope: TenantScope, callback_id: int) -> bool:
    """Take a due callback exclusively (scheduled → placed); False: someone else took it."""
    result = await scope.session.execute(
        update(ScheduledCallback)
        .where(
            ScheduledCallback.id == callback_id,
            ScheduledCallback.tenant_id == scope.tenant_id,
            ScheduledCallback.status == CallbackStatus.SCHEDULED,
        )
        .values(status=CallbackStatus.PLACED, attempts=ScheduledCallback.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def finish_callback(
    scope: TenantScope,
    callback_id: int,
    *,
    answered: bool,
    now: datetime,
    retry_seconds: float = RETRY_SECONDS,
) -> CallbackStatus:
    """How a placed callback ended: done, scheduled again after `retry_seconds`, or missed."""
    found = await get_callback(scope, callback_id)
    if answered:
        found.status = CallbackStatus.DONE
    elif found.attempts >= MAX_TRIES:
        found.status = CallbackStatus.MISSED
    else:
        found.status = CallbackStatus.SCHEDULED
        found.due_at = now + timedelta(seconds=retry_seconds)
    await scope.session.flush()
    return found.status
