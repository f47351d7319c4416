"""0014_call_screening creates exactly what the models declare for call screening (SQLite and
PostgreSQL): the `screening_entries` table and the extensions' `outbound_class` / `premium`."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from centrex.data.db import Database
from centrex.data.models import Base


def _touches(diff: Any) -> bool:
    text = repr(diff)
    return "screening_entries" in text or "outbound_class" in text or "'premium'" in text


async def test_screening_schema_matches_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _touches(d)] == []
