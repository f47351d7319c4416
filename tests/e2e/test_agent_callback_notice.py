"""A callback promised on the agent desktop comes back in another campaign, with its notice
(issue 16's "a callback scheduled for a minute later comes back to the agent in another
campaign with the notice"), against a real `centrex serve`, a sipp carrier answering and
Alice's desk phone (baresip, extension 101, answering on its own), in Chromium.

Alice logs in to campaign "Desk"; the dialer connects Zoé; on the desktop Alice promises her
a personal callback a minute or two later (in Zoé's own time zone, Paris) with a note, hangs
up, saves the disposition, and moves to campaign "Summer" (no leads of its own). When the time
comes, Summer's runner places Desk's callback (Alice is ready there, not in Desk): the desktop
shows "Callback promised by Alice Agent (101) for … — Zoé Martin, Desk: note" above the screen pop, Zoé's
card pops again (campaign Desk), the agent's INVITE carries `X-Centrex-Callback: Desk`, and
once answered the callback is `done`.

No timing is asserted: every wait is bounded and only decides how long to look.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from centrex.contact_center import campaigns
from centrex.provisioning import tenants as tenant_service
from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_agent_desktop import AGENT, LEAD, DesktopPbx, browser, desk_phone
from tests.e2e.test_calls import ACME, PRIMARY_HOST, registered, sipp, wait_process
from tests.e2e.test_dialer import _window, leads_file, wait_log
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

__all__ = ["browser"]  # a fixture
NOTE = "after lunch, ask about the invoice"


class CallbackDeskPbx(DesktopPbx):
    """DesktopPbx plus campaign "Summer" (progressive, 101 its agent, no leads)."""

    async def provision(self) -> None:
        await super().provision()
        database = self.database()
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await campaigns.create_campaign(
                    scope, name="Summer", method="progressive", caller_id="local",
                    window=_window(-1, 3), agents=["101"], legal_rules=False,
                )  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[CallbackDeskPbx]:
    server = CallbackDeskPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _join(page: Page, campaign: str) -> None:
    for box in page.locator("#agent-login-form input[name=campaign]").all():
        box.uncheck()
    page.locator("#agent-login-form label", has_text=campaign).locator("input").check()
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(page.locator("#agent-state")).to_have_text("Ready")


def test_a_callback_comes_back_in_another_campaign_with_its_notice(
    pbx: CallbackDeskPbx,
    browser: Browser,
    tmp_path: Path,
) -> None:
    imported = pbx.cli("lead", "import", str(leads_file(tmp_path / "desk.csv", [LEAD])),
                       "--tenant", ACME, "--campaign", "Desk")  # fmt: skip
    assert imported["imported"] == 1, imported
    base = f"http://127.0.0.1:{pbx.http}"
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(40_000)  # a loaded machine: look longer, assert nothing on time
    state, notice = page.locator("#agent-state"), page.locator("#agent-callback-notice")
    with desk_phone(pbx, tmp_path) as agent:
        registered(agent)
        page.goto(f"{base}/login")
        page.fill("input[name=email]", AGENT[0])
        page.fill("input[name=password]", AGENT[1])
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/agent")
        _join(page, "Desk")
        expect(page.locator("body.live")).to_have_count(1)  # the events socket is open
        with SipCapture(frozenset({agent.sip_port})) as wire:
            carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                            "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "1"],
                           tmp_path / "carrier")  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Desk")
            expect(page.locator("#agent-lead-name")).to_have_text(LEAD[1])
            expect(notice).to_be_hidden()
            # Alice promises Zoé a callback a minute or two from now, in Paris time (Zoé's)
            soon = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(minutes=2)).replace(
                second=0, microsecond=0)  # fmt: skip
            page.fill("#agent-callback-date", f"{soon:%Y-%m-%d}")
            page.fill("#agent-callback-time", f"{soon:%H:%M}")
            page.select_option("#agent-callback-scope", "personal")
            page.fill("#agent-callback-note", NOTE)
            page.click("#agent-callback-go")
            expect(page.locator("#agent-callback-message")).to_contain_text("Callback scheduled")
            expect(state).to_have_text("In a call", timeout=40_000)
            page.keyboard.press("F4")  # hang up: wrap-up, the disposition, ready
            expect(state).to_have_text("Wrap-up", timeout=40_000)
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
            # the carrier for the callback's call, up to a few minutes from now
            carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                            "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "1",
                            "-timeout", "300s"], tmp_path / "carrier-2")  # fmt: skip
            page.select_option("#agent-disposition", "callback")
            page.click("#agent-dispose-go")
            expect(page.locator("#agent-message")).to_have_text(f"Disposition of {LEAD[1]} saved.")
            page.keyboard.press("F2")
            expect(state).to_have_text("Ready")
            # she moves to Summer; Desk keeps running without her
            _join(page, "Summer")
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Summer")
            said = (f"Callback promised by Alice Agent (101) for {soon:%Y-%m-%d %H:%M} Europe/Paris — "
                    f"{LEAD[1]}, Desk: {NOTE}")  # fmt: skip
            expect(notice).to_have_text(said, timeout=240_000)  # when the time comes
            expect(state).to_have_text("In a call", timeout=40_000)
            expect(page.locator("#agent-lead-name")).to_have_text(LEAD[1])
            expect(page.locator("#agent-card")).to_contain_text("Desk")
            expect(notice).to_have_text(said)  # still there above the popped card
            page.keyboard.press("F4")
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
            assert wait_log(pbx, r"callback \d+ of campaign Desk .*: done"), pbx.log()[-4000:]
        to_agent = [d for d in wire.requests("INVITE", to_port=agent.sip_port)
                    if d.header("X-Centrex-Lead")]  # fmt: skip
    page.close()
    assert [d.header("X-Centrex-Callback") for d in to_agent] == [None, "Desk"]
    listed = pbx.cli("callback", "list", "--tenant", ACME)
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [(c["number"], c["status"], c["note"], c["extension"]) for c in items] == [
        (LEAD[0], "done", NOTE, "101")
    ]
