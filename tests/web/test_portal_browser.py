"""The portal in a real browser (Debian chromium driven by Playwright): log in, create an
extension, watch its registration appear live, and the provider and user pages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.events import CallEvent, RegistrationChanged
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, PortalServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTEFACTS = Path("/tmp/centrex-portal-screenshots")

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _save(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTEFACTS / name)
    return path


def test_admin_creates_extension_and_sees_registration_live(
    portal_server: PortalServer, browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    expect(page).to_have_url(f"{base}/tenant/extensions")
    expect(page.locator("h1")).to_contain_text("acme.example.com")

    page.fill("#create-extension input[name=number]", "201")
    page.fill("#create-extension input[name=name]", "Alice Martin")
    page.click("#create-extension button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Extension 201 created")
    expect(page.locator(".flash")).to_contain_text("password")
    row = page.locator('tr[data-extension="201"]')
    expect(row).to_contain_text("Alice Martin")
    expect(row.locator(".reg")).to_have_text("offline")

    page.goto(f"{base}/tenant/extensions")  # a fresh page: the password is not shown again
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator("body.live")).to_have_count(1)  # the events WebSocket is subscribed
    portal_server.publish(
        RegistrationChanged(
            tenant_id=portal_server.tenant_id,
            aor="sip:201@acme.example.com",
            contact="<sip:201@127.0.0.1:5062;transport=udp>",
            expires=300,
            source="127.0.0.1:5062",
            user_agent="Test Phone 1.0",
        )
    )
    expect(page.locator('tr[data-extension="201"] .reg')).to_have_text("registered")
    _save(page, tmp_path, "tenant-extensions.png")

    # the same page on a phone screen, in French
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/extensions?lang=fr")
    expect(phone.locator("h1")).to_contain_text("Extensions de acme.example.com")
    expect(phone.locator('tr[data-extension="201"] .reg')).to_have_text("enregistré")
    _save(phone, tmp_path, "tenant-extensions-phone-fr.png")


def test_live_calls_page_follows_call_events(
    portal_server: PortalServer, browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.goto(f"{base}/tenant/calls")
    expect(page.locator("body.live")).to_have_count(1)
    event = {
        "tenant_id": portal_server.tenant_id,
        "call_id": "c-1",
        "caller": "201",
        "callee": "+41215550100",
        "direction": "outbound",
    }
    portal_server.publish(CallEvent(state="ringing", **event))
    expect(page.locator('tr[data-call-id="c-1"]')).to_contain_text("ringing")
    portal_server.publish(CallEvent(state="answered", **event))
    expect(page.locator('tr[data-call-id="c-1"]')).to_contain_text("answered")
    portal_server.publish(CallEvent(state="ended", **event))
    expect(page.locator('tr[data-call-id="c-1"]')).to_have_count(0)


def test_provider_dashboard_creates_and_suspends_tenant(
    portal_server: PortalServer, browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "root@provider.test", STAFF_PASSWORD)
    expect(page).to_have_url(f"{base}/provider")
    page.fill("input[name=name]", "Beta GmbH")
    page.fill("input[name=domain]", "beta.example.com")
    page.click("section.card button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Beta GmbH")
    row = page.locator("tr", has_text="beta.example.com")
    expect(row.locator(".badge")).to_have_text("active")
    row.locator("button", has_text="Suspend").click()
    expect(page.locator("tr", has_text="beta.example.com").locator(".badge")).to_have_text(
        "suspended"
    )
    acme = page.locator("tr", has_text="acme.example.com")
    expect(acme.locator(".registrations")).to_have_text("0")
    expect(page.locator("body.live")).to_have_count(1)
    portal_server.calls.calls[portal_server.tenant_id] = [
        {"call_id": "x", "caller": "202", "callee": "+41215550100", "state": "answered"}
    ]
    portal_server.publish(
        RegistrationChanged(
            tenant_id=portal_server.tenant_id,
            aor="sip:202@acme.example.com",
            contact="<sip:202@127.0.0.1:5070>",
            expires=60,
        )
    )
    expect(acme.locator(".registrations")).to_have_text("1")
    expect(acme.locator(".live-calls")).to_have_text("1")
    _save(page, tmp_path, "provider-dashboard.png")


def test_user_page_shows_own_line_and_changes_sip_password(
    portal_server: PortalServer, browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _log_in(page, base, "paul@acme.example.com", USER_PASSWORD)
    expect(page).to_have_url(f"{base}/me")
    expect(page.locator("h1")).to_contain_text("Mon téléphone")  # Paul's language is French
    line = page.locator('section[data-extension="202"]')
    expect(line).to_contain_text("acme.example.com")
    expect(line.locator(".reg")).to_have_text("hors ligne")
    expect(page.locator("body.live")).to_have_count(1)
    portal_server.publish(
        RegistrationChanged(
            tenant_id=portal_server.tenant_id,
            aor="sip:202@acme.example.com",
            contact="<sip:202@127.0.0.1:5064>",
            expires=120,
            user_agent="Paul's desk phone",
        )
    )
    expect(line.locator(".reg")).to_have_text("enregistré")
    line.locator("button[type=submit]").click()  # empty password: generate one
    expect(page.locator(".flash")).to_contain_text("Nouveau mot de passe SIP")
    expect(page.locator("table.devices")).to_contain_text("Paul's desk phone")
    _save(page, tmp_path, "user-page-phone-fr.png")


def test_api_token_from_the_portal_opens_the_api(
    portal_server: PortalServer, browser: Browser, tmp_path: Path
) -> None:
    import httpx

    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.goto(f"{base}/tokens")
    page.fill("#create-token input[name=name]", "crm integration")
    page.click("#create-token button[type=submit]")
    flash = page.locator(".flash").inner_text()
    token = next(word for word in flash.split() if word.startswith("cx_"))
    expect(page.locator("#tokens")).to_contain_text("crm integration")
    response = httpx.get(f"{base}/api/v1/extensions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    page.locator("#tokens button", has_text="Revoke").click()
    expect(page.locator("#tokens .badge")).to_have_text("revoked")
    again = httpx.get(f"{base}/api/v1/extensions", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401
