"""0023_contact_center creates exactly the contact-center tables the models declare (SQLite
and PostgreSQL), and its downgrade drops them and nothing else."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from centrex.data.db import Database
from centrex.data.models import Base

TABLES = {"campaigns", "campaign_agents", "lead_batches", "leads", "lead_attempts",
          "dnc_entries"}  # fmt: skip


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        (isinstance(part, str) and part in TABLES)
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or getattr(part, "name", None) in TABLES
        for part in diff
    )


async def test_contact_center_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _touches(d)] == []


async def test_downgrade_drops_only_the_contact_center_tables(empty_database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from centrex.data.db import alembic_config

    database = Database(empty_database_url)
    try:
        await database.upgrade()

        def downgrade(connection: Connection) -> set[str]:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0023_contact_center@0018_caller_id_rules")
            return set(inspect(connection).get_table_names())

        async with database.engine.begin() as connection:
            left = await connection.run_sync(downgrade)
        assert not TABLES & left
        assert {"tenants", "extensions", "queues", "conferences"} <= left
    finally:
        await database.dispose()
