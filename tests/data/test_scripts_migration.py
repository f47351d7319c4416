"""0033_scripts creates `scripts`, `campaign_scripts` and `lead_answers` matching the models;
its downgrade drops exactly those tables and keeps the campaigns and leads, and upgrading again
gives empty, working tables (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.contact_center import scripts
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base, Lead, LeadBatch
from centrex.data.tenancy import TenantScope
from tests.contact_center.world import A, in_tenant, make_world, new_campaign

TABLES = {"scripts", "campaign_scripts", "lead_answers"}
DEFINITION = {"start": "p", "pages": [{"id": "p", "questions": [
    {"id": "q", "label": "Q?", "type": "yesno"}]}]}  # fmt: skip


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        getattr(part, "name", None) in TABLES
        or getattr(getattr(part, "table", None), "name", None) in TABLES
        or part in TABLES
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
    command.downgrade(config, "0033_scripts@0032_number_queue")
    return set(inspect(connection).get_table_names())


async def test_downgrade_drops_the_tables_and_keeps_the_leads(empty_database_url: str) -> None:
    clock = ManualClock()
    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, clock)
        campaign_id = await new_campaign(database)

        async def answered(scope: TenantScope) -> int:
            script = await scripts.create_script(scope, name="S", definition=DEFINITION,
                                                 now=clock.utcnow())  # fmt: skip
            batch = scope.add(LeadBatch(campaign_id=campaign_id))
            await scope.session.flush()
            lead = scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id,
                                  number="+33142685301"))  # fmt: skip
            await scope.session.flush()
            await scripts.bind_campaign(scope, campaign_id, script.id)
            await scripts.set_answers(scope, lead.id, {"q": "yes"}, now=clock.utcnow())
            return lead.id

        lead_id = await in_tenant(database, A, answered)
        async with database.engine.begin() as connection:
            tables = await connection.run_sync(_downgrade)
            kept = (await connection.execute(text("SELECT id FROM leads"))).scalars().all()
        assert not tables & TABLES
        assert {"leads", "campaigns", "dispositions"} <= tables
        assert list(kept) == [lead_id]
        await database.upgrade()
        assert await in_tenant(database, A, scripts.list_scripts) == []
        assert await in_tenant(database, A, lambda s: scripts.lead_answers(s, lead_id)) == {}
    finally:
        await database.dispose()
