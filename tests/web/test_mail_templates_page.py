"""The mail templates page (`/tenant/mail-templates`): a template naming a field the leads do
not have is refused with the unknown names and changes nothing, another tenant's templates,
letters and campaigns are out of reach (404, never shown), a plain user is refused, every
language is translated; then in Chromium a tenant admin creates a template with an unknown
field, reads the message, fixes it and saves, sets the campaign's sender and uploads a Word
letter, each step checked through the REST API.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import docx
import httpx
import pytest
from playwright.sync_api import Browser, expect

from centrex.contact_center import campaigns
from centrex.contact_center import mail_merge as letters
from centrex.contact_center import mail_templates as service
from centrex.data.db import Database
from centrex.data.models import Lead, LeadBatch, UserRole
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.provisioning.storage import MediaStore
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
PAGE = "/tenant/mail-templates"


def make_docx(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def _campaign_with_lead(scope: TenantScope, name: str, agent: str, company: str) -> int:
    made = await campaigns.create_campaign(scope, name=name, method="preview", agents=[agent])
    batch = scope.add(LeadBatch(campaign_id=made.id))
    await scope.session.flush()
    scope.add(Lead(campaign_id=made.id, batch_id=batch.id, number="+41445550100",
                   name="Zoé Martin", custom={"company": company}))  # fmt: skip
    await scope.session.flush()
    return made.id


async def seed(url: str, data_dir: Path) -> dict[str, int]:
    """Acme's campaign "Spring" with a lead that has a company; a second tenant, globex, with a
    campaign, a mail template "Globex secret" and a letter template "Globex letter"."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            spring = await _campaign_with_lead(acme, "Spring", "202", "Acme")
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await user_service.create_user(globex, name="Gina", email="admin@globex.example.com",
                                           role=UserRole.TENANT_ADMIN.value,
                                           password="globex-admin-pw-1")  # fmt: skip
            await extension_service.create_extension(globex, number="301", voicemail=False)
            campaign = await _campaign_with_lead(globex, "Globex drive", "301", "Globex")
            template = await service.create_template(
                globex, name="Globex secret", subject="Globex {company}", body="Hi {name}",
                campaign_id=campaign, now=datetime.now(UTC),
            )  # fmt: skip
            letter = await letters.upload_document(
                globex, MediaStore(data_dir),
                make_docx("Dear {{ name }}"), name="Globex letter", filename="g.docx",
                campaign_id=campaign,
            )  # fmt: skip
            return {"spring": spring, "campaign": campaign, "template": template.id,
                    "letter": letter.id}  # fmt: skip
    finally:
        await database.dispose()


async def other_tenant(url: str) -> list[tuple[str, str, str]]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            rows = [(t.name, t.subject, t.body) for t in await service.list_templates(scope)]
            rows += [(d.name, d.filename, d.path) for d in await letters.list_documents(scope)]
            settings = await service.mail_settings(
                scope, (await campaigns.list_campaigns(scope))[0].id
            )
            rows.append(("sender", settings["sender_address"], ""))
            return rows
    finally:
        await database.dispose()


def templates(api: httpx.Client) -> list[tuple[str, str, str, int | None]]:
    answer = api.get("/api/v1/mail-templates")
    assert answer.status_code == 200, answer.text
    return [(t["name"], t["subject"], t["body"], t["campaign_id"]) for t in answer.json()["items"]]


def test_refused_input_and_another_tenants_templates(
    portal_server: PortalServer, database_url: str, tmp_path: Path
) -> None:
    ids = run(portal_server, seed(database_url, tmp_path))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get(PAGE)
        assert listing.status_code == 200
        assert "Globex" not in listing.text
        token = csrf_of(listing.text)
        spring = str(ids["spring"])
        for fields, shown in (
            ({"body": "Hi {first_name} of {compnay}, {citty}"}, "Unknown fields: "),
            ({"subject": "{nope}"}, "Unknown fields: "),
            ({"name": "  "}, "Invalid input"),
            ({"campaign_id": "x"}, "choose a campaign"),
        ):
            data = {"csrf": token, "name": "Welcome", "subject": "For {company}",
                    "body": "Hello {first_name}", "campaign_id": spring, **fields}  # fmt: skip
            answer = admin.post(PAGE, data=data)
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in answer.text, (fields, answer.text)
        assert "compnay, citty" in admin.post(PAGE, data={
            "csrf": token, "name": "W", "subject": "S", "body": "{compnay} {citty}",
            "campaign_id": spring}).text  # fmt: skip
        kept = admin.post(PAGE, data={"csrf": token, "name": "Kept", "subject": "S",
                                      "body": "Typed {zzz}", "campaign_id": spring})  # fmt: skip
        assert "Typed {zzz}</textarea>" in kept.text  # what was typed is shown again
        assert templates(admin) == []

        # another tenant's template, letter and campaign: 404 for every form, never shown
        other = ids["template"]
        assert admin.get(f"{PAGE}?edit={other}").status_code == 404
        assert admin.post(f"{PAGE}/{other}", data={"csrf": token, "name": "Mine", "subject": "S",
                                                  "body": "B"}).status_code == 404  # fmt: skip
        assert admin.post(f"{PAGE}/{other}/delete", data={"csrf": token}).status_code == 404
        assert admin.post(f"{PAGE}/letters/{ids['letter']}/delete",
                          data={"csrf": token}).status_code == 404  # fmt: skip
        assert admin.post(f"{PAGE}/senders/{ids['campaign']}", data={
            "csrf": token, "sender_address": "me@acme.example.com"}).status_code == 404  # fmt: skip
        stolen = admin.post(f"{PAGE}/letters", data={"csrf": token, "name": "Steal",
                                                     "campaign_id": str(ids["campaign"])},
                            files={"file": ("s.docx", make_docx("x"), letters.DOCX_TYPE)})  # fmt: skip
        assert stolen.status_code == 200, stolen.text
        assert 'class="flash error"' in stolen.text
        forged = admin.post(PAGE, data={"name": "F", "subject": "S", "body": "B"})
        assert forged.status_code == 400
        assert templates(admin) == []
        assert admin.get("/api/v1/document-templates").json()["total"] == 0
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get(PAGE).status_code == 403
        assert user.post(f"{PAGE}/{other}/delete", data={}).status_code == 403


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url, tmp_path))
    own = {k for k in catalog("en") if k.startswith("mail_templates.")}
    assert len(own) > 30
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get(PAGE).text)
        for language in LANGUAGES:
            shown = admin.get(f"{PAGE}?lang={language}")
            assert shown.status_code == 200
            assert raw_keys(shown.text, ("mail_templates", "common", "nav")) == [], language
            refused = admin.post(f"{PAGE}?lang={language}", data={
                "csrf": token, "name": "x", "subject": "y", "body": "{zzz}"})  # fmt: skip
            assert 'class="flash error"' in refused.text
            assert raw_keys(refused.text, ("mail_templates", "error")) == [], language
        assert "Champs inconnus : " in admin.post(f"{PAGE}?lang=fr", data={
            "csrf": token, "name": "x", "subject": "y", "body": "{zzz}"}).text  # fmt: skip
        assert "E-Mails und Briefe von acme.example.com" in admin.get(f"{PAGE}?lang=de").text


@SQLITE
def test_admin_fixes_an_unknown_field_sets_the_sender_and_uploads_a_letter(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    ids = run(portal_server, seed(database_url, tmp_path))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click(f'header nav a[href="{PAGE}"]')
    expect(page.locator("h1")).to_have_text("E-mails and letters of acme.example.com")

    form = page.locator("#mail-template-form")
    form.locator("input[name=name]").fill("Welcome")
    form.locator("select[name=campaign_id]").select_option(label="Spring")
    form.locator("input[name=subject]").fill("An offer for {company}")
    form.locator("textarea[name=body]").fill("Hello {first_name},\nfrom {compnay}")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("Unknown fields: ")
    expect(page.locator(".flash.error")).to_contain_text("compnay")
    expect(form.locator("textarea[name=body]")).to_have_value("Hello {first_name},\nfrom {compnay}")
    with logged_in(base, *ADMIN) as api:
        assert templates(api) == []

        form.locator("textarea[name=body]").fill("Hello {first_name},\nfrom {company}")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("E-mail template Welcome created.")
        made = ("Welcome", "An offer for {company}", "Hello {first_name},\nfrom {company}",
                ids["spring"])  # fmt: skip
        assert templates(api) == [made]

        # edit: the stored values fill the form, saved in place
        page.locator('tr[data-name="Welcome"] a.edit').click()
        expect(form.locator("input[name=subject]")).to_have_value("An offer for {company}")
        form.locator("input[name=subject]").fill("Our offer for {company}")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("E-mail template Welcome saved.")
        assert templates(api)[0][1] == "Our offer for {company}"

        sender = page.locator(f'tr[data-campaign-id="{ids["spring"]}"] form.sender')
        sender.locator("input[name=sender_name]").fill("Spring Team")
        sender.locator("input[name=sender_address]").fill("spring@acme.example.com")
        sender.locator("button").click()
        expect(page.locator(".flash")).to_have_text("Sender spring@acme.example.com saved.")
        shown = api.get(f"/api/v1/campaigns/{ids['spring']}/mail-settings").json()
        assert (shown["sender_address"], shown["sender_name"]) == (
            "spring@acme.example.com", "Spring Team")  # fmt: skip

        letter = page.locator("#letter-form")
        letter.locator("input[name=name]").fill("Welcome letter")
        letter.locator("input[type=file]").set_input_files({
            "name": "welcome.docx", "mimeType": letters.DOCX_TYPE,
            "buffer": make_docx("Dear {{ first_name }} of {{ company }}")})  # fmt: skip
        letter.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Letter template Welcome letter uploaded.")
        listed = api.get("/api/v1/document-templates").json()["items"]
        assert [(d["name"], d["fields"]) for d in listed] == [
            ("Welcome letter", ["company", "first_name"])]  # fmt: skip

        page.locator('tr[data-name="Welcome"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("E-mail template Welcome deleted.")
        assert templates(api) == []

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}{PAGE}?lang=fr")
    expect(phone.locator("h1")).to_have_text("E-mails et courriers de acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()


AGENT = ("alma@acme.example.com", "alma-agent-pw-1")


async def seed_agent(url: str, data_dir: Path) -> dict[str, int]:
    """Agent Alma (extension 203) of campaign "Autumn", whose lead Zoé has an e-mail address
    and a company; the campaign has a sender, a mail template and a letter template."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            alma = await user_service.create_user(acme, name="Alma Agent", email=AGENT[0],
                                                  role=UserRole.AGENT.value, password=AGENT[1])  # fmt: skip
            await extension_service.create_extension(acme, number="203", user_id=alma.id,
                                                     voicemail=False)  # fmt: skip
            made = await campaigns.create_campaign(acme, name="Autumn", method="preview",
                                                   agents=["203"])  # fmt: skip
            batch = acme.add(LeadBatch(campaign_id=made.id))
            await acme.session.flush()
            lead = acme.add(Lead(campaign_id=made.id, batch_id=batch.id, number="+41445550177",
                                 name="Zoé Martin",
                                 custom={"company": "Zoe Garden", "email": "zoe@lead.test"}))  # fmt: skip
            await acme.session.flush()
            await service.set_mail_settings(acme, made.id, sender_address="autumn@acme.example.com",
                                            sender_name="Autumn Team")  # fmt: skip
            await service.create_template(acme, name="Offer", subject="Offer for {company}",
                                          body="Hello {first_name}", campaign_id=made.id,
                                          now=now)  # fmt: skip
            letter = await letters.upload_document(
                acme, MediaStore(data_dir), make_docx("Dear {{ first_name }} of {{ company }}"),
                name="Welcome letter", filename="welcome.docx", campaign_id=made.id,
            )  # fmt: skip
            return {"campaign": made.id, "lead": lead.id, "letter": letter.id}
    finally:
        await database.dispose()


@SQLITE
def test_the_agent_panel_previews_a_mail_and_downloads_the_letter(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = run(portal_server, seed_agent(database_url, tmp_path))
    monkeypatch.setattr(
        "centrex.contact_center.mail_merge.shutil.which", lambda name: None
    )  # no LibreOffice, for sure
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768},
                               accept_downloads=True).new_page()  # fmt: skip
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    expect(page.locator("#agent-mail[data-ready=true]")).to_have_count(1)
    # the desktop's screen pop announces the lead to the panels
    page.evaluate("""(lead) => window.dispatchEvent(new CustomEvent("centrex:lead", {detail: {
        lead_id: lead.lead, campaign_id: lead.campaign, extension: "203", call_id: "c1"}}))""",
                  ids)  # fmt: skip
    panel = page.locator("#agent-mail")
    expect(panel.locator("h2")).to_have_text("E-mail and letters")
    expect(panel.locator("select[name=mail_template] option")).to_have_text(["Offer"])
    panel.locator("button.mail-preview-button").click()
    expect(panel.locator(".mail-subject")).to_have_text("Offer for Zoe Garden")
    expect(panel.locator(".mail-from")).to_have_text("Autumn Team <autumn@acme.example.com>")
    expect(panel.locator(".mail-body")).to_have_text("Hello Zoé")
    # this portal server has no mailer: the agent is told, nothing pretends to be sent
    panel.locator("button.mail-send").click()
    expect(panel.locator(".mail-note")).to_contain_text("started without a mailer")

    expect(panel.locator("select[name=letter_template] option")).to_have_text(["Welcome letter"])
    with page.expect_download() as info:
        panel.locator("button.letter-docx").click()
    saved = tmp_path / "got.docx"
    info.value.save_as(saved)
    assert info.value.suggested_filename == f"welcome-{ids['lead']}.docx"
    paragraphs = [p.text for p in docx.Document(str(saved)).paragraphs]
    assert paragraphs == ["Dear Zoé of Zoe Garden"]
    panel.locator("button.letter-pdf").click()
    expect(panel.locator(".mail-note")).to_contain_text("libreoffice-writer")
    page.close()
