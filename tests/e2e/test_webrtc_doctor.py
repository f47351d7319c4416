"""The WebRTC doctor against a real `centrex serve` (issue 14 item 7): while a browser call
has no media, `GET /api/v1/calls/{id}` and the portal's call page (Chromium) say which step
failed, and the leg's release log line keeps the last diagnosis.

Two broken browsers, both aiortc (a real ICE/DTLS-SRTP stack) behind hand-built SIP
(tests/e2e/test_webrtc_media.py's `BrowserSip`), calling a baresip phone:
* its SDP names a fingerprint that is not its certificate's: ICE works, DTLS fails
  (`dtls-failed`);
* it never applies Centrex's answer, so it never sends a STUN binding request
  (`no-ice-binding`, once the doctor's grace after the answer has passed).
The other tenant's administrator gets 404 for the call, in the API and in the portal.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, SMALL, CallPbx, phone, registered
from tests.e2e.test_webrtc_media import BROWSER_HOST, BrowserSip, wait_log
from tests.media.webrtc.browser import Browser, host_addresses
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e

ADMINS = {
    ACME: ("ada@acme.calls.test", "ada-portal-pw-1"),
    SMALL: ("sam@small.calls.test", "sam-portal-pw-1"),
}


class DoctorPbx(CallPbx):
    """The calls test server plus one portal administrator per tenant."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                for domain, (email, password) in ADMINS.items():
                    scope = await tenant_service.scope_for(session, domain)
                    await user_service.create_user(
                        scope, name=email.split("@")[0], email=email, password=password,
                        role=UserRole.TENANT_ADMIN.value,
                    )  # fmt: skip
        finally:
            await database.dispose()

    def token(self, domain: str) -> str:
        made: dict[str, str] = self.cli("token", "create", "--role", "tenant-admin",
                                        "--tenant", domain)  # fmt: skip
        return made["token"]


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DoctorPbx]:
    server = DoctorPbx(tmp_path_factory.mktemp("webrtc-doctor"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def api(pbx: DoctorPbx, token: str, path: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{pbx.http}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


async def browser_leg(pbx: DoctorPbx, token: str, code: str, limit: float = 30.0) -> Any:
    """The live call of 101 (the browser) once its leg's first finding is `code`."""
    seen: Any = None
    for _ in range(int(limit / 0.5)):
        _status, listed = await asyncio.to_thread(api, pbx, token, "/calls")
        calls = [c for c in listed["items"] if c["caller"] == "101"]
        if calls:
            seen = calls[0]
            leg = next(m for m in seen["media"] if m["side"] == "a")
            if leg["diagnosis"] and leg["diagnosis"][0]["code"] == code:
                return seen
        await asyncio.sleep(0.5)
    raise AssertionError(f"no {code!r} finding on the browser's leg: {seen}")


async def portal_finding(pbx: DoctorPbx, call_id: str, code: str) -> str:
    """Log in to the portal as ACME's administrator in Chromium and read the call page's first
    finding of the browser's leg (it must carry `code`)."""
    base = f"http://127.0.0.1:{pbx.http}"
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await chromium.new_page()
            await page.goto(f"{base}/login")
            await page.fill("input[name=email]", ADMINS[ACME][0])
            await page.fill("input[name=password]", ADMINS[ACME][1])
            await page.click("button[type=submit]")
            await page.wait_for_load_state()
            await page.goto(f"{base}/tenant/calls")
            await page.click(f"tr[data-call-id='{call_id}'] a")
            finding = page.locator("#leg-a li.finding").first
            await expect(finding).to_have_attribute("data-code", code)
            return await finding.inner_text()
        finally:
            await chromium.close()


async def portal_status(pbx: DoctorPbx, domain: str, path: str) -> int:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{pbx.http}") as client:
        form = await client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text
        email, password = ADMINS[domain]
        await client.post("/login", data={"email": email, "password": password,
                                          "csrf": csrf.group(1)})  # fmt: skip
        return (await client.get(path)).status_code


async def test_wrong_fingerprint_shows_dtls_failed(pbx: DoctorPbx, tmp_path: Path) -> None:
    acme, small = pbx.token(ACME), pbx.token(SMALL)
    with (
        phone(pbx, tmp_path, "103", ACME, 1000, answer=True) as callee,
        host_addresses(BROWSER_HOST),
    ):
        await asyncio.to_thread(registered, callee)
        browser = Browser(700.0)
        sip = BrowserSip(("127.0.0.1", pbx.sip), "101", "pw-101-secret")
        await sip.open()
        try:
            offer = await browser.offer()
            line = next(ln for ln in offer.splitlines() if ln.startswith("a=fingerprint:"))
            algo, value = line.split(":", 1)[1].split(" ", 1)
            forged = ("00" if value[:2] != "00" else "11") + value[2:]
            ok = await sip.call("103", offer.replace(line, f"a=fingerprint:{algo} {forged}"))
            assert ok.status == 200, ok
            await browser.accept_answer(ok.body.decode())

            call = await browser_leg(pbx, acme, "dtls-failed")
            leg = next(m for m in call["media"] if m["side"] == "a")
            assert leg["webrtc"]["dtls_state"] == "failed"
            assert leg["webrtc"]["stun_binding_requests"] >= 1  # ICE itself worked
            assert leg["webrtc"]["ice_selected"].startswith(BROWSER_HOST)
            assert "fingerprint" in leg["diagnosis"][0]["message"]
            phone_leg = next(m for m in call["media"] if m["side"] == "b")
            assert (phone_leg["webrtc"], phone_leg["diagnosis"]) == (None, [])
            path = f"/calls/{call['call_id']}"
            status, one = await asyncio.to_thread(api, pbx, acme, path)
            assert status == 200
            assert one["media"][0]["diagnosis"][0]["code"] == "dtls-failed"
            status, refused = await asyncio.to_thread(api, pbx, small, path)
            assert (status, refused["error_id"]) == (404, "call-not-found")

            text = await portal_finding(pbx, call["call_id"], "dtls-failed")
            assert "DTLS handshake failed" in text
            page = f"/tenant/calls/{call['call_id']}"
            assert await portal_status(pbx, SMALL, page) == 404
            assert await portal_status(pbx, ACME, page) == 200
            assert await sip.bye() == 200
        finally:
            await browser.close()
            sip.close()
        assert await asyncio.to_thread(callee.wait_hung_up), callee.log()
    await wait_log(pbx, r"dtls_state=failed dtls_failures=1 .* diagnosis=dtls-failed")


async def test_browser_that_never_sends_stun_shows_no_ice_binding(
    pbx: DoctorPbx, tmp_path: Path
) -> None:
    acme = pbx.token(ACME)
    with (
        phone(pbx, tmp_path, "102", ACME, 1000, answer=True) as callee,
        host_addresses(BROWSER_HOST),
    ):
        await asyncio.to_thread(registered, callee)
        browser = Browser(700.0)
        sip = BrowserSip(("127.0.0.1", pbx.sip), "101", "pw-101-secret")
        await sip.open()
        try:
            ok = await sip.call("102", await browser.offer())
            assert ok.status == 200, ok  # the answer is never applied: no ICE, no DTLS
            call = await browser_leg(pbx, acme, "no-ice-binding")
            leg = next(m for m in call["media"] if m["side"] == "a")
            assert leg["webrtc"]["stun_binding_requests"] == 0
            assert leg["webrtc"]["dtls_state"] == "new"
            assert "firewall" in leg["diagnosis"][0]["message"]
            text = await portal_finding(pbx, call["call_id"], "no-ice-binding")
            assert "No ICE binding request received" in text
            assert await sip.bye() == 200
        finally:
            await browser.close()
            sip.close()
        assert await asyncio.to_thread(callee.wait_hung_up), callee.log()
    await wait_log(pbx, r"stun_binding_requests=0 .* diagnosis=no-ice-binding")
