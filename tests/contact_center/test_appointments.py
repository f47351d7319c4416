"""Appointments (issue 16): booking rules, conflicts (same campaign or same agent, overlapping
times), reach by campaign, local deletion, and the tables as migrated match the models (SQLite
and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from centrex.clock import ManualClock
from centrex.contact_center import appointments as service
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, Extension, Lead, LeadBatch
from centrex.data.models.appointments import Appointment, CampaignCalendar
from centrex.data.secrets_box import SecretBox
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from tests.contact_center.world import A, B, in_tenant, make_world, new_campaign

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECRET = "zoe-calendar-secret-1"


async def _book(db: Database, campaign_id: int, start: datetime, end: datetime,
                extension: str | None = None, title: str = "Visit") -> int:  # fmt: skip
    async def work(scope: TenantScope) -> int:
        campaign = await service.reachable_campaign(scope, campaign_id, None)
        made = await service.create_appointment(scope, campaign, title=title, starts_at=start,
                                                ends_at=end, now=T0, extension=extension)  # fmt: skip
        return made.id

    return await in_tenant(db, A, work)


async def _listed(db: Database, campaign_ids: set[int] | None = None,
                  **filters: Any) -> list[dict[str, Any]]:  # fmt: skip
    async def work(scope: TenantScope) -> list[dict[str, Any]]:
        items = await service.list_appointments(scope, service.Filters(**filters), campaign_ids)
        return await service.describe(scope, items)

    return await in_tenant(db, A, work)


async def test_conflicts_same_campaign_or_same_agent(db: Database, clock: ManualClock) -> None:
    await make_world(db, clock)
    spring = await new_campaign(db)
    autumn = await new_campaign(db, "Autumn")
    first = await _book(db, spring, T0, T0 + HOUR, "101")
    overlap = await _book(db, spring, T0 + HOUR / 2, T0 + 2 * HOUR)  # same campaign
    touching = await _book(db, spring, T0 + 2 * HOUR, T0 + 3 * HOUR)  # ends meet: no conflict
    same_agent = await _book(db, autumn, T0, T0 + HOUR / 4, "101")  # other campaign, same agent
    other_agent = await _book(db, autumn, T0 + HOUR / 2, T0 + HOUR, "102")
    listed = {a["id"]: a for a in await _listed(db)}
    assert listed[first]["conflicts"] == [same_agent, overlap]  # by start time
    assert listed[overlap]["conflicts"] == [first]
    assert listed[touching]["conflicts"] == []
    assert listed[same_agent]["conflicts"] == [first]
    # other_agent overlaps same_agent in campaign Autumn? No: same_agent ends at 09:15
    assert listed[other_agent]["conflicts"] == []
    assert listed[first]["extension"] == "101"
    assert listed[overlap]["extension"] is None
    assert listed[first]["sync_state"] == "pending"
    assert listed[first]["uid"].endswith("@centrex")
    # filters and reach
    assert [a["id"] for a in await _listed(db, campaign_id=autumn)] == [same_agent, other_agent]
    assert [a["id"] for a in await _listed(db, {autumn})] == [same_agent, other_agent]
    late = await _listed(db, since=T0 + 2 * HOUR)
    assert [a["id"] for a in late] == [touching]
    early = await _listed(db, until=T0 + HOUR / 4)
    assert [a["id"] for a in early] == [first, same_agent]


async def test_moving_an_appointment_changes_its_conflicts(
    db: Database, clock: ManualClock
) -> None:
    await make_world(db, clock)
    spring = await new_campaign(db)
    first = await _book(db, spring, T0, T0 + HOUR)
    second = await _book(db, spring, T0 + 2 * HOUR, T0 + 3 * HOUR)
    assert {a["id"]: a["conflicts"] for a in await _listed(db)} == {first: [], second: []}

    async def move(scope: TenantScope) -> None:
        item = await service.get_appointment(scope, second, None)
        item.sync_state = "synced"
        await service.update_appointment(scope, item, {"starts_at": T0 + HOUR / 2,
                                                       "ends_at": T0 + 90 * timedelta(minutes=1)},
                                         now=T0 + HOUR)  # fmt: skip

    await in_tenant(db, A, move)
    listed = {a["id"]: a for a in await _listed(db)}
    assert listed[first]["conflicts"] == [second]
    assert listed[second]["sync_state"] == "pending"
    assert listed[second]["updated_at"] == T0 + HOUR


async def test_booking_rules(db: Database, clock: ManualClock) -> None:
    await make_world(db, clock)
    spring = await new_campaign(db)
    autumn = await new_campaign(db, "Autumn")

    async def lead_of(scope: TenantScope, campaign_id: int) -> int:
        batch = scope.add(LeadBatch(campaign_id=campaign_id))
        await scope.session.flush()
        lead = scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685301"))
        await scope.session.flush()
        return lead.id

    autumn_lead = await in_tenant(db, A, lambda s: lead_of(s, autumn))

    async def book(scope: TenantScope, **kw: Any) -> Appointment:
        campaign = await service.reachable_campaign(scope, spring, None)
        args: dict[str, Any] = {"title": "Visit", "starts_at": T0, "ends_at": T0 + HOUR,
                                "now": T0, **kw}  # fmt: skip
        return await service.create_appointment(scope, campaign, **args)

    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"ends_at": T0}, ValidationFailed, "appointment-bad-time"),
        ({"ends_at": T0 + timedelta(days=15)}, ValidationFailed, "appointment-bad-time"),
        ({"starts_at": T0.replace(tzinfo=None)}, ValidationFailed, "appointment-bad-time"),
        ({"title": "  "}, ValidationFailed, "appointment-bad-title"),
        ({"notes": "x" * 2001}, ValidationFailed, "appointment-bad-notes"),
        ({"extension": "201"}, ValidationFailed, "appointment-agent-unknown"),  # B's extension
        ({"lead_id": autumn_lead}, NotFound, "lead-not-found"),  # another campaign's lead
    ]
    for changes, kind, error_id in cases:
        with pytest.raises(kind) as caught:
            await in_tenant(db, A, lambda s, c=changes: book(s, **c))  # type: ignore[misc]
        assert getattr(caught.value, "error_id", None) == error_id, changes
    assert await _listed(db) == []

    async def reach(scope: TenantScope) -> None:
        await service.reachable_campaign(scope, spring, {autumn})

    with pytest.raises(NotFound):
        await in_tenant(db, A, reach)
    with pytest.raises(NotFound):  # A's campaign from tenant B
        await in_tenant(db, B, lambda s: service.reachable_campaign(s, spring, None))


async def test_agent_campaigns_and_deletion(db: Database, clock: ManualClock) -> None:
    await make_world(db, clock)
    spring = await new_campaign(db)  # agent 101
    autumn = await new_campaign(db, "Autumn", agents=["102"])

    async def ids_of(scope: TenantScope, number: str) -> set[int]:
        ext = await scope.first(Extension, Extension.number == number)
        assert ext is not None
        return await service.agent_campaign_ids(scope, {ext.id})

    assert await in_tenant(db, A, lambda s: ids_of(s, "101")) == {spring}
    assert await in_tenant(db, A, lambda s: ids_of(s, "102")) == {autumn}
    local_only = await _book(db, spring, T0, T0 + HOUR)
    on_server = await _book(db, spring, T0 + HOUR, T0 + 2 * HOUR)
    no_calendar = await _book(db, spring, T0 + 3 * HOUR, T0 + 4 * HOUR)

    async def delete(scope: TenantScope, item_id: int) -> None:
        item = await service.get_appointment(scope, item_id, None)
        await service.delete_appointment(scope, item, now=T0)

    async def rows(scope: TenantScope) -> list[tuple[int, bool]]:
        return [(a.id, a.deleted) for a in await scope.list(Appointment)]

    await in_tenant(db, A, lambda s: delete(s, no_calendar))  # no calendar yet: gone at once
    assert await in_tenant(db, A, rows) == [(local_only, False), (on_server, False)]

    async def prepare(scope: TenantScope) -> None:
        item = await service.get_appointment(scope, on_server, None)
        item.etag, item.sync_state = '"abc"', "synced"
        campaign = await service.reachable_campaign(scope, spring, None)
        await service.set_calendar(scope, campaign, SecretBox("k"), url="http://dav.example/c/",
                                   username="u", secret="p")  # fmt: skip

    await in_tenant(db, A, prepare)
    await in_tenant(db, A, lambda s: delete(s, local_only))
    await in_tenant(db, A, lambda s: delete(s, on_server))
    assert await _listed(db) == []
    # with a calendar, tombstones wait for the sync (the first may be being pushed right now)
    assert await in_tenant(db, A, rows) == [(local_only, True), (on_server, True)]
    with pytest.raises(NotFound):
        await in_tenant(db, A, lambda s: service.get_appointment(s, on_server, None))

    async def drop_calendar(scope: TenantScope) -> None:
        await service.remove_calendar(scope, await service.reachable_campaign(scope, spring, None))

    await in_tenant(db, A, drop_calendar)
    assert await in_tenant(db, A, rows) == []


async def test_calendar_settings_keep_the_secret_encrypted(
    db: Database, clock: ManualClock
) -> None:
    await make_world(db, clock)
    spring = await new_campaign(db)
    box = SecretBox("k")

    async def put(scope: TenantScope, url: str, secret: str | None) -> dict[str, Any]:
        campaign = await service.reachable_campaign(scope, spring, None)
        made = await service.set_calendar(scope, campaign, box, url=url, username="alice",
                                          secret=secret)  # fmt: skip
        return service.calendar_dict(made)

    shown = await in_tenant(db, A, lambda s: put(s, "https://dav.example/alice/spring/", SECRET))
    assert shown["secret_set"] is True
    assert "secret" not in shown
    stored = await in_tenant(db, A, lambda s: s.first(CampaignCalendar))
    assert stored is not None
    assert SECRET not in stored.secret
    assert box.decrypt(stored.secret) == SECRET
    await in_tenant(db, A, lambda s: put(s, "https://dav.example/alice/spring/", None))
    kept = await in_tenant(db, A, lambda s: s.first(CampaignCalendar))
    assert kept is not None
    assert box.decrypt(kept.secret) == SECRET
    with pytest.raises(ValidationFailed) as caught:
        await in_tenant(db, A, lambda s: put(s, "ftp://dav.example/", None))
    assert caught.value.error_id == "calendar-bad-url"


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    names = {"appointments", "campaign_calendars"}
    return any(
        part in names
        or getattr(getattr(part, "table", None), "name", None) in names
        or getattr(part, "name", None) in names
        for part in diff
    )


async def test_the_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0035_appointments@-1")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_tables_and_upgrade_restores_them(
    empty_database_url: str, clock: ManualClock
) -> None:
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        spring = await new_campaign(database)
        await _book(database, spring, T0, T0 + HOUR)
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
        assert not {"appointments", "campaign_calendars"} & tables
        assert {"campaigns", "leads", "campaign_callbacks", "dispositions"} <= tables
        await database.upgrade()
        assert await _listed(database) == []
        await _book(database, spring, T0, T0 + HOUR)
        assert len(await _listed(database)) == 1
    finally:
        await database.dispose()
