"""The hopper serving 50 agents at predictive pace, on SQLite and PostgreSQL.

    .venv/bin/python bench/contact_center/hopper_bench.py [--agents 50] [--minutes 60]
        [--leads 100000] [--backend sqlite|postgresql|both]

The pace is the predictive pacer's own: a seeded simulated day (`contact_center.simulation`,
28 % answer rate, the default talk and wrap times) with `--agents` agents is played first,
recording how many calls the pacer asked for at every 1 s tick and how long each attempt
took to resolve. That sequence is then replayed against the real hopper as fast as it goes:
each tick claims the pacer's count with `claim_leads` (due, DNC and window checks, exclusive
claim: `FOR UPDATE SKIP LOCKED` on PostgreSQL) and records the attempts that resolved by then
with `record_attempt` (one transaction each, the lead moved by the outcome table). 100 000
leads, 1 000 of them on the DNC list, the campaign's window always open.

Printed: claims and attempts per second the database sustained, and the per-tick database
time (p50, p99, max): the hopper keeps up while a tick's work stays well under the 1 s tick.
PostgreSQL: 127.0.0.1:5432, user postgres (CENTREX_TEST_PG_* like the tests); a scratch
database is created and dropped. Numbers go to docs/performance.md ("Hopper").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import asyncpg

from centrex.clock import ManualClock
from centrex.contact_center import campaigns, dnc
from centrex.contact_center.hopper import Attempt, ClaimedLead, claim_leads, record_attempt
from centrex.contact_center.lead_import import import_leads
from centrex.contact_center.lead_outcomes import AttemptOutcome
from centrex.contact_center.pacing import Outcome, Pacer, Snapshot, make_pacer
from centrex.contact_center.simulation import DayProfile, simulate_day
from centrex.data.db import Database
from centrex.data.models import CampaignStatus
from centrex.provisioning import extensions, tenants

PG = (os.environ.get("CENTREX_TEST_PG_HOST", "127.0.0.1"),
      int(os.environ.get("CENTREX_TEST_PG_PORT", "5432")),
      os.environ.get("CENTREX_TEST_PG_USER", "postgres"))  # fmt: skip
OUTCOMES = {"answered": AttemptOutcome.ANSWERED, "no-answer": AttemptOutcome.NO_ANSWER,
            "busy": AttemptOutcome.BUSY, "failed": AttemptOutcome.FAILED,
            "machine": AttemptOutcome.MACHINE}  # fmt: skip


class RecordingPacer:
    """The predictive pacer, remembering what it asked for at each tick."""

    def __init__(self, inner: Pacer) -> None:
        self.inner = inner
        self.asked: list[int] = []

    def observe(self, outcome: Outcome) -> None:
        self.inner.observe(outcome)

    def calls_to_place(self, snapshot: Snapshot) -> int:
        want = self.inner.calls_to_place(snapshot)
        self.asked.append(want)
        return want


class RecordingCalls:
    """The day's call sampler, remembering each attempt's kind and resolution delay."""

    def __init__(self) -> None:
        self.inner = DayProfile(answer_rate=0.28)
        self.attempts: list[tuple[str, float]] = []

    def attempt(self, rng):  # type: ignore[no-untyped-def]
        kind, delay = self.inner.attempt(rng)
        self.attempts.append((kind, delay))
        return kind, delay

    def conversation(self, rng):  # type: ignore[no-untyped-def]
        return self.inner.conversation(rng)


def predictive_pace(agents: int, seconds: float) -> tuple[list[int], list[tuple[str, float]]]:
    pacer = RecordingPacer(make_pacer("predictive"))
    calls = RecordingCalls()
    result = simulate_day(pacer, calls, agents=agents, seconds=seconds, seed=7)
    print(f"simulated pace: {result.placed} calls in {seconds / 60:.0f} min for {agents} "
          f"agents ({result.placed / seconds:.2f} calls/s), drop {result.drop_pct:.2f} %, "
          f"occupancy {result.occupancy_pct:.1f} %")  # fmt: skip
    return pacer.asked, calls.attempts


def leads_file(count: int) -> bytes:
    rows = ["number;name;postal_code"]
    for i in range(count):
        rows.append(f"+331{40000000 + i:08d};Lead {i};{75000 + i % 20}")
    return ("\n".join(rows) + "\n").encode()


async def replay(url: str, asked: list[int], attempts: list[tuple[str, float]],
                 leads: int) -> None:  # fmt: skip
    database = Database(url)
    clock = ManualClock()
    try:
        await database.upgrade()
        async with database.transaction() as session:
            await tenants.create_tenant(session, now=clock.utcnow(), name="Bench",
                                        domain="bench.test", extension_digits=3, max_calls=500,
                                        country="FR")  # fmt: skip
            scope = await tenants.scope_for(session, "bench.test")
            await extensions.create_extension(scope, number="101", voicemail=False)
            campaign = await campaigns.create_campaign(scope, name="Bench", method="predictive",
                                                       agents=["101"], window="00:00-23:59",
                                                       max_attempts=5)  # fmt: skip
            campaign.status = CampaignStatus.RUNNING
            campaign.legal_rules = False  # the replay's clock starts on a public holiday
            await dnc.add_numbers(scope, [(n, f"+331{40000000 + n * 97:08d}")
                                          for n in range(1, 1001)])  # fmt: skip
            campaign_id, tenant_id = campaign.id, scope.tenant_id
        async with database.transaction() as session:
            scope = await tenants.scope_for(session, "bench.test")
            campaign = await campaigns.get_campaign_by_id(scope, campaign_id)
            await import_leads(scope, campaign, leads_file(leads), now=clock.utcnow(),
                               filename="bench.csv")  # fmt: skip
        resolving: dict[int, list[tuple[ClaimedLead, str]]] = defaultdict(list)
        next_attempt = 0
        tick_times: list[float] = []
        claimed = recorded = 0
        started = time.perf_counter()
        for second, want in enumerate(asked):
            t0 = time.perf_counter()
            for lead, kind in resolving.pop(second, []):
                await record_attempt(database, lead, Attempt(
                    outcome=OUTCOMES[kind], started_at=clock.utcnow(), ended_at=clock.utcnow(),
                    ring_seconds=5.0, talk_seconds=60.0 if kind == "answered" else 0.0,
                ), max_attempts=5, retry_delays={})  # fmt: skip
                recorded += 1
            got = await claim_leads(database, tenant_id, campaign_id, want, clock.utcnow())
            claimed += len(got)
            for lead in got:
                kind, delay = attempts[next_attempt % len(attempts)]
                next_attempt += 1
                resolving[second + max(1, round(delay))].append((lead, kind))
            tick_times.append(time.perf_counter() - t0)
            clock.advance(1.0)
        elapsed = time.perf_counter() - started
        tick_times.sort()
        p99 = tick_times[int(len(tick_times) * 0.99)]
        print(f"  {claimed} claims + {recorded} attempts recorded over {len(asked)} ticks in "
              f"{elapsed:.1f} s: {claimed / elapsed:,.0f} claims/s, "
              f"{recorded / elapsed:,.0f} attempts/s the database sustained")  # fmt: skip
        print(f"  per-tick database time: p50 {statistics.median(tick_times) * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms, max {tick_times[-1] * 1000:.1f} ms "
              f"(the tick is 1 000 ms)")  # fmt: skip
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
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    asked, attempts = predictive_pace(args.agents, args.minutes * 60)
    if args.backend in ("sqlite", "both"):
        print("sqlite:")
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(replay(f"sqlite+aiosqlite:///{Path(tmp) / 'h.db'}", asked, attempts,
                               args.leads))  # fmt: skip
    if args.backend in ("postgresql", "both"):
        print("postgresql:")
        name = f"centrex_hopper_bench_{os.getpid()}"
        host, port, user = PG
        asyncio.run(pg_scratch(name, True))
        try:
            asyncio.run(replay(f"postgresql+asyncpg://{user}@{host}:{port}/{name}", asked,
                               attempts, args.leads))  # fmt: skip
        finally:
            asyncio.run(pg_scratch(name, False))


if __name__ == "__main__":
    main()
