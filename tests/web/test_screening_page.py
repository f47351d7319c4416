"""The call screening page (`/tenant/screening`): refused input says why and changes nothing,
another tenant's entries and extensions are out of reach (404, never shown), a plain user is
refused, every language is translated; then in Chromium a tenant admin adds a tenant-wide
blocklist entry and an allowlist entry for one extension and deletes one, each step checked
through the REST API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.calls.features.screening_rules import ListKind
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import screening as screening_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARTEFACTS
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


async def seed(url: str) -> dict[str, int]:
    """Acme gets extension 203 (202 is the conftest's); globex gets extension 301 and a
    blocklist entry +33899000000 of its own."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            await extension_service.create_extension(acme, number="203", name="Bea",
                                                     password="sip-pw-203-x")  # fmt: skip
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
            entry = await screening_service.add_entry(globex, ListKind.BLOCK,
                                                      pattern="+33899000000",
                                                      direction="inbound")  # fmt: skip
            return {"entry": int(entry["id"])}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> dict[str, Any]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return {k.value: await screening_service.list_entries(scope, k) for k in ListKind}
    finally:
        await database.dispose()


def entries(api: httpx.Client, name: str) -> list[dict[str, Any]]:
    answer = api.get(f"/api/v1/{name}")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_refused_input_and_another_tenants_entries(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/screening")
        assert listing.status_code == 200
        assert "+33899000000" not in listing.text  # nothing of globex shown
        assert 'value="301"' not in listing.text  # nor its extensions
        token = csrf_of(listing.text)
        for fields, shown in (
            ({"pattern": "hello"}, "Invalid pattern"),
            ({"pattern": "anonymous", "direction": "outbound"}, "Invalid pattern"),
            ({"direction": "sideways"}, "Invalid direction"),
            ({"direction": "outbound", "action": "voicemail"}, "Invalid action"),
            ({"extension": "301"}, "Unknown extension"),  # globex's, unknown here
            ({"list": "grey"}, "Unknown list"),
        ):
            data = {"csrf": token, "list": "block", "pattern": "+41215550100",
                    "direction": "inbound", "action": "reject", **fields}  # fmt: skip
            answer = admin.post("/tenant/screening", data=data)
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in answer.text, fields
            assert f'value="{data["pattern"]}"' in answer.text  # what was typed, to correct it
        assert entries(admin, "blocklist") == entries(admin, "allowlist") == []
        good = {"csrf": token, "list": "block", "pattern": "+41215550100", "direction": "inbound"}
        assert 'class="flash ok"' in admin.post("/tenant/screening", data=good).text
        twice = admin.post("/tenant/screening", data=good)
        assert "Already listed" in twice.text
        assert len(entries(admin, "blocklist")) == 1

        # another tenant's entry: 404 for the delete form (either list), and left as it was
        other = ids["entry"]
        for kind in ("block", "allow"):
            gone = admin.post(f"/tenant/screening/{kind}/{other}/delete", data={"csrf": token})
            assert gone.status_code == 404
        assert (
            admin.post("/tenant/screening/grey/1/delete", data={"csrf": token}).status_code == 404
        )
        forged = admin.post("/tenant/screening", data={**good, "csrf": "", "pattern": "+4122"})
        assert forged.status_code == 400
        assert len(entries(admin, "blocklist")) == 1
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/screening").status_code == 403
        assert user.post("/tenant/screening", data=good).status_code == 403
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/screening?tenant=acme.example.com")
        assert shown.status_code == 200
        assert 'action="/tenant/screening?tenant=acme.example.com"' in shown.text
        assert "+33899000000" not in shown.text


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("screening.")}
    assert len(own) > 20
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/screening").text)
        admin.post("/tenant/screening", data={"csrf": token, "list": "allow",
                                              "pattern": "+4121*", "direction": "outbound"})  # fmt: skip
        for language in LANGUAGES:
            shown = admin.get(f"/tenant/screening?lang={language}")
            assert shown.status_code == 200
            assert "+4121*" in shown.text
            assert raw_keys(shown.text, ("screening", "common", "nav")) == [], language
            refused = admin.post(f"/tenant/screening?lang={language}", data={
                "csrf": token, "list": "block", "pattern": "nope", "direction": "inbound",
            })  # fmt: skip
            assert raw_keys(refused.text, ("screening", "error")) == [], language
        assert "Sperrliste" in admin.get("/tenant/screening?lang=de").text
        refused = admin.post("/tenant/screening?lang=fr", data={
            "csrf": token, "list": "block", "pattern": "nope", "direction": "inbound",
        })  # fmt: skip
        assert "Motif invalide" in refused.text


@SQLITE
def test_admin_adds_and_deletes_screening_entries(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/screening"]')
    expect(page.locator("h1")).to_have_text("Call screening of acme.example.com")

    form = page.locator("#add-screening")
    form.locator("select[name=list]").select_option("block")
    form.locator("input[name=pattern]").fill("+3389*")
    form.locator("select[name=direction]").select_option("outbound")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("+3389* added to the Blocklist.")
    expect(page.locator('#blocklist tr[data-pattern="+3389*"]')).to_contain_text("Whole tenant")

    form.locator("select[name=list]").select_option("allow")
    form.locator("input[name=pattern]").fill("+41 21 555 01 00")
    form.locator("select[name=direction]").select_option("inbound")
    form.locator("select[name=extension]").select_option("203")
    form.locator("select[name=action]").select_option("voicemail")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("added to the Allowlist")
    row = page.locator('#allowlist tr[data-pattern="+41215550100"]')
    expect(row).to_contain_text("203")
    expect(row).to_contain_text("To voicemail")

    with logged_in(base, *ADMIN) as api:
        [blocked] = entries(api, "blocklist")
        assert (blocked["pattern"], blocked["direction"], blocked["extension"],
                blocked["action"]) == ("+3389*", "outbound", None, "reject")  # fmt: skip
        [allowed] = entries(api, "allowlist")
        assert (allowed["pattern"], allowed["direction"], allowed["extension"],
                allowed["action"]) == ("+41215550100", "inbound", "203", "voicemail")  # fmt: skip

        # refused in the browser: the form keeps what was typed, nothing is added
        form.locator("input[name=pattern]").fill("+0123")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("Invalid pattern")
        expect(form.locator("input[name=pattern]")).to_have_value("+0123")
        assert entries(api, "allowlist") == [allowed]
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "screening.png"), full_page=True)

        page.locator('#blocklist tr[data-pattern="+3389*"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("+3389* removed from the Blocklist.")
        expect(page.locator('#blocklist tr[data-pattern="+3389*"]')).to_have_count(0)
        assert entries(api, "blocklist") == []
        assert entries(api, "allowlist") == [allowed]

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/screening?lang=it")
    expect(phone.locator("h1")).to_have_text("Filtro chiamate di acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()
