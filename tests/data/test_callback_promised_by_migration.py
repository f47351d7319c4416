"""0041_callback_promised_by adds `campaign_callbacks.promised_by` in place, matching the model;
its downgrade drops exactly that column (the callbacks and their notes stay), and upgrading
again gives NULL ("not recorded") for the callbacks kept and a working column (SQLite and
PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import callbacks
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, Lead, LeadBatch, ScheduledCallback
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, campaign_of, in_tenant, make_world, new_campaign

TABLE = "campaign_callbacks"


def _columns(connection: Connection) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(TABLE)}


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    names = {getattr(getattr(part, "table", None), "name", None) for part in diff}
    names |= {getattr(part, "name", None) for part in diff} | {
        p for p in diff if isinstance(p, str)
    }
    return bool(names & {TABLE, "promised_by"})


async def test_the_column_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        columns = await connection.run_sync(_columns)
    assert "promised_by" in columns
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0041_callback_promised_by@0040_prepaid")
    return _columns(connection)


async def test_downgrade_drops_the_column_and_keeps_the_callbacks(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def promise(scope: TenantScope) -> int:
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685301"))
            await scope.session.flush()
            made = await callbacks.schedule_callback(
                scope, await campaign_of(scope), lead="+33142685301", at="2026-02-01 10:00",
                now=clock.utcnow(), extension="101", note="after lunch", promised_by="CLI",
            )  # fmt: skip
            assert made["promised_by"] == "CLI"
            return int(made["id"])

        kept = await in_tenant(database, A, promise)
        async with database.engine.begin() as connection:
            columns = await connection.run_sync(_downgrade)
            rows = (await connection.execute(text(f"SELECT note FROM {TABLE}"))).all()
        assert "promised_by" not in columns
        assert {"note", "zone", "local_time"} <= columns
        assert [tuple(r) for r in rows] == [("after lunch",)]
        await database.upgrade()

        async def read(scope: TenantScope) -> tuple[str | None, str]:
            row = await scope.first(ScheduledCallback, ScheduledCallback.id == kept)
            assert row is not None
            row.promised_by = "Alice Agent (101)"
            await scope.session.flush()
            query = text(f"SELECT promised_by, note FROM {TABLE} WHERE id = :id")
            result = await scope.session.execute(query, {"id": kept})
            by, note = result.one()
            return by, note

        async def before(scope: TenantScope) -> str | None:
            listed = await callbacks.list_callbacks(scope)
            return listed[0]["promised_by"]  # type: ignore[no-any-return]

        assert await in_tenant(database, A, before) is None  # kept, its promiser not recorded
        assert await in_tenant(database, A, read) == ("Alice Agent (101)", "after lunch")
    finally:
        await database.dispose()
