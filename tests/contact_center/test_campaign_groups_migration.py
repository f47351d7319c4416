"""0031_campaign_agent_groups creates exactly the `campaign_agent_groups` table the model
declares (SQLite and PostgreSQL), and its downgrade drops that table and nothing else: the
campaigns, their agents, the queues and the agent time stay, rows included."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from centrex.clock import ManualClock
from centrex.data.db import Database, alembic_config
from centrex.data.models import Base
from tests.contact_center.world import make_world, new_campaign

TABLE = "campaign_agent_groups"


def _touches(diff: Any) -> bool:
    if isinstance(diff, list):
        return any(_touches(d) for d in diff)
    return any(
        part == TABLE
        or getattr(getattr(part, "table", None), "name", None) == TABLE
        or getattr(part, "name", None) == TABLE
        for part in diff
    )


async def test_the_table_matches_the_model(db: Database) -> None:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _touches(d)] == []


async def test_downgrade_drops_only_the_groups_table(empty_database_url: str) -> None:
    from alembic import command

    database = Database(empty_database_url)
    try:
        await database.upgrade()
        await make_world(database, ManualClock())
        await new_campaign(database)  # agent 101, no group

        def downgrade(connection: Connection) -> tuple[set[str], int]:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0031_campaign_agent_groups-1")
            agents = connection.execute(text("SELECT COUNT(*) FROM campaign_agents")).scalar()
            return set(inspect(connection).get_table_names()), int(agents or 0)

        async with database.engine.begin() as connection:
            tables, agents = await connection.run_sync(downgrade)
        assert TABLE not in tables
        assert {"campaigns", "campaign_agents", "campaign_agent_time", "queues"} <= tables
        assert agents == 1
        await database.upgrade()
        async with database.engine.connect() as connection:
            count = (await connection.execute(text(f"SELECT COUNT(*) FROM {TABLE}"))).scalar()
        assert count == 0
    finally:
        await database.dispose()
