"""Appointments of a campaign's calendar: book, list with conflicts, change, cancel; and the
campaign's CalDAV calendar settings (issue 16).

Theory of operation:

* An appointment is booked in a **campaign** (whose calendar it goes to), optionally for a
  **lead** of that campaign (another campaign's lead is 404, like another tenant's) and an
  **extension** (the agent who goes or booked; another tenant's is 422
  `appointment-agent-unknown`). Times are UTC instants; the end is after the start and an
  appointment lasts at most `MAX_DAYS`.
* **Conflicts** are shown, not refused: two appointments conflict when their times overlap
  (``a.start < b.end and b.start < a.end``) and they share the campaign or the extension. Every
  appointment answered carries ``"conflicts": [ids]``.
* Every local change makes the appointment ``pending`` for the CalDAV sync
  (`centrex.contact_center.caldav_sync`); a deletion of an appointment the server has seen
  leaves a tombstone (``deleted``) until the server's copy is gone too, so nothing done while
  the server is down is lost. Tombstones are invisible here.
* **Reach**: `campaign_ids` (the campaigns of an agent's extensions, `agent_campaign_ids`)
  limits every call; None means the tenant's whole calendar (supervisors, admins).

The calendar settings keep the secret encrypted (`SecretBox`); `calendar_dict` never includes
it, only ``secret_set``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, or_, select

from centrex.contact_center.campaign_agents import campaign_agents
from centrex.data.models import Campaign, Extension, Lead
from centrex.data.models.appointments import Appointment, CampaignCalendar, SyncState
from centrex.data.secrets_box import SecretBox
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

MAX_TITLE = 200
MAX_NOTES = 2000
MAX_DAYS = 14
UID_DOMAIN = "centrex"
MIN_YEAR, MAX_YEAR = 1900, 9000


def _invalid(message: str, error_id: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field=field)


def new_uid() -> str:
    """A fresh iCalendar UID (RFC 5545 3.8.4.7: globally unique)."""
    return f"{uuid.uuid4()}@{UID_DOMAIN}"


def overlaps(a: Appointment, b: Appointment) -> bool:
    """Same campaign or same extension, and the times overlap (touching ends do not)."""
    if a.id == b.id:
        return False
    shared = a.campaign_id == b.campaign_id or (
        a.extension_id is not None and a.extension_id == b.extension_id
    )
    return shared and a.starts_at < b.ends_at and b.starts_at < a.ends_at


async def conflicts_of(scope: TenantScope, items: Sequence[Appointment]) -> dict[int, list[int]]:
    """For each appointment, the ids of the live ones it conflicts with (module docstring)."""
    if not items:
        return {}
    start = min(a.starts_at for a in items)
    end = max(a.ends_at for a in items)
    campaigns = {a.campaign_id for a in items}
    extensions = {a.extension_id for a in items if a.extension_id is not None}
    shared: ColumnElement[bool] = Appointment.campaign_id.in_(sorted(campaigns))
    if extensions:
        shared = or_(shared, Appointment.extension_id.in_(sorted(extensions)))
    others = await scope.list(
        Appointment,
        Appointment.deleted.is_(False),
        Appointment.starts_at < end,
        Appointment.ends_at > start,
        shared,
        order_by=Appointment.starts_at,
    )
    return {a.id: [o.id for o in others if overlaps(a, o)] for a in items}


def appointment_dict(
    item: Appointment, extension: str | None, conflicts: list[int]
) -> dict[str, Any]:
    return {
        "id": item.id,
        "campaign_id": item.campaign_id,
        "lead_id": item.lead_id,
        "extension": extension,
        "title": item.title,
        "notes": item.notes,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "uid": item.uid,
        "sync_state": item.sync_state,
        "last_error": item.last_error,
        "remote": item.remote,
        "conflicts": conflicts,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


async def describe(scope: TenantScope, items: Sequence[Appointment]) -> list[dict[str, Any]]:
    """The API's view of appointments: extension numbers and conflicts resolved."""
    conflicts = await conflicts_of(scope, items)
    ids = {a.extension_id for a in items if a.extension_id is not None}
    numbers: dict[int, str] = {}
    if ids:
        rows = await scope.list(Extension, Extension.id.in_(sorted(ids)))
        numbers = {row.id: row.number for row in rows}
    return [
        appointment_dict(a, numbers.get(a.extension_id) if a.extension_id else None,
                         conflicts.get(a.id, []))
        for a in items
    ]  # fmt: skip


async def agent_campaign_ids(scope: TenantScope, extension_ids: Iterable[int]) -> set[int]:
    """The campaigns whose agents (direct or through a group) include one of these extensions."""
    mine = set(extension_ids)
    found: set[int] = set()
    if not mine:
        return found
    for campaign in await scope.list(Campaign):
        agents = await campaign_agents(scope.session, scope.tenant_id, campaign.id)
        if any(agent.extension_id in mine for agent in agents):
            found.add(campaign.id)
    return found


async def reachable_campaign(
    scope: TenantScope, campaign_id: int, campaign_ids: set[int] | None
) -> Campaign:
    """A campaign of the tenant within reach (an agent: one of its own), else 404."""
    campaign = await scope.first(Campaign, Campaign.id == campaign_id)
    if campaign is None or (campaign_ids is not None and campaign.id not in campaign_ids):
        raise NotFound(f"campaign {campaign_id} not found", error_id="campaign-not-found")
    return campaign


def _check_text(title: str, notes: str) -> tuple[str, str]:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise _invalid(f"a title has 1 to {MAX_TITLE} characters", "appointment-bad-title",
                       "title")  # fmt: skip
    if len(notes) > MAX_NOTES:
        raise _invalid(f"notes have at most {MAX_NOTES} characters", "appointment-bad-notes",
                       "notes")  # fmt: skip
    return title, notes.strip()


def utc_instant(value: datetime, field: str) -> datetime:
    """An aware time as UTC, within years 1900-9000 (beyond, UTC and the databases overflow)."""
    if value.tzinfo is None:
        raise _invalid("give appointment times with their UTC offset", "appointment-bad-time",
                       field)  # fmt: skip
    try:
        found = value.astimezone(UTC)
    except OverflowError:
        found = None
    if found is None or not MIN_YEAR <= found.year <= MAX_YEAR:
        raise _invalid(f"a time is between the years {MIN_YEAR} and {MAX_YEAR}",
                       "appointment-bad-time", field)  # fmt: skip
    return found


def _check_times(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    starts_at, ends_at = utc_instant(starts_at, "starts_at"), utc_instant(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise _invalid("an appointment ends after it starts", "appointment-bad-time", "ends_at")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise _invalid(f"an appointment lasts at most {MAX_DAYS} days", "appointment-bad-time",
                       "ends_at")  # fmt: skip
    return starts_at, ends_at


async def _lead_id(scope: TenantScope, campaign: Campaign, lead_id: int | None) -> int | None:
    if lead_id is None:
        return None
    found = await scope.first(Lead, Lead.id == lead_id, Lead.campaign_id == campaign.id)
    if found is None:
        raise NotFound(f"no such lead in campaign {campaign.name!r}", error_id="lead-not-found")
    return found.id


async def _extension_id(scope: TenantScope, number: str | None) -> int | None:
    if number is None:
        return None
    found = await scope.first(Extension, Extension.number == number.strip())
    if found is None:
        raise _invalid(f"extension {number} is not an extension of {scope.domain}",
                       "appointment-agent-unknown", "extension")  # fmt: skip
    return found.id


async def create_appointment(
    scope: TenantScope,
    campaign: Campaign,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    lead_id: int | None = None,
    extension: str | None = None,
    notes: str = "",
) -> Appointment:
    """Book an appointment in the campaign's calendar (pending until the sync pushes it)."""
    title, notes = _check_text(title, notes)
    starts_at, ends_at = _check_times(starts_at, ends_at)
    made = scope.add(Appointment(
        campaign_id=campaign.id, lead_id=await _lead_id(scope, campaign, lead_id),
        extension_id=await _extension_id(scope, extension), title=title, notes=notes,
        starts_at=starts_at, ends_at=ends_at, uid=new_uid(), etag="",
        sync_state=SyncState.PENDING.value, last_error="", remote=False, deleted=False,
        created_at=now, updated_at=now,
    ))  # fmt: skip
    await scope.session.flush()
    return made


@dataclass(frozen=True, slots=True)
class Filters:
    """What `GET /appointments` narrows by."""

    campaign_id: int | None = None
    lead_id: int | None = None
    since: datetime | None = None  # ends after
    until: datetime | None = None  # starts before


async def list_appointments(
    scope: TenantScope, filters: Filters, campaign_ids: set[int] | None
) -> list[Appointment]:
    """Live appointments by start time, within reach and the filters."""
    where: list[ColumnElement[bool]] = [Appointment.deleted.is_(False)]
    if campaign_ids is not None:
        where.append(Appointment.campaign_id.in_(sorted(campaign_ids)))
    if filters.campaign_id is not None:
        where.append(Appointment.campaign_id == filters.campaign_id)
    if filters.lead_id is not None:
        where.append(Appointment.lead_id == filters.lead_id)
    if filters.since is not None:
        where.append(Appointment.ends_at > utc_instant(filters.since, "since"))
    if filters.until is not None:
        where.append(Appointment.starts_at < utc_instant(filters.until, "until"))
    order = (Appointment.starts_at, Appointment.id)
    stmt = scope.select(Appointment, *where).order_by(*order)
    return list((await scope.session.scalars(stmt)).all())


async def get_appointment(
    scope: TenantScope, appointment_id: int, campaign_ids: set[int] | None
) -> Appointment:
    """One live appointment within reach, else 404 `appointment-not-found`."""
    found = await scope.first(Appointment, Appointment.id == appointment_id,
                              Appointment.deleted.is_(False))  # fmt: skip
    if found is None or (campaign_ids is not None and found.campaign_id not in campaign_ids):
        raise NotFound(f"appointment {appointment_id} not found", error_id="appointment-not-found")
    return found


async def update_appointment(
    scope: TenantScope, item: Appointment, changes: dict[str, Any], *, now: datetime
) -> Appointment:
    """Change title, notes, times, lead or extension; the appointment is pending again."""
    title, notes = _check_text(changes.get("title", item.title), changes.get("notes", item.notes))
    starts_at = changes.get("starts_at", item.starts_at)
    ends_at = changes.get("ends_at", item.ends_at)
    starts_at, ends_at = _check_times(starts_at, ends_at)
    if "lead_id" in changes:
        campaign = await scope.get(Campaign, item.campaign_id)
        item.lead_id = await _lead_id(scope, campaign, changes["lead_id"])
    if "extension" in changes:
        item.extension_id = await _extension_id(scope, changes["extension"])
    item.title, item.notes, item.starts_at, item.ends_at = title, notes, starts_at, ends_at
    item.sync_state, item.last_error, item.updated_at = SyncState.PENDING.value, "", now
    await scope.session.flush()
    return item


async def delete_appointment(scope: TenantScope, item: Appointment, *, now: datetime) -> None:
    """Cancel: with a calendar, a tombstone until the server's copy is gone (even one never
    seen synced: a pass may be pushing it right now); without one, gone at once."""
    calendar = await scope.first(CampaignCalendar, CampaignCalendar.campaign_id == item.campaign_id)
    if calendar is not None:
        item.deleted, item.sync_state, item.updated_at = True, SyncState.PENDING.value, now
    else:
        await scope.remove(item)
    await scope.session.flush()


# ------------------------------------------------------------------------ calendar settings


def check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _port = parts.port  # a port that is not a number raises here
    except ValueError:  # "http://[", "http://host:port"
        valid = False
    if not valid:
        raise _invalid("a CalDAV calendar URL is http:// or https:// with a host",
                       "calendar-bad-url", "url")  # fmt: skip
    return url


def calendar_dict(calendar: CampaignCalendar) -> dict[str, Any]:
    return {
        "campaign_id": calendar.campaign_id,
        "url": calendar.url,
        "username": calendar.username,
        "secret_set": bool(calendar.secret),
        "last_sync_at": calendar.last_sync_at,
        "last_error": calendar.last_error,
    }


async def get_calendar(scope: TenantScope, campaign: Campaign) -> CampaignCalendar:
    found = await scope.first(CampaignCalendar, CampaignCalendar.campaign_id == campaign.id)
    if found is None:
        raise NotFound(f"campaign {campaign.name!r} has no calendar", error_id="calendar-not-found")
    return found


async def set_calendar(
    scope: TenantScope,
    campaign: Campaign,
    box: SecretBox,
    *,
    url: str,
    username: str,
    secret: str | None,
) -> CampaignCalendar:
    """Create or replace the campaign's calendar; `secret` None keeps the stored one."""
    url = check_url(url)
    found = await scope.first(CampaignCalendar, CampaignCalendar.campaign_id == campaign.id)
    if found is None:
        found = scope.add(CampaignCalendar(campaign_id=campaign.id, url=url, secret="",
                                           last_error=""))  # fmt: skip
    elif found.url != url:
        # another calendar: every appointment goes there, none is known there yet
        await scope.update(Appointment, [Appointment.campaign_id == campaign.id],
                           etag="", sync_state=SyncState.PENDING.value)  # fmt: skip
    found.url, found.username = url, username.strip()
    if secret is not None:
        found.secret = box.encrypt(secret) if secret else ""
    found.last_error = ""
    await scope.session.flush()
    return found


async def remove_calendar(scope: TenantScope, campaign: Campaign) -> None:
    """No calendar any more: the appointments stay (pending), tombstones go."""
    found = await get_calendar(scope, campaign)
    await scope.delete(Appointment, Appointment.campaign_id == campaign.id,
                       Appointment.deleted.is_(True))  # fmt: skip
    await scope.remove(found)
    await scope.session.flush()


async def calendars_due(scope: TenantScope) -> list[int]:
    """The campaign ids of this tenant that have a calendar (the periodic sync's work)."""
    stmt = select(CampaignCalendar.campaign_id).where(CampaignCalendar.tenant_id == scope.tenant_id)
    return [int(c) for c in (await scope.session.scalars(stmt)).all()]
