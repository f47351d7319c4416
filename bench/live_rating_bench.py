"""Throughput of rating at hang-up: how fast the running server's live rater drains its queue.

    .venv/bin/python bench/live_rating_bench.py                       # both backends, 20 000 CDRs
    .venv/bin/python bench/live_rating_bench.py --backend sqlite --cdrs 5000

For each backend: a fresh migrated database (as bench/rating_db_bench.py makes it), one tenant
on a plan whose retail and cost decks have 50 000 prefixes, and N finished, not yet rated CDRs
bulk-inserted (not timed): the backlog a restart after a long outage would leave. The timed part
is what `LiveRater` does: `live_rating.rate_pending` passes of 500 CDRs, each its own
transaction, until the queue is empty. A hang-up rate of 50-75 calls/s (the measured call rate)
is the load to compare with. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rating_bench import cost_deck, make_cdrs, make_deck
from rating_db_bench import PG, _pg_admin

from centrex.billing import accounts, service
from centrex.billing.live_rating import rate_pending
from centrex.data.db import Database
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.provisioning.tenants import create_tenant, scope_of


async def run_backend(url: str, count: int, prefixes: int, seed: int) -> float:
    """Set up one database and return the CDRs/s of draining the live queue."""
    database = Database(url)
    try:
        await database.upgrade()
        rng = random.Random(seed)
        retail = make_deck("retail", prefixes, rng, Decimal(1))
        cdrs = make_cdrs(count, retail, rng)
        now = datetime(2026, 4, 1, tzinfo=UTC)
        async with database.transaction() as session:
            tenant = await create_tenant(session, now=now, name="Bench", domain="bench.example",
                                         extension_digits=3, max_calls=100)  # fmt: skip
            await service.store_deck(session, retail, now=now)
            await service.store_deck(session, cost_deck(retail), now=now)
            plan = await accounts.create_plan(session, name="Bench", currency=retail.currency,
                                              base_monthly_fee=Decimal(0), retail_deck="retail",
                                              cost_deck="wholesale")  # fmt: skip
            await accounts.subscribe(scope_of(session, tenant), plan.id, date(2026, 1, 1))
            rows = [
                {"tenant_id": tenant.id, "call_id": c.call_id, "caller": "+41441110000",
                 "callee": c.called, "direction": Direction.OUTBOUND, "started_at": c.start,
                 "answered_at": c.start if c.answered else None,
                 "ended_at": c.start + timedelta(seconds=c.billable_seconds + 5),
                 "billsec": c.billable_seconds,
                 "disposition": Disposition.ANSWERED if c.answered else Disposition.NO_ANSWER,
                 "extension": "101", "created_at": now}
                for c in cdrs
            ]  # fmt: skip
            await session.execute(insert(CdrRow.__table__), rows)  # type: ignore[arg-type]
        t0, c0, passes = time.perf_counter(), time.process_time(), 0
        while (await rate_pending(database, now=now)).taken:
            passes += 1
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        async with database.session() as session:
            left = await session.scalar(
                select(func.count()).select_from(CdrRow).where(CdrRow.rated_at.is_(None))
            )
        print(f"  {count:,} CDRs in {passes} passes, {left} left: {elapsed:.2f} s -> "
              f"{count / elapsed:,.0f} CDRs/s ({cpu:.2f} s CPU in this process)")  # fmt: skip
        return count / elapsed
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=20_000)
    parser.add_argument("--prefixes", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite")
            await run_backend(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", args.cdrs,
                              args.prefixes, args.seed)  # fmt: skip
    if args.backend in ("postgresql", "both"):
        name = f"centrex_live_bench_{os.getpid()}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL ({name})")
            url = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
            await run_backend(url, args.cdrs, args.prefixes, args.seed)
        finally:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    asyncio.run(main())
