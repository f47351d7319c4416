"""The agent desktop's day statistics panel (`static/agent_stats.js`) in Chromium: once the
agent logs in (`centrex:agent`), `#agent-stats` shows the day's figures of
`GET /api/v1/agents/{extension}/stats` — the call the agent took today, its contact, its talk
time, the pause reason it took — refreshed after the pause without reloading the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, expect

from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center.agent_log import record_agent_state
from centrex.data.db import Database
from centrex.data.models import Extension, Lead, LeadAttempt, LeadBatch, UserRole
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.web.conftest import PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    SQLITE,
    browser,
    run,
)

AGENT = ("tina@acme.example.com", "tina-agent-pw-1")


async def seed(url: str) -> dict[str, Any]:
    """Acme: agent Tina (extension 204) of campaign "Stats Spring", ready since 2.5 minutes,
    who took one answered call of 95 s of talk 2 minutes ago."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            tina = await user_service.create_user(acme, name="Tina Agent", email=AGENT[0],
                                                  role=UserRole.AGENT.value,
                                                  password=AGENT[1])  # fmt: skip
            await extension_service.create_extension(acme, number="204", name="Tina",
                                                     user_id=tina.id, voicemail=False)  # fmt: skip
            campaign = await campaign_service.create_campaign(acme, name="Stats Spring",
                                                              method="predictive",
                                                              agents=["204"])  # fmt: skip
            batch = acme.add(LeadBatch(campaign_id=campaign.id, filename="t.csv"))
            await acme.session.flush()
            lead = acme.add(Lead(campaign_id=campaign.id, batch_id=batch.id,
                                 number="+41445550144", name="Theo"))  # fmt: skip
            await acme.session.flush()
            ext = await acme.first(Extension, Extension.number == "204")
            assert ext is not None
            start = max(now - timedelta(minutes=2), now.replace(hour=0, minute=0, second=0))
            acme.add(LeadAttempt(lead_id=lead.id, campaign_id=campaign.id, outcome="answered",
                                 started_at=start, ended_at=start + timedelta(seconds=95),
                                 extension_id=ext.id, talk_seconds=95,
                                 disposition="sale"))  # fmt: skip
            # Tina was ready before the call (talk counts only while logged in)
            await record_agent_state(acme, ext.id, "ready", "", start - timedelta(seconds=30))
            return {"campaign": campaign.id}
    finally:
        await database.dispose()


@SQLITE
def test_the_panel_shows_the_agents_day(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    panel = page.locator("#agent-stats")
    page.check(f"#agent-login-form input[name=campaign][value='{ids['campaign']}']")
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    expect(panel.locator("h2")).to_have_text("My day")
    expect(panel.locator("tr[data-figure=calls] td")).to_have_text("1")
    expect(panel.locator("tr[data-figure=contacts] td")).to_have_text("1")
    expect(panel.locator("tr[data-figure=talk] td")).to_have_text("0:01:35")
    expect(panel.locator("tr[data-figure=pause_reason]")).to_have_count(0)
    page.select_option("#agent-pause-reason", label="lunch")
    page.keyboard.press("F3")
    expect(page.locator("#agent-state")).to_have_text("Paused")
    # the next refresh (every 30 s) lists the pause reason, the page never reloaded
    reason = panel.locator("tr[data-figure=pause_reason] th")
    expect(reason).to_have_text("Pause: lunch", timeout=45_000)
