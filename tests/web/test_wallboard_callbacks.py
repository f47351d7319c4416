"""The wallboard counts callers waiting for their callback (they pressed 1 and hung up, their
entry keeps its place) as calls waiting, and labels how many of them are callbacks — on load
and live after a queue event (Chromium)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Browser, expect

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import QueueCall, QueueOutcome
from centrex.events import QueueChanged
from centrex.provisioning import queues as queue_service
from centrex.provisioning import tenants as tenant_service
from tests.web.conftest import ADMIN_PASSWORD
from tests.web.test_switchboard_page import SQLITE, Server, browser, server
from tests.web.test_wallboard_page import _run

__all__ = ["browser", "server"]


async def _seed(url: str, *callbacks: str | None) -> None:
    """Queue 500 (agent 202, callback on) if needed, plus a waiting entry per `callbacks`
    item (None: a caller on the line; "requested": a callback entry)."""
    database = Database(url)
    now = SystemClock().utcnow()
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, "acme.example.com")
            if not await queue_service.list_queues(scope):
                await queue_service.create_queue(scope, number="500", name="Support",
                                                 strategy="longest-idle", members=["202"],
                                                 callback=True)  # fmt: skip
            for index, callback in enumerate(callbacks):
                scope.add(QueueCall(queue_number="500", call_id=f"cb{index}-{callback}",
                                    caller="0791", callback=callback,
                                    entered_at=now - timedelta(seconds=30 + index),
                                    outcome=QueueOutcome.WAITING))  # fmt: skip
    finally:
        await database.dispose()


@SQLITE
def test_callback_entries_are_waiting_and_labelled(
    server: Server, browser: Browser, database_url: str
) -> None:
    _run(server, _seed(database_url, None, "requested"))
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=email]", "admin@acme.example.com")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server.base_url}/tenant/wallboard")
    expect(page.locator("body.live")).to_have_count(1)
    expect(page.locator("#wb-waiting")).to_have_text("2")
    expect(page.locator("#wb-callbacks")).to_have_text("1")
    expect(page.locator(".wb-callbacks")).to_contain_text("of which callbacks")
    _run(server, _seed(database_url, "requested"))
    server.publish(QueueChanged(server.tenant_id, number="500", state="left"))
    expect(page.locator("#wb-waiting")).to_have_text("3")
    expect(page.locator("#wb-callbacks")).to_have_text("2")
    page.close()
