"""The pause reasons page (`/tenant/pause-reasons`): refused input says why and changes nothing,
a reason an agent is paused with cannot be deleted, another tenant's reasons are out of reach
(404, never shown), a plain user is refused, every language is translated; then in Chromium a
tenant admin adds, renames and deletes a reason, each step checked through the REST API.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import pause_reasons as reason_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
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
DEFAULTS = [(1, "break"), (2, "lunch"), (3, "meeting")]


async def seed(url: str) -> dict[str, int]:
    """A second tenant, globex, with a reason 8 "Globex secret" of its own."""
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
            view = await reason_service.add_reason(globex, code=8, label="Globex secret")
            return {"reason": int(view["id"])}
    finally:
        await database.dispose()


async def other_tenant(url: str) -> list[dict[str, Any]]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            return await reason_service.list_reasons(await tenant_service.scope_for(session, OTHER))
    finally:
        await database.dispose()


def reasons(api: httpx.Client) -> list[tuple[int, str]]:
    answer = api.get("/api/v1/agents/pause-reasons")
    assert answer.status_code == 200
    return [(r["code"], r["label"]) for r in answer.json()["items"]]


def reason_id(html: str, code: int) -> int:
    marker = f'data-code="{code}" data-reason-id="'
    start = html.index(marker) + len(marker)
    return int(html[start : html.index('"', start)])


def test_refused_input_and_another_tenants_reasons(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/pause-reasons")
        assert listing.status_code == 200
        assert "Globex secret" not in listing.text
        token = csrf_of(listing.text)
        for fields, shown in (
            ({"code": "0"}, "Invalid code"),
            ({"code": "12"}, "Invalid code"),
            ({"code": "x"}, "Invalid code"),
            ({"code": "2"}, "Code already used"),
            ({"label": "  "}, "Invalid reason"),
            ({"label": "y" * 65}, "Invalid reason"),
            ({"label": "Lunch"}, "Name already used"),
        ):
            data = {"csrf": token, "code": "5", "label": "Training", **fields}
            answer = admin.post("/tenant/pause-reasons", data=data)
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, fields
            assert shown in answer.text, fields
        assert reasons(admin) == DEFAULTS
        lunch = reason_id(listing.text, 2)
        renamed = admin.post(f"/tenant/pause-reasons/{lunch}", data={"csrf": token, "label": ""})
        assert "Invalid reason" in renamed.text
        assert 'value="lunch"' in renamed.text  # the stored label is shown again

        # an agent paused with "lunch": its reason cannot be deleted
        paused = admin.put("/api/v1/agents/202/state", json={"state": "paused", "reason": "2"},
                           headers={"X-CSRF-Token": token})  # fmt: skip
        assert paused.status_code == 200, paused.text
        refused = admin.post(f"/tenant/pause-reasons/{lunch}/delete", data={"csrf": token})
        assert "Reason in use" in refused.text
        assert "202" in refused.text
        assert reasons(admin) == DEFAULTS

        # another tenant's reason: 404 for every form, and left as it was
        other = ids["reason"]
        assert admin.post(f"/tenant/pause-reasons/{other}", data={
            "csrf": token, "label": "Mine"}).status_code == 404  # fmt: skip
        assert (
            admin.post(f"/tenant/pause-reasons/{other}/delete", data={"csrf": token}).status_code
            == 404
        )
        forged = admin.post("/tenant/pause-reasons", data={"code": "6", "label": "Forged"})
        assert forged.status_code == 400
        assert reasons(admin) == DEFAULTS
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/pause-reasons").status_code == 403
        assert user.post(f"/tenant/pause-reasons/{lunch}/delete", data={}).status_code == 403
    with logged_in(portal_server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        shown = staff.get("/tenant/pause-reasons?tenant=acme.example.com")
        assert shown.status_code == 200
        assert 'action="/tenant/pause-reasons?tenant=acme.example.com"' in shown.text
        assert "Globex secret" not in shown.text


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    own = {k for k in catalog("en") if k.startswith("pause_reasons.")}
    assert len(own) > 12
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/pause-reasons").text)
        for language in LANGUAGES:
            shown = admin.get(f"/tenant/pause-reasons?lang={language}")
            assert shown.status_code == 200
            assert raw_keys(shown.text, ("pause_reasons", "common", "nav")) == [], language
            refused = admin.post(f"/tenant/pause-reasons?lang={language}", data={
                "csrf": token, "code": "99", "label": "x",
            })  # fmt: skip
            assert 'class="flash error"' in refused.text
            assert raw_keys(refused.text, ("pause_reasons", "error")) == [], language
        assert (
            "Pausengründe von acme.example.com" in admin.get("/tenant/pause-reasons?lang=de").text
        )


@SQLITE
def test_admin_adds_renames_and_deletes_a_reason(
    portal_server: PortalServer,
    browser: Browser,  # noqa: F811
    database_url: str,
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/pause-reasons"]')
    expect(page.locator("h1")).to_have_text("Pause reasons of acme.example.com")
    expect(page.locator("#pause-reasons tbody tr")).to_have_count(3)

    form = page.locator("#add-pause-reason")
    form.locator("input[name=code]").fill("7")
    form.locator("input[name=label]").fill("Training")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("Pause reason 7 (Training) added.")
    with logged_in(base, *ADMIN) as api:
        assert reasons(api) == [*DEFAULTS, (7, "Training")]

        row = page.locator('tr[data-code="7"]')
        row.locator("form.rename input[name=label]").fill("Coaching")
        row.locator("form.rename button").click()
        expect(page.locator(".flash")).to_have_text("Pause reason 7 is now called Coaching.")
        assert reasons(api) == [*DEFAULTS, (7, "Coaching")]

        # refused in the browser: a code taken already
        form.locator("input[name=code]").fill("7")
        form.locator("input[name=label]").fill("Other")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("Code already used")
        expect(form.locator("input[name=label]")).to_have_value("Other")
        assert reasons(api) == [*DEFAULTS, (7, "Coaching")]

        page.locator('tr[data-code="7"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Pause reason 7 (Coaching) deleted.")
        expect(page.locator('tr[data-code="7"]')).to_have_count(0)
        assert reasons(api) == DEFAULTS

    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/pause-reasons?lang=fr")
    expect(phone.locator("h1")).to_have_text("Motifs de pause de acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    page.close()
