"""0022_queue_callback: queues get `callback` (off, also for queues that existed before it),
3 attempts and 30 s between them; queue_calls get `callback` and `callback_number`; the
downgrade drops the columns and keeps every row."""

from __future__ import annotations

from sqlalchemy import Connection, inspect, text

from centrex.clock import SystemClock
from centrex.data.db import Database, alembic_config
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import queues as queue_service
from centrex.provisioning import tenants as tenant_service


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


async def test_downgrade_then_upgrade_keeps_queues_and_defaults_callback_off(db: Database) -> None:
    async with db.transaction() as session:
        tenant = await tenant_service.create_tenant(
            session, now=SystemClock().utcnow(), name="cb", domain="cb.test",
            extension_digits=3, max_calls=2,
        )  # fmt: skip
        scope = tenant_service.scope_of(session, tenant)
        await extension_service.create_extension(scope, number="102", password=None)
        view = await queue_service.create_queue(scope, number="500", strategy="longest-idle",
                                                members=["102"], callback=True)  # fmt: skip
    assert view.as_dict()["callback"] is True
    await _downgrade(db, "0022_queue_callback-1")
    assert {"callback", "callback_attempts", "callback_retry_seconds"}.isdisjoint(
        await _columns(db, "queues")
    )
    assert {"callback", "callback_number"}.isdisjoint(await _columns(db, "queue_calls"))
    async with db.session() as session:  # a downgrade drops columns, never rows
        kept = await session.scalar(text("SELECT count(*) FROM queue_members"))
    assert kept == 1
    await db.upgrade()
    async with db.session() as session:
        row = (await session.execute(text(
            "SELECT callback, callback_attempts, callback_retry_seconds FROM queues"
        ))).one()  # fmt: skip
    assert (bool(row[0]), row[1], row[2]) == (False, 3, 30)
    assert await db.current_revision() == Database.head_revision()
