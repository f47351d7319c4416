"""0037_agent_state_log creates `agent_state_log` matching the model; its downgrade drops
exactly that table, and upgrading again gives an empty, working log (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from centrex.clock import ManualClock
from centrex.contact_center.agent_log import record_agent_state, state_durations
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, Extension
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world

T = "agent_state_log"
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


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
    command.downgrade(config, "0037_agent_state_log@0032_number_queue")
    return set(inspect(connection).get_table_names())


async def _log_one(scope: TenantScope) -> dict[str, int]:
    ext = await scope.first(Extension, Extension.number == "101")
    assert ext is not None
    await record_agent_state(scope, ext.id, "ready", "", T0)
    return await state_durations(scope, ext.id, T0, T0.replace(hour=9), now=T0.replace(hour=9))


async def test_downgrade_drops_the_table_and_upgrade_restores_it(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, ManualClock())
        assert await in_tenant(database, A, _log_one) == {"ready": 3600}
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
        assert T not in tables
        assert {"extensions", "campaigns", "agent_states", "lead_attempts"} <= tables
        await database.upgrade()
        assert await in_tenant(database, A, _log_one) == {"ready": 3600}  # empty again, working
    finally:
        await database.dispose()
