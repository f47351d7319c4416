"""Scheduled callbacks (SQLite and PostgreSQL): the lead's zone decides the instant (a New
York lead's 10:00 is 15:00 UTC for a French tenant), the DST gap is refused, a past time is
refused; what the dialer asks — `due_callbacks` at a time, oldest first, per campaign — the
exclusive claim, and the end of a callback (answered: done; not: retried, then missed);
tenant B never sees A's callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import callbacks
from centrex.data.db import Database
from centrex.data.models import CallbackStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from tests.contact_center.test_hopper import add_leads, start
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
NEW_YORK, PARIS = "+12125550123", "+33142685301"


def test_local_time_to_utc() -> None:
    assert callbacks.to_utc(datetime(2026, 12, 8, 10, 0), "America/New_York") == datetime(
        2026, 12, 8, 15, 0, tzinfo=UTC
    )
    with pytest.raises(ValidationFailed, match="does not exist in Europe/Paris"):
        callbacks.to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Paris")
    with pytest.raises(ValidationFailed, match="without an offset"):
        callbacks.parse_local("2026-12-08T10:00+01:00")


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    cid = await start(db)
    await add_leads(db, cid, A, [{"number": NEW_YORK}, {"number": PARIS}])
    return db


async def _promise(scope: TenantScope, number: str, at: str, ext: str | None = None) -> int:
    made = await callbacks.schedule_callback(scope, await campaign_of(scope), lead=number, at=at,
                                             now=NOW, extension=ext)  # fmt: skip
    return int(made["id"])


async def test_due_claim_and_finish(world: Database) -> None:
    ny = await in_tenant(world, A, lambda s: _promise(s, NEW_YORK, "2026-12-03 10:00", "101"))
    paris = await in_tenant(world, A, lambda s: _promise(s, PARIS, "2026-12-03 15:30"))
    with pytest.raises(ValidationFailed) as past:  # 09:00 in New York now
        await in_tenant(world, A, lambda s: _promise(s, NEW_YORK, "2026-12-03 08:59"))
    assert past.value.error_id == "callback-in-the-past"

    async def due(scope: TenantScope, at: datetime) -> list[tuple[int, int | None]]:
        return [(d.id, d.extension_id) for d in await callbacks.due_callbacks(scope, at)]

    assert await in_tenant(world, A, lambda s: due(s, NOW)) == []
    later = NOW + timedelta(hours=1)  # 15:00 UTC: 10:00 in New York, 16:00 in Paris
    found = await in_tenant(world, A, lambda s: due(s, later))
    assert [i for i, _e in found] == [paris, ny]  # Paris was due at 14:30 UTC, first
    assert found[1][1] is not None  # New York's is personal (extension 101)
    assert await in_tenant(world, B, lambda s: due(s, later)) == []
    assert await in_tenant(world, A, lambda s: callbacks.claim_callback(s, ny))
    assert not await in_tenant(world, A, lambda s: callbacks.claim_callback(s, ny))  # taken
    assert not await in_tenant(world, B, lambda s: callbacks.claim_callback(s, paris))
    assert [i for i, _e in await in_tenant(world, A, lambda s: due(s, later))] == [paris]

    async def finish(scope: TenantScope, cb: int, answered: bool) -> CallbackStatus:
        return await callbacks.finish_callback(scope, cb, answered=answered, now=later)

    assert await in_tenant(world, A, lambda s: finish(s, ny, True)) is CallbackStatus.DONE
    for attempt in range(1, callbacks.MAX_TRIES + 1):
        assert await in_tenant(world, A, lambda s: callbacks.claim_callback(s, paris))
        status = await in_tenant(world, A, lambda s: finish(s, paris, False))
        expected = CallbackStatus.MISSED if attempt == callbacks.MAX_TRIES else (
            CallbackStatus.SCHEDULED)  # fmt: skip
        assert status is expected
    missed = await in_tenant(world, A, lambda s: callbacks.list_callbacks(s, status="missed"))
    assert [(c["id"], c["attempts"]) for c in missed] == [(paris, callbacks.MAX_TRIES)]


async def test_rollback_of_the_batch_takes_its_callbacks(world: Database) -> None:
    from centrex.contact_center import leads
    from centrex.data.models import LeadBatch, ScheduledCallback

    await in_tenant(world, A, lambda s: _promise(s, PARIS, "2026-12-04 10:00", "101"))

    async def rollback(scope: TenantScope) -> dict[str, object]:
        (batch,) = await scope.list(LeadBatch)
        return await leads.rollback_batch(scope, batch)

    assert (await in_tenant(world, A, rollback))["leads"] == 2
    assert await in_tenant(world, A, lambda s: s.count(ScheduledCallback)) == 0
