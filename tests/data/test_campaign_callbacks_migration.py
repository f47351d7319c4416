"""0025_campaign_callbacks creates `campaign_callbacks` (personal or campaign-wide callbacks of
outbound campaigns); its downgrade drops exactly that table and keeps the leads, and upgrading
again gives an empty, working table (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import callbacks
from centrex.data.db import Database, alembic_config
from centrex.data.models import Lead, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, campaign_of, in_tenant, make_world, new_campaign


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0025_campaign_callbacks@0024_lead_attempt_times")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_table_and_keeps_the_leads(empty_database_url: str) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def promise(scope: TenantScope) -> None:
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685301"))
            await scope.session.flush()
            await callbacks.schedule_callback(scope, await campaign_of(scope),
                                              lead="+33142685301", at="2026-02-01 10:00",
                                              now=clock.utcnow(), extension="101")  # fmt: skip

        await in_tenant(database, A, promise)
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
            leads = (await connection.execute(text("SELECT COUNT(*) FROM leads"))).scalar()
        assert "campaign_callbacks" not in tables
        assert {"leads", "lead_attempts", "campaigns"} <= tables
        assert leads == 1
        await database.upgrade()

        async def listed(scope: TenantScope) -> int:
            return len(await callbacks.due_callbacks(scope, datetime(2027, 1, 1, tzinfo=UTC)))

        assert await in_tenant(database, A, listed) == 0
    finally:
        await database.dispose()
