"""The settings page in Chromium: the tenant's storage use against its quota, and its contacts
(IT admin, firewall admin, partners) added, changed and deleted through the page and read back
through /api/v1/tenants/{id}/contacts; a value the API would refuse shows a message and changes
nothing; another tenant's administrator neither sees nor touches them; translated.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import MediaFile, MediaKind, Tenant
from centrex.provisioning import storage
from centrex.provisioning import tenants as tenant_service
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_numbers_page import (
    OTHER_ADMIN,
    api,
    assert_translated,
    flash_error,
    login_client,
    seed,
    submit,
)
from tests.web.test_portal_browser import _log_in, _save, browser

__all__ = ["browser"]

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


async def _files(url: str) -> None:
    """Acme: a 10 MB quota and 3 MiB of music on hold (a row is what the quota counts)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await session.scalar(select(Tenant).where(Tenant.domain == "acme.example.com"))
            assert acme is not None
            acme.storage_quota_mb = 10
            scope = tenant_service.scope_of(session, acme)
            scope.add(MediaFile(kind=MediaKind.MOH, name="Jazz", path="tenants/1/moh/x.wav",
                                duration_ms=1000, size_bytes=3 * storage.MIB,
                                created_at=datetime.now(UTC)))  # fmt: skip
    finally:
        await database.dispose()


def _contacts(page: Page, base: str) -> list[dict[str, Any]]:
    tenant = api(page, base, "/api/v1/tenants")["items"][0]["id"]
    items: list[dict[str, Any]] = api(page, base, f"/api/v1/tenants/{tenant}/contacts")["items"]
    return items


def test_bad_contacts_and_other_tenants_change_nothing(
    portal_server: PortalServer, database_url: str
) -> None:
    """Without a browser, on both databases (keep it before this module's browser tests)."""
    seed(database_url)
    base = portal_server.base_url
    tenant = portal_server.tenant_id
    with login_client(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        good = {"action": "add", "kind": "it-admin", "name": "Ivan IT", "phone": "+41 21 555 01 01"}
        for form, message in (
            ({**good, "phone": "call me"}, "phone"),
            ({**good, "name": "   "}, "name"),
            ({**good, "name": "x" * 201}, "name"),
            ({**good, "kind": "janitor"}, "janitor"),
        ):
            assert message in flash_error(submit(admin, "/tenant/settings", form)), form
        contacts = f"/api/v1/tenants/{tenant}/contacts"
        assert admin.get(contacts).json()["items"] == []

        assert "Contact Ivan IT added" in submit(admin, "/tenant/settings", good).text
        again = submit(admin, "/tenant/settings", {**good, "name": "Someone Else"})
        assert "already" in flash_error(again)
        answer = submit(admin, "/tenant/settings", {"action": "edit", "kind": "it-admin",
                                                    "name": "Ivan", "phone": "0800 not"})  # fmt: skip
        assert "phone" in flash_error(answer)
        assert [c["name"] for c in admin.get(contacts).json()["items"]] == ["Ivan IT"]
        for form in (
            {"action": "edit", "kind": "pbx-partner", "name": "Nobody"},  # none of that kind
            {"action": "delete", "kind": "pbx-partner"},
            {"action": "delete", "kind": "../../it-admin"},
            {"action": "explode", "kind": "it-admin"},
        ):
            assert submit(admin, "/tenant/settings", form).status_code == 404, form

        with login_client(base, *OTHER_ADMIN) as other:
            seen = other.get("/tenant/settings").text
            assert "Ivan" not in seen
            # its own tenant's contacts: deleting an it-admin there touches nothing of acme
            assert (
                submit(
                    other, "/tenant/settings", {"action": "delete", "kind": "it-admin"}
                ).status_code
                == 404
            )
            assert other.get(contacts).status_code == 404  # acme's contacts through the API
        assert [c["name"] for c in admin.get(contacts).json()["items"]] == ["Ivan IT"]
    with login_client(base, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/settings").status_code == 403


@SQLITE
def test_admin_manages_contacts_and_sees_storage(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _files(database_url)).result()
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.click("nav a[href^='/tenant/settings']")
    expect(page.locator("h1")).to_contain_text("Settings of acme.example.com")
    expect(page.locator("#storage .usage")).to_have_text("3.0 MB of 10 MB used (30 %)")
    expect(page.locator("#storage meter")).to_have_attribute("value", "30")

    form = page.locator("#add-contact")
    form.locator("select[name=kind]").select_option("firewall-admin")
    form.locator("input[name=name]").fill("Fiona Wall")
    form.locator("input[name=email]").fill("fiona@acme.example.com")
    form.locator("input[name=phone]").fill("+41 21 555 01 02")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("Contact Fiona Wall added")
    assert _contacts(page, base) == [{"kind": "firewall-admin", "name": "Fiona Wall",
                                      "email": "fiona@acme.example.com",
                                      "phone": "+41 21 555 01 02"}]  # fmt: skip
    # a kind that is set is no longer offered for adding
    expect(page.locator("#add-contact option[value=firewall-admin]")).to_have_count(0)

    page.locator("#add-contact select[name=kind]").select_option("it-partner")
    page.fill("#add-contact input[name=name]", "Partner AG")
    page.fill("#add-contact input[name=phone]", "not a phone")
    page.click("#add-contact button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("phone")
    assert [c["kind"] for c in _contacts(page, base)] == ["firewall-admin"]

    row = page.locator('tr[data-kind="firewall-admin"]')
    row.locator("input[name=name]").fill("Fiona Mauer")
    row.locator("input[name=email]").fill("")
    row.locator("form.edit button").click()
    expect(page.locator(".flash")).to_contain_text("Contact Fiona Mauer saved")
    assert _contacts(page, base)[0]["name"] == "Fiona Mauer"
    assert _contacts(page, base)[0]["email"] is None

    page.locator('tr[data-kind="firewall-admin"] form.delete button').click()
    expect(page.locator(".flash")).to_contain_text("Contact deleted")
    assert _contacts(page, base) == []
    expect(page.locator("tr[data-kind]")).to_have_count(0)

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/settings?lang=de")
    expect(phone.locator("#storage .usage")).to_have_text("3.0 MB von 10 MB belegt (30 %)")
    expect(phone.locator("#add-contact button")).to_be_visible()
    _save(phone, tmp_path, "tenant-settings-phone-de.png")


@SQLITE
def test_settings_page_is_translated(
    portal_server: PortalServer, browser: Browser, database_url: str
) -> None:
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.goto(f"{base}/tenant/settings")
    page.fill("#add-contact input[name=name]", "Ivan IT")
    page.click("#add-contact button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Ivan IT")
    assert_translated(page, f"{base}/tenant/settings", "settings")
    expect(page.locator('tr[data-kind="it-admin"] td').first).to_contain_text("Amministratore IT")
