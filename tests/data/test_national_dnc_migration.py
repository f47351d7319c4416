"""0027_national_dnc creates exactly the national DNC tables the models declare; its downgrade
drops them and keeps the tenants' DNC lists, and upgrading again gives empty, working tables
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import dnc, national_dnc
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world

TABLES = {"national_dnc_lists", "national_dnc_numbers"}


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        (isinstance(part, str) and part in TABLES)
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or getattr(part, "name", None) in TABLES
        for part in diff
    )


async def test_the_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables >= TABLES
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0027_national_dnc@0025_campaign_callbacks")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_tables_and_keeps_the_tenant_lists(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        await database.upgrade()
        await make_world(database, clock)
        await in_tenant(database, A, lambda s: dnc.add_number(s, "+33612345678"))
        async with database.transaction() as session:
            await national_dnc.import_national(session, country="FR", name="Bloctel",
                                               data=b"+33142685301\n", replace=True,
                                               now=now)  # fmt: skip
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
            entries = (await connection.execute(text("SELECT COUNT(*) FROM dnc_entries"))).scalar()
        assert not TABLES & tables
        assert {"dnc_entries", "leads", "campaign_callbacks"} <= tables
        assert entries == 1
        await database.upgrade()

        async def listed(scope: TenantScope) -> tuple[list[dict[str, Any]], bool | None]:
            lists = await national_dnc.list_national(scope.session)
            return lists, await dnc.national_listing(scope, "+33142685301") is None

        assert await in_tenant(database, A, listed) == ([], True)
    finally:
        await database.dispose()
