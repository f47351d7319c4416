"""The supervisor console (`/supervisor`): a supervisor lands on it after logging in and sees
its own tenant's campaigns, agents and recordings, never another tenant's (whose recording is
404 to the page's player); agents and plain users are refused; every language is translated.
Then in Chromium: the floor shows an agent whose state changes live when it is changed through
the API (the page follows the events), and a dialer call it takes; a recording searched by
disposition plays in the page (the `<audio>` gets a source that answers 200 audio/wav); a
campaign started, paused, refocused and assigned from the page, each checked through the API.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.contact_center import campaigns as campaign_service
from centrex.data.db import Database
from centrex.data.models import Cdr, Direction, Disposition, Lead, LeadAttempt, LeadBatch, UserRole
from centrex.events import LeadOffered
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import recordings as recording_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.provisioning.storage import MediaStore
from centrex.web.i18n import LANGUAGES, catalog
from tests.apps.conftest import tone, write_wav
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    SQLITE,
    browser,
    csrf_of,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

OTHER = "globex.example.com"
SCRIPT_DATA = re.compile(r'<script type="application/json"[^>]*>.*?</script>', re.S)
SCRIPT_STRINGS = re.compile(r'<script type="application/json" id="sv-strings">(.*?)</script>', re.S)
SUPERVISOR = ("sonia@acme.example.com", "supervisor-pw-1")
AGENT = ("alice@acme.example.com", "agent-pw-12345")


async def _campaign_with_call(
    scope: Any, store: MediaStore, name: str, agent: str, lead_name: str, number: str,
    code: str, call_id: str,
) -> dict[str, int]:  # fmt: skip
    """A campaign with `agent`, one lead called once (dispositioned `code`) and recorded."""
    campaign = await campaign_service.create_campaign(scope, name=name, method="progressive",
                                                      agents=[agent])  # fmt: skip
    batch = scope.add(LeadBatch(campaign_id=campaign.id, filename="seed.csv"))
    await scope.session.flush()
    lead = scope.add(Lead(campaign_id=campaign.id, batch_id=batch.id, number=number,
                          name=lead_name, attempts=1))  # fmt: skip
    scope.add(Lead(campaign_id=campaign.id, batch_id=batch.id, number=number[:-1] + "9",
                   name=lead_name + " Two"))  # fmt: skip
    when = datetime.now(UTC) - timedelta(minutes=30)
    cdr = scope.add(Cdr(call_id=call_id, caller="+41215550100", callee=number,
                        direction=Direction.OUTBOUND, started_at=when,
                        disposition=Disposition.ANSWERED, billsec=2))  # fmt: skip
    await scope.session.flush()
    scope.add(LeadAttempt(lead_id=lead.id, campaign_id=campaign.id, started_at=when,
                          ended_at=when, outcome="answered", disposition=code,
                          call_id=call_id))  # fmt: skip
    _relative, path = store.new_file(scope.tenant_id, "recordings")
    write_wav(path, tone(0.4))
    recording = await recording_service.register_recording(
        scope, store, call_id=call_id, path=path, now=when, cdr_id=cdr.id, started_at=when
    )
    return {"campaign": campaign.id, "lead": lead.id, "recording": recording.id}


async def seed(url: str, data_dir: Path) -> dict[str, int]:
    """Acme: supervisor Sonia, agent Alice on extension 203, campaign "Acme Spring" with 203 as
    agent and a recorded sale to Zoe Client. Globex: its own campaign, lead and recording."""
    store = MediaStore(data_dir)
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await user_service.create_user(acme, name="Sonia Supervisor", email=SUPERVISOR[0],
                                           role=UserRole.SUPERVISOR.value, password=SUPERVISOR[1])  # fmt: skip
            alice = await user_service.create_user(acme, name="Alice Agent", email=AGENT[0],
                                                   role=UserRole.AGENT.value, password=AGENT[1])  # fmt: skip
            await extension_service.create_extension(acme, number="203", name="Alice",
                                                     user_id=alice.id, password="sip-pw-203-x")  # fmt: skip
            mine = await _campaign_with_call(acme, store, "Acme Spring", "203", "Zoe Client",
                                             "+41445550001", "sale", "call-acme")  # fmt: skip
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await extension_service.create_extension(globex, number="301", name="Gustav",
                                                     password="sip-pw-301-x")  # fmt: skip
            theirs = await _campaign_with_call(globex, store, "Globex Secret", "301",
                                               "Gabi Secret", "+41445550077", "sale", "call-gx")  # fmt: skip
            return {**mine, "other_recording": theirs["recording"], "other_lead": theirs["lead"]}
    finally:
        await database.dispose()


def _api_campaign(api: httpx.Client, campaign_id: int) -> dict[str, Any]:
    answer = api.get(f"/api/v1/campaigns/{campaign_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_own_tenant_only_and_who_may(
    portal_server: PortalServer, database_url: str, tmp_path: Path
) -> None:
    ids = run(portal_server, seed(database_url, tmp_path))
    base = portal_server.base_url
    with logged_in(base, *SUPERVISOR) as sonia:
        home = sonia.get("/")
        assert str(home.url) == f"{base}/supervisor"  # a supervisor lands on its console
        html = home.text
        assert "Acme Spring" in html
        assert 'data-extension="203"' in html
        assert "Globex" not in html
        assert "Gabi" not in html
        assert 'href="/supervisor"' in html  # its nav link
        own = sonia.get(f"/supervisor/recordings/{ids['recording']}/audio")
        assert (own.status_code, own.headers["content-type"]) == (200, "audio/wav")
        assert own.content[:4] == b"RIFF"
        assert (
            sonia.get(f"/supervisor/recordings/{ids['other_recording']}/audio").status_code == 404
        )
        found = sonia.get("/api/v1/recordings", params={"lead": ids["other_lead"]})
        assert (found.status_code, found.json()["total"]) == (200, 0)
        found = sonia.get("/api/v1/recordings", params={"disposition": "sale"})
        assert [item["id"] for item in found.json()["items"]] == [ids["recording"]]
    for who in (AGENT, ("paul@acme.example.com", USER_PASSWORD)):
        with logged_in(base, *who) as refused:
            assert refused.get("/supervisor").status_code == 403
            assert (
                refused.get(f"/supervisor/recordings/{ids['recording']}/audio").status_code == 403
            )
            assert refused.get("/api/v1/recordings").status_code == 403
    with logged_in(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        shown = admin.get("/supervisor")
        assert shown.status_code == 200
        assert "Acme Spring" in shown.text
        assert 'href="/supervisor"' in admin.get("/tenant/extensions").text
    with logged_in(base, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get(f"/supervisor?tenant={OTHER}")
        assert shown.status_code == 200
        assert "Globex Secret" in shown.text
        assert "Acme Spring" not in shown.text


def test_the_console_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url, tmp_path))
    own = {k for k in catalog("en") if k.startswith("supervisor.")}
    assert len(own) > 40
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *SUPERVISOR) as sonia:
        for language in LANGUAGES:
            shown = sonia.get(f"/supervisor?lang={language}")
            assert shown.status_code == 200
            visible = SCRIPT_DATA.sub("", shown.text)  # the script's strings are keyed by key
            assert raw_keys(visible, ("supervisor", "common", "nav")) == [], language
            strings = json.loads(SCRIPT_STRINGS.search(shown.text).group(1))  # type: ignore[union-attr]
            assert all(text != key for key, text in strings.items()), language
        assert "Console superviseur de acme.example.com" in sonia.get("/supervisor?lang=fr").text


def _log_in_supervisor(browser: Browser, base: str) -> Any:  # noqa: F811
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", SUPERVISOR[0])
    page.fill("input[name=password]", SUPERVISOR[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/supervisor")
    expect(page.locator("body.live")).to_have_count(1)  # the events socket is open
    return page


def _change_state(api: httpx.Client, campaign_id: int, state: str) -> None:
    """Pause or ready agent 203 the way the floor's source reads it: its desktop session when
    the agent sessions API is installed, else its queue agent state."""
    token = csrf_of(api.get("/tenant/extensions").text)
    headers = {"X-CSRF-Token": token}
    reason = "1" if state == "paused" else ""
    if api.get("/api/v1/agents/sessions").status_code == 200:
        body = {"campaigns": [campaign_id], "phone": "extension", "state": state, "reason": reason}
        answer = api.put("/api/v1/agents/203/session", json=body, headers=headers)
    else:
        answer = api.put("/api/v1/agents/203/state", json={"state": state, "reason": reason},
                         headers=headers)  # fmt: skip
    assert answer.status_code == 200, answer.text


@SQLITE
def test_the_floor_follows_an_agent_live(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    ids = run(portal_server, seed(database_url, tmp_path))
    base = portal_server.base_url
    page = _log_in_supervisor(browser, base)
    row = page.locator('#sv-floor tr[data-extension="203"]')
    expect(row.locator(".sv-campaign")).to_have_text("Acme Spring")
    with logged_in(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        _change_state(admin, ids["campaign"], "paused")
        expect(row.locator(".sv-badge")).to_have_text("paused")
        expect(row).to_have_attribute("data-state", "paused")
        expect(row.locator(".sv-reason")).not_to_be_empty()
        _change_state(admin, ids["campaign"], "ready")
        expect(row.locator(".sv-badge")).to_have_text("ready")
    # the dialer connects a lead to 203: its call shows, and the monitor buttons come alive
    expect(row.locator("button[data-mode=listen]")).to_be_disabled()
    portal_server.publish(LeadOffered(portal_server.tenant_id, campaign="Acme Spring",
                                      lead_id=ids["lead"], number="+41445550001",
                                      name="Zoe Client", extension="203", call_id="call-live",
                                      state="connected"))  # fmt: skip
    expect(row.locator(".sv-call")).to_contain_text("Zoe Client")
    expect(row.locator("button[data-mode=listen]")).to_be_enabled()
    page.close()


@SQLITE
def test_search_by_disposition_plays_and_campaign_start_pause(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    ids = run(portal_server, seed(database_url, tmp_path))
    base = portal_server.base_url
    page = _log_in_supervisor(browser, base)
    search = page.locator("#sv-search")
    search.locator("select[name=disposition]").select_option("sale")
    search.locator("button[type=submit]").click()
    rows = page.locator("#sv-recordings tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-recording-id", str(ids["recording"]))
    expect(rows.first).to_contain_text("Zoe Client")
    rows.first.locator("button.sv-play").click()
    player = page.locator("#sv-player")
    expect(player).to_have_attribute("src", f"/supervisor/recordings/{ids['recording']}/audio")
    status, kind = page.evaluate(
        "async () => { const r = await fetch(document.getElementById('sv-player').src);"
        " return [r.status, r.headers.get('content-type')]; }"
    )
    assert (status, kind) == (200, "audio/wav")
    # a criterion that matches nothing empties the list
    search.locator("input[name=name]").fill("Nobody")
    search.locator("button[type=submit]").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#sv-found")).to_have_text("No recording matches.")

    campaign = page.locator(f'#sv-campaigns tr[data-campaign-id="{ids["campaign"]}"]')
    with logged_in(base, *SUPERVISOR) as api:
        assert _api_campaign(api, ids["campaign"])["status"] == "draft"
        campaign.locator("button.sv-start").click()
        expect(campaign.locator(".sv-status")).to_have_text("running")
        assert _api_campaign(api, ids["campaign"])["status"] == "running"
        campaign.locator("button.sv-pause").click()
        expect(campaign.locator(".sv-status")).to_have_text("paused")
        assert _api_campaign(api, ids["campaign"])["status"] == "paused"
        campaign.locator(".sv-focus input[name=postal_codes]").fill("75, 1000")
        with page.expect_response(lambda r: r.url.endswith("/focus")) as focused:
            campaign.locator(".sv-focus button").click()
        assert focused.value.status == 200
        expect(page.locator("#sv-message")).to_have_text("Campaign Acme Spring updated.")
        assert _api_campaign(api, ids["campaign"])["postal_focus"] == ["75", "1000"]
        campaign.locator(".sv-assign input[name=agents]").fill("203, 202")
        with page.expect_response(lambda r: r.request.method == "PATCH") as assigned:
            campaign.locator(".sv-assign button").click()
        assert assigned.value.status == 200
        assert sorted(_api_campaign(api, ids["campaign"])["agents"]) == ["202", "203"]
    page.close()
