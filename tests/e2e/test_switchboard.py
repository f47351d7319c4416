"""The switchboard page (issue 12 item 11) in Chromium against a real `centrex serve` and real
baresip phones: lamps from GET /api/v1/presence and presence events, a real call shown ringing
then answered without a reload, Hang up from the page (both phones get a BYE), Transfer and Park
through the call control API, and a tenant admin of another tenant who sees none of it.

The server is tests/e2e/test_calls.py's (tenants ACME 101-103 and SMALL 201-203) plus one
portal administrator per tenant. Each test checks its own starting point (lamps idle, no calls)
so the order of the tests does not matter.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.peers.phone import Phone
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM

pytestmark = pytest.mark.e2e

ADMINS = {ACME: ("anna@acme.calls.test", "acme-admin-pw-1"),
          SMALL: ("sam@small.calls.test", "small-admin-pw-1")}  # fmt: skip
WAIT_MS = 20_000  # a lamp or a list follows an event within this (generous: 2 shared cores)


class SwitchboardPbx(CallPbx):
    """The calls test server with a tenant administrator who may log in to each tenant."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                for domain, (email, password) in ADMINS.items():
                    scope = await tenant_service.scope_for(session, domain)
                    await user_service.create_user(
                        scope, name=f"Admin {domain}", email=email,
                        role=UserRole.TENANT_ADMIN.value, password=password,
                    )  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwitchboardPbx]:
    server = SwitchboardPbx(tmp_path_factory.mktemp("switchboard"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def switchboard(browser: Browser, pbx: CallPbx, domain: str) -> Page:
    """A fresh browser context logged in as `domain`'s administrator, on the switchboard,
    subscribed to the events (body.live), with a marker that a reload would lose."""
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    base = f"http://127.0.0.1:{pbx.http}"
    email, password = ADMINS[domain]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")
    page.click("nav a[href='/tenant/switchboard']")  # linked in the navigation
    expect(page).to_have_url(f"{base}/tenant/switchboard")
    expect(page.locator("body.live")).to_have_count(1, timeout=WAIT_MS)
    page.evaluate("window.notReloaded = true")
    return page


def lamp(page: Page, extension: str, state: str, text: str) -> None:
    """The lamp shows `state` as its colour class and `text` as its words."""
    button = page.locator(f'button.lamp[data-extension="{extension}"]')
    expect(button).to_have_attribute("data-state", state, timeout=WAIT_MS)
    expect(button).to_have_class(re.compile(rf"\b{state}\b"))
    expect(button.locator(".lamp-state")).to_have_text(text)


def hangups(p: Phone) -> int:
    """How many calls this phone saw end (see Phone.wait_hung_up for the two wordings)."""
    log = p.log()
    return log.count("terminated (duration") + log.count("session closed: Connection reset")


def wait_hangups(p: Phone, count: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hangups(p) >= count:
            return True
        time.sleep(0.1)
    return False


def no_calls(page: Page) -> None:
    for table in ("#sb-incoming", "#sb-answered", "#sb-parked"):
        expect(page.locator(f"{table} tr[data-call-id]")).to_have_count(0, timeout=WAIT_MS)


def test_lamps_and_a_real_call_follow_live_and_hang_up_ends_it(
    pbx: SwitchboardPbx, browser: Browser, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as callee,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        page = switchboard(browser, pbx, ACME)
        lamp(page, "101", "idle", "free")
        lamp(page, "102", "idle", "free")
        lamp(page, "103", "offline", "offline")  # no phone registered
        no_calls(page)

        caller.command("dial", f"sip:102@{ACME}")
        assert callee.wait_log("Incoming call", timeout=20), callee.log()
        lamp(page, "102", "ringing", "ringing")
        # the caller's lamp: busy while it places the call (calls/live_state.py presence)
        lamp(page, "101", "busy", "busy")
        ringing = page.locator("#sb-incoming tr[data-call-id]")
        expect(ringing).to_have_count(1)
        expect(ringing.locator(".caller")).to_have_text("101")
        expect(ringing.locator(".callee")).to_have_text("102")
        expect(ringing.locator("button", has_text="Answer")).to_have_count(1)
        call_id = ringing.get_attribute("data-call-id")

        callee.command("accept")
        established(caller, callee)
        lamp(page, "102", "busy", "busy")
        lamp(page, "101", "busy", "busy")
        talking = page.locator(f'#sb-answered tr[data-call-id="{call_id}"]')
        expect(talking).to_have_count(1)
        expect(page.locator("#sb-incoming tr[data-call-id]")).to_have_count(0)

        talking.locator("button", has_text="Hang up").click()
        assert caller.wait_hung_up(timeout=20), caller.log()  # both phones got a BYE
        assert callee.wait_hung_up(timeout=20), callee.log()
        lamp(page, "101", "idle", "free")
        lamp(page, "102", "idle", "free")
        no_calls(page)
        assert page.evaluate("window.notReloaded") is True
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("101", "102", "answered")


def test_transfer_sends_the_caller_to_103_and_park_shows_the_slot(
    pbx: SwitchboardPbx, browser: Browser, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "103", ACME, 700, answer=True) as target,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (callee, target, caller):
            registered(p)
        page = switchboard(browser, pbx, ACME)
        for number in ("101", "102", "103"):
            lamp(page, number, "idle", "free")
        no_calls(page)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        talking = page.locator("#sb-answered tr[data-call-id]", has_text="102")
        expect(talking).to_have_count(1)

        # Transfer to a typed extension: the caller (101) goes to 103, 102 is released
        page.fill("#sb-target", "103")
        talking.locator("button", has_text="Transfer").click()
        expect(page.locator("#sb-message")).to_have_text("Transferred to 103.")
        assert target.wait_log("Call established", timeout=30), target.log()  # INVITE, answered
        assert wait_hangups(callee, 1, timeout=30), callee.log()  # BYE to the original callee
        assert hangups(caller) == 0, caller.log()  # the caller stays in a call throughout
        lamp(page, "103", "busy", "busy")
        lamp(page, "102", "idle", "free")
        with_103 = page.locator("#sb-answered tr[data-call-id]", has_text="103")
        expect(with_103).to_have_count(1)
        expect(with_103.locator(".caller")).to_have_text("101")

        # Park: the call leaves the answered list for the parked list, with its slot
        with_103.locator("button", has_text="Park").click()
        expect(page.locator("#sb-message")).to_contain_text(re.compile(r"Parked in slot 70\d\."))
        parked = page.locator("#sb-parked tr[data-call-id]")
        expect(parked).to_have_count(1)
        expect(parked.locator(".slot")).to_have_text(re.compile(r"^70\d$"))
        expect(parked.locator(".caller")).to_have_text("101")
        expect(page.locator("#sb-answered tr[data-call-id]")).to_have_count(0)
        assert wait_hangups(target, 1, timeout=30), target.log()  # 103 is released
        assert hangups(caller) == 0, caller.log()  # 101 waits in the slot

        # Hang up from the parked list ends the parked caller's call
        parked.locator("button", has_text="Hang up").click()
        assert wait_hangups(caller, 1, timeout=20), caller.log()
        no_calls(page)
        assert page.evaluate("window.notReloaded") is True


def test_answer_to_the_attendant_hold_resume_park_and_retrieve(
    pbx: SwitchboardPbx, browser: Browser, tmp_path: Path
) -> None:
    """The attendant (102, a phone that answers by itself) answers a call ringing 103 from the
    page, holds and resumes it, parks it and takes it back from the parked list."""
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as attendant,
        phone(pbx, tmp_path, "103", ACME, 700) as rung,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (attendant, rung, caller):
            registered(p)
        page = switchboard(browser, pbx, ACME)
        for number in ("101", "102", "103"):
            lamp(page, number, "idle", "free")
        no_calls(page)
        page.fill("#sb-attendant", "102")

        caller.command("dial", f"sip:103@{ACME}")
        assert rung.wait_log("Incoming call", timeout=20), rung.log()
        ringing = page.locator("#sb-incoming tr[data-call-id]")
        expect(ringing.locator(".callee")).to_have_text("103")
        ringing.locator("button", has_text="Answer").click()
        established(caller, attendant)
        assert rung.wait_hung_up(timeout=20), rung.log()  # it stopped ringing (CANCEL)
        assert "Call established" not in rung.log()
        lamp(page, "103", "idle", "free")
        lamp(page, "102", "busy", "busy")
        talking = page.locator("#sb-answered tr[data-call-id]", has_text="101")
        expect(talking).to_have_count(1)
        expect(page.locator("#sb-incoming tr[data-call-id]")).to_have_count(0)

        talking.locator("button", has_text="Hold").click()
        expect(talking.locator(".badge.held")).to_have_text("on hold")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "switchboard.png"), full_page=True)
        talking.locator("button", has_text="Resume").click()
        expect(talking.locator(".badge.held")).to_have_count(0)
        expect(talking.locator("button", has_text="Hold")).to_have_count(1)

        talking.locator("button", has_text="Park").click()
        parked = page.locator("#sb-parked tr[data-call-id]")
        expect(parked.locator(".caller")).to_have_text("101")
        slot = parked.locator(".slot").inner_text()
        assert re.fullmatch(r"70\d", slot), slot
        assert wait_hangups(attendant, 1, timeout=30), attendant.log()  # released by the park
        assert hangups(caller) == 0, caller.log()

        parked.locator("button", has_text="Retrieve").click()
        deadline = time.monotonic() + 30
        while attendant.log().count("Call established") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert attendant.log().count("Call established") >= 2, attendant.log()
        expect(page.locator("#sb-parked tr[data-call-id]")).to_have_count(0)
        expect(page.locator("#sb-answered tr[data-call-id]", has_text="101")).to_have_count(1)
        lamp(page, "102", "busy", "busy")
        assert hangups(caller) == 0, caller.log()
        caller.command("hangup")
        assert wait_hangups(attendant, 2, timeout=20), attendant.log()
        no_calls(page)
        assert page.evaluate("window.notReloaded") is True


def test_another_tenants_admin_sees_no_lamp_and_no_call_of_this_tenant(
    pbx: SwitchboardPbx, browser: Browser, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{pbx.http}"
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as callee,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        acme = switchboard(browser, pbx, ACME)
        small = switchboard(browser, pbx, SMALL)
        lamps = small.locator("button.lamp")
        expect(lamps).to_have_count(3)
        assert sorted(lamps.evaluate_all("all => all.map(l => l.dataset.extension)")) == [
            "201", "202", "203",
        ]  # fmt: skip
        for number in ("201", "202", "203"):
            lamp(small, number, "offline", "offline")

        caller.command("dial", f"sip:102@{ACME}")
        assert callee.wait_log("Incoming call", timeout=20), callee.log()
        lamp(acme, "102", "ringing", "ringing")  # the event was published: ACME sees it
        call_id = acme.locator("#sb-incoming tr[data-call-id]").get_attribute("data-call-id")
        callee.command("accept")
        established(caller, callee)
        lamp(acme, "101", "busy", "busy")
        expect(acme.locator(f'#sb-answered tr[data-call-id="{call_id}"]')).to_have_count(1)
        # a poll period and more later, SMALL's page still has none of it
        small.wait_for_timeout(3000)
        no_calls(small)
        expect(lamps).to_have_count(3)
        for number in ("101", "102", "103"):
            expect(small.locator(f'button.lamp[data-extension="{number}"]')).to_have_count(0)

        # SMALL's admin acting on ACME's call with its own session: 404, the call goes on
        status = small.evaluate(
            """async (id) => (await fetch('/api/v1/calls/' + encodeURIComponent(id),
                {method: 'DELETE', headers: {'X-CSRF-Token': document.body.dataset.csrf}})).status""",
            call_id,
        )
        assert status == 404
        # ... and the call control actions the page's buttons send: 404 each, nothing moves
        for action, body in (("park", {}), ("hold", {}), ("transfer", {"to": "201"}),
                             ("pickup", {"extension": "201"})):  # fmt: skip
            answer = small.evaluate(
                """async ([id, action, body]) => {
                    const r = await fetch('/api/v1/calls/' + encodeURIComponent(id) + '/' + action,
                        {method: 'POST', body: JSON.stringify(body), headers: {
                         'Content-Type': 'application/json',
                         'X-CSRF-Token': document.body.dataset.csrf}});
                    return [r.status, (await r.json()).error_id]; }""",
                [call_id, action, body],
            )
            assert answer == [404, "call-not-found"], (action, answer)
        listed = small.evaluate("async () => (await (await fetch('/api/v1/calls')).json()).items")
        assert listed == []
        presence = small.evaluate(
            "async () => (await (await fetch('/api/v1/presence')).json()).items"
        )
        assert sorted(item["extension"] for item in presence) == ["201", "202", "203"]
        # naming ACME in the URL does not open ACME's switchboard
        other = small.request.get(f"{base}/tenant/switchboard?tenant={ACME}")
        assert other.status != 200
        assert 'data-extension="101"' not in other.text()
        time.sleep(1)
        assert hangups(caller) == 0
        assert hangups(callee) == 0
        expect(acme.locator(f'#sb-answered tr[data-call-id="{call_id}"]')).to_have_count(1)
        caller.command("hangup")
        assert callee.wait_hung_up(timeout=20), callee.log()
        no_calls(acme)
