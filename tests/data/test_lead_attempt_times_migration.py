"""0024_lead_attempt_times adds `ring_seconds` and `wrap_seconds` to `lead_attempts`; its
downgrade drops exactly those two columns and keeps every attempt row, and upgrading again
reads 0 for rows written without them (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import Lead, LeadAttempt, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

COLUMNS = {"ring_seconds", "wrap_seconds"}


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0024_lead_attempt_times@0023_contact_center")
    return {c["name"] for c in inspect(connection).get_columns("lead_attempts")}


async def test_downgrade_drops_the_two_columns_and_keeps_the_rows(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def attempt(scope: TenantScope) -> None:
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            lead = Lead(campaign_id=campaign_id, batch_id=batch.id, number="+33142685301")
            scope.add(lead)
            await scope.session.flush()
            scope.add(LeadAttempt(lead_id=lead.id, campaign_id=campaign_id,
                                  started_at=clock.utcnow(), outcome="busy", ring_seconds=4,
                                  wrap_seconds=0))  # fmt: skip

        await in_tenant(database, A, attempt)
        async with database.engine.begin() as connection:
            left = await connection.run_sync(_downgrade)
            rows = (await connection.execute(text("SELECT COUNT(*) FROM lead_attempts"))).scalar()
        assert not COLUMNS & left
        assert {"outcome", "talk_seconds", "caller_id"} <= left
        assert rows == 1
        await database.upgrade()
        async with database.engine.connect() as connection:
            again = (await connection.execute(
                text("SELECT ring_seconds, wrap_seconds FROM lead_attempts"))).all()  # fmt: skip
        assert [tuple(r) for r in again] == [(0, 0)]  # written before: reads 0
    finally:
        await database.dispose()
