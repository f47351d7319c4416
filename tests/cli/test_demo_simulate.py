"""The issue's done criterion: `centrex campaign simulate` runs on the demo's sample campaign —
on the demo's seeded history (yesterday's 200 attempts: basis "observed"), the same answer
twice (seeded), every method present; `explain` on the demo tells what removes its leads."""

from __future__ import annotations

import asyncio

from centrex.cli.common import CliState
from centrex.cli.serve import _demo_objects
from centrex.contact_center.demo import DEMO_CAMPAIGN, DEMO_DNC
from centrex.contact_center.demo_history import HISTORY_ATTEMPTS
from centrex.data.db import Database
from tests.cli.test_cli_admin import Centrex

DEMO = "demo.centrex.test"


def _demo(database_url: str) -> None:
    """The demo's objects, as `centrex demo` makes them (the CLI itself runs its own loop)."""

    async def make() -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                await _demo_objects(CliState(), session)
        finally:
            await db.dispose()

    asyncio.run(make())


def test_simulate_runs_on_the_demo_campaign(database_url: str, cli_env: dict[str, str]) -> None:
    _demo(database_url)
    centrex = Centrex(cli_env)
    first = centrex.ok("campaign", "simulate", "--tenant", DEMO, "--name", DEMO_CAMPAIGN)
    assert (first["basis"], first["attempts"], first["tenant"]) == (
        "observed", HISTORY_ATTEMPTS, DEMO,
    )  # fmt: skip
    assert [m["method"] for m in first["methods"]] == [
        "progressive", "ratio 1", "ratio 2", "predictive",
    ]  # fmt: skip
    assert 20.0 < first["observed_answer_rate_pct"] < 40.0
    assert first["agents"] == 2  # the demo's two queue agents took the calls
    progressive = first["methods"][0]
    assert progressive["dropped"] == 0
    assert progressive["placed"] > 0
    assert all(0.0 < m["occupancy_pct"] <= 100.0 for m in first["methods"])
    again = centrex.ok("campaign", "simulate", "--tenant", DEMO, "--name", DEMO_CAMPAIGN,
                       "--day", first["day"])  # fmt: skip
    assert again == first


def test_explain_on_the_demo_campaign(database_url: str, cli_env: dict[str, str]) -> None:
    _demo(database_url)
    centrex = Centrex(cli_env)
    summary = centrex.ok("campaign", "explain", "--tenant", DEMO, "--name", DEMO_CAMPAIGN)
    # the worked history leads are done or exhausted; the 4 imported ones are new
    assert summary["by_status"]["new"] == 4
    assert summary["removed"]["status"] == summary["leads"] - 4
    blocked = centrex.ok("campaign", "explain", "--tenant", DEMO, "--name", DEMO_CAMPAIGN,
                         "--number", DEMO_DNC)  # fmt: skip
    assert blocked["dnc"] == {"tenant": True, "campaign": False, "national": None,
                              "blocked": True}  # fmt: skip
    assert (blocked["lead"], blocked["blocked_by"]) == (None, "not_a_lead")
    lead = centrex.ok("campaign", "explain", "--tenant", DEMO, "--name", DEMO_CAMPAIGN,
                      "--number", "044 555 01 01")  # fmt: skip
    assert (lead["number"], lead["lead"]["name"], lead["attempts_left"]) == (
        "+41445550101", "Anna Keller", 3,
    )  # fmt: skip
    assert list(lead["local_time"]) == ["Europe/Zurich"]
