"""The portal's page of one live call (`/tenant/calls/{id}`) in Chromium: a browser leg's
WebRTC counters and the doctor's findings, translated; the call list links to it; a plain user
is refused and another tenant's administrator gets 404. The live source is a fake whose legs
are built by the call layer's own `webrtc_view`; tests/e2e/test_webrtc_doctor.py drives the
same page with a real server and a real WebRTC peer."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Browser, expect

from centrex.calls.live import webrtc_view
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.api.test_call_diagnosis_api import FAILED, RTP
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import _log_in, browser

__all__ = ["browser"]

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

CALL_ID = "b2b-1@127.0.0.71"
OTHER_ADMIN = ("olga@other.example.com", "other-admin-pw-1")


async def _other_tenant(url: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Other SA", domain="other.example.com",
                extension_digits=3, max_calls=2,
            )  # fmt: skip
            await user_service.create_user(
                tenant_service.scope_of(session, tenant), name="Olga", email=OTHER_ADMIN[0],
                role=UserRole.TENANT_ADMIN.value, password=OTHER_ADMIN[1],
            )  # fmt: skip
    finally:
        await database.dispose()


def _live_call(server: PortalServer) -> None:
    server.calls.calls[server.tenant_id] = [
        {
            "call_id": CALL_ID, "caller": "202", "callee": "201", "direction": "internal",
            "state": "answered",
            "media": [{"side": "a", **RTP, **webrtc_view(FAILED, 9.0)},
                      {"side": "b", **RTP, **webrtc_view(None, 9.0)}],
        }
    ]  # fmt: skip


def _login(client: httpx.Client, email: str, password: str) -> None:
    form = client.get("/login")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"email": email, "password": password, "csrf": csrf})


def test_call_page_shows_the_doctors_finding(portal_server: PortalServer, browser: Browser) -> None:
    _live_call(portal_server)
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.goto(f"{base}/tenant/calls")
    page.click(f"tr[data-call-id='{CALL_ID}'] a")
    expect(page.locator("#call")).to_have_attribute("data-call-id", CALL_ID)
    finding = page.locator("#leg-a li.finding").first
    expect(finding).to_have_attribute("data-code", "dtls-failed")
    expect(finding).to_contain_text("The DTLS handshake failed (fingerprint mismatch")
    expect(finding).to_contain_text("does not match the SDP fingerprint")
    expect(page.locator("#leg-a li.finding").nth(1)).to_have_attribute("data-code", "stun-refused")
    expect(page.locator("#leg-a tr[data-counter='dtls_state'] td")).to_have_text("failed")
    expect(page.locator("#leg-a tr[data-counter='srtp_unsent'] td")).to_have_text("312")
    expect(page.locator("#leg-b li.finding")).to_have_count(0)  # the phone's plain leg
    page.goto(page.url + "?lang=de")
    expect(page.locator("#leg-a li.finding").first).to_contain_text(
        "Der DTLS-Handshake ist fehlgeschlagen"
    )
    page.close()


def test_only_the_tenants_admins_see_the_call(
    portal_server: PortalServer, database_url: str
) -> None:
    _live_call(portal_server)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's loop
        pool.submit(asyncio.run, _other_tenant(database_url)).result()
    path = f"/tenant/calls/{CALL_ID}"
    with httpx.Client(base_url=portal_server.base_url) as admin:
        _login(admin, "admin@acme.example.com", ADMIN_PASSWORD)
        assert admin.get(path).status_code == 200
        assert admin.get("/tenant/calls/gone@nowhere").status_code == 404
    with httpx.Client(base_url=portal_server.base_url) as other:
        _login(other, *OTHER_ADMIN)
        seen = other.get(path)
        assert seen.status_code == 404
        assert "dtls" not in seen.text
    with httpx.Client(base_url=portal_server.base_url) as user:
        _login(user, "paul@acme.example.com", USER_PASSWORD)
        assert user.get(path).status_code == 403
