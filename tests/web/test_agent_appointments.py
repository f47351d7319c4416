"""The appointments panel of the agent desktop and the campaign calendar page (issue 16).

First without a browser (both databases): the desktop loads the panel and its strings; the
calendar page (`/tenant/campaigns/{id}/calendar`) saves the settings without ever showing the
secret, refuses a bad URL (nothing saved), is 404 for another tenant's campaign and 403 for an
agent, in every language. Then in Chromium with a REAL Radicale: an agent logs in, a lead pops,
the agent books an appointment for it from the panel (the API has it, for the lead and the
agent's extension; the CalDAV server has it), books an overlapping one (the conflict is said
and marked), an event created on the server shows in the desktop after a sync, and a personal
callback is scheduled for the lead (the API has it).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from centrex.clock import SystemClock
from centrex.contact_center import appointments as service
from centrex.contact_center.caldav_sync import CalendarSync
from centrex.data.db import Database
from centrex.data.models import Campaign, CampaignCalendar
from centrex.data.secrets_box import SecretBox
from centrex.events import LeadOffered
from centrex.provisioning import tenants as tenant_service
from centrex.web.i18n import LANGUAGES
from tests.contact_center.radicale_server import PASSWORD, USER, Radicale, running_radicale
from tests.web.conftest import PortalServer
from tests.web.test_agent_page import AGENT, OTHER, _start_follower, seed
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    ADMIN,
    SQLITE,
    browser,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

BOX = SecretBox("test-key")  # the portal server's (tests.helpers.api_wiring)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


async def _other_campaign(url: str) -> int:
    database = Database(url)
    try:
        async with database.session() as session:
            found = await session.scalar(
                select(Campaign.id).where(Campaign.name == "Globex secret")
            )
            assert found is not None
            return int(found)
    finally:
        await database.dispose()


async def _stored_calendar(url: str) -> list[tuple[str, str, str]]:
    database = Database(url)
    try:
        async with database.session() as session:
            rows = (await session.scalars(select(CampaignCalendar))).all()
            return [(r.url, r.username, r.secret) for r in rows]
    finally:
        await database.dispose()


def test_the_panel_is_on_the_desktop_and_the_calendar_page_keeps_its_secret(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    other = run(portal_server, _other_campaign(database_url))
    base = portal_server.base_url
    with logged_in(base, *AGENT) as agent:
        desk = agent.get("/agent").text
        assert '<script type="module" src="/static/agent_appointments.js">' in desk
        assert "agent_panels.appointments.book_go" in desk  # the panel's strings, rendered
        assert agent.get("/static/agent_appointments.js").status_code == 200
        assert agent.get("/static/agent_appointments.css").status_code == 200
        assert agent.get(f"/tenant/campaigns/{ids['campaign']}/calendar").status_code == 403
    page_url = f"/tenant/campaigns/{ids['campaign']}/calendar"
    with logged_in(base, *ADMIN) as admin:
        detail = admin.get(f"/tenant/campaigns/{ids['campaign']}").text
        assert f'href="{page_url}"' in detail  # the link from the campaign's page
        empty = admin.get(page_url)
        assert empty.status_code == 200
        assert 'id="calendar-none"' in empty.text
        csrf = _csrf(empty.text)
        refused = admin.post(page_url, data={"csrf": csrf, "url": "ftp://dav.example/"})
        assert "must start with http:// or https://" in refused.text
        assert run(portal_server, _stored_calendar(database_url)) == []
        saved = admin.post(page_url, data={"csrf": csrf, "url": "https://dav.example/zoe/",
                                           "username": "zoe", "secret": "zoe-secret-pw"})  # fmt: skip
        assert "Calendar saved." in saved.text
        assert "zoe-secret-pw" not in saved.text
        assert "stored (leave empty to keep it)" in saved.text
        stored = run(portal_server, _stored_calendar(database_url))
        assert [(u, n) for u, n, _s in stored] == [("https://dav.example/zoe/", "zoe")]
        assert BOX.decrypt(stored[0][2]) == "zoe-secret-pw"
        again = admin.post(page_url, data={"csrf": csrf, "url": "https://dav.example/zoe2/",
                                           "username": "zoe"})  # fmt: skip
        assert "Calendar saved." in again.text
        assert BOX.decrypt(run(portal_server, _stored_calendar(database_url))[0][2]) == (
            "zoe-secret-pw")  # fmt: skip
        assert admin.get(f"/tenant/campaigns/{other}/calendar").status_code == 404
        stranger = admin.post(f"/tenant/campaigns/{other}/calendar",
                              data={"csrf": csrf, "url": "https://dav.example/x/"})  # fmt: skip
        assert stranger.status_code == 404
        assert admin.post(f"/tenant/campaigns/{other}/calendar/sync",
                          data={"csrf": csrf}).status_code == 404  # fmt: skip
        removed = admin.post(f"{page_url}/delete", data={"csrf": csrf})
        assert "Calendar removed" in removed.text
        assert run(portal_server, _stored_calendar(database_url)) == []
        for language in LANGUAGES:
            shown = admin.get(f"{page_url}?lang={language}")
            assert raw_keys(shown.text, ("campaign_calendar",)) == [], language
    assert OTHER  # Globex is the other tenant of the seed


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    root = tmp_path / "radicale"
    root.mkdir()
    with running_radicale(root) as server:
        yield server


async def _calendar(url: str, campaign_id: int, calendar_url: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, "acme.example.com")
            campaign = await service.reachable_campaign(scope, campaign_id, None)
            await service.set_calendar(scope, campaign, BOX, url=calendar_url, username=USER,
                                       secret=PASSWORD)  # fmt: skip
    finally:
        await database.dispose()


async def _sync(url: str, tenant_id: int, campaign_id: int) -> dict[str, Any]:
    """One pass (after the one the booking started, which may still hold the lease)."""
    database = Database(url)
    try:
        sync = CalendarSync(database, BOX, SystemClock())
        for _ in range(200):  # bounded: the other pass ends
            report = await sync.sync_campaign(tenant_id, campaign_id)
            if not report.busy:
                return report.as_dict()
            await asyncio.sleep(0.05)
        raise AssertionError("the calendar stayed busy")
    finally:
        await database.dispose()


EVENT = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
         "UID:dentist@test\r\nDTSTAMP:20261201T000000Z\r\nDTSTART:20991210T150000Z\r\n"
         "DTEND:20991210T160000Z\r\nSUMMARY:Dentist from Nextcloud\r\nEND:VEVENT\r\n"
         "END:VCALENDAR\r\n")  # fmt: skip


@SQLITE
def test_an_agent_books_from_the_panel_into_the_caldav_calendar(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
    radicale: Radicale,
) -> None:
    ids = run(portal_server, seed(database_url))
    calendar_url = radicale.make_calendar("spring")
    run(portal_server, _calendar(database_url, ids["campaign"], calendar_url))
    follower = _start_follower(portal_server, database_url)
    try:
        _book_from_the_panel(portal_server, browser, ids, radicale, calendar_url, database_url)
    finally:

        async def stop() -> None:
            await follower.stop()
            await follower.database.dispose()

        run(portal_server, stop())


def _book_from_the_panel(portal_server: PortalServer, browser: Browser,  # noqa: F811
                         ids: dict[str, Any], radicale: Radicale, calendar_url: str,
                         database_url: str) -> None:  # fmt: skip
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    page.check(f"#agent-login-form input[name=campaign][value='{ids['campaign']}']")
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    panel = page.locator("#agent-appointments")
    expect(panel.locator("h2")).to_have_text("Appointments and callbacks")
    expect(page.locator("#agent-appt-list")).to_contain_text("No upcoming appointment.")
    portal_server.publish(LeadOffered(tenant_id=ids["tenant"], campaign="Zoe Spring",
                                      lead_id=ids["lead"], number="+41445550123",
                                      name="Zoé Martin", extension="203",
                                      call_id="call-zoe", state="connected"))  # fmt: skip
    expect(page.locator("#agent-lead-name")).to_have_text("Zoé Martin")
    expect(page.locator("#agent-appt-lead")).to_have_text(f"For lead #{ids['lead']}")

    page.fill("#agent-appt-title", "Visit Zoé at the garden")
    page.fill("#agent-appt-date", "2099-12-10")
    page.fill("#agent-appt-time", "10:00")
    page.select_option("#agent-appt-duration", "60")
    page.fill("#agent-appt-notes", "bring the spring offer")
    page.click("#agent-appt-go")
    message = page.locator("#agent-appt-message")
    expect(message).to_have_text('Appointment "Visit Zoé at the garden" booked.')
    expect(page.locator("#agent-appt-list li")).to_have_count(1)
    with logged_in(base, *AGENT) as api:
        booked = api.get("/api/v1/appointments").json()["items"]
        assert [(a["title"], a["lead_id"], a["extension"], a["notes"]) for a in booked] == [
            ("Visit Zoé at the garden", ids["lead"], "203", "bring the spring offer")]  # fmt: skip
        # the pass after the booking (a background task of the answer) sent it, with its UID
        for _ in range(200):  # bounded wait for that task, no timing assertion
            one = api.get(f"/api/v1/appointments/{booked[0]['id']}").json()
            if one["sync_state"] == "synced":
                break
            time.sleep(0.05)
        assert one["sync_state"] == "synced"
        assert [str(e["UID"]) for e in radicale.events(calendar_url)] == [booked[0]["uid"]]

        page.fill("#agent-appt-title", "Second visit")
        page.fill("#agent-appt-date", "2099-12-10")
        page.fill("#agent-appt-time", "10:30")
        page.click("#agent-appt-go")
        expect(message).to_have_text(
            "Booked, but it overlaps 1 other appointment(s): check the calendar.")  # fmt: skip
        expect(page.locator("#agent-appt-list li.conflict")).to_have_count(2)

        # an event created on the server shows in the desktop after a sync
        radicale.add_event(calendar_url, EVENT)
        report = run(portal_server, _sync(database_url, ids["tenant"], ids["campaign"]))
        assert report["ok"] is True  # it pulled the event, or the booking's own pass did
        pulled = [a for a in api.get("/api/v1/appointments").json()["items"] if a["remote"]]
        assert [a["title"] for a in pulled] == ["Dentist from Nextcloud"]
        page.reload()
        expect(page.locator("#agent-appt-list")).to_contain_text("Dentist from Nextcloud")
        expect(page.locator("#agent-appt-list li", has_text="Dentist")).to_contain_text(
            "from the calendar")  # fmt: skip

        # a personal callback for the popped lead (the lead pops again after the reload)
        expect(page.locator("#agent-appt-lead")).to_have_text(f"For lead #{ids['lead']}")
        page.fill("#agent-callback-date", "2099-12-11")
        page.fill("#agent-callback-time", "09:30")
        page.select_option("#agent-callback-scope", "personal")
        page.fill("#agent-callback-note", "after lunch")
        page.click("#agent-callback-go")
        expect(page.locator("#agent-callback-message")).to_have_text(
            re.compile(r"^Callback scheduled for 2099-12-11 09:30 \(Europe/Zurich\)\.$"))  # fmt: skip
        callbacks = api.get("/api/v1/callbacks").json()["items"]
        assert [(c["lead_id"], c["extension"], c["local_time"], c["note"]) for c in callbacks] == [
            (ids["lead"], "203", "2099-12-11T09:30", "after lunch")]  # fmt: skip
    page.close()
