"""0029_campaign_amd adds `campaigns.amd` (existing campaigns read false; its downgrade drops
the column in place and keeps every campaign and lead) and 0030_campaign_agent_time adds the
`campaign_agent_time` table (its downgrade drops exactly that table), on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import Lead, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign


def _downgrade(connection: Connection, target: str) -> tuple[set[str], set[str]]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, target)
    found = inspect(connection)
    return {c["name"] for c in found.get_columns("campaigns")}, set(found.get_table_names())


async def test_downgrades_drop_only_their_own_and_keep_the_rows(empty_database_url: str) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def lead(scope: TenantScope) -> None:
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685301"))

        await in_tenant(database, A, lead)
        async with database.engine.begin() as connection:
            columns, tables = await connection.run_sync(
                _downgrade, "0030_campaign_agent_time@0025_campaign_callbacks"
            )
        assert "campaign_agent_time" not in tables
        assert "amd" in columns  # the other branch untouched
        async with database.engine.begin() as connection:
            columns, tables = await connection.run_sync(
                _downgrade, "0029_campaign_amd@0025_campaign_callbacks"
            )
            counts = [
                (await connection.execute(text(f"SELECT COUNT(*) FROM {t}"))).scalar()
                for t in ("campaigns", "leads")
            ]
        assert "amd" not in columns
        assert {"name", "calling_window", "postal_focus"} <= columns
        assert counts == [1, 1]
        await database.upgrade()
        async with database.engine.connect() as connection:
            amd = (await connection.execute(text("SELECT amd FROM campaigns"))).scalar()
            agent_time = (
                await connection.execute(text("SELECT COUNT(*) FROM campaign_agent_time"))
            ).scalar()
        assert amd in (False, 0)  # written before: reads false
        assert agent_time == 0
    finally:
        await database.dispose()
