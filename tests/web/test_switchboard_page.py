"""The switchboard page on a portal server whose live sources are fakes: who may open it, what it
renders, and in Chromium the lamps following presence events, the three call lists, and the
requests its buttons send (the call control endpoints are answered by Playwright where the
fakes have none, so the page's side of the contract is checked on its own).

The same page against a real server and real phones: tests/e2e/test_switchboard.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.events import CallEvent, EventBus, PresenceChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import translator
from centrex.web.switchboard_page import SCRIPT_KEYS
from tests.helpers import api_wiring, free_port, wait_http
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, FakeCalls, _seed
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


class FakePresence:
    """Lamps the test sets (`GET /api/v1/presence` reads them)."""

    def __init__(self) -> None:
        self.items: dict[int, list[dict[str, Any]]] = {}

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return list(self.items.get(tenant_id, []))


@dataclass
class Server:
    base_url: str
    loop: asyncio.AbstractEventLoop
    bus: EventBus
    calls: FakeCalls
    presence: FakePresence
    tenant_id: int

    def publish(self, event: Any) -> None:
        self.loop.call_soon_threadsafe(self.bus.publish, event)


OPERATOR = ("otto@acme.example.com", "operator-pw-1")


async def _add_operator(url: str) -> None:
    """A second administrator of acme who has a line of his own (210): the attendant's
    extension the page proposes."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            scope = await tenant_service.scope_for(session, "acme.example.com")
            otto = await user_service.create_user(scope, name="Otto Operator", email=OPERATOR[0],
                                                  role=UserRole.TENANT_ADMIN.value,
                                                  password=OPERATOR[1])  # fmt: skip
            await extension_service.create_extension(scope, number="210", name="Reception",
                                                     user_id=otto.id, password="otto-sip-pw-1")  # fmt: skip
    finally:
        await database.dispose()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """As tests/web/conftest.py's portal server, with a presence source as well."""
    port = free_port()
    loop = asyncio.new_event_loop()
    bus = EventBus()
    calls = FakeCalls()
    presence = FakePresence()
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["tenant_id"] = tenant_id = await _seed(database_url)
        await _add_operator(database_url)
        presence.items[tenant_id] = [
            {"extension": "202", "name": "Paul", "state": "idle"},
        ]
        database = Database(database_url)
        registrations = RegistrationsFromEvents(bus)
        registrations.start()
        app = create_app(database, events_bus=bus, registrations=registrations, calls=calls,
                         presence=presence, **api_wiring(tmp_path))  # fmt: skip
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                lifespan="off")  # fmt: skip
        holder["server"] = uvicorn.Server(config)
        try:
            await holder["server"].serve()
        finally:
            await registrations.stop()
            await database.dispose()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/api/v1/health")
    try:
        yield Server(base, loop, bus, calls, presence, holder["tenant_id"])
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=30)
        loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@contextmanager
def logged_in(base: str, email: str, password: str) -> Iterator[httpx.Client]:
    """An HTTP client holding a portal session of `email`."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=30) as client:
        login = client.get("/login")
        match = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert match is not None
        form = {"email": email, "password": password, "csrf": match.group(1)}
        assert client.post("/login", data=form).status_code == 200
        yield client


def test_every_string_of_the_script_is_in_every_filled_catalog() -> None:
    """The script shows nothing untranslated: each key it uses exists in English and French
    (German and Italian fall back to English key by key)."""
    for language in ("en", "fr"):
        t = translator(language)
        for key in SCRIPT_KEYS:
            assert t(key) != key, (language, key)
    assert translator("fr")("sb.state.busy") == "occupé"


@SQLITE
def test_admin_gets_the_page_a_plain_user_and_a_stranger_do_not(server: Server) -> None:
    with logged_in(server.base_url, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        page = admin.get("/tenant/switchboard")
        assert page.status_code == 200
        assert 'data-page="switchboard"' in page.text
        assert re.search(r'class="lamp idle" data-extension="202" data-state="idle"', page.text)
        assert 'href="/tenant/switchboard"' in page.text  # in the navigation
        # the JSON block hands the script its strings in the page's language
        block = re.search(r'<script type="application/json" id="sb-strings">(.*?)</script>',
                          page.text, re.S)  # fmt: skip
        assert block is not None
        assert json.loads(block.group(1))["sb.park"] == "Park"
        french = admin.get("/tenant/switchboard?lang=fr")
        assert "Standard de acme.example.com" in french.text
        assert "libre" in french.text
        other = admin.get("/tenant/calls")
        assert 'href="/tenant/switchboard"' in other.text
    with logged_in(server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        refused = user.get("/tenant/switchboard")
        assert refused.status_code == 403
        assert 'data-page="switchboard"' not in refused.text
        assert 'href="/tenant/switchboard"' not in user.get("/me").text
    with logged_in(server.base_url, "root@provider.test", STAFF_PASSWORD) as staff:
        chosen = staff.get("/tenant/switchboard?tenant=acme.example.com")
        assert chosen.status_code == 200
        assert 'data-tenant="acme.example.com"' in chosen.text  # the script's Centrex-Tenant
        assert 'href="/tenant/switchboard?tenant=acme.example.com"' in chosen.text
    with httpx.Client(base_url=server.base_url, timeout=30) as stranger:
        anonymous = stranger.get("/tenant/switchboard")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/login"


def _open(browser: Browser, server: Server) -> Page:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=email]", "admin@acme.example.com")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{server.base_url}/tenant/switchboard")
    expect(page.locator("body.live")).to_have_count(1)
    return page


def _call(call_id: str, caller: str, callee: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"call_id": call_id, "caller": caller, "callee": callee, "direction": "internal",
            "state": state, "started_at": "2026-12-02T10:00:00+00:00",
            "answered_at": None, **extra}  # fmt: skip


@SQLITE
def test_lamps_follow_presence_events_and_calls_land_in_their_lists(
    server: Server, browser: Browser
) -> None:
    page = _open(browser, server)
    lamp = page.locator('button.lamp[data-extension="202"]')
    expect(lamp).to_have_class(re.compile(r"\bidle\b"))
    expect(lamp.locator(".lamp-state")).to_have_text("free")
    server.publish(PresenceChanged(tenant_id=server.tenant_id, extension="202", state="ringing"))
    expect(lamp).to_have_class(re.compile(r"\bringing\b"))
    expect(lamp.locator(".lamp-state")).to_have_text("ringing")
    # an extension the page did not render (created since) gets a lamp of its own
    server.publish(PresenceChanged(tenant_id=server.tenant_id, extension="230", state="busy"))
    expect(page.locator('button.lamp[data-extension="230"] .lamp-state')).to_have_text("busy")
    # another tenant's lamp never reaches this page
    server.publish(PresenceChanged(tenant_id=server.tenant_id + 999, extension="231",
                                   state="busy"))  # fmt: skip

    server.calls.calls[server.tenant_id] = [
        _call("c-ring", "+41215550100", "202", "ringing"),
        _call("c-talk", "202", "203", "answered", answered_at="2026-12-02T10:00:05+00:00",
              park_slot=None, held=True),
        _call("c-park", "+41215550199", "700", "answered", park_slot="701", held=False),
    ]  # fmt: skip
    server.publish(CallEvent(tenant_id=server.tenant_id, call_id="c-ring", state="ringing"))
    incoming = page.locator('#sb-incoming tr[data-call-id="c-ring"]')
    expect(incoming).to_contain_text("+41215550100")
    expect(incoming.locator("button", has_text="Answer")).to_have_count(1)
    talking = page.locator('#sb-answered tr[data-call-id="c-talk"]')
    expect(talking.locator(".badge.held")).to_have_text("on hold")
    expect(talking.locator("button", has_text="Resume")).to_have_count(1)
    parked = page.locator('#sb-parked tr[data-call-id="c-park"]')
    expect(parked.locator(".slot")).to_have_text("701")
    expect(parked.locator(".caller")).to_have_text("+41215550199")
    expect(parked.locator("button", has_text="Retrieve")).to_have_count(1)
    expect(page.locator('button.lamp[data-extension="231"]')).to_have_count(0)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "switchboard-lists.png"), full_page=True)

    # Hang up: DELETE /api/v1/calls/{id} (the fake removes it); the list follows
    talking.locator("button", has_text="Hang up").click()
    expect(page.locator('#sb-answered tr[data-call-id="c-talk"]')).to_have_count(0)
    expect(page.locator("#sb-answered tr.empty")).to_have_count(1)
    assert [c["call_id"] for c in server.calls.calls[server.tenant_id]] == ["c-ring", "c-park"]


@SQLITE
def test_buttons_send_the_call_control_requests(server: Server, browser: Browser) -> None:
    """Answer, Retrieve, Transfer (typed and by lamp click), Park, Hold and click-to-call send
    what the API contract says; the attendant's extension is remembered across reloads."""
    server.calls.calls[server.tenant_id] = [
        _call("c-ring", "+41215550100", "203", "ringing"),
        _call("c-talk", "+41215550111", "202", "answered", park_slot=None, held=False),
        _call("c-park", "+41215550199", "700", "answered", park_slot="702", held=False),
    ]  # fmt: skip
    page = _open(browser, server)
    sent: list[tuple[str, str, Any]] = []

    def answer(route: Route) -> None:
        request = route.request
        body: Any = json.loads(request.post_data) if request.post_data else None
        sent.append((request.method, request.url.split("/api/v1", 1)[1], body))
        assert request.headers.get("x-csrf-token"), "no CSRF token sent"
        if request.url.endswith("/park"):
            route.fulfill(status=200, json={"call_id": "c-talk", "slot": "701"})
        elif request.url.endswith("/transfer"):
            route.fulfill(status=202, json={"call_id": "c-talk", "to": body["to"], "mode": "blind"})
        elif request.url.endswith("/hold"):
            route.fulfill(status=409, content_type="application/problem+json",
                          body=json.dumps({"status": 409, "detail": "the call is parked",
                                           "error_id": "call-conflict"}))  # fmt: skip
        else:
            route.fulfill(status=202, json={"call_id": "x", "state": "ringing"})

    page.route(re.compile(r".*/api/v1/calls(/[^/?]+/(pickup|transfer|park|hold|resume))?$"),
               lambda route: answer(route) if route.request.method == "POST"
               else route.continue_())  # fmt: skip

    expect(page.locator('#sb-answered tr[data-call-id="c-talk"]')).to_have_count(1)
    # no attendant yet: Answer asks for one and sends nothing
    page.locator('#sb-incoming tr[data-call-id="c-ring"] button', has_text="Answer").click()
    expect(page.locator("#sb-message")).to_contain_text("attendant's extension first")
    assert sent == []
    page.fill("#sb-attendant", "202")
    page.reload()
    expect(page.locator("#sb-attendant")).to_have_value("202")  # localStorage
    expect(page.locator('#sb-incoming tr[data-call-id="c-ring"]')).to_have_count(1)
    page.locator('#sb-incoming tr[data-call-id="c-ring"] button', has_text="Answer").click()
    expect(page.locator("#sb-message")).to_have_text("Done.")
    page.locator('#sb-parked tr[data-call-id="c-park"] button', has_text="Retrieve").click()
    talk = page.locator('#sb-answered tr[data-call-id="c-talk"]')
    # Transfer with no target selects the call; a lamp click then transfers it there
    talk.locator("button", has_text="Transfer").click()
    expect(page.locator("#sb-message")).to_contain_text("click a lamp")
    expect(talk).to_have_class(re.compile(r"\bselected\b"))
    page.locator('button.lamp[data-extension="202"]').click()
    expect(page.locator("#sb-message")).to_have_text("Transferred to 202.")
    page.fill("#sb-target", "+41215550222")
    talk.locator("button", has_text="Transfer").click()
    expect(page.locator("#sb-message")).to_have_text("Transferred to +41215550222.")
    talk.locator("button", has_text="Park").click()
    expect(page.locator("#sb-message")).to_have_text("Parked in slot 701.")
    talk.locator("button", has_text="Hold").click()
    expect(page.locator("#sb-message")).to_have_text("Failed: the call is parked")
    expect(page.locator("#sb-message")).to_have_class(re.compile(r"\berror\b"))
    page.fill("#sb-target", "203")
    page.click("#sb-dial")
    expect(page.locator("#sb-message")).to_have_text("Calling 202, then 203.")
    assert sent == [
        ("POST", "/calls/c-ring/pickup", {"extension": "202"}),
        ("POST", "/calls/c-park/pickup", {"extension": "202"}),
        ("POST", "/calls/c-talk/transfer", {"to": "202", "mode": "blind"}),
        ("POST", "/calls/c-talk/transfer", {"to": "+41215550222", "mode": "blind"}),
        ("POST", "/calls/c-talk/park", {}),
        ("POST", "/calls/c-talk/hold", {}),
        ("POST", "/calls", {"from_extension": "202", "to": "203"}),
    ]


@SQLITE
def test_the_attendant_defaults_to_the_users_own_line_then_to_what_was_typed(
    server: Server, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{server.base_url}/login")
    page.fill("input[name=email]", OPERATOR[0])
    page.fill("input[name=password]", OPERATOR[1])
    page.click("button[type=submit]")
    page.goto(f"{server.base_url}/tenant/switchboard")
    expect(page.locator("#sb-attendant")).to_have_value("210")
    expect(page.locator('button.lamp[data-extension="210"] .lamp-name')).to_have_text("Reception")
    page.fill("#sb-attendant", "202")
    page.reload()
    expect(page.locator("#sb-attendant")).to_have_value("202")
