"""The provider's live view across tenants in Chromium.

On the portal test server (live sources the test sets: calls, and registrations built from
events, as for /tenant/calls): a call and a registration of each of two tenants, each shown with
its tenant; a call that starts later appears without a reload; a partner sees only its own
tenant's, live events included; a tenant admin is refused the page and never sees the other
tenant's call on its own calls page. The same against a real `centrex serve` with real phones
is in tests/e2e/test_provider_pages.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from centrex.events import CallEvent, RegistrationChanged
from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    ProviderServer,
    check_translations,
    chromium,
    log_in,
    provider_server,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


def _call(call_id: str, caller: str, callee: str, state: str = "answered") -> dict[str, Any]:
    return {"call_id": call_id, "caller": caller, "callee": callee, "direction": "internal",
            "state": state, "started_at": "2026-12-07T10:00:00+00:00",
            "answered_at": "2026-12-07T10:00:03+00:00"}  # fmt: skip


def _two_tenants_busy(srv: ProviderServer) -> None:
    acme, beta = srv.ids["acme"], srv.ids["beta"]
    srv.calls.calls[acme] = [_call("acme-call-1", "202", "203")]
    srv.calls.calls[beta] = [_call("beta-call-1", "301", "+41215550100")]
    for tenant, aor, agent in ((acme, "sip:202@acme.example.com", "Acme Phone 1.0"),
                               (beta, "sip:301@beta.example.com", "Beta Phone 2.0")):  # fmt: skip
        srv.publish(RegistrationChanged(tenant_id=tenant, aor=aor, contact=f"<{aor}>",
                                        expires=300, source="127.0.0.1:5099",
                                        user_agent=agent))  # fmt: skip


@SQLITE
def test_live_view_across_tenants(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        _two_tenants_busy(srv)
        page = log_in(browser, srv.base_url, ROOT)
        page.click("header nav a[href='/provider/live']")
        calls = page.locator("#all-calls tbody tr[data-call-id]")
        expect(calls).to_have_count(2)
        expect(page.locator('tr[data-call-id="acme-call-1"] .tenant')).to_have_text(
            "acme.example.com"
        )
        expect(page.locator('tr[data-call-id="beta-call-1"] .tenant')).to_have_text(
            "beta.example.com"
        )
        expect(page.locator('tr[data-call-id="beta-call-1"]')).to_contain_text("+41215550100")
        regs = page.locator("#all-registrations tbody tr[data-aor]")
        expect(regs).to_have_count(2)
        expect(page.locator('tr[data-aor="sip:301@beta.example.com"] .tenant')).to_have_text(
            "beta.example.com"
        )
        expect(page.locator('tr[data-aor="sip:301@beta.example.com"]')).to_contain_text(
            "Beta Phone"
        )

        # a new call of beta appears live, an ended one of acme goes
        expect(page.locator("body.live")).to_have_count(1)
        srv.calls.calls[srv.ids["beta"]].append(_call("beta-call-2", "302", "303", "ringing"))
        srv.publish(CallEvent(tenant_id=srv.ids["beta"], call_id="beta-call-2", state="ringing",
                              caller="302", callee="303", direction="internal"))  # fmt: skip
        expect(page.locator('tr[data-call-id="beta-call-2"]')).to_contain_text("ringing")
        srv.calls.calls[srv.ids["acme"]] = []
        srv.publish(CallEvent(tenant_id=srv.ids["acme"], call_id="acme-call-1", state="ended"))
        expect(page.locator('tr[data-call-id="acme-call-1"]')).to_have_count(0)
        expect(calls).to_have_count(2)
        page.screenshot(path=str(tmp_path / "provider-live.png"), full_page=True)
        check_translations(page, f"{srv.base_url}/provider/live", "provider_live")


@SQLITE
def test_partner_sees_its_tenants_and_tenant_admin_only_its_own(
    database_url: str, tmp_path: Path
) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        _two_tenants_busy(srv)
        partner = log_in(browser, srv.base_url, PARTNER)
        partner.goto(f"{srv.base_url}/provider/live")
        expect(partner.locator("#all-calls tbody tr[data-call-id]")).to_have_count(1)
        expect(partner.locator('tr[data-call-id="beta-call-1"]')).to_be_visible()
        expect(partner.locator("#all-registrations tbody tr[data-aor]")).to_have_count(1)
        expect(partner.locator("body")).not_to_contain_text("acme")
        # acme's events do not reach it either: a new acme call does not appear
        expect(partner.locator("body.live")).to_have_count(1)
        srv.calls.calls[srv.ids["acme"]].append(_call("acme-call-2", "204", "205"))
        srv.publish(CallEvent(tenant_id=srv.ids["acme"], call_id="acme-call-2", state="ringing"))
        srv.calls.calls[srv.ids["beta"]].append(_call("beta-call-2", "302", "303"))
        srv.publish(CallEvent(tenant_id=srv.ids["beta"], call_id="beta-call-2", state="ringing"))
        expect(partner.locator('tr[data-call-id="beta-call-2"]')).to_be_visible()
        expect(partner.locator('tr[data-call-id^="acme"]')).to_have_count(0)
        partner.close()

        admin = log_in(browser, srv.base_url, ACME_ADMIN)
        expect(admin.locator("header nav a[href='/provider/live']")).to_have_count(0)
        response = admin.goto(f"{srv.base_url}/provider/live")
        assert response is not None
        assert response.status == 403
        assert "beta" not in response.text()
        admin.goto(f"{srv.base_url}/tenant/calls")
        expect(admin.locator("#live-calls tbody tr[data-call-id]")).to_have_count(2)
        expect(admin.locator('tr[data-call-id="acme-call-1"]')).to_be_visible()
        expect(admin.locator("body")).not_to_contain_text("beta-call")
        response = admin.goto(f"{srv.base_url}/tenant/calls?tenant=beta.example.com")
        assert response is not None
        assert response.status == 404
        assert "beta-call" not in response.text()
