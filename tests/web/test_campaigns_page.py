"""The campaign pages: in Chromium a tenant admin creates a campaign, imports a CSV with one
bad line and reads the report, is told that a campaign without agents cannot start, assigns
an agent, starts and pauses it, rolls the batch back and blocks a number on the DNC page, each
step checked through the REST API. Without a browser, on both databases: refused input says
why and changes nothing, another tenant's campaign, batch and DNC entry are 404 for every form
and stay as they were, and the pages have no untranslated key in any language.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center import dnc as dnc_service
from centrex.contact_center import leads as lead_service
from centrex.contact_center.lead_import import import_leads
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM
from tests.web.test_switchboard_page import logged_in

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
ADMIN = ("admin@acme.example.com", ADMIN_PASSWORD)
SUPERVISOR = ("sue@acme.example.com", "supervisor-pw-1")
OTHER = "globex.example.com"
T = TypeVar("T")

# header, Alice, a bad line (3), Alice again (a duplicate), Carla
LEADS_CSV = (
    b"phone,name,postal_code\n"
    b"+41215550101,Alice,1003\n"
    b"not a number,Bob,1004\n"
    b"+41215550101,Alice again,1003\n"
    b"+41215550102,Carla,1201\n"
)


def run(server: PortalServer, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on the server's loop (Playwright's sync API owns this thread's loop)."""
    return asyncio.run_coroutine_threadsafe(work, server.loop).result(timeout=30)


async def seed(url: str) -> dict[str, int]:
    """Acme gets a supervisor; a second tenant, globex, gets an extension 301, a campaign with one imported batch and a
    DNC entry of its own (acme has no 301)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await user_service.create_user(acme, name="Sue", email="sue@acme.example.com",
                                           role=UserRole.SUPERVISOR.value,
                                           password=SUPERVISOR[1])  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await user_service.create_user(globex, name="Gina", email="admin@globex.example.com",
                                           role=UserRole.TENANT_ADMIN.value,
                                           password="globex-admin-pw-1")  # fmt: skip
            await extension_service.create_extension(globex, number="301", name="Gustav",
                                                     password="sip-pw-301-x")  # fmt: skip
            campaign = await campaign_service.create_campaign(
                globex, name="Globex sales", method="progressive", agents=["301"]
            )
            result = await import_leads(globex, campaign, LEADS_CSV, now=datetime.now(UTC),
                                        filename="globex.csv")  # fmt: skip
            await dnc_service.add_number(globex, "+41215550999", None, "globex")
            [entry] = await dnc_service.list_entries(globex)
            return {"campaign": campaign.id, "batch": result.batch, "dnc": entry["id"]}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> dict[str, Any]:
    """Globex's campaigns, batches and DNC list as its own services see them now."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return {
                "campaigns": [await campaign_service.campaign_dict(scope, c)
                              for c in await campaign_service.list_campaigns(scope)],
                "batches": [lead_service.batch_dict(b)
                            for b in await lead_service.list_batches(scope)],
                "dnc": await dnc_service.list_entries(scope),
            }  # fmt: skip
    finally:
        await database.dispose()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def raw_keys(html: str, prefixes: tuple[str, ...]) -> list[str]:
    """Catalog keys shown as such: a translation missing in every catalog."""
    text = re.sub(r"<[^>]+>", " ", html)
    return re.findall(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + r")\.[a-z_]+", text)


def campaigns(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/campaigns")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def batches(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/leads/batches")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def dnc_numbers(api: httpx.Client) -> list[str]:
    answer = api.get("/api/v1/dnc")
    assert answer.status_code == 200
    return [e["number"] for e in answer.json()["items"]]


def new_campaign(csrf: str, **changes: str) -> dict[str, str]:
    form = {"csrf": csrf, "name": "Spring", "method": "progressive", "ratio": "1",
            "drop_pct": "3", "caller_id": "local", "window": "09:00-20:00",
            "calling_days": "mon-sun", "legal_rules": "on", "max_attempts": "3",
            "priority": "0", "agents": "", "groups": ""}  # fmt: skip
    return {**form, **changes}


def test_refused_input_and_another_tenants_campaigns(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/campaigns")
        assert listing.status_code == 200
        assert "Globex sales" not in listing.text  # nothing of globex shown
        token = csrf_of(listing.text)
        for changes, shown in (
            ({"ratio": "lots"}, "The ratio must be a number from 1 to 5"),
            ({"agents": "301"}, "Unknown agent extension"),  # globex's extension
            ({"groups": "800"}, "Unknown agent group"),
            ({"window": "25:00-26:00"}, "The calling window is not valid"),
            ({"drop_pct": "80"}, "The drop target must be above 0 %"),
            ({"caller_id": "+41215559999"}, "The caller ID must be local or one of your"),
            ({"name": ""}, "The name is not valid"),
        ):
            answer = admin.post("/tenant/campaigns", data=new_campaign(token, **changes))
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, changes
            assert shown in answer.text, changes
        assert campaigns(admin) == []

        # a campaign of acme without agents: starting it is refused, it stays a draft
        admin.post("/tenant/campaigns", data=new_campaign(token))
        [own] = campaigns(admin)
        refused = admin.post(f"/tenant/campaigns/{own['id']}/start", data={"csrf": token})
        assert "The campaign has no agents" in refused.text
        assert campaigns(admin) == [own]
        bad_file = admin.post(f"/tenant/campaigns/{own['id']}/import", data={"csrf": token},
                              files={"file": ("x.csv", b"name\nBob\n", "text/csv")})  # fmt: skip
        assert "The file&#39;s columns are not usable" in bad_file.text
        assert batches(admin) == []

        # another tenant's campaign, batch and DNC entry: 404 everywhere, nothing changed
        other = ids["campaign"]
        assert admin.get(f"/tenant/campaigns/{other}").status_code == 404
        for path, data in (
            (f"/tenant/campaigns/{other}", new_campaign(token, name="Taken")),
            (f"/tenant/campaigns/{other}/start", {"csrf": token}),
            (f"/tenant/campaigns/{other}/pause", {"csrf": token}),
            (f"/tenant/campaigns/{other}/stop", {"csrf": token}),
            (f"/tenant/campaigns/{other}/delete", {"csrf": token}),
            (f"/tenant/campaigns/{other}/focus", {"csrf": token, "postal_codes": "10"}),
            (f"/tenant/campaigns/{other}/batches/{ids['batch']}/rollback", {"csrf": token}),
            (f"/tenant/campaigns/{own['id']}/batches/{ids['batch']}/rollback", {"csrf": token}),
            (f"/tenant/dnc/{ids['dnc']}/delete", {"csrf": token}),
        ):
            assert admin.post(path, data=data).status_code == 404, path
        upload = admin.post(f"/tenant/campaigns/{other}/import", data={"csrf": token},
                            files={"file": ("leads.csv", LEADS_CSV, "text/csv")})  # fmt: skip
        assert upload.status_code == 404
        assert "+41215550999" not in admin.get("/tenant/dnc").text
        # a form without the session's CSRF token changes nothing either
        forged = admin.post("/tenant/campaigns", data={"name": "Forged", "method": "preview"})
        assert forged.status_code == 400
        assert campaigns(admin) == [own]
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/campaigns").status_code == 403
        assert user.get("/tenant/dnc").status_code == 403
    with logged_in(portal_server.base_url, *SUPERVISOR) as supervisor:  # runs campaigns too
        shown = supervisor.get("/tenant/campaigns")
        assert shown.status_code == 200
        stopped = supervisor.post(f"/tenant/campaigns/{own['id']}/stop",
                                  data={"csrf": csrf_of(shown.text)})  # fmt: skip
        assert "The campaign has no agents" not in stopped.text
        assert "Campaign Spring is now stopped." in stopped.text
        again = supervisor.post(f"/tenant/campaigns/{own['id']}/pause",
                                data={"csrf": csrf_of(shown.text)})  # fmt: skip
        assert "Not possible in this status" in again.text
        assert supervisor.get("/tenant/dnc").status_code == 200
        assert supervisor.get(f"/tenant/campaigns/{other}").status_code == 404
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        assert [c["status"] for c in campaigns(admin)] == ["stopped"]  # the API sees the stop
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/campaigns?tenant=acme.example.com")  # staff name the tenant
        assert shown.status_code == 200
        assert 'action="/tenant/campaigns?tenant=acme.example.com"' in shown.text
        assert "Globex sales" not in shown.text


def test_dnc_and_dispositions_refuse_bad_input(
    portal_server: PortalServer, database_url: str
) -> None:
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/dnc").text)
        refused = admin.post("/tenant/dnc", data={"csrf": token, "number": "hello"})
        assert "This is not a phone number" in refused.text
        assert dnc_numbers(admin) == []
        for code, shown in (("Bad Code!", "The code is not valid"),
                            ("sale", "System dispositions cannot be changed")):  # fmt: skip
            answer = admin.post("/tenant/dispositions",
                                data={"csrf": token, "code": code, "label": "X"})  # fmt: skip
            assert shown in answer.text
        removed = admin.post("/tenant/dispositions/sale/delete", data={"csrf": token})
        assert "System dispositions cannot be changed" in removed.text
        codes = [d["code"] for d in admin.get("/api/v1/dispositions").json()["items"]]
        assert "sale" in codes
        assert "bad-code" not in codes
        added = admin.post("/tenant/dispositions", data={"csrf": token, "code": "wants-brochure",
                                                        "label": "Wants a brochure"})  # fmt: skip
        assert "Disposition wants-brochure added." in added.text
        own = [d for d in admin.get("/api/v1/dispositions").json()["items"] if not d["system"]]
        assert own == [{"code": "wants-brochure", "label": "Wants a brochure", "final": False,
                        "system": False}]  # fmt: skip
        gone = admin.post("/tenant/dispositions/wants-brochure/delete", data={"csrf": token})
        assert "Disposition wants-brochure removed." in gone.text
        assert [d for d in admin.get("/api/v1/dispositions").json()["items"]
                if not d["system"]] == []  # fmt: skip


def test_the_pages_are_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    english = set(catalog("en"))
    own = {k for k in english if k.startswith(("campaigns.", "dnc."))}
    assert len(own) > 100
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/campaigns").text)
        admin.post("/tenant/campaigns", data=new_campaign(token))
        [campaign] = campaigns(admin)
        admin.post(f"/tenant/campaigns/{campaign['id']}/import", data={"csrf": token},
                   files={"file": ("leads.csv", LEADS_CSV, "text/csv")})  # fmt: skip
        prefixes = ("campaigns", "dnc", "common", "nav", "error")
        for language in LANGUAGES:
            for path in ("/tenant/campaigns", f"/tenant/campaigns/{campaign['id']}",
                         "/tenant/dnc"):  # fmt: skip
                shown = admin.get(f"{path}?lang={language}")
                assert shown.status_code == 200
                assert raw_keys(shown.text, prefixes) == [], (language, path)
            refused = admin.post(f"/tenant/campaigns/{campaign['id']}/start?lang={language}",
                                 data={"csrf": token})  # fmt: skip
            assert raw_keys(refused.text, prefixes) == [], language
            report = admin.post(f"/tenant/campaigns/{campaign['id']}/import?lang={language}",
                                data={"csrf": token},
                                files={"file": ("l.csv", LEADS_CSV, "text/csv")})  # fmt: skip
            assert raw_keys(report.text, prefixes) == [], language
        assert "Kampagne Spring" in admin.get(f"/tenant/campaigns/{campaign['id']}?lang=de").text
        refused = admin.post(f"/tenant/campaigns/{campaign['id']}/start?lang=fr",
                             data={"csrf": token})  # fmt: skip
        assert "La campagne n&#39;a pas d&#39;agents" in refused.text


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test: Playwright's sync API runs a loop in this thread while it lives, and the
    PostgreSQL fixtures of the tests without a browser need the thread free (asyncio.run)."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")


@SQLITE
def test_admin_runs_a_campaign_through_the_pages(
    portal_server: PortalServer, browser: Browser, database_url: str
) -> None:
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/campaigns"]')
    expect(page.locator("h1")).to_have_text("Campaigns of acme.example.com")

    form = page.locator("#create-campaign")
    form.locator("input[name=name]").fill("Spring")
    form.locator("select[name=method]").select_option("ratio")
    form.locator("input[name=ratio]").fill("2.5")
    form.locator("input[name=drop_pct]").fill("2")
    form.locator("input[name=window]").fill("08:30-19:00")
    form.locator("input[name=calling_days]").fill("mon-fri")
    form.locator("input[name=amd]").check()
    form.locator("input[name=max_attempts]").fill("5")
    form.locator("input[name=priority]").fill("7")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("Campaign Spring created.")
    row = page.locator('tr[data-campaign="Spring"]')
    expect(row.locator(".status")).to_have_text("draft")

    with logged_in(base, *ADMIN) as api:
        [made] = campaigns(api)
        assert (made["method"], made["ratio"], made["drop_target"]) == ("ratio", 2.5, 0.02)
        assert (made["window"], made["calling_days"]) == ("08:30-19:00", "mon-fri")
        assert (made["amd"], made["legal_rules"], made["max_attempts"]) == (True, True, 5)
        assert (made["priority"], made["agents"], made["status"]) == (7, [], "draft")

        # without agents the campaign cannot start: the service's reason, nothing changed
        row.locator("form.start button").click()
        expect(page.locator(".flash.error")).to_contain_text("The campaign has no agents")
        assert campaigns(api)[0]["status"] == "draft"

        # the campaign's page: import a CSV with one bad line and a duplicate
        page.locator('tr[data-campaign="Spring"] a', has_text="Open").click()
        expect(page).to_have_url(f"{base}/tenant/campaigns/{made['id']}")
        page.set_input_files("#import-leads input[name=file]", files=[
            {"name": "leads.csv", "mimeType": "text/csv", "buffer": LEADS_CSV},
        ])  # fmt: skip
        page.locator("#import-leads button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("2 leads imported")
        report = page.locator("#import-report")
        expect(report.locator(".imported")).to_have_text("Imported: 2")
        expect(report.locator(".duplicates")).to_have_text("Duplicates: 1")
        expect(report.locator(".dnc")).to_have_text("Filtered by the do-not-call lists: 0")
        expect(report.locator("#rejected tbody tr")).to_have_count(1)
        expect(report.locator('#rejected tr[data-line="3"]')).to_contain_text("not a number")
        [batch] = batches(api)
        assert (batch["imported"], batch["rejected"], batch["duplicates"]) == (2, 1, 1)
        assert batch["campaign_id"] == made["id"]
        assert campaigns(api)[0]["leads"] == 2
        expect(page.locator("#explain .hints")).to_contain_text("draft")
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "campaign-detail.png"), full_page=True)

        # assign agent 202 on the settings form, focus on postal code 10, then start
        edit = page.locator("#edit-campaign")
        expect(edit.locator("input[name=ratio]")).to_have_value("2.5")
        edit.locator("input[name=agents]").fill("202")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Campaign Spring saved.")
        assert campaigns(api)[0]["agents"] == ["202"]
        page.locator("#focus input[name=postal_codes]").fill("10")
        page.locator("#focus button[type=submit]").first.click()
        expect(page.locator(".flash")).to_have_text("Focus set: 10.")
        assert campaigns(api)[0]["postal_focus"] == ["10"]
        page.locator("#focus button[name=clear]").click()
        expect(page.locator(".flash")).to_contain_text("Focus cleared")
        assert campaigns(api)[0]["postal_focus"] == []

        page.goto(f"{base}/tenant/campaigns")
        page.locator('tr[data-campaign="Spring"] form.start button').click()
        expect(page.locator(".flash")).to_have_text("Campaign Spring is now running.")
        expect(row.locator(".status")).to_have_text("running")
        assert campaigns(api)[0]["status"] == "running"
        expect(row.locator(".agents")).to_have_text("202")
        page.locator('tr[data-campaign="Spring"] form.pause button').click()
        expect(row.locator(".status")).to_have_text("paused")
        assert campaigns(api)[0]["status"] == "paused"

        # roll the batch back: its leads are gone
        page.goto(f"{base}/tenant/campaigns/{made['id']}")
        page.locator(f'#batches tr[data-batch="{batch["id"]}"] form.rollback button').click()
        expect(page.locator(".flash")).to_have_text(
            f"Batch {batch['id']} rolled back: 2 leads removed."
        )
        expect(page.locator("#batches tr[data-batch]")).to_have_count(0)
        assert batches(api) == []
        assert campaigns(api)[0]["leads"] == 0

        # block a number on the DNC page (typed in national form: stored in E.164)
        page.goto(f"{base}/tenant/campaigns")
        page.click('a[href="/tenant/dnc"]')
        page.locator("#add-dnc input[name=number]").fill("021 555 01 02")
        page.locator("#add-dnc input[name=note]").fill("asked by phone")
        page.locator("#add-dnc button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("is on the do-not-call list")
        expect(page.locator('#dnc tr[data-number="+41215550102"]')).to_contain_text(
            "asked by phone"
        )
        assert dnc_numbers(api) == ["+41215550102"]
        page.locator("#add-dnc input[name=number]").fill("nonsense")
        page.locator("#add-dnc button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("This is not a phone number")
        assert dnc_numbers(api) == ["+41215550102"]
        page.screenshot(path=str(ARTEFACTS / "dnc.png"), full_page=True)

        # a running campaign cannot be deleted; a stopped one can
        page.goto(f"{base}/tenant/campaigns")
        page.locator('tr[data-campaign="Spring"] form.start button').click()
        expect(row.locator(".status")).to_have_text("running")
        page.locator('tr[data-campaign="Spring"] form.delete button').click()
        expect(page.locator(".flash.error")).to_contain_text("Stop or pause the campaign first")
        page.locator('tr[data-campaign="Spring"] form.stop button').click()
        expect(row.locator(".status")).to_have_text("stopped")
        page.screenshot(path=str(ARTEFACTS / "campaigns.png"), full_page=True)
        page.locator('tr[data-campaign="Spring"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Campaign Spring deleted.")
        assert campaigns(api) == []

    # on a phone-size screen, in Italian, nothing is cut off
    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/dnc?lang=it")
    expect(phone.locator("h1")).to_have_text("Lista di esclusione di acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(f"{base}/tenant/campaigns?lang=it")
    expect(phone.locator("h1")).to_have_text("Campagne di acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()
