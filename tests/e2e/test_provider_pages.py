"""The provider pages against a real `centrex serve` and real peers (Chromium for the pages).

* Live view across tenants: four baresip phones, one call in ACME (101 → 102) and one in SMALL
  (201 → 202) at once. The platform admin's /provider/live shows both, each with its tenant, and
  the four registrations; the partner reselling SMALL sees SMALL's only; ACME's tenant admin is
  refused the page (403) and its own calls page shows ACME's call, never SMALL's (naming SMALL:
  404).
* Security: the registrar bans 127.0.0.23 after sipp's two wrong passwords (then even the right
  one is not heard); the security page lists the address, unbans it, and sipp registers.

In tests/e2e (not tests/web) so that they run in the serial group of the other real-server
tests: the call server uses test_calls.py's fixed RTP ranges.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import Role, UserRole
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import logins, provider
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.e2e.test_registration import Pbx
from tests.helpers import free_port
from tests.peers import sipp
from tests.web.provider_portal import ACME_ADMIN, PARTNER, ROOT, chromium, log_in

pytestmark = pytest.mark.e2e

DOMAIN = "acme.e2e.test"
GUESSER = "127.0.0.23"


class LivePbx(CallPbx):
    """test_calls.py's server (ACME 101-103, SMALL 201-203) with portal logins: the platform
    admin, ACME's tenant admin, and the partner reselling SMALL."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                await logins.create_staff(session, email=ROOT[0], password=ROOT[1],
                                          role=Role.PLATFORM_ADMIN)  # fmt: skip
                partner = await tenant_service.create_partner(session, name="Alpine Reseller")
                small = await tenant_service.get_tenant(session, SMALL)
                await provider.update_tenant(session, small, partner_id=partner.id)
                await logins.create_staff(session, email=PARTNER[0], password=PARTNER[1],
                                          role=Role.PARTNER, partner_id=partner.id)  # fmt: skip
                acme = await tenant_service.scope_for(session, ACME)
                await user_service.create_user(acme, name="Anna Admin", email=ACME_ADMIN[0],
                                               role=UserRole.TENANT_ADMIN.value,
                                               password=ACME_ADMIN[1])  # fmt: skip
        finally:
            await database.dispose()


def test_real_calls_of_two_tenants_in_the_live_view(tmp_path: Path) -> None:
    pbx = LivePbx(tmp_path / "pbx")
    pbx.start()
    try:
        with (
            phone(pbx, tmp_path, "102", ACME, 800, answer=True) as acme_callee,
            phone(pbx, tmp_path, "101", ACME, 600) as acme_caller,
            phone(pbx, tmp_path, "202", SMALL, 1200, answer=True) as small_callee,
            phone(pbx, tmp_path, "201", SMALL, 1000) as small_caller,
        ):
            for p in (acme_callee, acme_caller, small_callee, small_caller):
                registered(p)
            acme_caller.command("dial", f"sip:102@{ACME}")
            small_caller.command("dial", f"sip:202@{SMALL}")
            established(acme_caller, acme_callee, small_caller, small_callee)
            _check_views(f"http://127.0.0.1:{pbx.http}")
    finally:
        pbx.stop()


def _check_views(base: str) -> None:
    with chromium() as browser:
        root = log_in(browser, base, ROOT)
        root.goto(f"{base}/provider/live")
        calls = root.locator("#all-calls tbody tr[data-call-id]")
        expect(calls).to_have_count(2)
        acme_row = root.locator(f'#all-calls tr[data-tenant="{ACME}"]')
        small_row = root.locator(f'#all-calls tr[data-tenant="{SMALL}"]')
        expect(acme_row.locator(".tenant")).to_have_text(ACME)
        expect(acme_row).to_contain_text("101")
        expect(acme_row).to_contain_text("102")
        expect(small_row.locator(".tenant")).to_have_text(SMALL)
        expect(small_row).to_contain_text("201")
        expect(small_row).to_contain_text("202")
        # the four phones' registrations, each under its tenant
        expect(root.locator(f'#all-registrations tr[data-tenant="{ACME}"]')).to_have_count(2)
        expect(root.locator(f'#all-registrations tr[data-tenant="{SMALL}"]')).to_have_count(2)
        root.close()

        partner = log_in(browser, base, PARTNER)
        partner.goto(f"{base}/provider/live")
        expect(partner.locator("#all-calls tbody tr[data-call-id]")).to_have_count(1)
        expect(partner.locator(f'#all-calls tr[data-tenant="{SMALL}"]')).to_have_count(1)
        expect(partner.locator("#all-registrations tbody tr[data-aor]")).to_have_count(2)
        expect(partner.locator("body")).not_to_contain_text(ACME)
        partner.close()

        admin = log_in(browser, base, ACME_ADMIN)
        response = admin.goto(f"{base}/provider/live")
        assert response is not None
        assert response.status == 403
        assert SMALL not in response.text()
        admin.goto(f"{base}/tenant/calls")
        expect(admin.locator("#live-calls tbody tr[data-call-id]")).to_have_count(1)
        expect(admin.locator("#live-calls")).to_contain_text("101")
        expect(admin.locator("body")).not_to_contain_text("201")
        response = admin.goto(f"{base}/tenant/calls?tenant={SMALL}")
        assert response is not None
        assert response.status == 404


async def _provision(url: str) -> None:
    database = Database(url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=SystemClock().utcnow(), name="Acme E2E", domain=DOMAIN,
                extension_digits=3, max_calls=5,
            )  # fmt: skip
            scope = tenant_service.scope_of(session, tenant)
            await extension_service.create_extension(scope, number="101", password="right-pw-101")
            await logins.create_staff(session, email=ROOT[0], password=ROOT[1],
                                      role=Role.PLATFORM_ADMIN)  # fmt: skip
    finally:
        await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[Pbx]:
    data_dir = tmp_path / "pbx"
    data_dir.mkdir()
    asyncio.run(_provision(f"sqlite+aiosqlite:///{data_dir / 'centrex.db'}"))
    server = Pbx(data_dir)
    server.env.update(CENTREX_AUTH_FAILURES_TO_BAN="2", CENTREX_BAN_SECONDS="900")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _register(pbx: Pbx, directory: Path, password: str, port: int) -> sipp.SippResult:
    user = sipp.SippUser("101", DOMAIN, password, 300)
    return sipp.register(directory, ("127.0.0.1", pbx.sip), [user], local_ip=GUESSER,
                         local_port=port, timeout=6)  # fmt: skip


def test_banned_guesser_is_unbanned_from_the_page(pbx: Pbx, tmp_path: Path) -> None:
    port = free_port()
    for attempt in range(2):  # two wrong answers to the challenge: banned
        wrong = _register(pbx, tmp_path / f"wrong-{attempt}", "not-the-password", port)
        assert not wrong.ok
        assert "403 Forbidden" in wrong.errors
    assert f"banning {GUESSER}" in pbx.log()
    dropped = _register(pbx, tmp_path / "while-banned", "right-pw-101", port)
    assert not dropped.ok  # the right password is not even heard while banned
    assert pbx.registrations() == []

    base = f"http://127.0.0.1:{pbx.http}"
    with chromium() as browser:
        page = log_in(browser, base, ROOT)
        page.click("header nav a[href='/provider/security']")
        row = page.locator(f'#bans tr[data-host="{GUESSER}"]')
        expect(row).to_be_visible()
        expect(row).to_contain_text(" s")
        row.locator("form.unban button").click()
        expect(page.locator(".flash.ok")).to_contain_text(f"{GUESSER} is no longer banned")
        expect(page.locator(f'#bans tr[data-host="{GUESSER}"]')).to_have_count(0)
        expect(page.locator("#bans")).to_contain_text("No address is banned")
        page.screenshot(path=str(tmp_path / "provider-security.png"), full_page=True)

    registered = _register(pbx, tmp_path / "after-unban", "right-pw-101", port)
    assert registered.ok, registered.errors
    assert pbx.wait_for(lambda items: any(i["aor"] == f"sip:101@{DOMAIN}" for i in items))
    assert f"ban of {GUESSER} lifted by hand" in pbx.log()
