"""0020_queues creates exactly the queue tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from centrex.data.db import Database
from centrex.data.models import Base

TABLES = {"queues", "queue_members", "pause_reasons", "agent_states", "queue_calls",
          "agent_events"}  # fmt: skip


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        (isinstance(part, str) and part in TABLES)
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or getattr(part, "name", None) in TABLES
        for part in diff
    )


async def test_queue_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    left = [d for d in diffs if _touches(d)]
    if db.engine.dialect.name == "sqlite":
        # 0038's queues.moh_id key was added in place: SQLite's reflection reports neither its
        # name nor its ON DELETE, so autogenerate sees "another" key (the key itself is checked
        # in test_queue_moh_migration.py through PRAGMA foreign_key_list)
        left = [d for d in left if not (d[0] in ("remove_fk", "add_fk")
                                        and [c.name for c in d[1].columns] == ["moh_id"])]  # fmt: skip
    assert left == []
