"""Two-way synchronisation of a campaign's appointments with its CalDAV calendar (issue 16).

Theory of operation (RFC 4791 CalDAV, RFC 5545 iCalendar): one *pass* per calendar.

1. **Lease.** A guarded UPDATE takes `campaign_calendars.lease_until` (free or expired), so one
   pass per calendar runs at a time whatever the number of processes; the pass gives it back.
2. **Snapshot** (database): the campaign's appointments as plain values, tombstones included.
3. **Exchange** (network, in a worker thread: the `caldav` library is synchronous, and the event
   loop carries calls' audio): list the calendar's events (UID, ETag, data); push every
   appointment not ``synced`` as a VEVENT with its UID (update in place when the server has that
   UID, else create); delete the server's copy of every tombstone; list again when anything was
   written, so the ETags kept are the server's own.
4. **Apply** (database): a pushed appointment is ``synced`` with its new ETag *unless it changed
   during the pass* (its `updated_at` moved: it stays ``pending`` for the next pass, so a local
   change is never lost); a synced appointment whose ETag moved on the server takes the server's
   version; one the server no longer has (it had an ETag: it was there) is deleted; a UID the
   campaign does not know becomes an appointment with ``remote`` true. Local changes win over
   server changes made meanwhile (the push ran first).

A server that is down, refuses the credentials (401) or answers garbage fails the whole pass:
nothing local is lost, the appointments not yet pushed are ``failed`` with `last_error`, the
calendar keeps `last_error`, and the next pass (every `caldav_sync_seconds`, or after any change)
retries. An error on one event only (a 412, a refused PUT) fails that appointment alone.

Recurring events are taken as their first occurrence; all-day events as the day in UTC.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from centrex.clock import Clock
from centrex.contact_center.appointments import MAX_NOTES, MAX_TITLE
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.data.models.appointments import MAX_UID, Appointment, CampaignCalendar, SyncState
from centrex.data.secrets_box import SecretBox
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
TIMEOUT_SECONDS = 10
MAX_ERROR = 500
PRODID = "-//Centrex//appointments//EN"


@dataclass(frozen=True, slots=True)
class Connection:
    url: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class LocalEvent:
    """An appointment as the exchange needs it (no ORM object crosses into the thread)."""

    id: int
    uid: str
    title: str
    notes: str
    starts_at: datetime
    ends_at: datetime
    etag: str
    state: str
    deleted: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RemoteEvent:
    uid: str
    etag: str
    title: str
    notes: str
    starts_at: datetime
    ends_at: datetime


@dataclass
class Exchange:
    """What the network part did: per pushed id "" (done) or the error; tombstones cleared."""

    pushed: dict[int, str] = field(default_factory=dict)
    removed: dict[int, str] = field(default_factory=dict)
    remote: dict[str, RemoteEvent] = field(default_factory=dict)


@dataclass
class SyncReport:
    """Counts of one pass (`POST /campaigns/{id}/calendar/sync` answers them)."""

    campaign_id: int
    ok: bool = True
    busy: bool = False
    pushed: int = 0
    removed: int = 0
    pulled: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        keys = ("campaign_id", "ok", "busy", "pushed", "removed", "pulled", "updated",
                "deleted", "failed", "error")  # fmt: skip
        return {k: getattr(self, k) for k in keys}


# ------------------------------------------------------------------------------ iCalendar


def to_ical(item: LocalEvent, now: datetime) -> str:
    """The appointment as a VCALENDAR with one VEVENT carrying its UID (RFC 5545 3.6.1)."""
    from icalendar import Calendar as ICalendar  # imported on first use: ~0.1 s at start-up
    from icalendar import Event as IEvent

    cal = ICalendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    event = IEvent()
    event.add("uid", item.uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", item.starts_at.astimezone(UTC))
    event.add("dtend", item.ends_at.astimezone(UTC))
    event.add("summary", item.title)
    if item.notes:
        event.add("description", item.notes)
    cal.add_component(event)
    return str(cal.to_ical().decode())


def _instant(value: Any) -> datetime:
    """A DTSTART/DTEND value as an aware UTC instant (floating times are taken as UTC)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"not a date or time: {value!r}")


def parse_event(data: str, etag: str) -> RemoteEvent | None:
    """The first VEVENT of a calendar object, or None (a VTODO, no UID, no start)."""
    from icalendar import Calendar as ICalendar

    for component in ICalendar.from_ical(data).walk("VEVENT"):
        if "UID" not in component or "DTSTART" not in component:
            continue
        raw_start = component.decoded("DTSTART")
        start = _instant(raw_start)
        if "DTEND" in component:
            end = _instant(component.decoded("DTEND"))
        elif "DURATION" in component:
            end = start + component.decoded("DURATION")
        else:  # RFC 5545 3.6.1: a date lasts the day, a date-time no time at all
            end = start + (timedelta(days=1) if not isinstance(raw_start, datetime) else
                           timedelta(minutes=1))  # fmt: skip
        if end <= start:
            end = start + timedelta(minutes=1)
        return RemoteEvent(
            uid=str(component["UID"]),
            etag=etag,
            title=str(component.get("SUMMARY", "")).strip()[:MAX_TITLE] or "(no title)",
            notes=str(component.get("DESCRIPTION", "")).strip()[:MAX_NOTES],
            starts_at=start,
            ends_at=end,
        )
    return None


# -------------------------------------------------------------------------------- network


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text[:MAX_ERROR]


def _remote_objects(calendar: Any) -> dict[str, tuple[Any, RemoteEvent]]:
    found: dict[str, tuple[Any, RemoteEvent]] = {}
    for obj in calendar.get_events():
        parsed = parse_event(str(obj.data), str(obj.etag or ""))
        if parsed is None:
            continue
        if len(parsed.uid) > MAX_UID:
            log.warning("CalDAV event with a UID of %d characters skipped", len(parsed.uid))
            continue
        found[parsed.uid] = (obj, parsed)
    return found


def exchange(conn: Connection, local: Iterable[LocalEvent], now: datetime,
             timeout: int = TIMEOUT_SECONDS) -> Exchange:  # fmt: skip
    """Step 3 of the pass (module docstring), blocking: run it in a thread. Raises when the
    server cannot be used at all (down, 401, not a calendar)."""
    # imported on first use (~0.4 s: niquests, lxml), not by every process that builds the API
    from caldav.collection import Calendar as DavCalendar
    from caldav.davclient import DAVClient
    from caldav.lib import error as dav_error

    done = Exchange()
    with DAVClient(url=conn.url, username=conn.username or None, password=conn.password or None,
                   timeout=timeout, enable_rfc6764=False) as client:  # fmt: skip
        calendar = DavCalendar(client=client, url=conn.url)
        before = _remote_objects(calendar)
        for item in local:
            there = before.get(item.uid)
            try:
                if item.deleted:
                    if there is not None:
                        there[0].delete()
                    done.removed[item.id] = ""
                elif item.state != SyncState.SYNCED.value:
                    data = to_ical(item, now)
                    if there is not None:
                        there[0].data = data
                        there[0].save()
                    else:
                        calendar.add_event(ical=data)
                    done.pushed[item.id] = ""
            except dav_error.AuthorizationError:
                raise
            except dav_error.DAVError as exc:
                (done.removed if item.deleted else done.pushed)[item.id] = _short(exc)
        wrote = bool(done.pushed or done.removed)
        after = _remote_objects(calendar) if wrote else before
    done.remote = {uid: parsed for uid, (_obj, parsed) in after.items()}
    return done


# -------------------------------------------------------------------------------- the pass


def _snapshot(item: Appointment) -> LocalEvent:
    return LocalEvent(item.id, item.uid, item.title, item.notes, item.starts_at, item.ends_at,
                      item.etag, item.sync_state, item.deleted, item.updated_at)  # fmt: skip


class CalendarSync:
    """Runs passes (module docstring) for one calendar, every calendar, or periodically."""

    def __init__(self, database: Database, box: SecretBox, clock: Clock, *,
                 timeout: int = TIMEOUT_SECONDS) -> None:  # fmt: skip
        self._database = database
        self._box = box
        self._clock = clock
        self._timeout = timeout
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self, interval: float) -> None:
        """The periodic pass of `serve` (every `caldav_sync_seconds`; 0 or less: off)."""
        if interval > 0 and self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self.run(interval, self._stop))

    async def stop(self) -> None:
        """Ends the periodic task after the pass under way (safe to call twice)."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _scope(self, session: Any, tenant_id: int) -> TenantScope | None:
        tenant = await session.get(Tenant, tenant_id)
        return None if tenant is None else TenantScope(session, tenant_id, tenant.domain)

    async def _claim(self, tenant_id: int, campaign_id: int) -> Connection | None:
        now = self._clock.utcnow()
        async with self._database.transaction() as session:
            result = await session.execute(
                update(CampaignCalendar)
                .where(
                    CampaignCalendar.tenant_id == tenant_id,
                    CampaignCalendar.campaign_id == campaign_id,
                    or_(CampaignCalendar.lease_until.is_(None), CampaignCalendar.lease_until < now),
                )
                .values(lease_until=now + timedelta(seconds=LEASE_SECONDS))
                .execution_options(synchronize_session=False)
            )
            if int(getattr(result, "rowcount", 0) or 0) != 1:
                return None
            row = (await session.scalars(select(CampaignCalendar).where(
                CampaignCalendar.tenant_id == tenant_id,
                CampaignCalendar.campaign_id == campaign_id))).one()  # fmt: skip
            password = self._box.decrypt(row.secret) if row.secret else ""
            return Connection(row.url, row.username, password)

    async def sync_campaign(self, tenant_id: int, campaign_id: int) -> SyncReport:
        """One pass for the campaign's calendar; `busy` when another pass holds the lease."""
        report = SyncReport(campaign_id)
        try:
            conn = await self._claim(tenant_id, campaign_id)
        except ValueError as exc:  # the secret cannot be decrypted with this key
            conn, report.ok, report.error = None, False, _short(exc)
        if conn is None:
            report.busy = report.ok
            return report
        try:
            async with self._database.transaction() as session:
                rows = (await session.scalars(select(Appointment).where(
                    Appointment.tenant_id == tenant_id,
                    Appointment.campaign_id == campaign_id))).all()  # fmt: skip
                local = [_snapshot(r) for r in rows]
            now = self._clock.utcnow()
            try:
                done = await asyncio.to_thread(exchange, conn, local, now, self._timeout)
            except Exception as exc:  # noqa: BLE001 - any failure of the server: kept, retried
                report.ok, report.error = False, _short(exc)
                log.warning("CalDAV sync of campaign %s failed: %s", campaign_id, report.error)
                await self._failed(tenant_id, campaign_id, local, report)
                return report
            await self._apply(tenant_id, campaign_id, local, done, report)
            return report
        finally:
            await self._release(tenant_id, campaign_id)

    async def _release(self, tenant_id: int, campaign_id: int) -> None:
        async with self._database.transaction() as session:
            await session.execute(update(CampaignCalendar).where(
                CampaignCalendar.tenant_id == tenant_id,
                CampaignCalendar.campaign_id == campaign_id).values(lease_until=None))  # fmt: skip

    async def _failed(self, tenant_id: int, campaign_id: int, local: list[LocalEvent],
                      report: SyncReport) -> None:  # fmt: skip
        waiting = [e.id for e in local if e.deleted or e.state != SyncState.SYNCED.value]
        report.failed = len(waiting)
        async with self._database.transaction() as session:
            if waiting:
                await session.execute(update(Appointment).where(
                    Appointment.tenant_id == tenant_id, Appointment.id.in_(waiting)
                ).values(sync_state=SyncState.FAILED.value, last_error=report.error))  # fmt: skip
            await session.execute(update(CampaignCalendar).where(
                CampaignCalendar.tenant_id == tenant_id,
                CampaignCalendar.campaign_id == campaign_id,
            ).values(last_error=report.error))  # fmt: skip

    async def _apply(self, tenant_id: int, campaign_id: int, local: list[LocalEvent],
                     done: Exchange, report: SyncReport) -> None:  # fmt: skip
        now = self._clock.utcnow()
        before = {e.id: e for e in local}
        async with self._database.transaction() as session:
            scope = await self._scope(session, tenant_id)
            if scope is None:
                return
            listed = await scope.list(Appointment, Appointment.campaign_id == campaign_id)
            rows = {r.id: r for r in listed}
            errors: list[str] = []
            for item_id, problem in done.removed.items():
                row = rows.get(item_id)
                if row is None or not row.deleted:
                    continue
                if problem:
                    row.sync_state, row.last_error = SyncState.FAILED.value, problem
                    errors.append(problem)
                else:
                    await scope.remove(row)
                    rows.pop(item_id)
                    report.removed += 1
            for item_id, problem in done.pushed.items():
                row = rows.get(item_id)
                if row is None:
                    continue
                if problem:
                    row.sync_state, row.last_error = SyncState.FAILED.value, problem
                    errors.append(problem)
                    continue
                report.pushed += 1
                remote = done.remote.get(row.uid)
                if row.updated_at == before[item_id].updated_at and not row.deleted:
                    row.sync_state, row.last_error = SyncState.SYNCED.value, ""
                    row.etag = remote.etag if remote is not None else ""
            report.failed = len(errors)
            await self._pull(scope, campaign_id, rows, before, done, report, now)
            calendar = await scope.first(CampaignCalendar,
                                         CampaignCalendar.campaign_id == campaign_id)  # fmt: skip
            if calendar is not None:
                calendar.last_sync_at = now
                calendar.last_error = errors[0] if errors else ""
                report.error = calendar.last_error
            await session.flush()

    async def _pull(self, scope: TenantScope, campaign_id: int, rows: dict[int, Appointment],
              before: dict[int, LocalEvent], done: Exchange, report: SyncReport,
              now: datetime) -> None:  # fmt: skip
        known = {row.uid for row in rows.values()}
        for item_id, row in list(rows.items()):
            seen = before.get(item_id)
            untouched = seen is not None and row.updated_at == seen.updated_at
            if not untouched or seen is None or seen.state != SyncState.SYNCED.value or row.deleted:
                continue
            remote = done.remote.get(row.uid)
            if remote is None:
                if row.etag:  # it was on the server: deleted there
                    await scope.remove(row)
                    report.deleted += 1
            elif remote.etag != row.etag:
                row.title, row.notes = remote.title, remote.notes
                row.starts_at, row.ends_at, row.etag = remote.starts_at, remote.ends_at, remote.etag
                row.updated_at = now
                report.updated += 1
        for uid, remote in done.remote.items():
            if uid in known:
                continue
            scope.add(Appointment(
                campaign_id=campaign_id, lead_id=None, extension_id=None, title=remote.title,
                notes=remote.notes, starts_at=remote.starts_at, ends_at=remote.ends_at, uid=uid,
                etag=remote.etag, sync_state=SyncState.SYNCED.value, last_error="", remote=True,
                deleted=False, created_at=now, updated_at=now,
            ))  # fmt: skip
            report.pulled += 1

    async def sync_all(self) -> list[SyncReport]:
        """One pass for every calendar of every tenant (the periodic task)."""
        async with self._database.session() as session:
            pairs = (await session.execute(
                select(CampaignCalendar.tenant_id, CampaignCalendar.campaign_id)
                .order_by(CampaignCalendar.id))).all()  # fmt: skip
        reports = []
        for tenant_id, campaign_id in pairs:
            reports.append(await self.sync_campaign(int(tenant_id), int(campaign_id)))
        return reports

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Every `interval` seconds until `stop` is set; a failing pass never ends the loop."""
        while not stop.is_set():
            try:
                await self.sync_all()
            except Exception:  # logged; the next pass retries
                log.exception("CalDAV sync pass failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except TimeoutError:
                continue
