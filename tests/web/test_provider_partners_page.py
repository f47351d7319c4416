"""The provider's partners page and tenant detail page in Chromium: partners with their tenants,
create and delete a partner, edit a tenant's licence and quota, change its status and read the
history; each checked through the services. A partner sees and edits only its own tenants
(another tenant's page or form: 404, nothing changed); a tenant admin is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centrex.provisioning import provider
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.platform_views import tenant_view
from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    blocking,
    check_translations,
    chromium,
    in_session,
    log_in,
    provider_server,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


def _tenant(url: str, tenant_id: int) -> dict[str, Any]:
    async def work(session: Any) -> dict[str, Any]:
        tenant = await provider.get_tenant_by_id(session, tenant_id)
        view = tenant_view(tenant)
        history = await tenant_service.status_history(tenant_service.scope_of(session, tenant))
        view["history"] = [(h.status.value, h.reason) for h in history]
        return view

    return blocking(in_session(url, work))


def _partners(url: str) -> list[str]:
    async def work(session: Any) -> list[str]:
        return [p.name for p in await tenant_service.list_partners(session)]

    return blocking(in_session(url, work))


def _save_licence(page: Page, **fields: str) -> None:
    form = page.locator("#tenant-licence")
    for name, value in fields.items():
        if name == "partner_id":
            form.locator("select[name=partner_id]").select_option(label=value)
        else:
            box = form.locator(f"input[name={name}]")
            box.evaluate("e => e.removeAttribute('min')")
            box.fill(value)
    form.locator("button[type=submit]").click()


@SQLITE
def test_partners_and_tenant_detail(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        acme, beta = srv.ids["acme"], srv.ids["beta"]
        page = log_in(browser, srv.base_url, ROOT)
        page.click("header nav a[href='/provider/partners']")
        alpine = page.locator('section[data-partner="Alpine Reseller"]')
        expect(alpine.locator("tr[data-domain]")).to_have_count(1)
        expect(alpine.locator('tr[data-domain="beta.example.com"]')).to_be_visible()
        expect(
            page.locator('section[data-partner="Other Reseller"] tr[data-domain]')
        ).to_have_count(0)
        expect(
            page.locator('section[data-partner=""] tr[data-domain="acme.example.com"]')
        ).to_be_visible()

        form = page.locator("#create-partner")
        form.locator("input[name=name]").fill("Gamma Telecom")
        form.locator("input[name=email]").fill("sales@gamma.test")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.ok")).to_contain_text("Partner Gamma Telecom created")
        form.locator("input[name=name]").fill("Gamma Telecom")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("already exists")
        assert _partners(database_url) == ["Alpine Reseller", "Other Reseller", "Gamma Telecom"]

        # the tenant's page: licence, quota and partner
        page.locator('tr[data-domain="acme.example.com"] a.button').click()
        expect(page).to_have_url(f"{srv.base_url}/provider/tenants/{acme}")
        expect(page.locator("#licence")).to_have_text("0 of 4 simultaneous calls in use")
        expect(page.locator("#storage")).to_contain_text("of 1024 MB")
        _save_licence(page, max_calls="12", storage_quota_mb="2048", partner_id="Gamma Telecom")
        expect(page.locator(".flash.ok")).to_contain_text("Acme SA saved")
        expect(page.locator("#licence")).to_have_text("0 of 12 simultaneous calls in use")
        saved = _tenant(database_url, acme)
        assert (saved["max_calls"], saved["storage_quota_mb"]) == (12, 2048)
        assert saved["partner_id"] is not None
        _save_licence(page, max_calls="-1")
        expect(page.locator(".flash.error")).to_contain_text("max calls cannot be negative")
        expect(page.locator("#tenant-licence input[name=max_calls]")).to_have_value("12")
        assert _tenant(database_url, acme)["max_calls"] == 12

        # status with a reason, and its history (newest first)
        status = page.locator("#tenant-status-form")
        status.locator("select[name=status]").select_option("suspended")
        status.locator("input[name=reason]").fill("invoice 2026-11 unpaid")
        status.locator("button[type=submit]").click()
        expect(page.locator(".flash.ok")).to_contain_text("Acme SA is now suspended")
        rows = page.locator("#status-history tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("invoice 2026-11 unpaid")
        expect(rows.first).to_have_attribute("data-status", "suspended")
        status.locator("select[name=status]").select_option("active")
        status.locator("button[type=submit]").click()
        expect(page.locator("#tenant-status")).to_have_text("active")
        assert _tenant(database_url, acme)["history"] == [
            ("active", None),
            ("suspended", "invoice 2026-11 unpaid"),
            ("active", None),
        ]
        page.screenshot(path=str(tmp_path / "provider-tenant.png"), full_page=True)
        check_translations(page, f"{srv.base_url}/provider/tenants/{acme}", "provider_partners")

        check_translations(page, f"{srv.base_url}/provider/partners", "provider_partners")
        # deleting a partner keeps its tenants, without a partner
        page.locator('section[data-partner="Gamma Telecom"] form.delete-partner button').click()
        expect(page.locator(".flash.ok")).to_contain_text("Partner Gamma Telecom deleted")
        assert _tenant(database_url, acme)["partner_id"] is None
        assert _tenant(database_url, beta)["partner_id"] == srv.ids["alpine"]


@SQLITE
def test_a_partner_reaches_only_its_tenants(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        acme, beta = srv.ids["acme"], srv.ids["beta"]
        page = log_in(browser, srv.base_url, PARTNER)
        page.goto(f"{srv.base_url}/provider/partners")
        expect(page.locator("section[data-partner]")).to_have_count(1)
        expect(
            page.locator('section[data-partner="Alpine Reseller"] tr[data-domain]')
        ).to_have_count(1)
        expect(page.locator("body")).not_to_contain_text("acme.example.com")
        expect(page.locator("body")).not_to_contain_text("Other Reseller")
        expect(page.locator("#create-partner")).to_have_count(0)

        # its own tenant: licence editable, but not the partner
        page.goto(f"{srv.base_url}/provider/tenants/{beta}")
        expect(page.locator("#tenant-licence select[name=partner_id]")).to_have_count(0)
        _save_licence(page, max_calls="8")
        expect(page.locator(".flash.ok")).to_contain_text("Beta GmbH saved")
        assert _tenant(database_url, beta)["max_calls"] == 8
        csrf = page.locator("#tenant-licence input[name=csrf]").input_value()
        moved = page.request.post(f"{srv.base_url}/provider/tenants/{beta}",
                                  form={"csrf": csrf, "form": "licence", "max_calls": "9",
                                        "partner_id": str(srv.ids["other"])})  # fmt: skip
        expect(page.locator("body")).to_be_visible()
        assert "only a platform admin may move a tenant" in moved.text()
        assert _tenant(database_url, beta)["partner_id"] == srv.ids["alpine"]
        assert _tenant(database_url, beta)["max_calls"] == 8

        # another partner's (or no partner's) tenant: not found, nothing changed
        response = page.goto(f"{srv.base_url}/provider/tenants/{acme}")
        assert response is not None
        assert response.status == 404
        before = _tenant(database_url, acme)
        for form in ({"form": "licence", "max_calls": "99"},
                     {"form": "status", "status": "suspended", "reason": "x"}):  # fmt: skip
            posted = page.request.post(f"{srv.base_url}/provider/tenants/{acme}",
                                       form={"csrf": csrf, **form})  # fmt: skip
            assert posted.status == 404
        assert _tenant(database_url, acme) == before
        page.close()

        admin = log_in(browser, srv.base_url, ACME_ADMIN)
        for url in ("/provider/partners", f"/provider/tenants/{acme}"):
            response = admin.goto(f"{srv.base_url}{url}")
            assert response is not None
            assert response.status == 403
