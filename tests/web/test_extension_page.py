"""The extension detail page in Chromium: reached from the extensions list; forwarding, do not
disturb, call waiting, caller ID, recording, outbound class and SRTP set through its forms and
read back through the REST API; a device's registration shown with its user agent and contact;
refused values (an unknown or another tenant's extension as a forward target, bad seconds) show
the service's message and change nothing; another tenant's extension is 404; translated.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.events import RegistrationChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import numbers
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
CALLER_ID = "+41215550177"
AGENT = "Yealink SIP-T54W 96.86.0.100"


async def _own_number(url: str) -> None:
    """A DID of acme, so that 202 may show it as its caller ID."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await session.scalar(select(Tenant).where(Tenant.domain == "acme.example.com"))
            assert acme is not None
            scope = tenant_service.scope_of(session, acme)
            await numbers.assign_number(scope, CALLER_ID, now=datetime.now(UTC))
            await extension_service.create_extension(scope, number="204", name="Chris")
    finally:
        await database.dispose()


def _prepare(database_url: str) -> None:
    seed(database_url)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _own_number(database_url)).result()


def _extension(page: Page, base: str, number: str) -> dict[str, Any]:
    items = api(page, base, "/api/v1/extensions?limit=1000")["items"]
    return next(e for e in items if e["number"] == number)


def _saved(page: Page) -> None:
    expect(page.locator(".flash")).to_contain_text("Extension 202 saved")


def test_other_tenants_and_bad_values_change_nothing(
    portal_server: PortalServer, database_url: str
) -> None:
    """Without a browser, on both databases (keep it before this module's browser tests)."""
    world = seed(database_url)
    base = portal_server.base_url
    with login_client(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        paul = next(e for e in admin.get("/api/v1/extensions").json()["items"]
                    if e["number"] == "202")  # fmt: skip
        path = f"/tenant/extensions/{paul['id']}"
        empty = {"always": "", "busy": "", "no_answer": "", "unregistered": ""}
        for form, message in (
            ({**empty, "busy": "299"}, "299"),  # no such extension in acme
            ({**empty, "busy": "301"}, "301"),  # the other tenant's extension
            ({**empty, "always": "202"}, "202"),  # itself: a loop
            ({**empty, "no_answer": "203", "no_answer_seconds": "soon"}, "soon"),
            ({**empty, "no_answer": "203", "no_answer_seconds": "9999"}, "300"),
        ):
            answer = submit(admin, path, {"section": "forwarding", **form})
            assert message in flash_error(answer), form
        for section, form in (
            ("srtp", {"srtp": "maybe"}),
            ("outbound", {"outbound_class": "galactic"}),
            ("recording", {"record_calls": "sometimes", "record_layout": ""}),
            ("caller-id", {"outbound_caller_id": "+41215550999"}),  # the other tenant's DID
        ):
            assert flash_error(submit(admin, path, {"section": section, **form})), section
        after = admin.get(f"/api/v1/extensions/{paul['id']}").json()
        assert after["forwarding"] == paul["forwarding"]
        for field in ("srtp", "outbound_class", "record_calls", "outbound_caller_id"):
            assert after[field] == paul[field], field

        # another tenant's extension: 404 to read and to write, and it is unchanged
        other_path = f"/tenant/extensions/{world.other_extension}"
        assert admin.get(other_path).status_code == 404
        answer = submit(admin, other_path, {"section": "features", "dnd": "on"})
        assert answer.status_code == 404
        assert submit(admin, path, {"section": "nothing"}).status_code == 404
    with login_client(base, *OTHER_ADMIN) as other:
        theirs = other.get(f"/api/v1/extensions/{world.other_extension}").json()
        assert theirs["dnd"] is False
        assert other.get(f"/tenant/extensions/{paul['id']}").status_code == 404
    with login_client(base, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get(f"/tenant/extensions/{paul['id']}").status_code == 403


@SQLITE
def test_admin_sets_forwarding_and_features(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    _prepare(database_url)
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.click('tr[data-extension="202"] a.detail')
    expect(page.locator("h1")).to_contain_text("Extension 202")
    paul = _extension(page, base, "202")
    assert page.url.endswith(f"/tenant/extensions/{paul['id']}")

    page.fill("#forwarding input[name=busy]", "voicemail")
    page.fill("#forwarding input[name=no_answer]", "203")
    page.fill("#forwarding input[name=no_answer_seconds]", "15")
    page.fill("#forwarding input[name=unregistered]", "+41 79 123 45 67")
    page.click("#forwarding button[type=submit]")
    _saved(page)
    forwarding = _extension(page, base, "202")["forwarding"]
    assert forwarding == {"always": None, "busy": "voicemail", "no_answer": "203",
                          "no_answer_seconds": 15, "unregistered": "+41791234567"}  # fmt: skip
    expect(page.locator("#forwarding input[name=unregistered]")).to_have_value("+41791234567")

    # a refused target: the service's message, the stored forwards unchanged
    page.fill("#forwarding input[name=busy]", "299")
    page.click("#forwarding button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("299")
    assert _extension(page, base, "202")["forwarding"] == forwarding
    expect(page.locator("#forwarding input[name=busy]")).to_have_value("voicemail")

    page.check("#features input[name=dnd]")
    page.uncheck("#features input[name=call_waiting]")
    page.click("#features button[type=submit]")
    _saved(page)
    view = _extension(page, base, "202")
    assert (view["dnd"], view["call_waiting"]) == (True, False)
    expect(page.locator("#features input[name=dnd]")).to_be_checked()

    page.fill("#caller-id input[name=outbound_caller_id]", CALLER_ID)
    page.click("#caller-id button[type=submit]")
    _saved(page)
    page.select_option("#recording select[name=record_calls]", "on-demand")
    page.select_option("#recording select[name=record_layout]", "per-party")
    page.click("#recording button[type=submit]")
    _saved(page)
    page.select_option("#outbound select[name=outbound_class]", "national")
    page.click("#outbound button[type=submit]")
    _saved(page)
    page.select_option("#srtp select[name=srtp]", "required")
    page.click("#srtp button[type=submit]")
    _saved(page)
    view = _extension(page, base, "202")
    assert view["outbound_caller_id"] == CALLER_ID
    assert (view["record_calls"], view["record_layout"]) == ("on-demand", "per-party")
    assert (view["outbound_class"], view["premium"], view["srtp"]) == (
        "national",
        False,
        "required",
    )
    # the tenant's recording setting again; forwards cleared by emptying the fields
    page.select_option("#recording select[name=record_calls]", "")
    page.select_option("#recording select[name=record_layout]", "")
    page.click("#recording button[type=submit]")
    _saved(page)
    for field in ("busy", "no_answer", "unregistered"):
        page.fill(f"#forwarding input[name={field}]", "")
    page.click("#forwarding button[type=submit]")
    _saved(page)
    view = _extension(page, base, "202")
    assert (view["record_calls"], view["record_layout"]) == (None, None)
    assert view["forwarding"]["busy"] is None
    assert view["forwarding"]["unregistered"] is None

    # the voicemail box is linked
    expect(page.locator("#devices .voicemail a")).to_have_attribute(
        "href", re.compile(r"^/tenant/voicemail/\d+$")
    )
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url + "?lang=fr")
    expect(phone.locator("#features label.check").first).to_contain_text("Ne pas déranger")
    expect(phone.locator("#srtp button")).to_be_visible()
    _save(page, tmp_path, "tenant-extension.png")
    _save(phone, tmp_path, "tenant-extension-phone-fr.png")


@SQLITE
def test_registration_shows_user_agent_and_contact(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    _prepare(database_url)
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    paul = _extension(page, base, "202")
    page.goto(f"{base}/tenant/extensions/{paul['id']}")
    expect(page.locator("#registrations tr.empty")).to_have_count(1)
    portal_server.publish(
        RegistrationChanged(
            tenant_id=portal_server.tenant_id,
            aor="sip:202@acme.example.com",
            contact="<sip:202@127.0.0.1:5072;transport=udp>",
            expires=300,
            source="127.0.0.1:5072",
            user_agent=AGENT,
        )
    )
    # the registrar view the page reads is the API's: wait until it lists the binding
    deadline = time.monotonic() + 20
    while not api(page, base, "/api/v1/registrations")["items"]:
        assert time.monotonic() < deadline, "the registration never reached the registrar view"
        time.sleep(0.1)
    page.reload()
    row = page.locator("#registrations tr.registration")
    expect(row).to_have_count(1)
    expect(row.locator(".agent")).to_have_text(AGENT)
    expect(row.locator(".contact")).to_contain_text("sip:202@127.0.0.1:5072")
    _save(page, tmp_path, "tenant-extension-registered.png")
    # another extension's page does not show 202's phone
    chris = _extension(page, base, "204")
    page.goto(f"{base}/tenant/extensions/{chris['id']}")
    expect(page.locator("#registrations tr.registration")).to_have_count(0)


@SQLITE
def test_extension_page_is_translated(
    portal_server: PortalServer, browser: Browser, database_url: str
) -> None:
    _prepare(database_url)
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    paul = _extension(page, base, "202")
    assert_translated(page, f"{base}/tenant/extensions/{paul['id']}", "extension")
    expect(page.locator("#features label.check").first).to_contain_text("Non disturbare")
