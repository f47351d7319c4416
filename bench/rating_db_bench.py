"""Rating a month of stored CDRs end to end: read from the database, rate, write back.

Goal (billing issue): 1 million CDRs against a 50 000-prefix deck at >= 10 000 CDRs/s, on
SQLite and on PostgreSQL.

    .venv/bin/python bench/rating_db_bench.py                        # both backends, 1 M CDRs
    .venv/bin/python bench/rating_db_bench.py --backend sqlite --cdrs 200000

For each backend: a fresh migrated database (SQLite file in a temporary directory; PostgreSQL
database `centrex_bench_<pid>` on 127.0.0.1:5432, user postgres, trust auth, dropped
afterwards), one tenant, a 50 000-prefix retail deck and a cost deck (imported with
`service.store_deck`), N synthetic CDRs bulk-inserted in one month (not timed). Then the timed
part is exactly what `centrex billing rate` does: `service.rate_period` for the month in one
transaction, committed. The same seeded generator as bench/rating_bench.py is used, so the
pure and DB numbers are comparable. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rating_bench import cost_deck, make_cdrs, make_deck

from centrex.billing import service
from centrex.data.db import Database
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.provisioning.tenants import create_tenant, scope_of

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
_BATCH = 20_000


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(database="postgres", **PG)  # type: ignore[arg-type]
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run_backend(url: str, count: int, prefixes: int, seed: int) -> float:
    """Set up one database and return the CDRs/s of the timed rate_period."""
    database = Database(url)
    try:
        await database.upgrade()
        rng = random.Random(seed)
        retail = make_deck("retail", prefixes, rng, Decimal(1))
        cdrs = make_cdrs(count, retail, rng)
        now = datetime(2026, 4, 1, tzinfo=UTC)
        t0 = time.perf_counter()
        async with database.transaction() as session:
            tenant = await create_tenant(
                session,
                now=now,
                name="Bench",
                domain="bench.example",
                extension_digits=3,
                max_calls=100,
            )
            await service.store_deck(session, retail, now=now)
            await service.store_deck(session, cost_deck(retail), now=now)
            tenant_id = tenant.id
        print(f"  decks stored: {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        async with database.transaction() as session:
            for start in range(0, len(cdrs), _BATCH):
                rows = [
                    {
                        "tenant_id": tenant_id,
                        "call_id": c.call_id,
                        "caller": "+41441110000",
                        "callee": c.called,
                        "direction": Direction.OUTBOUND,
                        "started_at": c.start,
                        "answered_at": c.start if c.answered else None,
                        "ended_at": c.start + timedelta(seconds=c.billable_seconds + 5),
                        "billsec": c.billable_seconds,
                        "disposition": Disposition.ANSWERED
                        if c.answered
                        else Disposition.NO_ANSWER,
                        "extension": "101",
                        "created_at": now,
                    }
                    for c in cdrs[start : start + _BATCH]
                ]
                await session.execute(insert(CdrRow.__table__), rows)
            # fresh statistics, as autovacuum/`ANALYZE` gives a production database: without
            # them the planner guesses 57 rows per month and sorts instead of walking the index
            await session.execute(text("ANALYZE"))
        inserted = time.perf_counter() - t0
        print(f"  {count:,} CDRs inserted: {inserted:.1f} s ({count / inserted:,.0f}/s, not timed)")
        first, last = cdrs[0].start, cdrs[-1].start
        month_start = datetime(first.year, first.month, 1, tzinfo=UTC)
        t0, c0 = time.perf_counter(), time.process_time()
        async with database.transaction() as session:
            scope = scope_of(session, tenant)
            report = await service.rate_period(
                scope,
                start=month_start,
                end=last + timedelta(seconds=1),
                price_deck="retail",
                cost_deck="wholesale",
            )
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        async with database.session() as session:
            stored = await session.scalar(
                select(func.count()).select_from(CdrRow).where(CdrRow.price.is_not(None))
            )
        print(
            f"  rate_period: {report.calls:,} calls, {report.rated:,} rated, "
            f"{report.unrated:,} unrated, price {report.price} {report.currency}, "
            f"{stored:,} rows priced in the table"
        )
        print(
            f"  rated in {elapsed:.2f} s -> {report.calls / elapsed:,.0f} CDRs/s "
            f"(this process: {cpu:.2f} s CPU, {report.calls / cpu:,.0f} CDRs per CPU-second)"
        )
        return report.calls / elapsed
    finally:
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--prefixes", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    results: dict[str, float] = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite")
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = await run_backend(url, args.cdrs, args.prefixes, args.seed)
    if args.backend in ("postgresql", "both"):
        name = f"centrex_bench_{os.getpid()}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL ({name})")
            url = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
            results["postgresql"] = await run_backend(url, args.cdrs, args.prefixes, args.seed)
        finally:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    for backend, rate in results.items():
        print(f"{backend}: {rate:,.0f} CDRs/s (goal 10 000)")


if __name__ == "__main__":
    asyncio.run(main())
