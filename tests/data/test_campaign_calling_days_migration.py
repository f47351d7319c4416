"""0028_campaign_calling_days adds `calling_days` and `legal_rules` to `campaigns`; its
downgrade drops exactly those two columns and keeps every campaign and lead row (no batch
copy of `campaigns`, whose DROP would cascade into the leads on SQLite), and upgrading again
reads the defaults "mon-sun" and legal rules on for rows written without them (SQLite and
PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import Lead, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

COLUMNS = {"calling_days", "legal_rules"}


def _downgrade(connection: Connection) -> set[str]:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "0028_campaign_calling_days@0025_campaign_callbacks")
    return {c["name"] for c in inspect(connection).get_columns("campaigns")}


async def test_downgrade_drops_the_two_columns_and_keeps_the_rows(
    empty_database_url: str,
) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database, calling_days="mon-fri", legal_rules=False)

        async def leads(scope: TenantScope) -> None:
            batch = LeadBatch(campaign_id=campaign_id)
            scope.add(batch)
            await scope.session.flush()
            for number in ("+33142685301", "+33142685302"):
                scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number=number))

        await in_tenant(database, A, leads)
        async with database.engine.connect() as connection:
            written = (await connection.execute(
                text("SELECT calling_days, legal_rules FROM campaigns"))).all()  # fmt: skip
        assert [(days, bool(legal)) for days, legal in written] == [("mon-fri", False)]
        async with database.engine.begin() as connection:
            left = await connection.run_sync(_downgrade)
            counts = [
                (await connection.execute(text(f"SELECT COUNT(*) FROM {table}"))).scalar()
                for table in ("campaigns", "leads", "lead_batches")
            ]
        assert not COLUMNS & left
        assert {"name", "calling_window", "postal_focus"} <= left
        assert counts == [1, 2, 1]
        await database.upgrade()
        async with database.engine.connect() as connection:
            again = (await connection.execute(
                text("SELECT calling_days, legal_rules FROM campaigns"))).all()  # fmt: skip
        assert [(days, bool(legal)) for days, legal in again] == [("mon-sun", True)]
    finally:
        await database.dispose()
