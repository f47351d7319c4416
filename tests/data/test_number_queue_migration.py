"""0032_number_queue adds `numbers.queue_id` (a DID straight to a queue) matching the model; its
downgrade drops exactly that column and keeps the numbers with their other destinations, and
upgrading again works (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.data.db import Database, alembic_config
from centrex.data.models import Base


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any("queue_id" in repr(part) and "numbers" in repr(part) for part in diff)


async def test_the_column_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("numbers")}
        )
        keys = await connection.run_sync(lambda c: inspect(c).get_foreign_keys("numbers"))
    assert "queue_id" in columns
    key = next(k for k in keys if k["constrained_columns"] == ["queue_id"])
    assert (key["referred_table"], key["referred_columns"]) == ("queues", ["id"])
    if db.engine.dialect.name == "sqlite":  # its reflection skips an in-place key's options
        async with db.engine.connect() as connection:
            pragma = (await connection.execute(text("PRAGMA foreign_key_list(numbers)"))).all()
        assert ("queues", "queue_id", "SET NULL") in {(r[2], r[3], r[6]) for r in pragma}
    else:
        assert key["options"].get("ondelete") == "SET NULL"
    left = [d for d in diffs if _touches(d)]
    if db.engine.dialect.name == "sqlite":
        # SQLite cannot name a foreign key added in place (its reflection reports None), so
        # autogenerate sees "another" key; the key itself is checked just above
        left = [d for d in left if d[0] not in ("remove_fk", "add_fk")]
    assert left == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0032_number_queue@0031_campaign_agent_groups")
    return {col["name"] for col in inspect(connection).get_columns("numbers")}


async def test_downgrade_drops_the_column_and_keeps_the_numbers(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        async with database.engine.begin() as connection:
            await connection.execute(text("INSERT INTO numbers (e164, state, created_at) "
                                          "VALUES ('+41215550100', 'free', '2026-01-01')"))  # fmt: skip
        async with database.engine.begin() as connection:
            columns = await connection.run_sync(_downgrade)
            kept = list((await connection.execute(text("SELECT e164 FROM numbers"))).scalars())
        assert "queue_id" not in columns
        assert {"extension_id", "ring_group_id", "conference_id"} <= columns
        assert kept == ["+41215550100"]
        await database.upgrade()
        async with database.engine.connect() as connection:
            again = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("numbers")}
            )
        assert "queue_id" in again
    finally:
        await database.dispose()
