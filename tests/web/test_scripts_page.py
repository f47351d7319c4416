"""The call-script pages (`/tenant/scripts`, `/tenant/scripts/{id}`): refused input (a dangling
branch, an unknown field, JSON that is not JSON, a name used twice) says why, lists the problems
and saves nothing; a campaign is bound and unbound; another tenant's script is out of reach
(404, never shown); a supervisor edits, a plain user is refused; every language is translated;
then in Chromium a tenant admin types a script with a dangling branch, sees the live message,
fixes it and saves it, checked through the REST API; and builds one with the form only (no JSON
typed): a branch to a page then deleted shows its error on the question, fixed, saved, read back
through the API; the form fits a phone-size screen.
"""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.contact_center import scripts as script_service
from centrex.contact_center.campaigns import create_campaign
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import USER_PASSWORD, PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    ADMIN,
    SQLITE,
    browser,
    csrf_of,
    log_in,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

OTHER = "globex.example.com"
SUPERVISOR = ("sonia@acme.example.com", "supervisor-pw-1")
GOOD: dict[str, Any] = {
    "start": "intro",
    "pages": [
        {"id": "intro", "title": "Hello", "text": "Hello {first_name}",
         "questions": [{"id": "interested", "label": "Interested?", "type": "yesno",
                        "branches": {"yes": "offer", "no": "bye"}}]},
        {"id": "offer", "title": "Offer", "text": "Our offer", "next": "bye"},
        {"id": "bye", "title": "Goodbye", "text": "Thanks {name}"},
    ],
    "objections": [{"id": "price", "label": "Too expensive", "rebuttal": "It pays for itself"}],
}  # fmt: skip


def dangling() -> dict[str, Any]:
    broken = copy.deepcopy(GOOD)
    broken["pages"][0]["questions"][0]["branches"]["no"] = "byebye"
    return broken


DANGLING_MESSAGE = (
    "page 'intro', question 'interested': the answer 'no' branches to 'byebye', which is not "
    "a page of the script"
)


async def seed(url: str) -> dict[str, int]:
    """Acme: a supervisor and a campaign; globex: a script "Globex secret" of its own."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await user_service.create_user(acme, name="Sonia", email=SUPERVISOR[0],
                                           role=UserRole.SUPERVISOR.value, password=SUPERVISOR[1])  # fmt: skip
            campaign = await create_campaign(acme, name="Spring", method="preview")
            tenant = await tenant_service.create_tenant(
                session, now=now, name="Globex AG", domain=OTHER, extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            script = await script_service.create_script(globex, name="Globex secret",
                                                        definition=GOOD, now=now)  # fmt: skip
            return {"script": script.id, "campaign": campaign.id}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return await script_service.list_scripts(scope)
    finally:
        await database.dispose()


def scripts(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/scripts")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_refused_input_binding_and_another_tenants_scripts(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/scripts")
        assert listing.status_code == 200
        assert "Globex secret" not in listing.text
        token = csrf_of(listing.text)
        unknown = copy.deepcopy(GOOD)
        unknown["pages"][2]["text"] = "Thanks {city}"
        for fields, shown in (
            ({"definition": json.dumps(dangling())}, DANGLING_MESSAGE),
            ({"definition": json.dumps(unknown)}, "text uses unknown field(s) {city}"),
            ({"definition": "{not json"}, "The definition is not valid JSON"),
            ({"definition": "[]"}, "The definition is not valid JSON"),
            ({"name": " "}, "Invalid name"),
        ):
            data = {"csrf": token, "name": "Spring", "definition": json.dumps(GOOD), **fields}
            answer = admin.post("/tenant/scripts", data=data)
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in html.unescape(answer.text), fields
        assert scripts(admin) == []
        made = admin.post("/tenant/scripts", data={"csrf": token, "name": "Spring",
                                                   "definition": json.dumps(GOOD)})  # fmt: skip
        assert "Script Spring created." in made.text
        again = admin.post("/tenant/scripts", data={"csrf": token, "name": "Spring",
                                                    "definition": json.dumps(GOOD)})  # fmt: skip
        assert "Name already used" in again.text
        (own,) = scripts(admin)
        assert own["definition"] == GOOD
        # the edit page: a refused save keeps the text as typed and the stored script as it was
        path = f"/tenant/scripts/{own['id']}"
        refused = admin.post(path, data={"csrf": token, "name": "Spring",
                                         "definition": json.dumps(dangling())})  # fmt: skip
        assert "The script was not saved: 1 problem(s)" in refused.text
        assert DANGLING_MESSAGE in html.unescape(refused.text)
        assert "byebye" in refused.text
        assert scripts(admin)[0]["definition"] == GOOD
        # bound to the campaign, then unbound
        bound = admin.post(f"{path}/campaigns",
                           data={"csrf": token, "campaign_id": str(ids["campaign"]), "use": "1"})  # fmt: skip
        assert "The campaign uses this script now." in bound.text
        assert scripts(admin)[0]["campaigns"] == [ids["campaign"]]
        unbound = admin.post(f"{path}/campaigns",
                             data={"csrf": token, "campaign_id": str(ids["campaign"]), "use": "0"})  # fmt: skip
        assert "The campaign no longer uses this script." in unbound.text
        assert scripts(admin)[0]["campaigns"] == []

        # another tenant's script: 404 for every page and form, and left as it was
        other = f"/tenant/scripts/{ids['script']}"
        assert admin.get(other).status_code == 404
        for action in ("", "/campaigns", "/delete"):
            posted = admin.post(f"{other}{action}", data={"csrf": token, "name": "Mine",
                                                          "definition": "{}",
                                                          "campaign_id": str(ids["campaign"])})  # fmt: skip
            assert posted.status_code == 404, action
        forged = admin.post("/tenant/scripts", data={"name": "Forged", "definition": "{}"})
        assert forged.status_code == 400
        deleted = admin.post(f"{path}/delete", data={"csrf": token})
        assert "Script Spring deleted." in deleted.text
        assert scripts(admin) == []
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, *SUPERVISOR) as supervisor:
        page = supervisor.get("/tenant/scripts")
        assert page.status_code == 200
        assert 'href="/tenant/scripts"' in page.text  # in the supervisor's navigation
        token = csrf_of(page.text)
        made = supervisor.post("/tenant/scripts", data={"csrf": token, "name": "Sonia's",
                                                        "definition": json.dumps(GOOD)})  # fmt: skip
        assert "created." in made.text
        assert "Globex secret" not in made.text
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/scripts").status_code == 403
        assert user.post("/tenant/scripts", data={}).status_code == 403


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("scripts.")}
    assert len(own) > 20
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/scripts").text)
        for language in LANGUAGES:
            shown = admin.get(f"/tenant/scripts?lang={language}")
            assert shown.status_code == 200
            assert raw_keys(shown.text, ("scripts", "common", "nav")) == [], language
            refused = admin.post(f"/tenant/scripts?lang={language}", data={
                "csrf": token, "name": "X", "definition": "nope"})  # fmt: skip
            assert 'class="flash error"' in refused.text
            assert raw_keys(refused.text, ("scripts", "error")) == [], language
        assert (
            "Gesprächsleitfäden von acme.example.com" in admin.get("/tenant/scripts?lang=de").text
        )


@SQLITE
def test_admin_fixes_a_dangling_branch_and_saves(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/scripts"]')
    expect(page.locator("h1")).to_have_text("Call scripts of acme.example.com")
    form = page.locator("#add-script")
    form.locator("input[name=name]").fill("Spring offer")
    form.locator("#script-advanced summary").click()  # the JSON is folded under "Advanced"
    area = form.locator("textarea[name=definition]")
    # typed with a dangling branch: the live check names it before any save
    area.fill(json.dumps(dangling(), indent=2))
    problem = page.locator('#script-problems li[data-error="script-branch-dangling"]')
    expect(problem).to_have_text(DANGLING_MESSAGE)
    # saved anyway: refused, the problem listed, the text kept as typed
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("The script was not saved")
    expect(page.locator("#script-problems li")).to_have_text([DANGLING_MESSAGE])
    expect(page.locator("#add-script textarea[name=definition]")).to_have_value(
        json.dumps(dangling(), indent=2)
    )
    with logged_in(base, *ADMIN) as api:
        assert scripts(api) == []
        # fixed: the live check is satisfied, and the save goes through
        page.locator("#add-script #script-advanced summary").click()
        page.locator("#add-script textarea[name=definition]").fill(json.dumps(GOOD, indent=2))
        expect(page.locator("#script-problems p.valid")).to_have_text("No problem found.")
        page.locator("#add-script button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Script Spring offer created.")
        (saved,) = scripts(api)
        assert (saved["name"], saved["definition"]) == ("Spring offer", GOOD)
        # the editor of the saved script checks live too
        page.click(f'#scripts tr[data-script-id="{saved["id"]}"] a')
        expect(page.locator("h1")).to_have_text("Script Spring offer")
        # the form shows the saved script: its three pages, the yes/no question's branches
        expect(page.locator("#script-form fieldset.sf-page")).to_have_count(3)
        rows = page.locator('#script-form fieldset[data-question="interested"] .sf-option-row')
        expect(rows.locator("select.sf-goto").nth(0)).to_have_value("offer")
        expect(rows.locator("select.sf-goto").nth(1)).to_have_value("bye")
        page.locator("#edit-script #script-advanced summary").click()
        page.locator("#edit-script textarea[name=definition]").fill('{"start": "x"}')
        expect(
            page.locator('#script-problems li[data-error="script-pages-missing"]')
        ).to_have_count(1)
    page.close()


# What the form builds below, read back through the API.
BUILT: dict[str, Any] = {
    "start": "intro",
    "pages": [
        {"id": "intro", "title": "Hello", "text": "Hello {first_name}!",
         "questions": [{"id": "interest", "label": "Interested?", "type": "choice",
                        "options": ["yes", "later"], "branches": {"yes": "offer"}}],
         "next": "offer"},
        {"id": "offer", "title": "Offer", "text": "Our offer"},
    ],
    "objections": [{"id": "price", "label": "Too expensive", "rebuttal": "It pays for itself"}],
}  # fmt: skip


@SQLITE
def test_admin_builds_a_script_with_the_form_only(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.goto(f"{base}/tenant/scripts")
    form = page.locator("#add-script")
    form.locator("input[name=name]").fill("Form built")
    editor = form.locator("#script-form")
    expect(editor.locator("fieldset.sf-page")).to_have_count(3)  # the starter script
    expect(form.locator("textarea[name=definition]")).to_be_hidden()  # folded under "Advanced"
    # start empty: the starter's pages and objection removed with the form's buttons
    for left in (2, 1, 0):
        editor.locator("fieldset.sf-page").first.locator(":scope > .sf-tools .sf-remove").click()
        expect(editor.locator("fieldset.sf-page")).to_have_count(left)
    editor.locator("fieldset.sf-objection .sf-remove").click()
    for _ in range(3):
        editor.locator("button.sf-add_page").click()
    pages = editor.locator("fieldset.sf-page")
    expect(pages).to_have_count(3)

    def name_page(index: int, page_id: str, title: str, text: str) -> None:
        box = pages.nth(index)
        box.locator(".sf-page-id").fill(page_id)
        box.locator(".sf-page-id").blur()
        box.locator(".sf-page-title").fill(title)
        box.locator(".sf-page-text").fill(text)

    name_page(0, "intro", "Hello", "Hello ")
    intro = editor.locator('fieldset.sf-page[data-page="intro"]')
    intro.locator('.sf-chips button[data-field="first_name"]').click()  # inserts {first_name}
    intro.locator(".sf-page-text").press("End")
    intro.locator(".sf-page-text").type("!")
    expect(intro.locator(".sf-page-text")).to_have_value("Hello {first_name}!")
    name_page(1, "offer", "Offer", "Our offer")
    name_page(2, "extra", "Extra", "")
    expect(editor.locator("select.sf-start")).to_have_value("intro")  # the starter's, a page again
    # a choice question with two answers, each with its "go to page"
    intro.locator("button.sf-add_question").click()
    question = intro.locator("fieldset.sf-question").first
    question.locator(".sf-question-id").fill("interest")
    question.locator(".sf-question-label").fill("Interested?")
    question.locator("select.sf-type").select_option("choice")
    question = intro.locator('fieldset.sf-question[data-question="interest"]')
    question.locator(".sf-option").nth(0).fill("yes")
    question.locator("button.sf-add_option").click()
    question.locator(".sf-option").nth(1).fill("later")
    question.locator("select.sf-goto").nth(0).select_option("offer")
    question.locator("select.sf-goto").nth(1).select_option("extra")
    intro.locator("select.sf-next").select_option("offer")
    # pages reorder (the start stays the start page, whatever its place)
    intro.locator(":scope > .sf-tools .sf-down").click()
    order = "els => els.map(e => e.dataset.page)"
    assert editor.locator("fieldset.sf-page").evaluate_all(order) == ["offer", "intro", "extra"]
    intro = editor.locator('fieldset.sf-page[data-page="intro"]')
    intro.locator(":scope > .sf-tools .sf-up").click()
    assert editor.locator("fieldset.sf-page").evaluate_all(order) == ["intro", "offer", "extra"]
    intro = editor.locator('fieldset.sf-page[data-page="intro"]')
    question = intro.locator('fieldset.sf-question[data-question="interest"]')
    # a page renamed: the links to it follow it
    offer_id = pages.nth(1).locator(".sf-page-id")
    offer_id.fill("pitch")
    offer_id.blur()
    expect(question.locator("select.sf-goto").nth(0)).to_have_value("pitch")
    expect(intro.locator("select.sf-next")).to_have_value("pitch")
    offer_id.fill("offer")
    offer_id.blur()
    expect(intro.locator("select.sf-next")).to_have_value("offer")
    editor.locator("button.sf-add_objection").click()
    objection = editor.locator("fieldset.sf-objection")
    objection.locator(".sf-objection-id").fill("price")
    objection.locator(".sf-objection-label").fill("Too expensive")
    objection.locator(".sf-objection-rebuttal").fill("It pays for itself")
    expect(page.locator("#script-problems p.valid")).to_have_text("No problem found.")
    # the page the branch leads to is deleted: the dangling branch is shown on its question
    editor.locator('fieldset.sf-page[data-page="extra"] > .sf-tools .sf-remove').click()
    dangling_here = question.locator('.sf-problems li[data-error="script-branch-dangling"]')
    expect(dangling_here).to_have_text(
        "page 'intro', question 'interest': the answer 'later' branches to 'extra', which is "
        "not a page of the script"
    )
    expect(question).to_have_class(re.compile(r"\binvalid\b"))
    expect(question.locator("select.sf-goto").nth(1)).to_have_value("extra")  # kept, marked
    expect(editor.locator('fieldset.sf-page[data-page="offer"] .sf-problems')).to_have_count(0)
    # saved anyway: refused with the message, nothing stored
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("The script was not saved")
    expect(page.locator('#script-problems li[data-error="script-branch-dangling"]')).to_have_count(
        1
    )
    with logged_in(base, *ADMIN) as api:
        assert scripts(api) == []
        # the refused text comes back into the form: fixed there ("later" follows the page's next)
        question = page.locator('#script-form fieldset.sf-question[data-question="interest"]')
        expect(question.locator(".sf-problems li")).to_have_count(1)
        question.locator("select.sf-goto").nth(1).select_option("")
        expect(question.locator(".sf-problems")).to_have_count(0)
        expect(page.locator("#script-problems p.valid")).to_have_text("No problem found.")
        page.locator("#add-script button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Script Form built created.")
        (saved,) = scripts(api)
        answer = api.get(f"/api/v1/scripts/{saved['id']}")
        assert answer.status_code == 200, answer.text
        assert answer.json()["definition"] == BUILT
    page.close()
    # a phone-size screen: the form fits the width (its rows wrap), nothing scrolls sideways
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, base)
    phone.goto(f"{base}/tenant/scripts")
    editor = phone.locator("#script-form")
    expect(editor.locator("fieldset.sf-page")).to_have_count(3)
    fits = editor.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert fits is True
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    phone.close()
