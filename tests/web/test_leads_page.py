"""The leads page (`/tenant/leads`): without a browser, on both databases, another tenant's leads
and campaign are out of reach (never listed, 404 for the card, the campaign filter and the
export), refused filters say why and show nothing, results come a page at a time, a plain user
or a supervisor is refused (as by the API), every language is translated; then in Chromium a
tenant admin searches a lead, opens its card (imported fields, call attempts) and downloads the
campaign's CSV and XLSX, whose content is checked against the API's export.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center.lead_import import import_leads
from centrex.data.db import Database
from centrex.data.models import Lead, LeadAttempt, LeadStatus, UserRole
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    ADMIN,
    SQLITE,
    browser,
    log_in,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

OTHER = "globex.example.com"
SUPERVISOR = ("sue@acme.example.com", "supervisor-pw-1")
FILLERS = 30  # with Alice and Carla: 32 leads, two pages of 25
ACME_CSV = (
    "phone,name,postal_code,company\n"
    "+41215550101,Alice Martin,1003,Boulangerie Martin\n"
    "+41215550102,Carla Rossi,1201,Rossi SA\n"
    + "".join(f"+4121555{2000 + n},Filler {n},1{n:03d},Filler Co\n" for n in range(FILLERS))
).encode()


async def _campaign(scope: TenantScope, name: str, agent: str, data: bytes) -> tuple[int, int]:
    campaign = await campaign_service.create_campaign(scope, name=name, method="progressive",
                                                      agents=[agent])  # fmt: skip
    result = await import_leads(scope, campaign, data, now=datetime.now(UTC), filename="x.csv")
    return campaign.id, result.batch


async def seed(url: str) -> dict[str, int]:
    """Acme: campaign "Spring" with 32 leads; Alice called twice (no answer, then a sale).
    Globex: campaign "Globex sales" with its lead "Globex Secret"."""
    database = Database(url)
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            spring, _ = await _campaign(acme, "Spring", "202", ACME_CSV)
            await user_service.create_user(acme, name="Sue", email=SUPERVISOR[0],
                                           role=UserRole.SUPERVISOR.value,
                                           password=SUPERVISOR[1])  # fmt: skip
            alice = await acme.first(Lead, Lead.number == "+41215550101")
            assert alice is not None
            alice.attempts, alice.status, alice.disposition = 2, LeadStatus.DONE, "sale"
            alice.last_outcome = "answered"
            acme.add(LeadAttempt(lead_id=alice.id, campaign_id=spring, started_at=now,
                                 ended_at=now + timedelta(seconds=30), outcome="no-answer",
                                 caller_id="+41215550000"))  # fmt: skip
            acme.add(LeadAttempt(lead_id=alice.id, campaign_id=spring,
                                 started_at=now + timedelta(hours=2),
                                 ended_at=now + timedelta(hours=2, minutes=3),
                                 outcome="answered", disposition="sale",
                                 caller_id="+41215550000", talk_seconds=174))  # fmt: skip
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await user_service.create_user(globex, name="Gina", email="admin@globex.example.com",
                                           role=UserRole.TENANT_ADMIN.value,
                                           password="globex-admin-pw-1")  # fmt: skip
            await extension_service.create_extension(globex, number="301", name="Gustav",
                                                     password="sip-pw-301-x")  # fmt: skip
            secret = b"phone,name\n+41215550199,Globex Secret\n"
            other, _ = await _campaign(globex, "Globex sales", "301", secret)
            hidden = await globex.first(Lead, Lead.number == "+41215550199")
            assert hidden is not None
            return {"spring": spring, "alice": alice.id, "other": other, "hidden": hidden.id}
    finally:
        await database.dispose()


def _rows(html: str) -> int:
    return html.count("data-lead-id=")


def api_export(api: httpx.Client, campaign: int, kind: str) -> bytes:
    answer = api.get("/api/v1/leads/export", params={"campaign_id": campaign, "format": kind})
    assert answer.status_code == 200, answer.text
    return answer.content


def test_isolation_refused_filters_and_pages(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/leads")
        assert listing.status_code == 200
        assert "32 lead(s) found." in listing.text
        assert _rows(listing.text) == 25  # the first page
        assert "Page 1 of 2" in listing.text
        assert "Globex" not in listing.text  # neither its lead nor its campaign in the filters
        second = admin.get("/tenant/leads", params={"page": "2"})
        assert _rows(second.text) == 7
        assert "Page 2 of 2" in second.text
        found = admin.get("/tenant/leads", params={"q": "martin", "status": "done",
                                                   "campaign_id": str(ids["spring"])})  # fmt: skip
        assert _rows(found.text) == 1
        assert f'data-lead-id="{ids["alice"]}"' in found.text
        by_company = admin.get("/tenant/leads", params={"q": "Rossi SA"})  # an imported column
        assert _rows(by_company.text) == 1
        assert _rows(admin.get("/tenant/leads", params={"q": "Globex Secret"}).text) == 0
        assert _rows(admin.get("/tenant/leads", params={"q": "+41215550199"}).text) == 0
        for params, said in (
            ({"status": "sold"}, "Unknown status"),
            ({"page": "x"}, "Invalid filter"),
            ({"page": "0"}, "Invalid filter"),
            ({"campaign_id": "abc"}, "Invalid filter"),
        ):
            refused = admin.get("/tenant/leads", params=params)
            assert refused.status_code == 422, params
            assert 'class="flash error"' in refused.text, params
            assert said in refused.text, params
            assert _rows(refused.text) == 0, params

        # another tenant's campaign and lead: 404 for the filter, the card and the export
        other = str(ids["other"])
        assert admin.get("/tenant/leads", params={"campaign_id": other}).status_code == 404
        assert admin.get(f"/tenant/leads/{ids['hidden']}").status_code == 404
        assert admin.get("/tenant/leads/export", params={"campaign_id": other}).status_code == 404
        for params in ({}, {"campaign_id": str(ids["spring"]), "format": "pdf"}):
            refused = admin.get("/tenant/leads/export", params=params)
            assert refused.status_code == 422, params
            assert "Invalid filter" in refused.text, params

        card = admin.get(f"/tenant/leads/{ids['alice']}")
        assert card.status_code == 200
        assert "Boulangerie Martin" in card.text
        assert "Globex" not in card.text
        assert card.text.count('class="attempt"') == 2
        exported = admin.get("/tenant/leads/export", params={"campaign_id": str(ids["spring"])})
        assert exported.status_code == 200
        assert exported.content == api_export(admin, ids["spring"], "csv")
    with logged_in(portal_server.base_url, *SUPERVISOR) as sue:  # as the API: admins only
        assert sue.get("/api/v1/leads").status_code == 403
        assert sue.get("/tenant/leads").status_code == 403
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/leads").status_code == 403
        assert user.get(f"/tenant/leads/{ids['alice']}").status_code == 403
        assert user.get("/tenant/leads/export", params={
            "campaign_id": str(ids["spring"])}).status_code == 403  # fmt: skip
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/leads", params={"tenant": "acme.example.com", "q": "Alice"})
        assert shown.status_code == 200
        assert f'href="/tenant/leads/{ids["alice"]}?tenant=acme.example.com"' in shown.text
        assert '<input type="hidden" name="tenant" value="acme.example.com">' in shown.text
        assert "Globex" not in shown.text
    with logged_in(portal_server.base_url, "admin@globex.example.com", "globex-admin-pw-1") as gx:
        theirs = gx.get("/tenant/leads")
        assert _rows(theirs.text) == 1
        assert "Alice" not in theirs.text
        assert gx.get(f"/tenant/leads/{ids['alice']}").status_code == 404


def test_the_pages_are_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("leads.")}
    assert len(own) > 40
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        for language in LANGUAGES:
            for path in ("/tenant/leads", f"/tenant/leads/{ids['alice']}",
                         "/tenant/leads?status=sold"):  # fmt: skip
                sep = "&" if "?" in path else "?"
                shown = admin.get(f"{path}{sep}lang={language}")
                assert shown.status_code in (200, 422), (path, language)
                assert raw_keys(shown.text, ("leads", "common", "nav", "error")) == [], (
                    path, language,
                )  # fmt: skip
        assert "Leads von acme.example.com" in admin.get("/tenant/leads?lang=de").text
        assert "Tentatives d&#39;appel" in admin.get(f"/tenant/leads/{ids['alice']}?lang=fr").text


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@SQLITE
def test_admin_searches_opens_and_exports_leads(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/leads"]')
    expect(page.locator("h1")).to_have_text("Leads of acme.example.com")
    expect(page.locator("#leads tbody tr")).to_have_count(25)
    page.locator("a.next").click()
    expect(page.locator("#leads tbody tr")).to_have_count(7)

    search = page.locator("#search-leads")
    search.locator("input[name=q]").fill("Martin")
    search.locator("select[name=status]").select_option("done")
    search.locator("button[type=submit]").click()
    expect(page.locator("#lead-count")).to_have_text("1 lead(s) found.")
    row = page.locator(f'tr[data-lead-id="{ids["alice"]}"]')
    expect(row.locator(".status")).to_have_text("Done")
    row.locator("a").click()

    expect(page.locator("h1")).to_have_text("Lead +41215550101")
    expect(page.locator("#lead-card .name")).to_have_text("Alice Martin")
    expect(page.locator("#lead-card .disposition")).to_have_text("sale")
    expect(page.locator('#lead-custom tr[data-field="company"]')).to_contain_text(
        "Boulangerie Martin"
    )
    attempts = page.locator("#lead-history tr.attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.locator(".outcome")).to_have_text(["no-answer", "answered"])
    expect(attempts.nth(1).locator(".disposition")).to_have_text("sale")
    expect(attempts.nth(1).locator(".talk")).to_have_text("174 s")
    import_link = page.locator("a.import").first
    assert import_link.get_attribute("href") == f"/tenant/campaigns/{ids['spring']}#import-leads"

    page.goto(f"{base}/tenant/leads?campaign_id={ids['spring']}")
    export = page.locator("#export-leads")
    expect(export.locator("select[name=campaign_id]")).to_have_value(str(ids["spring"]))
    with page.expect_download() as info:
        export.locator('button[value="csv"]').click()
    download = info.value
    assert download.suggested_filename == f"leads-{ids['spring']}.csv"
    rows = _csv_rows(Path(download.path()).read_bytes())
    assert len(rows) == 32
    alice = next(r for r in rows if r["number"] == "+41215550101")
    assert (alice["name"], alice["status"], alice["attempts"], alice["company"]) == (
        "Alice Martin", "done", "2", "Boulangerie Martin",
    )  # fmt: skip
    assert alice["dispositions"] == "sale"
    with page.expect_download() as info:
        export.locator('button[value="xlsx"]').click()
    xlsx = info.value
    assert xlsx.suggested_filename == f"leads-{ids['spring']}.xlsx"
    sheet = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()), read_only=True).active
    assert sheet is not None
    table: list[tuple[Any, ...]] = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    assert len(table) == 33
    found = next(r for r in table[1:] if r[header.index("number")] == "+41215550101")
    assert found[header.index("company")] == "Boulangerie Martin"
    with logged_in(base, *ADMIN) as api:  # the same rows the API exports
        assert rows == _csv_rows(api_export(api, ids["spring"], "csv"))

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/leads/{ids['alice']}?lang=it")
    expect(phone.locator("h1")).to_have_text("Lead +41215550101")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()
