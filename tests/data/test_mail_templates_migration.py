"""0036_mail_templates creates `mail_templates`, `campaign_mail_settings` and
`document_templates` matching the models; its downgrade drops exactly those tables (campaigns
and leads stay), and upgrading again gives working tables (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from centrex.clock import ManualClock
from centrex.contact_center import mail_templates
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

TABLES = {"mail_templates", "campaign_mail_settings", "document_templates"}


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        part in TABLES
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or getattr(part, "name", None) in TABLES
        for part in diff
    )


async def test_the_tables_match_the_models(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert tables >= TABLES
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0036_mail_templates@0032_number_queue")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_tables_and_upgrade_restores_them(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def template(scope: TenantScope) -> int:
            made = await mail_templates.create_template(
                scope, name="Hi", subject="Hi {name}", body="Hello", campaign_id=campaign_id,
                now=clock.utcnow(),
            )  # fmt: skip
            return made.id

        await in_tenant(database, A, template)
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
        assert not tables & TABLES
        assert {"campaigns", "leads"} <= tables
        await database.upgrade()
        assert await in_tenant(database, A, template) == 1
    finally:
        await database.dispose()
