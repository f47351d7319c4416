"""The conference rooms page: a tenant admin creates, edits (PIN cleared, recording off) and
deletes a room in Chromium, each step checked through the REST API; refused input (a
duplicate room number, a number the tenant already uses, a bad PIN, equal PINs, a bad size)
says why and changes nothing; another tenant's room is 404 for every form and never shown; the
page has no untranslated key in any language.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import conferences as conference_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM
from tests.web.test_ring_groups_page import ADMIN, csrf_of, log_in, raw_keys, run
from tests.web.test_switchboard_page import logged_in

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
OTHER = "globex.example.com"


async def seed(url: str) -> int:
    """A second tenant, globex, with a room 900 of its own (acme has none); its id."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            await user_service.create_user(globex, name="Gina", email="admin@globex.example.com",
                                           role=UserRole.TENANT_ADMIN.value,
                                           password="globex-admin-pw-1")  # fmt: skip
            room = await conference_service.create_conference(globex, number="900", name="Globex",
                                                              pin="9999")  # fmt: skip
            return room.id
    finally:
        await database.dispose()


async def other_rooms(url: str) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return [conference_service.conference_dict(r)
                    for r in await conference_service.list_conferences(scope)]  # fmt: skip
    finally:
        await database.dispose()


def rooms(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/conferences")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_refused_input_and_another_tenants_rooms(
    portal_server: PortalServer, database_url: str
) -> None:
    other = run(portal_server, seed(database_url))
    before = run(portal_server, other_rooms(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/conferences")
        assert listing.status_code == 200
        assert 'data-room="900"' not in listing.text  # nothing of globex shown
        token = csrf_of(listing.text)
        for fields, shown in (
            ({"number": "850", "pin": "12"}, "Invalid PIN"),
            ({"number": "850", "pin": "12ab"}, "Invalid PIN"),
            ({"number": "850", "pin": "1234", "moderator_pin": "1234"}, "must differ"),
            ({"number": "850", "max_members": "500"}, "Invalid maximum number of members"),
            ({"number": "850", "max_members": "ten"}, "Invalid maximum number of members"),
            ({"number": "8x"}, "Invalid room number"),
            ({"number": "202"}, "202 is an extension"),  # the conftest's extension
        ):
            answer = admin.post("/tenant/conferences", data={"csrf": token, **fields})
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in answer.text, fields
            assert f'value="{fields["number"]}"' in answer.text  # kept, to correct it
        assert rooms(admin) == []

        created = admin.post("/tenant/conferences", data={"csrf": token, "number": "850"})
        assert "Conference room 850 created." in created.text
        [room] = rooms(admin)
        again = admin.post("/tenant/conferences", data={"csrf": token, "number": "850",
                                                        "name": "Twice"})  # fmt: skip
        assert "This room number exists already" in again.text
        # globex's room number is free in acme: each tenant has its own numbers
        assert (
            "Conference room 900 created."
            in admin.post("/tenant/conferences", data={"csrf": token, "number": "900"}).text
        )
        assert [r["number"] for r in rooms(admin)] == ["850", "900"]
        assert admin.post(f"/tenant/conferences/{room['id']}/delete",
                          data={"csrf": token}).status_code == 200  # fmt: skip

        # another tenant's room: not found for every page and form, and left as it was
        assert admin.get(f"/tenant/conferences/{other}").status_code == 404
        changed = admin.post(f"/tenant/conferences/{other}", data={
            "csrf": token, "number": "901", "name": "Taken over", "max_members": "2",
        })  # fmt: skip
        assert changed.status_code == 404
        deleted = admin.post(f"/tenant/conferences/{other}/delete", data={"csrf": token})
        assert deleted.status_code == 404
        assert admin.get(f"/api/v1/conferences/{other}").status_code == 404
        # a form without the session's CSRF token changes nothing either
        forged = admin.post("/tenant/conferences", data={"number": "851"})
        assert forged.status_code == 400
        assert [r["number"] for r in rooms(admin)] == ["900"]
    assert run(portal_server, other_rooms(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/conferences").status_code == 403
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/conferences?tenant=acme.example.com")
        assert shown.status_code == 200
        assert 'action="/tenant/conferences?tenant=acme.example.com"' in shown.text


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@SQLITE
def test_admin_creates_edits_and_deletes_a_room(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/conferences"]')
    expect(page.locator("h1")).to_contain_text("Conference rooms of acme.example.com")
    expect(page.locator('tr[data-room="900"]')).to_have_count(0)

    form = page.locator("#create-conference")
    form.locator("input[name=number]").fill("850")
    form.locator("input[name=name]").fill("Board")
    form.locator("input[name=pin]").fill("1234")
    form.locator("input[name=moderator_pin]").fill("98765")
    form.locator("input[name=max_members]").fill("10")
    form.locator("input[name=record]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("Conference room 850 created.")
    row = page.locator('tr[data-room="850"]')
    expect(row.locator(".pin")).to_have_text("1234")
    expect(row.locator(".record")).to_have_text("yes")

    with logged_in(base, *ADMIN) as api:
        [created] = rooms(api)
        assert created == {"id": created["id"], "number": "850", "name": "Board", "pin": "1234",
                           "moderator_pin": "98765", "record": True, "max_members": 10}  # fmt: skip

        # edit: another number and name, the PIN cleared, recording off, a bigger room
        row.locator("a", has_text="Edit").click()
        expect(page).to_have_url(f"{base}/tenant/conferences/{created['id']}")
        edit = page.locator("#edit-conference")
        expect(edit.locator("input[name=pin]")).to_have_value("1234")
        edit.locator("input[name=number]").fill("851")
        edit.locator("input[name=name]").fill("Board room")
        edit.locator("input[name=pin]").fill("")
        edit.locator("input[name=record]").uncheck()
        edit.locator("input[name=max_members]").fill("30")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Conference room 851 saved.")
        expect(page.locator('tr[data-room="851"] .pin')).to_have_text("–")
        [changed] = rooms(api)
        assert changed == {**created, "number": "851", "name": "Board room", "pin": None,
                           "record": False, "max_members": 30}  # fmt: skip

        # refused: a bad PIN; the form keeps what was typed, nothing is changed
        page.goto(f"{base}/tenant/conferences/{created['id']}")
        edit.locator("input[name=pin]").fill("12")
        edit.locator("input[name=name]").fill("Renamed")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("Invalid PIN")
        expect(edit.locator("input[name=pin]")).to_have_value("12")
        assert rooms(api) == [changed]

        # refused: a second room with the same number
        page.goto(f"{base}/tenant/conferences")
        form.locator("input[name=number]").fill("851")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("exists already")
        assert rooms(api) == [changed]
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "conferences.png"), full_page=True)

        # delete
        page.locator('tr[data-room="851"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Conference room 851 deleted.")
        expect(page.locator('tr[data-room="851"]')).to_have_count(0)
        assert rooms(api) == []

    # on a phone-size screen, in French, nothing is cut off
    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/conferences?lang=fr")
    expect(phone.locator("h2")).to_have_text("Nouvelle salle de conférence")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()


@SQLITE
def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    english = set(catalog("en"))
    own = {k for k in english if k.startswith("conferences.")}
    assert len(own) > 20
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/conferences").text)
        admin.post("/tenant/conferences", data={"csrf": token, "number": "850", "pin": "123"})
        [room] = rooms(admin)
        for language in LANGUAGES:
            for path in ("/tenant/conferences", f"/tenant/conferences/{room['id']}"):
                shown = admin.get(f"{path}?lang={language}")
                assert shown.status_code == 200
                assert raw_keys(shown.text, ("conferences", "common", "nav")) == [], language
            for pin in ("1", "123"):  # a bad PIN; the same as the moderator's
                refused = admin.post(f"/tenant/conferences?lang={language}", data={
                    "csrf": token, "number": "851", "pin": pin, "moderator_pin": "123",
                })  # fmt: skip
                assert 'class="flash error"' in refused.text
                assert raw_keys(refused.text, ("conferences", "error")) == [], language
        german = admin.post("/tenant/conferences?lang=de", data={
            "csrf": token, "number": "850",
        })  # fmt: skip
        assert "Diese Raumnummer gibt es schon" in german.text
        assert len(rooms(admin)) == 1
