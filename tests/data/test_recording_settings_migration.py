"""The 0007_call_recording and 0008_recording_notice migrations add exactly the recording columns
the models declare, with their CHECKs, on SQLite and PostgreSQL, without touching existing
rows."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from centrex.data.db import Database
from centrex.data.models import Base, RecordingLayout, RecordingMode
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service

TABLES = {"tenants", "extensions"}


def _touches(diff: Any) -> bool:
    """An autogenerate diff entry (possibly nested) about the tenants or extensions table."""
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        (isinstance(part, str) and part in TABLES)
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or getattr(part, "name", None) in TABLES
        for part in diff
    )


async def test_tenants_and_extensions_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _touches(d)] == []
    # the database is at every head of the code (later branches build on 0008 and 0009)
    assert await db.current_revision() == db.head_revision()


async def test_defaults_and_checks(db: Database) -> None:
    from centrex.clock import SystemClock

    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name="rec", domain="rec.test",
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        scope = tenant_service.scope_of(session, tenant)
        created = await extension_service.create_extension(scope, number="101", password=None)
    assert tenant.record_calls is RecordingMode.NEVER
    assert tenant.record_layout is RecordingLayout.MIXED
    assert tenant.record_announce is False
    async with db.session() as session:  # the server default, as the migration wrote it
        announce = await session.scalar(
            text("SELECT record_announce FROM tenants WHERE domain = 'rec.test'")
        )
    assert announce in (False, 0)
    assert created.extension.record_calls is None
    assert created.extension.record_layout is None
    for table in ("tenants", "extensions"):
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                await session.execute(text(f"UPDATE {table} SET record_calls = 'sometimes'"))
