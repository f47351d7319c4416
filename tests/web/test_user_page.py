"""The user edit page (`/tenant/users/{id}`): refused input says why and changes nothing,
another tenant's users are out of reach (404 for every form), a plain user is refused, every
language is translated; then in Chromium a tenant admin opens a user from the users list,
edits it, resets its portal password (shown once, and it logs in) and deletes it, each step
checked through the REST API.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.provisioning.views import user_view
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import STAFF_PASSWORD, USER_PASSWORD, PortalServer
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
ZOE_PASSWORD = "zoe-old-password-1"


async def seed(url: str) -> dict[str, int]:
    """Acme gets Zoe (who can log in); a second tenant, globex, gets its admin Gina."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            zoe = await user_service.create_user(acme, name="Zoe", email="zoe@acme.example.com",
                                                 password=ZOE_PASSWORD)  # fmt: skip
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Globex AG", domain=OTHER,
                extension_digits=3, max_calls=4,
            )  # fmt: skip
            globex = tenant_service.scope_of(session, tenant)
            gina = await user_service.create_user(globex, name="Gina",
                                                  email="admin@globex.example.com",
                                                  role=UserRole.TENANT_ADMIN.value,
                                                  password="globex-admin-pw-1")  # fmt: skip
            return {"zoe": zoe.id, "gina": gina.id}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, OTHER)
            return [user_view(u) for u in await user_service.list_users(scope)]
    finally:
        await database.dispose()


def user(api: httpx.Client, user_id: int) -> dict[str, Any]:
    answer = api.get(f"/api/v1/users/{user_id}")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def can_log_in(base: str, email: str, password: str) -> bool:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"email": email, "password": password, "csrf": token})
        return answer.status_code == 303


def test_refused_input_and_another_tenants_users(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    zoe = ids["zoe"]
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        shown = admin.get(f"/tenant/users/{zoe}")
        assert shown.status_code == 200
        token = csrf_of(shown.text)
        stored = user(admin, zoe)
        good = {"csrf": token, "name": "Zoe", "email": "zoe@acme.example.com",
                "role": "user", "language": "en"}  # fmt: skip
        for fields, said in (
            ({"name": "  "}, "Invalid name"),
            ({"name": "n" * 201}, "Invalid name"),
            ({"email": "not-an-address"}, "Invalid e-mail address"),
            ({"email": "paul@acme.example.com"}, "E-mail address already used"),
            ({"role": "emperor"}, "Invalid role"),
            ({"language": "xx"}, "Invalid language"),
        ):
            answer = admin.post(f"/tenant/users/{zoe}", data={**good, **fields})
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert said in answer.text, fields
            assert user(admin, zoe) == stored
        # the users list links each row to its edit page
        assert f'href="/tenant/users/{zoe}"' in admin.get("/tenant/users").text

        # another tenant's user: 404 for the page and every form, and left as it was
        gina = ids["gina"]
        assert admin.get(f"/tenant/users/{gina}").status_code == 404
        for path in (f"/tenant/users/{gina}", f"/tenant/users/{gina}/password",
                     f"/tenant/users/{gina}/delete"):  # fmt: skip
            answer = admin.post(path, data={**good, "name": "Taken over"})
            assert answer.status_code == 404, path
            assert "globex" not in answer.text.lower()
        forged = admin.post(f"/tenant/users/{zoe}/delete", data={})
        assert forged.status_code == 400
        assert user(admin, zoe) == stored
    assert run(portal_server, other_tenant(database_url)) == before
    assert can_log_in(portal_server.base_url, "admin@globex.example.com", "globex-admin-pw-1")
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as plain:
        assert plain.get(f"/tenant/users/{zoe}").status_code == 403
        assert plain.post(f"/tenant/users/{zoe}/password", data={}).status_code == 403
    assert can_log_in(portal_server.base_url, "zoe@acme.example.com", ZOE_PASSWORD)
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get(f"/tenant/users/{zoe}?tenant=acme.example.com")
        assert shown.status_code == 200
        assert f'action="/tenant/users/{zoe}?tenant=acme.example.com"' in shown.text
        assert staff.get(f"/tenant/users/{ids['gina']}?tenant=acme.example.com").status_code == 404


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("user_page.")}
    assert len(own) > 20
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/users").text)
        for language in LANGUAGES:
            for path in ("/tenant/users", f"/tenant/users/{ids['zoe']}"):
                shown = admin.get(f"{path}?lang={language}")
                assert shown.status_code == 200
                assert raw_keys(shown.text, ("user_page", "users", "common", "nav")) == []
            refused = admin.post(f"/tenant/users/{ids['zoe']}?lang={language}", data={
                "csrf": token, "name": "Zoe", "email": "nope", "role": "user", "language": "en",
            })  # fmt: skip
            assert 'class="flash error"' in refused.text
            assert raw_keys(refused.text, ("user_page", "error")) == [], language
        assert "Benutzer Zoe" in admin.get(f"/tenant/users/{ids['zoe']}?lang=de").text


@SQLITE
def test_admin_edits_resets_and_deletes_a_user(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    ids = run(portal_server, seed(database_url))
    zoe = ids["zoe"]
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/users"]')
    page.locator(f'a[href="/tenant/users/{zoe}"]').click()
    expect(page).to_have_url(f"{base}/tenant/users/{zoe}")
    expect(page.locator("h1")).to_have_text("User Zoe")

    edit = page.locator("#edit-user")
    edit.locator("input[name=name]").fill("Zoé Martin")
    edit.locator("input[name=email]").fill("Zoe.Martin@acme.example.com")
    edit.locator("select[name=role]").select_option("supervisor")
    edit.locator("select[name=language]").select_option("it")
    edit.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("User Zoé Martin saved.")
    with logged_in(base, *ADMIN) as api:
        changed = user(api, zoe)
        assert (changed["name"], changed["email"], changed["role"], changed["language"]) == (
            "Zoé Martin", "zoe.martin@acme.example.com", "supervisor", "it",
        )  # fmt: skip

        # refused: another user's address; the form keeps what was typed
        edit.locator("input[name=email]").fill("paul@acme.example.com")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("E-mail address already used")
        expect(edit.locator("input[name=email]")).to_have_value("paul@acme.example.com")
        assert user(api, zoe) == changed

        # the password reset: shown once, it logs in, the old one no longer does
        page.locator("#reset-password button").click()
        expect(page.locator(".flash")).to_have_text("A new portal password was set for Zoé Martin.")
        password = page.locator("#new-password code").inner_text().strip()
        assert re.fullmatch(r"\S{20}", password)
        assert can_log_in(base, "zoe.martin@acme.example.com", password)
        assert not can_log_in(base, "zoe.martin@acme.example.com", ZOE_PASSWORD)
        page.goto(f"{base}/tenant/users/{zoe}")
        expect(page.locator("#new-password")).to_have_count(0)
        assert password not in page.content()

        page.locator("#delete-user button").click()
        expect(page.locator(".flash")).to_have_text("User Zoé Martin deleted.")
        expect(page.locator(f'a[href="/tenant/users/{zoe}"]')).to_have_count(0)
        assert api.get(f"/api/v1/users/{zoe}").status_code == 404
        assert not can_log_in(base, "zoe.martin@acme.example.com", password)

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/users?lang=de")
    expect(phone.locator("a", has_text="Bearbeiten").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()
