"""0026_dispositions creates `dispositions` (the tenant's own call disposition codes) matching
the model; its downgrade drops exactly that table and keeps the leads with the codes they
carry, and upgrading again gives an empty, working table (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import dispositions
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, Lead, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        part == "dispositions"
        or getattr(getattr(part, "table", None), "name", None) == "dispositions"
        or getattr(part, "name", None) == "dispositions"
        for part in diff
    )


async def test_the_table_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert "dispositions" in tables
    assert [d for d in diffs if _touches(d)] == []


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0026_dispositions@0025_campaign_callbacks")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_table_and_keeps_the_leads(empty_database_url: str) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def disposition(scope: TenantScope) -> None:
            await dispositions.add_disposition(scope, code="promo", label="Promo")
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            lead = scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id,
                                  number="+33142685301"))  # fmt: skip
            await scope.session.flush()
            await dispositions.set_disposition(scope, lead.id, "promo", now=clock.utcnow())

        await in_tenant(database, A, disposition)
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
            kept = (await connection.execute(text("SELECT disposition FROM leads"))).scalars()
            codes = list(kept)
        assert "dispositions" not in tables
        assert {"leads", "lead_attempts", "campaigns", "campaign_callbacks"} <= tables
        assert codes == ["promo"]
        await database.upgrade()

        async def own(scope: TenantScope) -> list[str]:
            listed = await dispositions.list_dispositions(scope)
            return [d["code"] for d in listed if not d["system"]]

        assert await in_tenant(database, A, own) == []
        await in_tenant(database, A, lambda s: dispositions.add_disposition(s, code="promo",
                                                                            label="Promo"))  # fmt: skip
        assert await in_tenant(database, A, own) == ["promo"]
    finally:
        await database.dispose()
