"""Two-way CalDAV sync against a REAL Radicale (htpasswd auth, tmp storage, a free port): a
booked appointment appears on the server with its UID; an event created, changed or deleted on
the server shows locally after a pass; a local change made while the server is down, or with
wrong credentials, is kept (`failed` with `last_error`) and pushed once the server is back."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import appointments as service
from centrex.contact_center.caldav_sync import CalendarSync, parse_event
from centrex.data.db import Database
from centrex.data.models.appointments import Appointment
from centrex.data.secrets_box import SecretBox
from centrex.data.tenancy import TenantScope
from tests.contact_center.radicale_server import PASSWORD, USER, Radicale, running_radicale
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the sync is the same on both

BOX = SecretBox("test-key")
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    root = tmp_path / "radicale"
    root.mkdir()
    with running_radicale(root) as server:
        yield server


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> tuple[Database, int]:
    await make_world(db, clock)
    return db, await new_campaign(db)


async def _tenant_id(db: Database) -> int:
    return await in_tenant(db, A, _id)


async def _id(scope: TenantScope) -> int:
    return scope.tenant_id


async def _configure(db: Database, campaign_id: int, url: str, password: str = PASSWORD) -> None:
    async def work(scope: TenantScope) -> None:
        campaign = await service.reachable_campaign(scope, campaign_id, None)
        await service.set_calendar(scope, campaign, BOX, url=url, username=USER, secret=password)

    await in_tenant(db, A, work)


async def _book(db: Database, clock: ManualClock, campaign_id: int, title: str) -> int:
    async def work(scope: TenantScope) -> int:
        campaign = await service.reachable_campaign(scope, campaign_id, None)
        made = await service.create_appointment(scope, campaign, title=title, starts_at=START,
                                                ends_at=START + timedelta(hours=1),
                                                now=clock.utcnow(), notes="bring the offer")  # fmt: skip
        return made.id

    return await in_tenant(db, A, work)


async def _rows(db: Database) -> dict[str, Appointment]:
    async def work(scope: TenantScope) -> dict[str, Appointment]:
        return {a.title: a for a in await scope.list(Appointment)}

    return await in_tenant(db, A, work)


def _event(uid: str, summary: str, start: str = "20261211T140000Z") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:{start}\r\n"
            f"DTEND:20261211T150000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")  # fmt: skip


@SQLITE
async def test_two_way_sync_with_radicale(
    world: tuple[Database, int], clock: ManualClock, radicale: Radicale
) -> None:
    db, campaign_id = world
    url = radicale.make_calendar("spring")
    await _configure(db, campaign_id, url)
    booked = await _book(db, clock, campaign_id, "Visit Zoe")
    sync = CalendarSync(db, BOX, clock)
    tenant_id = await _tenant_id(db)

    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.pushed, report.pulled) == (True, 1, 0)
    rows = await _rows(db)
    on_server = radicale.events(url)
    assert [str(e["UID"]) for e in on_server] == [rows["Visit Zoe"].uid]
    assert str(on_server[0]["SUMMARY"]) == "Visit Zoe"
    assert str(on_server[0]["DESCRIPTION"]) == "bring the offer"
    assert on_server[0].decoded("DTSTART") == START
    assert rows["Visit Zoe"].sync_state == "synced"
    assert rows["Visit Zoe"].etag
    assert rows["Visit Zoe"].id == booked

    # created on the server -> appears locally (remote)
    radicale.add_event(url, _event("outside-1@test", "Dentist"))
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.pushed, report.pulled) == (True, 0, 1)
    rows = await _rows(db)
    pulled = rows["Dentist"]
    assert (pulled.remote, pulled.sync_state, pulled.uid) == (True, "synced", "outside-1@test")
    assert pulled.starts_at == datetime(2026, 12, 11, 14, 0, tzinfo=UTC)
    assert pulled.ends_at == datetime(2026, 12, 11, 15, 0, tzinfo=UTC)

    # changed on the server -> updated locally
    radicale.edit_event(url, "outside-1@test", "Dentist (moved)")
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert report.updated == 1
    assert "Dentist (moved)" in await _rows(db)

    # deleted on the server -> gone locally; the other one stays
    radicale.delete_event(url, "outside-1@test")
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert report.deleted == 1
    assert sorted(await _rows(db)) == ["Visit Zoe"]

    # deleted locally -> tombstone, then gone from the server and locally
    async def cancel(scope: TenantScope) -> None:
        item = await service.get_appointment(scope, booked, None)
        await service.delete_appointment(scope, item, now=clock.utcnow())

    await in_tenant(db, A, cancel)
    assert (await _rows(db))["Visit Zoe"].deleted is True
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert report.removed == 1
    assert radicale.events(url) == []
    assert await _rows(db) == {}


@SQLITE
async def test_wrong_credentials_fail_and_keep_then_succeed(
    world: tuple[Database, int], clock: ManualClock, radicale: Radicale
) -> None:
    db, campaign_id = world
    url = radicale.make_calendar("spring")
    await _configure(db, campaign_id, url, password="wrong")
    await _book(db, clock, campaign_id, "Visit Zoe")
    sync = CalendarSync(db, BOX, clock)
    tenant_id = await _tenant_id(db)

    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.failed) == (False, 1)
    assert "Authoriz" in report.error or "401" in report.error
    row = (await _rows(db))["Visit Zoe"]
    assert row.sync_state == "failed"
    assert row.last_error == report.error
    assert radicale.events(url) == []

    await _configure(db, campaign_id, url)  # the right password now
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.pushed) == (True, 1)
    row = (await _rows(db))["Visit Zoe"]
    assert (row.sync_state, row.last_error) == ("synced", "")
    assert [str(e["SUMMARY"]) for e in radicale.events(url)] == ["Visit Zoe"]


@SQLITE
async def test_server_down_keeps_changes_and_retries_after_restart(
    world: tuple[Database, int], clock: ManualClock, radicale: Radicale
) -> None:
    db, campaign_id = world
    url = radicale.make_calendar("spring")
    await _configure(db, campaign_id, url)
    sync = CalendarSync(db, BOX, clock, timeout=5)
    tenant_id = await _tenant_id(db)
    first = await _book(db, clock, campaign_id, "Visit Zoe")
    assert (await sync.sync_campaign(tenant_id, campaign_id)).pushed == 1

    radicale.stop()
    await _book(db, clock, campaign_id, "Visit Yann")

    async def move(scope: TenantScope) -> None:
        item = await service.get_appointment(scope, first, None)
        await service.update_appointment(scope, item, {"title": "Visit Zoe (later)",
                                                       "starts_at": START + timedelta(hours=3),
                                                       "ends_at": START + timedelta(hours=4)},
                                         now=clock.utcnow())  # fmt: skip

    await in_tenant(db, A, move)
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.failed) == (False, 2)
    assert report.error
    rows = await _rows(db)
    assert {t: (r.sync_state, bool(r.last_error)) for t, r in rows.items()} == {
        "Visit Zoe (later)": ("failed", True),
        "Visit Yann": ("failed", True),
    }

    async def calendar_error(scope: TenantScope) -> str:
        campaign = await service.reachable_campaign(scope, campaign_id, None)
        return (await service.get_calendar(scope, campaign)).last_error

    assert await in_tenant(db, A, calendar_error) == report.error

    radicale.start()
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert (report.ok, report.pushed, report.pulled, report.deleted) == (True, 2, 0, 0)
    on_server = {str(e["SUMMARY"]): e for e in radicale.events(url)}
    assert sorted(on_server) == ["Visit Yann", "Visit Zoe (later)"]
    assert on_server["Visit Zoe (later)"].decoded("DTSTART") == START + timedelta(hours=3)
    assert {r.sync_state for r in (await _rows(db)).values()} == {"synced"}
    assert await in_tenant(db, A, calendar_error) == ""


@SQLITE
async def test_a_change_during_the_pass_stays_pending(
    world: tuple[Database, int], clock: ManualClock, radicale: Radicale,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The pass marks synced only what it pushed: an edit made meanwhile waits for the next."""
    db, campaign_id = world
    url = radicale.make_calendar("spring")
    await _configure(db, campaign_id, url)
    booked = await _book(db, clock, campaign_id, "Visit Zoe")
    sync = CalendarSync(db, BOX, clock)
    tenant_id = await _tenant_id(db)
    real_apply = CalendarSync._apply

    async def edit_then_apply(self: CalendarSync, *args: Any) -> None:
        async def work(scope: TenantScope) -> None:
            item = await service.get_appointment(scope, booked, None)
            clock.advance(5)
            await service.update_appointment(scope, item, {"title": "Visit Zoe (edited)"},
                                             now=clock.utcnow())  # fmt: skip

        await in_tenant(db, A, work)  # the agent edits while the server answered the push
        await real_apply(self, *args)

    monkeypatch.setattr(CalendarSync, "_apply", edit_then_apply)
    report = await sync.sync_campaign(tenant_id, campaign_id)
    assert report.pushed == 1
    assert (await _rows(db))["Visit Zoe (edited)"].sync_state == "pending"
    monkeypatch.setattr(CalendarSync, "_apply", real_apply)
    await sync.sync_campaign(tenant_id, campaign_id)
    assert [str(e["SUMMARY"]) for e in radicale.events(url)] == ["Visit Zoe (edited)"]
    assert (await _rows(db))["Visit Zoe (edited)"].sync_state == "synced"


def test_parse_event_all_day_and_floating() -> None:
    data = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:d@x\r\n"
            "DTSTAMP:20261201T000000Z\r\nDTSTART;VALUE=DATE:20261224\r\nSUMMARY:Closed\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")  # fmt: skip
    parsed = parse_event(data, '"e1"')
    assert parsed is not None
    assert (parsed.starts_at, parsed.ends_at) == (datetime(2026, 12, 24, tzinfo=UTC),
                                                  datetime(2026, 12, 25, tzinfo=UTC))  # fmt: skip
    floating = data.replace("DTSTART;VALUE=DATE:20261224", "DTSTART:20261224T100000")
    parsed = parse_event(floating, "")
    assert parsed is not None
    assert parsed.starts_at == datetime(2026, 12, 24, 10, tzinfo=UTC)
    todo = data.replace("VEVENT", "VTODO")
    assert parse_event(todo, "") is None


@SQLITE
async def test_the_periodic_pass_of_serve(
    world: tuple[Database, int], clock: ManualClock, radicale: Radicale
) -> None:
    """`start(interval)` syncs every calendar on its own; `stop` ends the task."""
    db, campaign_id = world
    url = radicale.make_calendar("spring")
    await _configure(db, campaign_id, url)
    await _book(db, clock, campaign_id, "Visit Zoe")
    sync = CalendarSync(db, BOX, clock)
    sync.start(0.05)
    try:
        for _ in range(400):  # bounded wait for the background pass, no timing assertion
            if (await _rows(db))["Visit Zoe"].sync_state == "synced":
                break
            await asyncio.sleep(0.05)
    finally:
        await sync.stop()
    assert (await _rows(db))["Visit Zoe"].sync_state == "synced"
    assert [str(e["SUMMARY"]) for e in radicale.events(url)] == ["Visit Zoe"]
    await sync.stop()  # twice is fine
