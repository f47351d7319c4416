"""The agent desktop's screen pop (issue 16: "the right lead within a second"), in Chromium.

    .venv/bin/python bench/contact_center/screen_pop_bench.py [--pops 50] [--json]

The portal test server of `tests/web/conftest.py` (uvicorn in a thread, a migrated SQLite
file, the seeding of `tests/web/test_agent_page.py`: agent Alice on extension 203, campaign
"Zoe Spring" with its script) gets `--pops` leads; Alice logs in to the desktop in Debian's
headless Chromium and gets ready. Then one after another, each waited for, a `LeadOffered`
"connected" event for the next lead is published on the server's bus, as the dialer does.

Three times per pop, read from the page's `window.centrexAgent.popTimings` (agent_desktop.js):
- pop: the event's arrival on the events WebSocket to the card and the script rendered (the
  two GETs, /api/v1/leads/{id} and its script, and the DOM work);
- end to end: the publish on the bus (this process's wall clock) to the same rendered instant
  (Chromium's `performance.timeOrigin + now()`, the same machine's clock), so it adds the
  bus, the events WebSocket's filtering and sending, and the browser's receiving;
- to browser: the publish to the event's arrival in the page (that server-side part alone).
Printed: p50, p95, p99 and max of each. Timings are measured here, never asserted in tests.
Numbers go to docs/performance.md ("Agent desktop screen pop (issue 16)").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from centrex.data.db import Database  # noqa: E402
from centrex.data.tenancy import TenantScope  # noqa: E402
from centrex.events import LeadOffered  # noqa: E402
from centrex.provisioning import tenants as tenant_service  # noqa: E402
from tests.web.conftest import PortalServer, portal_server  # noqa: E402
from tests.web.test_agent_page import AGENT, _lead, seed  # noqa: E402
from tests.web.test_portal_browser import ARGS, CHROMIUM  # noqa: E402
from tests.web.test_ring_groups_page import run  # noqa: E402

PERCENTILES = (50, 95, 99)


@contextmanager
def server(workdir: Path) -> Iterator[PortalServer]:
    """The tests' portal server on a migrated SQLite file of `workdir` (the fixture's own
    generator, reached through `__wrapped__`: pytest does not let a fixture be called)."""
    path = workdir / "centrex.db"
    url = f"sqlite+aiosqlite:///{path}"

    async def migrate() -> None:
        database = Database(url)
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    asyncio.run(migrate())
    with contextmanager(portal_server.__wrapped__)(url, workdir) as running:  # type: ignore[attr-defined]
        yield running


async def more_leads(url: str, campaign_id: int, count: int) -> list[int]:
    """`count` leads of Alice's campaign besides the seeded one (names differ: a pop of the
    wrong lead would show)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope: TenantScope = await tenant_service.scope_for(session, "acme.example.com")
            return [
                await _lead(scope, campaign_id, f"+4144555{1000 + i:04d}", f"Lead {i:03d}")
                for i in range(count)
            ]
    finally:
        await database.dispose()


def log_in(page: Page, base: str, campaign_id: int) -> None:
    """Alice logs in to her campaign (a desk phone) and is ready, as the test does."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    page.check(f"#agent-login-form input[name=campaign][value='{campaign_id}']")
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    page.wait_for_function("document.body.classList.contains('live')")  # the events socket


def pops(count: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="screen-pop-") as tmp, server(Path(tmp)) as portal:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'centrex.db'}"
        ids = run(portal, seed(url))
        leads = [ids["lead"], *run(portal, more_leads(url, ids["campaign"], count - 1))]
        pop_ms: list[float] = []
        end_to_end_ms: list[float] = []
        to_browser_ms: list[float] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            log_in(page, portal.base_url, ids["campaign"])
            for n, lead_id in enumerate(leads):
                page.evaluate("window.centrexAgent.popTimings.length = 0")
                call_id = f"bench-{n}"
                published = time.time() * 1000
                portal.publish(LeadOffered(tenant_id=ids["tenant"], campaign="Zoe Spring",
                                           lead_id=lead_id, number="", extension="203",
                                           call_id=call_id, state="connected"))  # fmt: skip
                page.wait_for_function(
                    "id => window.centrexAgent.popTimings.some(t => t.call_id === id)",
                    arg=call_id,
                    timeout=30_000,
                )
                (timing,) = page.evaluate("window.centrexAgent.popTimings")
                if timing["lead_id"] != lead_id:
                    raise RuntimeError(f"pop {n}: lead {timing['lead_id']}, not {lead_id}")
                pop_ms.append(float(timing["ms"]))
                end_to_end_ms.append(float(timing["rendered_at"]) - published)
                to_browser_ms.append(float(timing["arrived_at"]) - published)
            browser.close()
    return {
        "pops": count,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "pop_ms": summary(pop_ms),
        "end_to_end_ms": summary(end_to_end_ms),
        "to_browser_ms": summary(to_browser_ms),
    }


def summary(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    out = {f"p{p}": round(cuts[p - 1], 1) for p in PERCENTILES}
    out["max"] = round(max(values), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pops", type=int, default=50, help="leads popped one after another")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    if args.pops < 2:
        parser.error("--pops: at least 2 (percentiles)")
    result = pops(args.pops)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    before, after = result["load_average"]
    sys.stdout.write(f"{result['pops']} pops, load average {before:.2f} then {after:.2f}\n")
    for name in ("pop_ms", "end_to_end_ms", "to_browser_ms"):
        cells = "  ".join(f"{k} {v:7.1f} ms" for k, v in result[name].items())
        sys.stdout.write(f"{name:14} {cells}\n")


if __name__ == "__main__":
    main()
