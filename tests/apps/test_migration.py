"""The hand-trimmed 0005_apps migration creates exactly what the models declare (both DBs)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from centrex.data.db import Database
from centrex.data.models import Base

APP_TABLES = {
    "voicemail_boxes",
    "voicemail_messages",
    "media_files",
    "call_flows",
    "flow_bindings",
    "call_recordings",
    "mail_outbox",
}


def _tables_of(diff: Any) -> set[str]:
    """Table names a (possibly nested) autogenerate diff entry touches."""
    if isinstance(diff, list):
        return set().union(*(_tables_of(d) for d in diff)) if diff else set()
    names: set[str] = set()
    for part in diff:
        table = getattr(part, "table", None)
        if table is not None and hasattr(table, "name"):
            names.add(table.name)
        name = getattr(part, "name", None)
        if isinstance(part, str) and part in APP_TABLES:
            names.add(part)
        elif isinstance(name, str) and name in APP_TABLES:
            names.add(name)
    return names


async def test_apps_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = set(
            await connection.run_sync(
                lambda c: set(c.dialect.get_table_names(c))  # type: ignore[no-any-return]
            )
        )
    assert tables >= APP_TABLES
    mine = [d for d in diffs if _tables_of(d) & APP_TABLES]
    assert mine == []
    # fully migrated: 0005_apps is applied (later revisions depend on it, so it is no head)
    assert await db.current_revision() == Database.head_revision()
