"""0038_queue_moh adds `queues.moh_id` (a queue's own music on hold) matching the model, a
foreign key to media_files that goes NULL when the file goes; its downgrade drops exactly that
column and keeps the queues, and upgrading again works (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, CallQueue
from centrex.provisioning import tenants as tenant_service


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any("moh_id" in repr(part) and "queues" in repr(part) for part in diff)


async def test_the_column_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("queues")}
        )
        keys = await connection.run_sync(lambda c: inspect(c).get_foreign_keys("queues"))
    assert "moh_id" in columns
    key = next(k for k in keys if k["constrained_columns"] == ["moh_id"])
    assert (key["referred_table"], key["referred_columns"]) == ("media_files", ["id"])
    if db.engine.dialect.name == "sqlite":  # its reflection skips an in-place key's options
        async with db.engine.connect() as connection:
            pragma = (await connection.execute(text("PRAGMA foreign_key_list(queues)"))).all()
        assert ("media_files", "moh_id", "SET NULL") in {(r[2], r[3], r[6]) for r in pragma}
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
    command.downgrade(config, "0038_queue_moh@0032_number_queue")
    return {col["name"] for col in inspect(connection).get_columns("queues")}


async def test_downgrade_drops_the_column_and_keeps_the_queues(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Q", domain="q.test",
                extension_digits=3, max_calls=2,
            )  # fmt: skip
            session.add(CallQueue(tenant_id=tenant.id, number="500", name="Sales"))
        async with database.engine.begin() as connection:
            columns = await connection.run_sync(_downgrade)
            kept = list((await connection.execute(text("SELECT number FROM queues"))).scalars())
        assert "moh_id" not in columns
        assert {"number", "callback", "min_level"} <= columns
        assert kept == ["500"]
        await database.upgrade()
        async with database.engine.connect() as connection:
            again = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("queues")}
            )
        assert "moh_id" in again
    finally:
        await database.dispose()
