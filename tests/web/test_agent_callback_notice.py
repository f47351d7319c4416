"""The agent desktop's callback notice and inbound pops (issue 16). Without a browser (both
databases): the notice's place is on the page, above the screen pop, and its strings are in
the four languages. In Chromium (events published on the portal server's bus, as the dialer
and the call layer do): agent Alice, logged in to campaign "Zoe Spring" only, takes and
dispositions Zoé's call; then a callback she promised to Bruno of campaign "Autumn" comes due:
the notice says who promised it, for when, and the note, above the screen pop, and stays
there when Bruno's lead pops — Autumn's lead, though she was just on Zoe Spring's, and her
session is in Autumn's call now; a campaign-wide one says the campaign's team promised it.
When the promiser was recorded (issue 16: `callback_promised_by`), the notice names them: the
name the API stored when Alice promised Bruno a callback from her desktop ("Alice Agent
(203)"), or "CLI" for a campaign-wide one promised from the command line. A new lead's pop
takes the notice away. Then an inbound queue call put through to her (the
call layer's `transferred` event: a queue rings its agents without a `ringing` of theirs)
pops the caller's lead found by number (national form), and an unknown caller is said so.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from centrex.contact_center import campaigns as campaign_service
from centrex.data.db import Database
from centrex.events import CallEvent, LeadOffered
from centrex.provisioning import tenants as tenant_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import PortalServer
from tests.web.test_agent_page import AGENT, _lead, _start_follower
from tests.web.test_agent_page import seed as seed_desk
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    SQLITE,
    browser,
    run,
)
from tests.web.test_switchboard_page import logged_in

KEYS = ("agent.callback_promised_mine", "agent.callback_promised_team",
        "agent.callback_promised_by", "agent.callback_promised_team_by",
        "agent.callback_no_note")  # fmt: skip
AT = "2026-12-08 10:00 Europe/Zurich"


async def seed(url: str) -> dict[str, Any]:
    """The desktop's seed (Alice 203, "Zoe Spring" with Zoé Martin) plus campaign "Autumn"
    of Alice's with the lead Bruno Autumn."""
    ids = await seed_desk(url)
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            autumn = await campaign_service.create_campaign(acme, name="Autumn",
                                                            method="predictive",
                                                            agents=["203"])  # fmt: skip
            bruno = await _lead(acme, autumn.id, "+41445550456", "Bruno Autumn")
    finally:
        await database.dispose()
    return {**ids, "autumn": autumn.id, "bruno": bruno}


def test_the_notice_has_its_place_and_its_words(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    with logged_in(portal_server.base_url, *AGENT) as agent:
        html = agent.get("/agent").text
    notice = html.index('id="agent-callback-notice"')
    assert notice < html.index('id="agent-lead"')  # above the screen pop
    english = catalog("en")
    for language in LANGUAGES:
        words = catalog(language)
        for key in KEYS:
            assert words.get(key), (language, key)
            if language != "en":
                assert words[key] != english[key], (language, key)
        for key in KEYS[:-1]:
            assert "{at}" in words[key] and "{note}" in words[key], (language, key)  # noqa: PT018


def _offered(ids: dict[str, Any], lead: str, state: str, call_id: str = "", **more: Any) -> Any:
    known = {"zoe": ("Zoe Spring", ids["campaign"], "+41445550123", "Zoé Martin"),
             "bruno": ("Autumn", ids["autumn"], "+41445550456", "Bruno Autumn")}  # fmt: skip
    campaign, campaign_id, number, name = known[lead]
    return LeadOffered(tenant_id=ids["tenant"], campaign=campaign, campaign_id=campaign_id,
                       lead_id=ids["lead"] if lead == "zoe" else ids["bruno"], number=number,
                       name=name, extension="203", call_id=call_id, state=state, **more)  # fmt: skip


def _login(page: Page, base: str, campaign: int) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    page.check(f"#agent-login-form input[name=campaign][value='{campaign}']")
    page.select_option("#agent-phone-choice", "extension")
    page.click("#agent-login-go")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    expect(page.locator("body.live")).to_have_count(1)  # the events WebSocket is ready


# a callback promised from the desktop, as its own code does (session cookie + CSRF token)
PROMISE = """async (body) => {
  const response = await fetch("/api/v1/callbacks", {method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf}});
  return [response.status, await response.json()];
}"""


@SQLITE
def test_a_callback_of_another_campaign_comes_back_with_its_notice(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    follower = _start_follower(portal_server, database_url)
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    _login(page, base, ids["campaign"])  # Zoe Spring only
    state, notice = page.locator("#agent-state"), page.locator("#agent-callback-notice")
    name = page.locator("#agent-lead-name")
    expect(notice).to_be_hidden()

    # on campaign A: Zoé's call, ended, dispositioned, ready again
    portal_server.publish(_offered(ids, "zoe", "connected", "call-zoe"))
    expect(name).to_have_text("Zoé Martin")
    expect(state).to_have_text("In a call")
    portal_server.publish(CallEvent(tenant_id=ids["tenant"], call_id="call-zoe", state="ended"))
    expect(state).to_have_text("Wrap-up")
    page.select_option("#agent-disposition", "callback")
    page.keyboard.press("F8")
    expect(page.locator("#agent-message")).to_have_text("Disposition of Zoé Martin saved.")
    page.keyboard.press("F2")
    expect(state).to_have_text("Ready")
    expect(notice).to_be_hidden()

    # her personal callback to Autumn's Bruno comes due: the notice first, then the pop
    promise: dict[str, Any] = {"callback_id": 41, "callback_at": AT, "callback_by": "203",
               "callback_note": "call after lunch, ask for the invoice"}  # fmt: skip
    portal_server.publish(_offered(ids, "bruno", "callback", **promise))
    said = ("Callback promised by you for 2026-12-08 10:00 Europe/Zurich — Bruno Autumn, "
            "Autumn: call after lunch, ask for the invoice")  # fmt: skip
    expect(notice).to_have_text(said)
    expect(name).to_have_text("Zoé Martin")  # the notice comes before the call
    portal_server.publish(_offered(ids, "bruno", "connected", "call-bruno", **promise))
    expect(name).to_have_text("Bruno Autumn")
    expect(page.locator("#agent-card")).to_contain_text("Autumn")
    expect(notice).to_have_text(said)  # kept above Bruno's card
    expect(notice).to_have_attribute("data-callback", "41")
    box, card = notice.bounding_box(), page.locator("#agent-lead").bounding_box()
    assert box is not None and card is not None  # noqa: PT018
    assert box["y"] + box["height"] <= card["y"]  # above the screen pop
    expect(state).to_have_text("In a call")
    with logged_in(base, *AGENT) as api:
        session = api.get("/api/v1/agents/203/session").json()
        assert (session["lead_id"], session["campaign_id"]) == (ids["bruno"], ids["autumn"])
    assert page.evaluate("window.centrexAgent.lead.campaign_id") == ids["autumn"]

    # a campaign-wide promise without a note; then a new lead's pop takes the notice away
    portal_server.publish(_offered(ids, "bruno", "callback", callback_id=42, callback_at=AT))
    expect(notice).to_have_text("Callback promised by the Autumn team for 2026-12-08 10:00 "
                                "Europe/Zurich — Bruno Autumn: no note")  # fmt: skip
    # Alice promises Bruno a callback from her desktop: the API records her name; when it comes
    # back the notice says it (not "you"), and a campaign-wide one from the CLI says "CLI"
    status, made = page.evaluate(PROMISE, {"campaign_id": ids["autumn"], "lead_id": ids["bruno"],
                                           "at": "2999-01-04 10:00", "extension": "203"})  # fmt: skip
    assert (status, made["promised_by"]) == (201, "Alice Agent (203)"), made
    named = {**promise, "callback_id": made["id"], "callback_promised_by": made["promised_by"]}
    portal_server.publish(_offered(ids, "bruno", "callback", **named))
    expect(notice).to_have_text("Callback promised by Alice Agent (203) for 2026-12-08 10:00 "
                                "Europe/Zurich — Bruno Autumn, Autumn: call after lunch, ask "
                                "for the invoice")  # fmt: skip
    expect(notice).to_have_attribute("data-callback", str(made["id"]))
    portal_server.publish(_offered(ids, "bruno", "callback", callback_id=43, callback_at=AT,
                                   callback_promised_by="CLI"))  # fmt: skip
    expect(notice).to_have_text("Callback promised by CLI to the Autumn team for 2026-12-08 "
                                "10:00 Europe/Zurich — Bruno Autumn: no note")  # fmt: skip
    portal_server.publish(_offered(ids, "zoe", "connected", "call-zoe-2"))
    expect(name).to_have_text("Zoé Martin")
    expect(notice).to_be_hidden()
    # the same notice in French
    page.goto(f"{base}/agent?lang=fr")
    expect(page.locator("#agent-state")).to_have_text("En appel")
    expect(page.locator("body.live")).to_have_count(1)
    portal_server.publish(_offered(ids, "bruno", "callback", **promise))
    expect(page.locator("#agent-callback-notice")).to_have_text(
        "Rappel promis par vous pour le 2026-12-08 10:00 Europe/Zurich — Bruno Autumn, Autumn : "
        "call after lunch, ask for the invoice")  # fmt: skip
    portal_server.publish(_offered(ids, "bruno", "callback", **named))
    expect(page.locator("#agent-callback-notice")).to_have_text(
        "Rappel promis par Alice Agent (203) pour le 2026-12-08 10:00 Europe/Zurich — Bruno "
        "Autumn, Autumn : call after lunch, ask for the invoice")  # fmt: skip
    portal_server.publish(_offered(ids, "bruno", "callback", callback_id=43, callback_at=AT,
                                   callback_promised_by="CLI"))  # fmt: skip
    expect(page.locator("#agent-callback-notice")).to_have_text(
        "Rappel promis par CLI à l'équipe Autumn pour le 2026-12-08 10:00 Europe/Zurich — "
        "Bruno Autumn : sans note")  # fmt: skip
    page.close()
    _stop(portal_server, follower)


@SQLITE
def test_an_inbound_queue_call_pops_the_callers_lead(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    _login(page, base, ids["campaign"])
    name = page.locator("#agent-lead-name")
    # queue 600's caller Bruno (national form) is put through to 203
    portal_server.publish(CallEvent(tenant_id=ids["tenant"], call_id="q-1", state="transferred",
                                    caller="0445550456", callee="203",
                                    direction="inbound"))  # fmt: skip
    expect(name).to_have_text("Bruno Autumn")
    expect(page.locator("#agent-card")).to_contain_text("Autumn")
    assert page.evaluate("window.centrexAgent.lead.call_id") == "q-1"
    # a caller ringing 203 directly: Zoé
    portal_server.publish(CallEvent(tenant_id=ids["tenant"], call_id="d-1", state="ringing",
                                    caller="+41445550123", callee="203",
                                    direction="inbound"))  # fmt: skip
    expect(name).to_have_text("Zoé Martin")
    # a queue caller who is nobody's lead
    portal_server.publish(CallEvent(tenant_id=ids["tenant"], call_id="q-2", state="transferred",
                                    caller="+41445550777", callee="203",
                                    direction="inbound"))  # fmt: skip
    expect(page.locator("#agent-message")).to_contain_text("+41445550777")
    expect(name).to_have_text("Zoé Martin")
    page.close()


def _stop(server: PortalServer, follower: Any) -> None:
    async def stop() -> None:
        await follower.stop()
        await follower.database.dispose()

    run(server, stop())
