"""The 0009_digest_policy migration: tenants get `compatible` (also the rows that existed
before it), extensions NULL (the tenant's policy), a CHECK refuses anything else, on SQLite and
PostgreSQL; the downgrade removes the columns again."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import IntegrityError

from centrex.clock import SystemClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import DigestPolicy
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service


async def test_defaults_and_checks(db: Database) -> None:
    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name="dig", domain="dig.test",
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        scope = tenant_service.scope_of(session, tenant)
        created = await extension_service.create_extension(scope, number="101", password=None)
    assert tenant.digest_policy is DigestPolicy.COMPATIBLE
    assert created.extension.digest_policy is None
    async with db.session() as session:
        stored = await session.scalar(
            text("SELECT digest_policy FROM tenants WHERE domain = 'dig.test'")
        )
    assert stored == "compatible"
    for table in ("tenants", "extensions"):
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                await session.execute(text(f"UPDATE {table} SET digest_policy = 'sha1-please'"))
    async with db.transaction() as session:
        await session.execute(text("UPDATE extensions SET digest_policy = 'require-sha256'"))


async def _downgrade(db: Database, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)

    async with db.engine.begin() as connection:
        await connection.run_sync(run)


async def _columns(db: Database, table: str) -> set[str]:
    def read(connection: Connection) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns(table)}

    async with db.engine.connect() as connection:
        return await connection.run_sync(read)


async def test_downgrade_drops_and_existing_rows_get_compatible(db: Database) -> None:
    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name="old", domain="old.test",
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        scope = tenant_service.scope_of(session, tenant)
        await extension_service.create_extension(scope, number="101", password=None)
    await _downgrade(db, "0008_recording_notice")
    assert "digest_policy" not in await _columns(db, "tenants")
    assert "digest_policy" not in await _columns(db, "extensions")
    async with db.session() as session:  # a downgrade drops columns, never rows
        kept = await session.scalar(text("SELECT count(*) FROM extensions"))
    assert kept == 1
    await db.upgrade()
    async with db.session() as session:
        tenant_policy = await session.scalar(
            text("SELECT digest_policy FROM tenants WHERE domain = 'old.test'")
        )
        extension_policy = await session.scalar(text("SELECT digest_policy FROM extensions"))
    assert (tenant_policy, extension_policy) == ("compatible", None)
    assert await db.current_revision() == Database.head_revision()
