"""Alembic migrations on both databases, and the refusal of an un-migrated one."""

from __future__ import annotations

import pytest

from centrex.data.db import Database, DatabaseNotMigrated


async def test_empty_database_is_refused_then_upgrade_fixes_it(empty_database_url: str) -> None:
    database = Database(empty_database_url)
    try:
        assert await database.current_revision() is None
        with pytest.raises(DatabaseNotMigrated, match="centrex db upgrade"):
            await database.require_migrated()
        await database.upgrade()
        assert await database.current_revision() == Database.head_revision()
        await database.require_migrated()
        # a second upgrade is a no-op
        await database.upgrade()
        assert await database.current_revision() == Database.head_revision()
    finally:
        await database.dispose()


def test_safe_url_hides_password() -> None:
    database = Database("postgresql+asyncpg://user:hunter2@127.0.0.1:5432/x")
    assert "hunter2" not in database.safe_url
    assert "127.0.0.1" in database.safe_url
