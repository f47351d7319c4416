"""The telephony settings page: in Chromium a tenant admin changes the call park settings and
feature codes, adds and deletes a short number and a caller-ID rule, each step checked through
the REST API; refused input (a park number that is an extension, a bad or taken feature code, an
unknown feature, an emergency short number, another tenant's number as caller ID) says why and
changes nothing; another tenant's short numbers and rules are never shown and are 404 to delete;
the page has no untranslated key in any language.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from centrex.calls.feature_codes import CATALOG
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import caller_id_rules as rule_service
from centrex.provisioning import feature_codes as code_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from centrex.web.telephony_page import feature_key
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM
from tests.web.test_ring_groups_page import ADMIN, csrf_of, log_in, raw_keys, run
from tests.web.test_switchboard_page import logged_in

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
OTHER = "globex.example.com"
OURS = "+41445550100"  # acme's number
THEIRS = "+41445550199"  # globex's number
DEFAULT_PARK = {"park_number": "700", "park_slots": "701-709", "park_timeout": 60}


async def seed(url: str) -> int:
    """Acme gets the number OURS; globex gets THEIRS, a short number 55, a caller-ID rule for
    prefix 49 and its own code for dnd-on (*66). Returns globex's rule id."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await number_service.assign_number(acme, OURS, now=now)
            tenant = await tenant_service.create_tenant(
                session, now=now, name="Globex AG", domain=OTHER, extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await user_service.create_user(globex, name="Gina", email="admin@globex.example.com",
                                           role=UserRole.TENANT_ADMIN.value,
                                           password="globex-admin-pw-1")  # fmt: skip
            await number_service.assign_number(globex, THEIRS, now=now)
            await code_service.add_short_number(globex, number="55", target="+41446681855")
            await code_service.set_codes(globex, {"dnd-on": "*66"})
            rule = await rule_service.add_rule(globex, prefix="49", number=THEIRS)
            rule_id: int = rule["id"]
            return rule_id
    finally:
        await database.dispose()


async def other_tenant(url: str) -> dict[str, Any]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return {
                "codes": await code_service.choices(scope),
                "shorts": await code_service.list_short_numbers(scope),
                "rules": await rule_service.list_rules(scope),
            }
    finally:
        await database.dispose()


def state(api: httpx.Client, tenant_id: int) -> dict[str, Any]:
    """Everything the page changes, as the REST API shows it."""
    tenant = api.get(f"/api/v1/tenants/{tenant_id}")
    codes = api.get("/api/v1/feature-codes?limit=100")
    shorts = api.get("/api/v1/short-numbers")
    rules = api.get("/api/v1/caller-id-rules")
    for answer in (tenant, codes, shorts, rules):
        assert answer.status_code == 200, answer.text
    return {
        "park": {k: tenant.json()[k] for k in DEFAULT_PARK},
        "codes": {c["feature"]: c["code"] for c in codes.json()["items"] if c["changed"]},
        "shorts": [(s["number"], s["target"], s["name"]) for s in shorts.json()["items"]],
        "rules": [(r["prefix"], r["number"]) for r in rules.json()["items"]],
    }


def test_refused_input_and_another_tenants_settings(
    portal_server: PortalServer, database_url: str
) -> None:
    their_rule = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    tenant_id = portal_server.tenant_id
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/telephony")
        assert listing.status_code == 200
        for theirs in ('data-short="55"', THEIRS, "*66", 'data-rule="49"'):
            assert theirs not in listing.text  # nothing of globex shown
        token = csrf_of(listing.text)
        start = state(admin, tenant_id)
        assert start == {"park": DEFAULT_PARK, "codes": {}, "shorts": [], "rules": []}

        def refused(path: str, fields: dict[str, str], shown: str) -> None:
            answer = admin.post(f"/tenant/telephony/{path}", data={"csrf": token, **fields})
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in answer.text, (fields, shown)

        park = {"park_number": "700", "park_slots": "701-709", "park_timeout": "60"}
        refused("park", {**park, "park_number": "202"}, "202 is an extension")
        refused("park", {**park, "park_slots": "709-701x"}, "Invalid park slots")
        refused("park", {**park, "park_timeout": "5"}, "Invalid ring-back time-out")
        refused("park", {**park, "park_timeout": "soon"}, "Invalid ring-back time-out")
        refused("feature-codes", {"code:dnd-on": "78"}, "Invalid feature code")
        refused("feature-codes", {"code:dnd-on": "*66", "code:dnd-off": "*66"},
                "This code is already used")  # fmt: skip
        refused("feature-codes", {"code:dnd-on": "*79"}, "This code is already used")
        refused("feature-codes", {"code:no-such-feature": "*12"}, "Unknown feature")
        refused("short-numbers", {"number": "1234567", "target": "+41446681800"},
                "Invalid short number")  # fmt: skip
        refused("short-numbers", {"number": "202", "target": "+41446681800"}, "202 is an extension")
        refused("short-numbers", {"number": "20", "target": "112"}, "Invalid outside number")
        refused("caller-id-rules", {"prefix": "33", "number": THEIRS}, "Not one of your numbers")
        refused("caller-id-rules", {"prefix": "3x", "number": OURS}, "Invalid prefix")
        refused("caller-id-rules", {"prefix": "33", "number": "not a number"}, "Invalid number")
        assert state(admin, tenant_id) == start

        # another tenant's short number and rule: not found, and left as they were
        gone = admin.post("/tenant/telephony/short-numbers/55/delete", data={"csrf": token})
        assert gone.status_code == 404
        gone = admin.post(f"/tenant/telephony/caller-id-rules/{their_rule}/delete",
                          data={"csrf": token})  # fmt: skip
        assert gone.status_code == 404
        # globex's short number is free in acme: each tenant has its own
        added = admin.post("/tenant/telephony/short-numbers",
                           data={"csrf": token, "number": "55", "target": "044 668 18 00"})  # fmt: skip
        assert "Short number 55 added." in added.text
        assert state(admin, tenant_id)["shorts"] == [("55", "+41446681800", "")]
        # a form without the session's CSRF token changes nothing
        forged = admin.post("/tenant/telephony/park", data={**park, "park_number": "800"})
        assert forged.status_code == 400
        assert state(admin, tenant_id)["park"] == DEFAULT_PARK
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/telephony").status_code == 403
        assert user.post("/tenant/telephony/park", data=park).status_code in (400, 403)
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/telephony?tenant=acme.example.com")
        assert shown.status_code == 200
        assert 'action="/tenant/telephony/park?tenant=acme.example.com"' in shown.text


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@SQLITE
def test_admin_changes_the_telephony_settings(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/telephony"]')
    expect(page.locator("h1")).to_have_text("Telephony settings of acme.example.com")

    with logged_in(base, *ADMIN) as api:
        # call park
        park = page.locator("#park-form")
        park.locator("input[name=park_number]").fill("800")
        park.locator("input[name=park_slots]").fill("801-805")
        park.locator("input[name=park_timeout]").fill("90")
        park.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Call park settings saved.")
        expect(park.locator("input[name=park_slots]")).to_have_value("801-805")
        expected = {"park": {"park_number": "800", "park_slots": "801-805", "park_timeout": 90},
                    "codes": {}, "shorts": [], "rules": []}  # fmt: skip
        assert state(api, portal_server.tenant_id) == expected

        # feature codes: dnd-on and dnd-off swap their codes in one save
        codes = page.locator("#codes-form")
        codes.locator('input[name="code:dnd-on"]').fill("*79")
        codes.locator('input[name="code:dnd-off"]').fill("*78")
        codes.locator('input[name="code:intercom"]').fill("*81")
        codes.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Feature codes saved.")
        expected["codes"] = {"dnd-on": "*79", "dnd-off": "*78", "intercom": "*81"}
        assert state(api, portal_server.tenant_id) == expected
        # refused: a code another feature has; what was typed stays, nothing changes
        codes.locator('input[name="code:voicemail"]').fill("*81")
        codes.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("This code is already used")
        expect(codes.locator('input[name="code:voicemail"]')).to_have_value("*81")
        assert state(api, portal_server.tenant_id) == expected
        # back to the default code
        codes.locator('input[name="code:voicemail"]').fill("*97")
        codes.locator('input[name="code:intercom"]').fill("*80")
        codes.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Feature codes saved.")
        expected["codes"] = {"dnd-on": "*79", "dnd-off": "*78"}
        assert state(api, portal_server.tenant_id) == expected

        # a short number
        short = page.locator("#short-form")
        short.locator("input[name=number]").fill("20")
        short.locator("input[name=target]").fill("+41 44 668 18 00")
        short.locator("input[name=name]").fill("Head office")
        short.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Short number 20 added.")
        expect(page.locator('tr[data-short="20"] .target')).to_have_text("+41446681800")
        expected["shorts"] = [("20", "+41446681800", "Head office")]
        assert state(api, portal_server.tenant_id) == expected

        # a caller-ID rule for calls to France
        rule = page.locator("#rule-form")
        rule.locator("input[name=prefix]").fill("33")
        rule.locator("input[name=number]").fill(OURS)
        rule.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Caller ID rule for 33 added.")
        expect(page.locator('tr[data-rule="33"] .number')).to_have_text(OURS)
        expected["rules"] = [("33", OURS)]
        assert state(api, portal_server.tenant_id) == expected
        # refused: another tenant's number
        rule.locator("input[name=prefix]").fill("")
        rule.locator("input[name=number]").fill(THEIRS)
        rule.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("Not one of your numbers")
        expect(rule.locator("input[name=number]")).to_have_value(THEIRS)
        assert state(api, portal_server.tenant_id) == expected
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "telephony.png"), full_page=True)

        # delete both
        page.locator('tr[data-short="20"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Short number 20 deleted.")
        page.locator('tr[data-rule="33"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Caller ID rule deleted.")
        expected["shorts"], expected["rules"] = [], []
        assert state(api, portal_server.tenant_id) == expected

    # on a phone-size screen, in Italian, nothing is cut off
    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/telephony?lang=it")
    expect(phone.locator("h1")).to_have_text("Impostazioni di telefonia di acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()


@SQLITE
def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    english = set(catalog("en"))
    own = {k for k in english if k.startswith("telephony.")}
    assert {feature_key(spec.name) for spec in CATALOG} <= own  # every feature described
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/telephony").text)
        admin.post("/tenant/telephony/short-numbers",
                   data={"csrf": token, "number": "20", "target": "+41446681800"})  # fmt: skip
        admin.post("/tenant/telephony/caller-id-rules",
                   data={"csrf": token, "prefix": "", "number": OURS})  # fmt: skip
        for language in LANGUAGES:
            shown = admin.get(f"/tenant/telephony?lang={language}")
            assert shown.status_code == 200
            assert raw_keys(shown.text, ("telephony", "common", "nav")) == [], language
            for path, fields in (
                ("park", {"park_number": "202", "park_slots": "701-709"}),
                ("feature-codes", {"code:dnd-on": "78"}),
                ("short-numbers", {"number": "20", "target": "+41446681800"}),
                ("caller-id-rules", {"prefix": "", "number": OURS}),
            ):
                refused = admin.post(f"/tenant/telephony/{path}?lang={language}",
                                     data={"csrf": token, **fields})  # fmt: skip
                assert 'class="flash error"' in refused.text, (language, path)
                assert raw_keys(refused.text, ("telephony", "error")) == [], language
        german = admin.get("/tenant/telephony?lang=de").text
        assert "Nicht stören ein" in german
        assert "alle Anrufe" in german  # the rule for every call
        french = admin.post("/tenant/telephony/feature-codes?lang=fr",
                            data={"csrf": token, "code:dnd-on": "*79"}).text  # fmt: skip
        assert "Ce code est déjà utilisé" in french
