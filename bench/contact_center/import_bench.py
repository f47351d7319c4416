"""Lead import throughput: 100 000 leads (10 bad lines, 1 000 numbers on the DNC list) into one
campaign, on SQLite and PostgreSQL, through `import_leads` exactly as the CLI and API run it.

    .venv/bin/python bench/contact_center/import_bench.py [--lines N] [--backend sqlite|postgresql]

PostgreSQL: 127.0.0.1:5432, user postgres (CENTREX_TEST_PG_* like the tests); a scratch
database is created and dropped. Prints leads/s per backend and the share of time spent
normalising numbers; the numbers go to docs/performance.md ("Lead import").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path

import asyncpg

from centrex.clock import ManualClock
from centrex.contact_center import campaigns, dnc
from centrex.contact_center.lead_import import import_leads
from centrex.contact_center.phone_numbers import normalise
from centrex.data.db import Database
from centrex.provisioning import extensions, tenants

PG = (os.environ.get("CENTREX_TEST_PG_HOST", "127.0.0.1"),
      int(os.environ.get("CENTREX_TEST_PG_PORT", "5432")),
      os.environ.get("CENTREX_TEST_PG_USER", "postgres"))  # fmt: skip


def make_file(lines: int) -> bytes:
    rows = ["number;name;postal_code;company"]
    for i in range(lines):
        bad = i % (lines // 10) == 0
        number = (
            f"abc{i}"
            if bad
            else f"01 4{i % 10} {i // 10 % 100:02d} {i // 1000 % 100:02d} {i // 100000:02d}"
        )
        rows.append(f"{number};Lead {i};{75000 + i % 20};Company {i % 997}")
    return ("\n".join(rows) + "\n").encode()


async def run(url: str, data: bytes) -> tuple[float, int]:
    database = Database(url)
    clock = ManualClock()
    try:
        await database.upgrade()
        async with database.transaction() as session:
            await tenants.create_tenant(session, now=clock.utcnow(), name="Bench",
                                        domain="bench.test", extension_digits=3, max_calls=5,
                                        country="FR")  # fmt: skip
            scope = await tenants.scope_for(session, "bench.test")
            await extensions.create_extension(scope, number="101", voicemail=False)
            campaign = await campaigns.create_campaign(scope, name="Bench", method="predictive",
                                                       agents=["101"])  # fmt: skip
            blocked = [(n, f"01 4{n % 10} {n // 10 % 100:02d} {n // 1000 % 100:02d} 00")
                       for n in range(1, 1000)]  # fmt: skip
            await dnc.add_numbers(scope, blocked)
            campaign_id = campaign.id
        started, cpu = time.perf_counter(), time.process_time()
        async with database.transaction() as session:
            scope = await tenants.scope_for(session, "bench.test")
            campaign = await campaigns.get_campaign_by_id(scope, campaign_id)
            result = await import_leads(scope, campaign, data, now=clock.utcnow(), filename="b.csv")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"  ({cpu:.1f} s of CPU in this process over {elapsed:.1f} s)")
        return elapsed, result.imported
    finally:
        await database.dispose()


async def pg_scratch(name: str, create: bool) -> None:
    host, port, user = PG
    connection = await asyncpg.connect(host=host, port=port, user=user, database="postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    data = make_file(args.lines)
    started = time.perf_counter()
    for i in range(args.lines):
        with contextlib.suppress(ValueError):
            normalise(f"01 4{i % 10} {i // 10 % 100:02d} {i // 1000 % 100:02d} 00", "FR")
    normalising = time.perf_counter() - started
    print(f"normalising {args.lines} numbers alone: {normalising:.1f} s "
          f"({args.lines / normalising:,.0f}/s)")  # fmt: skip
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, imported = asyncio.run(run(f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}", data))
        print(f"sqlite: {imported} leads in {elapsed:.1f} s = {imported / elapsed:,.0f} leads/s")
    if args.backend in ("postgresql", "both"):
        name = f"centrex_import_bench_{os.getpid()}"
        host, port, user = PG
        asyncio.run(pg_scratch(name, True))
        try:
            url = f"postgresql+asyncpg://{user}@{host}:{port}/{name}"
            elapsed, imported = asyncio.run(run(url, data))
        finally:
            asyncio.run(pg_scratch(name, False))
        print(
            f"postgresql: {imported} leads in {elapsed:.1f} s = {imported / elapsed:,.0f} leads/s"
        )


if __name__ == "__main__":
    main()
