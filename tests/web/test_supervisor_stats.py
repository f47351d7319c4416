"""The supervisor's statistics page (`/supervisor/stats`): another tenant's campaign is 404 on
every page route (the page, the PDF, the two workbooks), agents and plain users are refused,
staff reach a tenant's with `?tenant=`; every language is translated. Then in Chromium at
1366x768: a supervisor opens the page from the console, the dates default to today, and for
a seeded day (agent state log rows and lead attempts, as `tests/api/test_campaign_stats_export.py`
seeds them) the table shows the JSON API's figures, and the PDF (pdftotext), the statistics
workbook and the campaign export (openpyxl) downloaded from the page hold them too.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from centrex.contact_center import campaigns as campaign_service
from centrex.contact_center.stats_documents import PDF_TYPE, XLSX_TYPE, hms
from centrex.data.db import Database
from centrex.data.models import AgentStateLog, Lead, LeadAttempt, LeadBatch, UserRole
from centrex.data.models.appointments import Appointment
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.api.test_campaign_stats_export import _pdf_text, _row
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_ring_groups_page import (  # noqa: F401 (browser: a fixture)
    SQLITE,
    browser,
    raw_keys,
    run,
)
from tests.web.test_switchboard_page import logged_in

OTHER = "globex.example.com"
SUPERVISOR = ("sonia@acme.example.com", "supervisor-pw-1")
AGENT = ("alice@acme.example.com", "agent-pw-12345")
SCRIPT_DATA = re.compile(r'<script type="application/json"[^>]*>.*?</script>', re.S)
STRINGS = re.compile(r'<script type="application/json" id="st-strings">(.*?)</script>', re.S)
# the seeded day: two days ago (UTC), so every interval is closed and the figures fixed
DAY = datetime.now(UTC).date() - timedelta(days=2)


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute, second), tzinfo=UTC)


async def _campaign(scope: TenantScope, name: str, agents: list[str]) -> tuple[int, list[int]]:
    campaign = await campaign_service.create_campaign(scope, name=name, method="progressive",
                                                      agents=agents)  # fmt: skip
    batch = scope.add(LeadBatch(campaign_id=campaign.id, filename="seed.csv"))
    await scope.session.flush()
    leads = [scope.add(Lead(campaign_id=campaign.id, batch_id=batch.id, number=number,
                            name=person, custom={"city": city}))
             for number, person, city in (("+41445550001", "Zoe Client", "Lausanne"),
                                          ("+41445550002", "Yann Client", "Bern"))]  # fmt: skip
    await scope.session.flush()
    return campaign.id, [lead.id for lead in leads]


async def seed(url: str) -> dict[str, int]:
    """Acme: supervisor Sonia, agents 203 (Alice) and 204 (Bruno) on "Acme Spring". On DAY,
    203: ready 08:00, lunch 08:20-08:30, ready to 09:00; an answered sale at 08:05 (ring 10,
    talk 120, wrap 30), an unanswered call at 08:40 (ring 20), an appointment booked at 08:06.
    204: ready 08:00-09:00, break 09:00-09:05; an answered callback at 08:10 (ring 5, talk 60,
    wrap 15). Globex: a campaign of its own, "Globex Secret", with its agent 301."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await user_service.create_user(acme, name="Sonia Supervisor", email=SUPERVISOR[0],
                                           role=UserRole.SUPERVISOR.value, password=SUPERVISOR[1])  # fmt: skip
            alice = await user_service.create_user(acme, name="Alice Agent", email=AGENT[0],
                                                   role=UserRole.AGENT.value, password=AGENT[1])  # fmt: skip
            exts = {}
            for number, name, user_id in (("203", "Alice", alice.id), ("204", "Bruno", None)):
                ext = await extension_service.create_extension(
                    acme, number=number, name=name, user_id=user_id, password=f"sip-pw-{number}-x"
                )
                exts[number] = ext.extension.id
            campaign_id, leads = await _campaign(acme, "Acme Spring", ["203", "204"])
            for number, state, reason, start, end in (
                ("203", "ready", "", at(8, 0), at(8, 20)),
                ("203", "paused", "lunch", at(8, 20), at(8, 30)),
                ("203", "ready", "", at(8, 30), at(9, 0)),
                ("204", "ready", "", at(8, 0), at(9, 0)),
                ("204", "paused", "break", at(9, 0), at(9, 5)),
            ):
                acme.add(AgentStateLog(extension_id=exts[number], campaign_id=campaign_id,
                                       state=state, reason=reason, started_at=start,
                                       ended_at=end))  # fmt: skip
            for lead, number, start, outcome, ring, talk, wrap, code in (
                (leads[0], "203", at(8, 5), "answered", 10, 120, 30, "sale"),
                (leads[1], "203", at(8, 40), "no-answer", 20, 0, 0, None),
                (leads[1], "204", at(8, 10), "answered", 5, 60, 15, "callback"),
            ):
                acme.add(LeadAttempt(lead_id=lead, campaign_id=campaign_id, outcome=outcome,
                                     started_at=start,
                                     ended_at=start + timedelta(seconds=ring + talk),
                                     extension_id=exts[number], ring_seconds=ring,
                                     talk_seconds=talk, wrap_seconds=wrap,
                                     disposition=code))  # fmt: skip
            acme.add(Appointment(campaign_id=campaign_id, lead_id=leads[0],
                                 extension_id=exts["203"], title="Demo at Zoe's",
                                 starts_at=at(8, 0) + timedelta(days=3),
                                 ends_at=at(9, 0) + timedelta(days=3), uid="zoe-demo@test",
                                 created_at=at(8, 6)))  # fmt: skip
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await extension_service.create_extension(globex, number="301", name="Gustav",
                                                     password="sip-pw-301-x")  # fmt: skip
            other_id, _ = await _campaign(globex, "Globex Secret", ["301"])
            return {"campaign": campaign_id, "other": other_id, "lead": leads[0]}
    finally:
        await database.dispose()


def period_of(day: date) -> dict[str, str]:
    """The page's period for the days [day, day]: what its script sends."""
    return {"since": f"{day.isoformat()}T00:00:00Z",
            "until": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z"}  # fmt: skip


def routes(campaign: int) -> list[str]:
    query = "?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z"
    return [f"/supervisor/stats?campaign={campaign}",
            f"/supervisor/stats/{campaign}/stats.pdf{query}",
            f"/supervisor/stats/{campaign}/stats.xlsx{query}",
            f"/supervisor/stats/{campaign}/export.xlsx"]  # fmt: skip


def test_another_tenants_campaign_is_404_and_who_may(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    base = portal_server.base_url
    with logged_in(base, *SUPERVISOR) as sonia:
        shown = sonia.get("/supervisor/stats")
        assert shown.status_code == 200
        assert "Acme Spring" in shown.text
        assert "Globex" not in shown.text
        assert 'href="/supervisor/stats"' in sonia.get("/supervisor").text  # the console links it
        for url in routes(ids["other"]):
            assert sonia.get(url).status_code == 404, url
        page, pdf, xlsx, export = (sonia.get(url) for url in routes(ids["campaign"]))
        assert page.status_code == 200
        assert f'<option value="{ids["campaign"]}" selected>Acme Spring</option>' in page.text
        assert (pdf.status_code, pdf.headers["content-type"]) == (200, PDF_TYPE)
        assert pdf.content.startswith(b"%PDF")
        for answer in (xlsx, export):
            assert (answer.status_code, answer.headers["content-type"]) == (200, XLSX_TYPE)
            assert "attachment" in answer.headers["content-disposition"]
        bad = sonia.get(f"/supervisor/stats/{ids['campaign']}/stats.pdf",
                        params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"})  # fmt: skip
        assert bad.status_code == 422
    for who in (AGENT, ("paul@acme.example.com", USER_PASSWORD)):
        with logged_in(base, *who) as refused:
            for url in routes(ids["campaign"]):
                assert refused.get(url).status_code == 403, (who, url)
    with logged_in(base, "root@provider.test", STAFF_PASSWORD) as staff:
        for url in routes(ids["campaign"]):
            joined = "&" if "?" in url else "?"
            assert staff.get(f"{url}{joined}tenant=acme.example.com").status_code == 200, url
            assert staff.get(f"{url}{joined}tenant={OTHER}").status_code == 404, url
        shown = staff.get(f"/supervisor/stats?tenant={OTHER}")
        assert "Globex Secret" in shown.text
        assert "Acme Spring" not in shown.text
        assert f'data-tenant-query="?tenant={OTHER}"' in shown.text  # the downloads carry it


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("supervisor_stats.")}
    assert len(own) > 30
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *SUPERVISOR) as sonia:
        for language in LANGUAGES:
            shown = sonia.get(f"/supervisor/stats?lang={language}")
            assert shown.status_code == 200
            visible = SCRIPT_DATA.sub("", shown.text)
            assert raw_keys(visible, ("supervisor_stats", "common", "nav")) == [], language
            found = STRINGS.search(shown.text)
            assert found is not None
            assert all(text != key for key, text in json.loads(found.group(1)).items())
        assert "Statistik von acme.example.com" in sonia.get("/supervisor/stats?lang=de").text


def _api_stats(base: str, campaign: int, day: date) -> dict[str, Any]:
    with logged_in(base, *SUPERVISOR) as api:
        answer = api.get(f"/api/v1/campaigns/{campaign}/stats", params=period_of(day))
        assert answer.status_code == 200, answer.text
        stats: dict[str, Any] = answer.json()
        return stats


def _cells(a: dict[str, Any], reasons: list[str], label: str) -> list[str]:
    """An agent's (or the total's) row as the page shows it."""
    occupancy = "-" if a["occupancy_pct"] is None else f"{a['occupancy_pct']:.2f}"
    return [label, str(a["calls"]), str(a["contacts"]), hms(a["talk_seconds"]),
            hms(a["wrap_seconds"]), hms(a["ring_seconds"]),
            *(hms(a["pause_seconds"].get(r, 0)) for r in reasons),
            hms(a["pause_total_seconds"]), hms(a["idle_seconds"]), hms(a["logged_in_seconds"]),
            occupancy, ", ".join(f"{c} {n}" for c, n in a["dispositions"].items()),
            str(a["appointments"])]  # fmt: skip


def _download(page: Page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


@SQLITE
def test_the_table_and_the_downloads_hold_the_apis_figures(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    base = portal_server.base_url
    stats = _api_stats(base, ids["campaign"], DAY)
    alice, bruno = stats["agents"]
    # the seeded figures, through the API (what the page must show)
    assert (alice["extension"], alice["calls"], alice["contacts"], alice["talk_seconds"],
            alice["wrap_seconds"], alice["ring_seconds"], alice["pause_seconds"],
            alice["logged_in_seconds"], alice["dispositions"], alice["appointments"]) == (
        "203", 2, 1, 120, 30, 30, {"lunch": 600}, 3600, {"sale": 1}, 1)  # fmt: skip
    assert (bruno["extension"], bruno["calls"], bruno["talk_seconds"], bruno["pause_seconds"],
            bruno["logged_in_seconds"], bruno["dispositions"]) == (
        "204", 1, 60, {"break": 300}, 3900, {"callback": 1})  # fmt: skip
    assert stats["totals"]["calls"] == 3

    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", SUPERVISOR[0])
    page.fill("input[name=password]", SUPERVISOR[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/supervisor")
    page.click("#sv-stats-link")
    page.wait_for_url(f"{base}/supervisor/stats")
    today = datetime.now(UTC).date().isoformat()
    expect(page.locator("input[name=from]")).to_have_value(today)  # today by default
    expect(page.locator("input[name=until]")).to_have_value(today)
    expect(page.locator("#st-agents")).to_have_attribute(
        "data-loaded", re.compile(rf"^{today}T00:00:00Z/.*/{ids['campaign']}$")
    )
    expect(page.locator("#st-agents tbody tr")).to_have_count(2)  # both agents, nothing done
    expect(page.locator("#st-agents tfoot td.st-calls")).to_have_text("0")

    page.fill("input[name=from]", DAY.isoformat())
    page.fill("input[name=until]", DAY.isoformat())
    page.click("#st-form button[type=submit]")
    p = period_of(DAY)
    expect(page.locator("#st-agents")).to_have_attribute(
        "data-loaded", f"{p['since']}/{p['until']}/{ids['campaign']}"
    )
    reasons = ["break", "lunch"]
    headings = page.locator("#st-agents thead th").all_text_contents()
    assert headings[6:8] == ["Pause: break", "Pause: lunch"]
    for a in (alice, bruno):
        cells = page.locator(f'#st-agents tbody tr[data-extension="{a["extension"]}"] td')
        expect(cells).to_have_text(_cells(a, reasons, a["extension"]))
    expect(page.locator("#st-agents tfoot tr.st-total td")).to_have_text(
        _cells(stats["totals"], reasons, "Campaign total")
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    table_fits = "(() => { const t = document.getElementById('st-agents');"
    table_fits += " return t.scrollWidth <= t.parentElement.clientWidth; })()"
    assert page.evaluate(table_fits)  # no scrolling inside the card either, at 1366 px

    # the PDF of the same period: the same rows (pdftotext), the pause reasons and dispositions
    flat = " ".join(_pdf_text(_download(page, "#st-pdf")).split())
    assert "Statistics Acme Spring" in flat
    assert f"Period: {DAY.isoformat()}T00:00:00+00:00" in flat
    for a in (*stats["agents"], {**stats["totals"], "extension": "total"}):
        assert _row(a) in flat, (_row(a), flat)
    assert "Pause break Pause lunch" in flat

    # the statistics workbook: the same integers, one column per pause reason
    book = load_workbook(io.BytesIO(_download(page, "#st-xlsx")))
    rows = [list(r) for r in book["Agents"].iter_rows(values_only=True)]
    assert rows[0][11:] == ["Pause break s", "Pause lunch s"]
    for row, a in zip(rows[1:], (*stats["agents"], stats["totals"]), strict=True):
        assert row == [a["extension"], a["calls"], a["contacts"], a["talk_seconds"],
                       a["wrap_seconds"], a["ring_seconds"], a["pause_total_seconds"],
                       a["idle_seconds"], a["logged_in_seconds"], a["occupancy_pct"],
                       a["appointments"], *(a["pause_seconds"].get(r, 0) for r in reasons)]  # fmt: skip
    assert [list(r) for r in book["Dispositions"].iter_rows(values_only=True)][1:] == [
        ["203", "sale", 1], ["204", "callback", 1]]  # fmt: skip

    # the campaign export: leads with their custom fields, the appointment
    export = load_workbook(io.BytesIO(_download(page, "#st-export")))
    assert export.sheetnames == ["Leads", "Appointments"]
    leads = [list(r) for r in export["Leads"].iter_rows(values_only=True)]
    by_name = {row[2]: dict(zip(leads[0], row, strict=True)) for row in leads[1:]}
    assert sorted(by_name) == ["Yann Client", "Zoe Client"]
    assert by_name["Zoe Client"]["custom city"] == "Lausanne"
    booked = [list(r) for r in export["Appointments"].iter_rows(values_only=True)]
    assert [(r[1], r[3], r[4]) for r in booked[1:]] == [(ids["lead"], "203", "Demo at Zoe's")]

    # a period that ends before it starts is refused in the page, the links are disabled
    page.fill("input[name=from]", DAY.isoformat())
    page.fill("input[name=until]", (DAY - timedelta(days=1)).isoformat())
    page.click("#st-form button[type=submit]")
    expect(page.locator("#st-message")).to_have_text(
        "The until date must not come before the from date."
    )
    expect(page.locator("#st-pdf")).to_have_attribute("aria-disabled", "true")

    # a platform admin on the tenant's page: the script sends the tenant header to the API,
    # the downloads carry ?tenant= (a plain <a download> cannot send a header)
    staff = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    staff.goto(f"{base}/login")
    staff.fill("input[name=email]", "root@provider.test")
    staff.fill("input[name=password]", STAFF_PASSWORD)
    staff.click("button[type=submit]")
    staff.wait_for_url(lambda url: not url.endswith("/login"))  # logged in, wherever it lands
    staff.goto(f"{base}/supervisor/stats?tenant=acme.example.com&campaign={ids['campaign']}")
    staff.fill("input[name=from]", DAY.isoformat())
    staff.fill("input[name=until]", DAY.isoformat())
    staff.click("#st-form button[type=submit]")
    expect(staff.locator("#st-agents")).to_have_attribute(
        "data-loaded", f"{p['since']}/{p['until']}/{ids['campaign']}"
    )
    expect(staff.locator("#st-agents tfoot tr.st-total td")).to_have_text(
        _cells(stats["totals"], reasons, "Campaign total")
    )
    expect(staff.locator("#st-pdf")).to_have_attribute("href", re.compile(r"tenant=acme"))
    total = _row({**stats["totals"], "extension": "total"})
    assert total in " ".join(_pdf_text(_download(staff, "#st-pdf")).split())
