"""Rating at hang-up (`billing/live_rating.py`) on SQLite and PostgreSQL: every finished CDR is
priced by its own tenant's decks, exactly as `rates quote` prices the same call; the queue (CDRs
with `rated_at` NULL) survives a restart and a failed pass; running twice changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from centrex.billing import accounts, service
from centrex.billing.live_rating import LiveRater, rate_pending
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction

from .conftest import RETAIL_CSV, WHOLESALE_CSV
from .dbhelpers import NOW, add_cdr, make_tenant

D = Decimal
RATED_AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


async def _world(db: Database) -> None:
    """acme (a contract whose plan has both decks) and bravo (no contract), each with calls."""
    async with db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
        await service.import_deck(session, "wholesale", WHOLESALE_CSV, now=NOW)
        plan = await accounts.create_plan(session, name="Retail", currency="CHF",
                                          base_monthly_fee=D(10), retail_deck="retail",
                                          cost_deck="wholesale")  # fmt: skip
        acme = await make_tenant(session, "acme.example")
        await accounts.subscribe(acme, plan.id, date(2026, 1, 1))
        add_cdr(acme, 1, "+41791234567", 61)  # Swisscom mobile: 0.30/min, 30/6, fee 0.10
        add_cdr(acme, 2, "+41441234567", 125)  # Switzerland fixed, 60/60
        add_cdr(acme, 3, "+41441234568", 0, answered=False)
        add_cdr(acme, 4, "+41441234569", 60, direction=Direction.INBOUND)
        add_cdr(acme, 5, "+99912345", 30)  # no prefix in the deck
        live = add_cdr(acme, 6, "+41441234570", 10)
        live.ended_at = None  # still in progress: not rated yet
        bravo = await make_tenant(session, "bravo.example")
        add_cdr(bravo, 7, "+41791234567", 61)


async def _rows(db: Database) -> dict[str, CdrRow]:
    async with db.session() as session:
        return {row.call_id: row for row in await session.scalars(select(CdrRow))}


async def test_every_finished_cdr_is_priced_as_rates_quote_prices_it(db: Database) -> None:
    await _world(db)
    report = await rate_pending(db, now=RATED_AT)
    assert (report.taken, report.priced, report.unpriced) == (6, 4, 2)
    rows = await _rows(db)
    async with db.session() as session:
        for call_id, number, seconds in (("call-1", "+41791234567", 61),
                                         ("call-2", "+41441234567", 125)):  # fmt: skip
            quoted = await service.quote_number(session, "retail", number, seconds)
            cost = await service.quote_number(session, "wholesale", number, seconds)
            assert rows[call_id].price == quoted.price, call_id
            assert rows[call_id].cost == cost.price, call_id
            assert rows[call_id].rate_prefix == quoted.prefix
    assert rows["call-1"].price == D("0.4300")  # 0.10 fee + 66 s (30/6) at 0.30/min
    assert (rows["call-3"].price, rows["call-4"].price) == (D(0), D(0))  # nothing is owed
    assert rows["call-5"].price is None  # unpriced, but taken: it does not come back
    assert rows["call-7"].price is None  # bravo has no contract: acme's decks never price it
    for call_id in ("call-1", "call-3", "call-5", "call-7"):
        assert rows[call_id].rated_at == RATED_AT
    assert rows["call-6"].rated_at is None  # the call in progress waits for its end
    again = await rate_pending(db, now=datetime(2026, 3, 3, tzinfo=UTC))
    assert again.taken == 0
    after = await _rows(db)
    assert {k: (r.price, r.rated_at) for k, r in after.items()} == {
        k: (r.price, r.rated_at) for k, r in rows.items()
    }


async def test_the_queue_is_taken_in_batches_and_survives_a_restart(db: Database) -> None:
    await _world(db)
    first = await rate_pending(db, now=RATED_AT, limit=2)
    assert first.taken == 2
    # a "restart": a new rater on the same database takes what is left, nothing is rated twice
    rater = LiveRater(db, ManualClock(RATED_AT))
    second = await rater.run_once()
    assert second is not None
    assert second.taken == 4
    rows = await _rows(db)
    assert sum(1 for r in rows.values() if r.rated_at is None) == 1  # only the live call


async def test_a_failed_pass_is_logged_and_the_cdrs_stay_queued(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await _world(db)
    missing = (f"{database_url.rsplit('/', 1)[0]}/centrex_no_such_database"
               if database_url.startswith("postgresql")
               else "sqlite+aiosqlite:////nonexistent/dir/centrex.db")  # fmt: skip
    broken = Database(missing)
    rater = LiveRater(broken, ManualClock(RATED_AT))
    try:
        assert await rater.run_once() is None
    finally:
        await broken.dispose()
    assert rater.passes == 1
    assert "live rating pass failed" in caplog.text
    rows = await _rows(db)
    assert all(r.rated_at is None for r in rows.values())
    assert (await LiveRater(db, ManualClock(RATED_AT)).run_once()) is not None
