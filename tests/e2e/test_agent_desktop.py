"""The agent desktop against a real `centrex serve` (issue 16's headline): agent Alice logs in
to campaign "Desk" in Chromium with her desk phone (extension 101, a baresip answering on its
own), the dialer rings the lead through the trunk (a sipp carrier answering), connects it to
101, and the desktop pops the right lead — her name on the card — and the campaign's script;
Alice hangs up from the desktop (F4: the session's call ended by the server), the session is
in wrap-up, ready is refused until she saves the disposition on the page, after which she is
ready again. The disposition is on the lead (read back with the CLI) and the state log has
the call's in-call and wrap-up intervals.

No timing is asserted: every wait is bounded and only decides how long to look.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from centrex.contact_center import campaigns
from centrex.contact_center import scripts as script_service
from centrex.data.db import Database
from centrex.data.models import AgentStateLog, Extension, UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, sipp, wait_process
from tests.e2e.test_dialer import DialerPbx, _window, leads_file, wait_log
from tests.helpers import free_port
from tests.peers.phone import Phone
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e

RTP_MIN, RTP_MAX = 45000, 45199  # the server's media ports: no other e2e file uses them
AGENT = ("alice@acme.example.com", "alice-agent-pw-1")
LEAD = ("+33142685321", "Zoé Martin")
SCRIPT = {
    "start": "intro",
    "pages": [{"id": "intro", "title": "Hello", "text": "Bonjour {name}"}],
    "objections": [{"id": "price", "label": "Too expensive", "rebuttal": "It pays for itself."}],
}


class DesktopPbx(DialerPbx):
    """DialerPbx with its own media ports, agent Alice owning extension 101 (a portal login)
    and campaign "Desk" (progressive, 101 its agent, a script)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.env.update(CENTREX_RTP_PORT_MIN=str(RTP_MIN), CENTREX_RTP_PORT_MAX=str(RTP_MAX))

    def database(self) -> Database:
        return Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")

    async def provision(self) -> None:
        await super().provision()
        database = self.database()
        now = datetime.now(UTC)
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                alice = await user_service.create_user(scope, name="Alice Agent",
                                                       email=AGENT[0], role=UserRole.AGENT.value,
                                                       password=AGENT[1])  # fmt: skip
                ext = await scope.first(Extension, Extension.number == "101")
                assert ext is not None
                ext.user_id = alice.id
                desk = await campaigns.create_campaign(
                    scope, name="Desk", method="progressive", caller_id="local",
                    window=_window(-1, 3), agents=["101"], legal_rules=False,
                )  # fmt: skip
                script = await script_service.create_script(scope, name="Desk script",
                                                            definition=SCRIPT, now=now)  # fmt: skip
                await script_service.bind_campaign(scope, desk.id, script.id)
        finally:
            await database.dispose()

    def state_log(self) -> list[str]:
        """The state log's states in order (plain sqlite3: Playwright owns this thread's loop)."""
        path = self.directory / "data" / "centrex.db"
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute(f"SELECT state FROM {AgentStateLog.__tablename__} ORDER BY id")
            return [str(state) for (state,) in rows.fetchall()]


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[DesktopPbx]:
    server = DesktopPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def desk_phone(pbx: DesktopPbx, tmp: Path) -> Phone:
    """101's auto-answering baresip, its RTP ports clear of the server's range."""
    made = phone(pbx, tmp, "101", ACME, 0, answer=True)
    while made.rtp_ports[0] <= RTP_MAX and made.rtp_ports[1] >= RTP_MIN:
        made = phone(pbx, tmp, "101", ACME, 0, answer=True)
    return made


def test_a_dialer_call_pops_the_lead_on_the_desktop(
    pbx: DesktopPbx, browser: Browser, tmp_path: Path
) -> None:
    imported = pbx.cli("lead", "import", str(leads_file(tmp_path / "desk.csv", [LEAD])),
                       "--tenant", ACME, "--campaign", "Desk")  # fmt: skip
    assert imported["imported"] == 1, imported
    base = f"http://127.0.0.1:{pbx.http}"
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(40_000)  # a loaded machine: look longer, assert nothing on time
    with desk_phone(pbx, tmp_path) as agent:
        registered(agent)
        page.goto(f"{base}/login")
        page.fill("input[name=email]", AGENT[0])
        page.fill("input[name=password]", AGENT[1])
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{base}/agent")
        state = page.locator("#agent-state")
        page.locator("#agent-login-form label", has_text="Desk").locator("input").check()
        page.select_option("#agent-phone-choice", "extension")
        page.click("#agent-login-go")
        expect(state).to_have_text("Ready")
        expect(page.locator("body.live")).to_have_count(1)  # the events socket is open
        carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                        "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "1"],
                       tmp_path / "carrier")  # fmt: skip
        time.sleep(0.5)
        pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Desk")
        assert agent.wait_log("Call established", timeout=60), pbx.log()[-4000:]
        # the screen pop: the right lead's card and the campaign's script merged with it
        expect(page.locator("#agent-lead-name")).to_have_text(LEAD[1])
        expect(page.locator("#agent-card")).to_contain_text(LEAD[0])
        expect(page.locator("#agent-script-page")).to_contain_text(f"Bonjour {LEAD[1]}")
        page.click("#agent-objections button[data-objection=price]")
        expect(page.locator("#agent-rebuttal")).to_have_text("It pays for itself.")
        expect(state).to_have_text("In a call")
        page.keyboard.press("F4")  # hang up from the desktop: the server ends the call
        assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]  # the carrier's BYE
        assert wait_log(pbx, r"campaign Desk: .*: answered \(lead now done\)"), pbx.log()[-4000:]
        expect(state).to_have_text("Wrap-up")
        page.keyboard.press("F2")
        expect(page.locator("#agent-message")).to_have_text(
            "Save the last call's disposition first.")  # fmt: skip
        page.select_option("#agent-disposition", "sale")
        page.fill("#agent-note", "two licences")
        page.click("#agent-dispose-go")
        expect(page.locator("#agent-message")).to_have_text(f"Disposition of {LEAD[1]} saved.")
        page.keyboard.press("F2")
        expect(state).to_have_text("Ready")
    page.close()
    (lead,) = pbx.cli("lead", "search", "--tenant", ACME, "--campaign", "Desk")["items"]
    assert (lead["name"], lead["disposition"]) == (LEAD[1], "sale")
    assert lead["custom"]["disposition_note"] == "two licences"
    log = pbx.state_log()
    assert log[:4] == ["ready", "in-call", "wrap-up", "ready"], log
