"""The queue wallboard in a real browser (Chromium): the page shows the queue's callers
waiting, the longest wait, agents by state and today's service level, and follows queue events
live (a second caller, an agent pausing) without a reload; a plain user gets no wallboard."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import AgentMode, AgentStateRecord, QueueCall, QueueOutcome
from centrex.events import QueueChanged
from centrex.provisioning import queues as queue_service
from centrex.provisioning import tenants as tenant_service
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.web.test_switchboard_page import SQLITE, Server, browser, logged_in, server

__all__ = ["browser", "server"]  # the switchboard tests' fixtures, used here too


def _run(server: Server, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on the server's loop (Playwright's sync API owns this thread's loop)."""
    asyncio.run_coroutine_threadsafe(work, server.loop).result(timeout=30)


async def _seed(url: str, *rows: float) -> None:
    """Queue 500 (agent 202) if needed, plus a waiting caller per entry of `rows` (seconds
    since it entered)."""
    database = Database(url)
    now = SystemClock().utcnow()
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, "acme.example.com")
            if not await queue_service.list_queues(scope):
                await queue_service.create_queue(scope, number="500", name="Support",
                                                 strategy="longest-idle", members=["202"])  # fmt: skip
            for index, ago in enumerate(rows):
                scope.add(QueueCall(queue_number="500", call_id=f"w{ago}-{index}", caller="0791",
                                    entered_at=now - timedelta(seconds=ago),
                                    outcome=QueueOutcome.WAITING))  # fmt: skip
    finally:
        await database.dispose()


async def _pause(url: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, "acme.example.com")
            scope.add(AgentStateRecord(extension="202", mode=AgentMode.PAUSED, reason="lunch",
                                       since=SystemClock().utcnow()))  # fmt: skip
    finally:
        await database.dispose()


@SQLITE
def test_wallboard_follows_the_queue_live(
    server: Server, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    _run(server, _seed(database_url, 40.0))
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=email]", "admin@acme.example.com")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server.base_url}/tenant/wallboard")
    expect(page.locator("body.live")).to_have_count(1)
    expect(page.locator("#wb-waiting")).to_have_text("1")
    longest = page.locator("#wb-longest").text_content() or ""
    seconds = re.fullmatch(r"(\d+) s", longest)
    assert seconds is not None, longest
    assert int(seconds.group(1)) >= 40
    expect(page.locator('#wb-agents li[data-extension="202"]')).to_have_attribute(
        "data-state", "ready"
    )
    expect(page.locator('#wb-states li[data-state="ready"] strong')).to_have_text("1")
    _run(server, _seed(database_url, 5.0))
    server.publish(QueueChanged(server.tenant_id, number="500", state="entered"))
    expect(page.locator("#wb-waiting")).to_have_text("2")
    _run(server, _pause(database_url))
    server.publish(QueueChanged(server.tenant_id, state="agent", extension="202"))
    expect(page.locator('#wb-agents li[data-extension="202"]')).to_have_attribute(
        "data-state", "paused"
    )
    expect(page.locator('#wb-states li[data-state="paused"] strong')).to_have_text("1")
    expect(page.locator('#wb-agents li[data-extension="202"] .lamp-state')).to_have_text("paused")
    page.close()


@SQLITE
def test_a_plain_user_gets_no_wallboard(server: Server, database_url: str) -> None:
    _run(server, _seed(database_url))
    with logged_in(server.base_url, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        shown = admin.get("/tenant/wallboard?lang=fr")
        assert shown.status_code == 200
        assert "Appels en attente" in shown.text
        assert 'href="/tenant/wallboard"' in admin.get("/tenant/calls").text  # in the navigation
    with logged_in(server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        refused = user.get("/tenant/wallboard")
        assert refused.status_code == 403
        assert 'data-page="wallboard"' not in refused.text
