"""0040_prepaid adds `tenants.prepaid` and creates `credit_ledger` and `credit_reservations`
matching the models; its downgrade drops exactly those (tenants and their credit stay), and
upgrading again gives working tables (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from centrex.billing import prepaid
from centrex.clock import ManualClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base
from centrex.provisioning.tenants import create_tenant, scope_of

TABLES = {"credit_ledger", "credit_reservations"}


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    names = {getattr(getattr(part, "table", None), "name", None) for part in diff}
    names |= {getattr(part, "name", None) for part in diff} | {
        p for p in diff if isinstance(p, str)
    }
    return bool(names & TABLES) or "prepaid" in names


async def test_the_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        columns = await connection.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("tenants")}
        )
    assert tables >= TABLES
    assert "prepaid" in columns
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> tuple[set[str], set[str]]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0040_prepaid@0039_cdr_rated_at")
    inspector = inspect(connection)
    return set(inspector.get_table_names()), {c["name"] for c in inspector.get_columns("tenants")}


async def test_downgrade_drops_the_tables_and_upgrade_restores_them(
    empty_database_url: str,
) -> None:
    now = ManualClock().utcnow()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await create_tenant(session, now=now, name="acme", domain="acme.example",
                                         extension_digits=3, max_calls=5)  # fmt: skip
            await prepaid.top_up(scope_of(session, tenant), "5", reference=None, now=now)
        async with database.engine.begin() as connection:
            tables, columns = await connection.run_sync(_downgrade)
        assert not tables & TABLES
        assert "prepaid" not in columns
        assert {"tenants", "cdrs"} <= tables
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await session.get_one(type(tenant), tenant.id)
            assert tenant.prepaid is False
            assert tenant.credit == Decimal(5)  # the balance itself is the tenant's, kept
            assert await prepaid.top_up(scope_of(session, tenant), "1", reference=None,
                                        now=now) == Decimal(6)  # fmt: skip
    finally:
        await database.dispose()
