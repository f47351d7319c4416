"""The agent desktop (`/agent`): first without a browser (both databases) — an agent sees its
own campaigns and never another tenant's, a user without an extension is refused (403) with
an explanation, an agent's home is the desktop, every language is translated, the panels'
sections and strings are on the page; then in Chromium an agent logs in to a campaign, gets
ready, pauses with a reason, watches the time in state tick, gets a lead popped by a
`LeadOffered` event on the bus (the card, the script merged with the lead's fields, an
objection showing its rebuttal, an answer saved and its branch followed), is refused ready
until the call's disposition (F2), saves it (F8) and is ready again (F2).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from centrex.clock import SystemClock
from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center import scripts as script_service
from centrex.contact_center.agent_sessions import SessionFollower
from centrex.data.db import Database
from centrex.data.models import Extension, Lead, LeadAttempt, LeadBatch, UserRole
from centrex.data.tenancy import TenantScope
from centrex.events import CallEvent, LeadOffered
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    ADMIN,
    SQLITE,
    browser,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

OTHER = "globex.example.com"
AGENT = ("alice@acme.example.com", "alice-agent-pw-1")
SCRIPT = {
    "start": "intro",
    "pages": [
        {"id": "intro", "title": "Hello", "text": "Good morning {name}",
         "questions": [{"id": "interested", "label": "Interested?", "type": "yesno",
                        "branches": {"yes": "offer", "no": "bye"}}]},
        {"id": "offer", "title": "Offer", "text": "Our spring offer for {name}"},
        {"id": "bye", "title": "Bye", "text": "Thank you, goodbye"},
    ],
    "objections": [{"id": "price", "label": "Too expensive",
                    "rebuttal": "It pays for itself in three months."}],
}  # fmt: skip


async def _lead(scope: TenantScope, campaign_id: int, number: str, name: str) -> int:
    batch = scope.add(LeadBatch(campaign_id=campaign_id, filename="t.csv"))
    await scope.session.flush()
    lead = scope.add(Lead(campaign_id=campaign_id, batch_id=batch.id, number=number, name=name,
                          custom={"company": "Zoe Garden"}))  # fmt: skip
    await scope.session.flush()
    return lead.id


async def seed(url: str) -> dict[str, Any]:
    """Acme: agent Alice (extension 203) of campaign "Zoe Spring" with a scripted lead Zoé
    Martin whose last call Alice took; Globex: its own campaign and lead."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            alice = await user_service.create_user(acme, name="Alice Agent", email=AGENT[0],
                                                   role=UserRole.AGENT.value,
                                                   password=AGENT[1])  # fmt: skip
            await extension_service.create_extension(acme, number="203", name="Alice",
                                                     user_id=alice.id, voicemail=False)  # fmt: skip
            campaign = await campaign_service.create_campaign(acme, name="Zoe Spring",
                                                              method="predictive",
                                                              agents=["203"])  # fmt: skip
            await campaign_service.create_campaign(acme, name="Paul only", method="predictive",
                                                   agents=["202"])  # fmt: skip
            lead = await _lead(acme, campaign.id, "+41445550123", "Zoé Martin")
            ext = await acme.first(Extension, Extension.number == "203")
            assert ext is not None
            acme.add(LeadAttempt(lead_id=lead, campaign_id=campaign.id, outcome="answered",
                                 started_at=now - timedelta(minutes=1), ended_at=now,
                                 extension_id=ext.id, call_id="call-zoe"))  # fmt: skip
            script = await script_service.create_script(acme, name="Spring", definition=SCRIPT,
                                                        now=now)  # fmt: skip
            await script_service.bind_campaign(acme, campaign.id, script.id)
            tenant = await tenant_service.create_tenant(
                session, now=now, name="Globex AG", domain=OTHER, extension_digits=3,
                max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await extension_service.create_extension(globex, number="203", voicemail=False)
            theirs = await campaign_service.create_campaign(globex, name="Globex secret",
                                                            method="predictive",
                                                            agents=["203"])  # fmt: skip
            other_lead = await _lead(globex, theirs.id, "+41445550999", "Gina Globex")
            return {"campaign": campaign.id, "lead": lead, "other_lead": other_lead,
                    "tenant": acme.tenant_id}  # fmt: skip
    finally:
        await database.dispose()


def test_an_agent_sees_its_own_campaigns_only(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    with logged_in(portal_server.base_url, *AGENT) as agent:
        home = agent.get("/")
        assert str(home.url).endswith("/agent")  # an agent's home is the desktop
        html = home.text
        assert home.status_code == 200
        assert "Zoe Spring" in html
        assert "Paul only" not in html  # the tenant's campaign of another agent
        assert "Globex" not in html
        assert 'href="/agent"' in html  # the nav link
        for section in ("agent-appointments", "agent-mail", "agent-stats"):
            assert f'<section id="{section}"></section>' in html
        assert "F2" in html and "F8" in html  # noqa: PT018 - the shortcuts are documented
        assert agent.get(f"/api/v1/leads/{ids['other_lead']}").status_code == 404
        assert agent.get(f"/api/v1/leads/{ids['lead']}").json()["name"] == "Zoé Martin"
        for language in LANGUAGES:
            shown = agent.get(f"/agent?lang={language}")
            assert shown.status_code == 200
            shown_text = re.sub(r"<script[^>]*>.*?</script>", "", shown.text, flags=re.S)
            assert raw_keys(shown_text, ("agent",)) == [], language  # the strings' JSON aside
        assert "Poste agent" in agent.get("/agent?lang=fr").text
    with logged_in(portal_server.base_url, *ADMIN) as admin:  # no extension of her own
        refused = admin.get("/agent")
        assert refused.status_code == 403
        assert "needs an extension of your own" in refused.text
    own = {k for k in catalog("en") if k.startswith("agent.")}
    assert len(own) > 40
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language


def _start_follower(server: PortalServer, url: str) -> SessionFollower:
    async def start() -> SessionFollower:
        follower = SessionFollower(Database(url), server.bus, SystemClock())
        follower.start()
        return follower

    return run(server, start())


@SQLITE
def test_an_agent_takes_a_lead_and_dispositions_it(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    follower = _start_follower(portal_server, database_url)
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    state = page.locator("#agent-state")
    expect(state).to_have_text("Logged out")
    page.check(f"#agent-login-form input[name=campaign][value='{ids['campaign']}']")
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(state).to_have_text("Ready")
    expect(page.locator("#agent-message")).to_contain_text("Logged in to 1 campaign")
    clock = page.locator("#agent-time")
    expect(clock).to_have_text(re.compile(r"^0:0\d$"))
    first = clock.inner_text()
    expect(clock).not_to_have_text(first)  # the time in state ticks

    page.select_option("#agent-pause-reason", label="lunch")
    page.keyboard.press("F3")
    expect(state).to_have_text("Paused")
    expect(page.locator("#agent-reason")).to_have_text("(lunch)")
    with logged_in(base, *AGENT) as api:
        session = api.get("/api/v1/agents/203/session").json()
        assert (session["state"], session["reason"]) == ("paused", "lunch")
        page.keyboard.press("F2")
        expect(state).to_have_text("Ready")

        # the dialer connects Zoé's call to 203: the desktop pops her card and the script
        portal_server.publish(LeadOffered(tenant_id=ids["tenant"], campaign="Zoe Spring",
                                          lead_id=ids["lead"], number="+41445550123",
                                          name="Zoé Martin", extension="203",
                                          call_id="call-zoe", state="connected"))  # fmt: skip
        expect(page.locator("#agent-lead-name")).to_have_text("Zoé Martin")
        expect(page.locator("#agent-card")).to_contain_text("Zoe Garden")
        expect(state).to_have_text("In a call")
        expect(page.locator("#agent-script-page")).to_contain_text("Good morning Zoé Martin")
        timings = page.evaluate("window.centrexAgent.popTimings")  # issue 16: measured (bench/)
        assert [(t["lead_id"], t["ms"] > 0) for t in timings] == [(ids["lead"], True)]
        expect(page.locator("#agent-rebuttal")).to_be_hidden()
        page.click("#agent-objections button[data-objection=price]")
        expect(page.locator("#agent-rebuttal")).to_have_text("It pays for itself in three months.")
        page.click(".agent-question[data-question=interested] button[data-value=yes]")
        expect(page.locator("#agent-script-page")).to_contain_text(
            "Our spring offer for Zoé Martin"
        )
        answers = api.get(f"/api/v1/leads/{ids['lead']}/script").json()["answers"]
        assert answers == {"interested": "yes"}

        # the call ends: wrap-up; ready is refused until the disposition is saved
        portal_server.publish(CallEvent(tenant_id=ids["tenant"], call_id="call-zoe",
                                        state="ended"))  # fmt: skip
        expect(state).to_have_text("Wrap-up")
        page.keyboard.press("F2")
        expect(page.locator("#agent-message")).to_have_text(
            "Save the last call's disposition first.")  # fmt: skip
        expect(state).to_have_text("Wrap-up")
        page.select_option("#agent-disposition", "sale")
        page.fill("#agent-note", "two licences")
        page.keyboard.press("F8")
        expect(page.locator("#agent-message")).to_have_text("Disposition of Zoé Martin saved.")
        lead = api.get(f"/api/v1/leads/{ids['lead']}").json()
        assert (lead["disposition"], lead["notes"]) == ("sale", "two licences")
        page.keyboard.press("F2")
        expect(state).to_have_text("Ready")
        assert api.get("/api/v1/agents/203/session").json()["state"] == "ready"
        # a due callback of Alice's is announced before its call comes
        portal_server.publish(LeadOffered(tenant_id=ids["tenant"], campaign="Zoe Spring",
                                          lead_id=ids["lead"], number="+41445550123",
                                          name="Zoé Martin", extension="203",
                                          state="callback"))  # fmt: skip
        expect(page.locator("#agent-message")).to_have_text(
            "Callback due: Zoé Martin (Zoe Spring) is being called for you.")  # fmt: skip
    page.set_viewport_size({"width": 1366, "height": 768})  # the smallest desk screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.close()

    async def stop() -> None:
        await follower.stop()
        await follower.database.dispose()

    run(portal_server, stop())
