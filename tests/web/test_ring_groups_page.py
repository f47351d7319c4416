"""The ring groups page: in Chromium a tenant admin creates, edits (members reordered, fallback
cleared) and deletes a group, each step checked through the REST API; refused input (an unknown
extension, another tenant's extension) says why and changes nothing; another tenant's group is
404 for every form; the page has no untranslated key in any language.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import queues as queue_service
from centrex.provisioning import ring_groups as group_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM
from tests.web.test_switchboard_page import logged_in

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
ADMIN = ("admin@acme.example.com", ADMIN_PASSWORD)
OTHER = "globex.example.com"
T = TypeVar("T")


def run(server: PortalServer, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on the server's loop (Playwright's sync API owns this thread's loop)."""
    return asyncio.run_coroutine_threadsafe(work, server.loop).result(timeout=30)


async def seed(url: str) -> dict[str, int]:
    """Acme gets extensions 203 and 204 (202 is the conftest's); a second tenant, globex, gets
    extension 301 (acme has no 301), a ring group 700 and a queue 800 of its own."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            for number, name in (("203", "Bea"), ("204", "Carl")):
                await extension_service.create_extension(acme, number=number, name=name,
                                                         password=f"sip-pw-{number}-x")  # fmt: skip
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
            group = await group_service.create_ring_group(globex, number="700", name="Globex",
                                                          strategy="simultaneous", members=["301"])  # fmt: skip
            queue = await queue_service.create_queue(globex, number="800", name="Globex Q",
                                                     strategy="ring-all", members=["301"])  # fmt: skip
            return {"group": group.group.id, "queue": queue.queue.id}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> dict[str, Any]:
    """Globex's ring group and queue as its own services see them now."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return {
                "groups": [v.as_dict() for v in await group_service.list_ring_groups(scope)],
                "queues": [v.as_dict() for v in await queue_service.list_queues(scope)],
            }
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


def groups(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/ring-groups")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


@SQLITE
def test_admin_creates_edits_and_deletes_a_ring_group(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/ring-groups"]')
    expect(page.locator("h1")).to_contain_text("Ring groups of acme.example.com")

    form = page.locator("#create-ring-group")
    form.locator("input[name=number]").fill("600")
    form.locator("input[name=name]").fill("Sales")
    form.locator("select[name=strategy]").select_option("sequential")
    form.locator("input[name=ring_seconds]").fill("25")
    form.locator("textarea[name=members]").fill("203\n202")
    form.locator("input[name=fallback]").fill("204")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("Ring group 600 created.")
    row = page.locator('tr[data-group="600"]')
    expect(row.locator("ol.members li")).to_have_text(["203", "202"])
    expect(row.locator(".strategy")).to_have_text("One after the other, in order")

    with logged_in(base, *ADMIN) as api:
        [created] = groups(api)
        assert created["name"] == "Sales"
        assert created["strategy"] == "sequential"
        assert created["ring_seconds"] == 25
        assert [m["target"] for m in created["members"]] == ["203", "202"]
        assert created["fallback"] == "204"

        # edit: members reordered and one added, another strategy, the fallback cleared
        row.locator("a", has_text="Edit").click()
        expect(page).to_have_url(f"{base}/tenant/ring-groups/{created['id']}")
        edit = page.locator("#edit-ring-group")
        expect(edit.locator("textarea[name=members]")).to_have_value("203\n202")
        edit.locator("textarea[name=members]").fill("204\n202\n203")
        edit.locator("select[name=strategy]").select_option("round-robin")
        edit.locator("input[name=ring_seconds]").fill("30")
        edit.locator("input[name=fallback]").fill("")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Ring group 600 saved.")
        expect(page.locator('tr[data-group="600"] ol.members li')).to_have_text(
            ["204", "202", "203"]
        )
        [changed] = groups(api)
        assert [m["target"] for m in changed["members"]] == ["204", "202", "203"]
        assert (changed["strategy"], changed["ring_seconds"]) == ("round-robin", 30)
        assert changed["fallback"] is None

        # refused: an extension that does not exist; the form keeps what was typed
        page.goto(f"{base}/tenant/ring-groups/{created['id']}")
        edit.locator("textarea[name=members]").fill("202\n999")
        edit.locator("button[type=submit]").click()
        flash = page.locator(".flash.error")
        expect(flash).to_contain_text("Unknown member")
        expect(flash).to_contain_text("999")
        expect(edit.locator("textarea[name=members]")).to_have_value("202\n999")
        assert groups(api) == [changed]

        # refused: another tenant's extension (globex's 301) is unknown here
        page.goto(f"{base}/tenant/ring-groups")
        form.locator("input[name=number]").fill("601")
        form.locator("textarea[name=members]").fill("202\n301")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("301")
        expect(form.locator("input[name=number]")).to_have_value("601")
        assert groups(api) == [changed]
        page.screenshot(path=str(tmp_path / "ring-groups.png"), full_page=True)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "ring-groups.png"), full_page=True)

        # delete
        page.locator('tr[data-group="600"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Ring group 600 deleted.")
        expect(page.locator('tr[data-group="600"]')).to_have_count(0)
        assert groups(api) == []

    # on a phone-size screen, in German, the table turns into cards and nothing is cut off
    phone = page.context.new_page()  # the same session
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/ring-groups?lang=de")
    expect(phone.locator("h1")).to_have_text("Rufgruppen von acme.example.com")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.close()
    page.close()


def test_refused_input_and_another_tenants_groups(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/ring-groups")
        assert listing.status_code == 200
        assert 'data-group="700"' not in listing.text  # nothing of globex shown
        token = csrf_of(listing.text)
        for members, shown in (("202\n999", "999"), ("301", "301"), ("", "at least one")):
            answer = admin.post("/tenant/ring-groups", data={
                "csrf": token, "number": "650", "strategy": "simultaneous", "members": members,
            })  # fmt: skip
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text
            assert shown in answer.text
        answer = admin.post("/tenant/ring-groups", data={
            "csrf": token, "number": "650", "members": "202", "ring_seconds": "ten",
        })  # fmt: skip
        assert "The ring time must be 5 to 300 seconds" in answer.text
        assert groups(admin) == []

        # another tenant's group: not found for every page and form, and left as it was
        other = ids["group"]
        assert admin.get(f"/tenant/ring-groups/{other}").status_code == 404
        changed = admin.post(f"/tenant/ring-groups/{other}", data={
            "csrf": token, "number": "700", "strategy": "page", "members": "202",
        })  # fmt: skip
        assert changed.status_code == 404
        assert (
            admin.post(f"/tenant/ring-groups/{other}/delete", data={"csrf": token}).status_code
            == 404
        )
        assert admin.get(f"/api/v1/ring-groups/{other}").status_code == 404
        # a form without the session's CSRF token changes nothing either
        forged = admin.post("/tenant/ring-groups", data={"number": "651", "members": "202"})
        assert forged.status_code == 400
        assert groups(admin) == []
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/ring-groups").status_code == 403
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/ring-groups?tenant=acme.example.com")  # staff name the tenant
        assert shown.status_code == 200
        assert 'action="/tenant/ring-groups?tenant=acme.example.com"' in shown.text
        assert 'data-group="700"' not in shown.text


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    english = set(catalog("en"))
    own = {k for k in english if k.startswith("ring_groups.")}
    assert len(own) > 30
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/ring-groups").text)
        admin.post("/tenant/ring-groups", data={"csrf": token, "number": "600",
                                                "strategy": "page", "members": "202\n203"})  # fmt: skip
        [group] = groups(admin)
        for language in LANGUAGES:
            for path in ("/tenant/ring-groups", f"/tenant/ring-groups/{group['id']}"):
                shown = admin.get(f"{path}?lang={language}")
                assert shown.status_code == 200
                assert raw_keys(shown.text, ("ring_groups", "common", "nav")) == [], language
            refused = admin.post(f"/tenant/ring-groups?lang={language}", data={
                "csrf": token, "number": "601", "members": "999",
            })  # fmt: skip
            assert raw_keys(refused.text, ("ring_groups", "error")) == [], language
        german = admin.get("/tenant/ring-groups?lang=de").text
        assert "Durchsage (Telefone nehmen selbst ab)" in german
        refused = admin.post("/tenant/ring-groups?lang=it", data={
            "csrf": token, "number": "601", "members": "999",
        })  # fmt: skip
        assert "Membro sconosciuto" in refused.text
