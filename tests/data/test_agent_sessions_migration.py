"""0034_agent_sessions creates `agent_sessions` (the agent desktop's session per extension)
matching the model; its downgrade drops exactly that table and keeps the extensions, and
upgrading again gives an empty, working table (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import agent_sessions
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

T = "agent_sessions"


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        part == T
        or getattr(getattr(part, "table", None), "name", None) == T
        or getattr(part, "name", None) == T
        for part in diff
    )


async def test_the_table_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert T in tables
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0034_agent_sessions@0032_number_queue")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_table_and_upgrade_brings_it_back(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def login(scope: TenantScope) -> str:
            made = await agent_sessions.set_session(scope, "101", state="ready",
                                                    now=clock.utcnow(), campaigns=[campaign_id])  # fmt: skip
            return str(made["state"])

        assert await in_tenant(database, A, login) == "ready"
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
            kept = (await connection.execute(text("SELECT count(*) FROM extensions"))).scalar()
        assert T not in tables
        assert {"extensions", "campaigns", "leads"} <= tables
        assert kept == 3
        await database.upgrade()
        async with database.engine.connect() as connection:
            rows = (await connection.execute(text(f"SELECT count(*) FROM {T}"))).scalar()
        assert rows == 0
        assert await in_tenant(database, A, login) == "ready"
    finally:
        await database.dispose()
