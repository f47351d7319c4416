"""The numbers page in Chromium: take a DID for the tenant and route it to an extension, a ring
group, a conference room and a call flow, then to nothing, checking each step through the REST
API; a number of another tenant, another tenant's extension and junk targets are refused with
the service's message and change nothing; the page is translated in fr/de/it.

Queues are not a destination of a DID in the number service (a flow's `queue` target reaches
them) and there is no fax line, so the page offers neither and this test does not route there.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Tenant, UserRole
from centrex.provisioning import conferences, flows, numbers, queues, ring_groups
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LOCALES_DIR
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import _log_in, _save, browser

__all__ = ["browser"]

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database

OTHER_ADMIN = ("olga@other.example.com", "other-admin-pw-1")
OTHER_NUMBER = "+41215550999"
OURS = "+41215550142"
HANGUP = {"start": "h", "nodes": [{"id": "h", "type": "hangup"}]}
# a raw catalog key left on a page: "numbers.take", "extension.forward.busy", "common.save"...
RAW_KEY = re.compile(r"\b(?:numbers|extension|settings|common|ext|device|me|nav)\.[a-z][a-z_.-]*")


@dataclass
class World:
    """Ids of what the tests seed next to the portal's tenant (acme) and another tenant."""

    extension_203: int
    group_600: int
    room_800: int
    flow: int
    other_tenant: int
    other_extension: int
    other_group: int
    queue_500: int


async def _seed(url: str) -> World:
    """Acme gets extension 203, ring group 600, room 800 and a flow; "other" an admin, its own
    extension 301, group 610 and the number OTHER_NUMBER."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            acme = await session.scalar(select(Tenant).where(Tenant.domain == "acme.example.com"))
            assert acme is not None
            scope = tenant_service.scope_of(session, acme)
            ext = await extension_service.create_extension(scope, number="203", name="Bea")
            group = await ring_groups.create_ring_group(
                scope, number="600", strategy="simultaneous", members=["202", "203"], name="Sales"
            )
            room = await conferences.create_conference(scope, number="800", name="Board")
            queue = await queues.create_queue(scope, number="500", strategy="ring-all",
                                              members=["203"], name="Support")  # fmt: skip
            flow = await flows.create_flow(scope, name="Reception", graph=HANGUP, now=now)
            other = await tenant_service.create_tenant(
                session, now=now, name="Other SA", domain="other.example.com",
                extension_digits=3, max_calls=2,
            )  # fmt: skip
            theirs = tenant_service.scope_of(session, other)
            await user_service.create_user(
                theirs, name="Olga", email=OTHER_ADMIN[0], role=UserRole.TENANT_ADMIN.value,
                password=OTHER_ADMIN[1],
            )  # fmt: skip
            other_ext = await extension_service.create_extension(theirs, number="301", name="O")
            other_group = await ring_groups.create_ring_group(
                theirs, number="610", strategy="simultaneous", members=["301"]
            )
            await numbers.assign_number(theirs, OTHER_NUMBER, now=now, extension_number="301")
            return World(
                ext.extension.id, group.group.id, room.id, flow.id, other.id,
                other_ext.extension.id, other_group.group.id, queue.queue.id,
            )  # fmt: skip
    finally:
        await database.dispose()


def seed(database_url: str) -> World:
    """Run `_seed` off the test thread (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _seed(database_url)).result()


def cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def api(page: Page, base: str, path: str) -> Any:
    """GET an API path with the page's session (the API accepts the portal's cookie)."""
    answer = httpx.get(f"{base}{path}", cookies=cookies(page), timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@contextmanager
def login_client(base: str, email: str, password: str) -> Iterator[httpx.Client]:
    """An HTTP client logged in to the portal (its session cookie also reaches the API)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/login")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": email, "password": password, "csrf": token})
        yield client


def submit(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """POST a form with the session's CSRF token (read from a page, as a browser would)."""
    page_html = client.get("/tenant/extensions").text
    csrf = page_html.split('data-csrf="', 1)[1].split('"', 1)[0]
    return client.post(path, data={"csrf": csrf, **data})


def flash_error(answer: httpx.Response) -> str:
    """The page's error message (AssertionError when the page shows none)."""
    assert answer.status_code == 200, answer.status_code
    found = re.search(r'<p class="flash error"[^>]*>(.*?)</p>', answer.text, re.S)
    assert found, "no error message on the page"
    return found.group(1)


def fragment_keys(name: str) -> dict[str, set[str]]:
    """The keys of locales/<lang>/<name>.json per language."""
    return {
        lang: set(json.loads((LOCALES_DIR / lang / f"{name}.json").read_text(encoding="utf-8")))
        for lang in ("en", "fr", "de", "it")
    }


def assert_translated(page: Page, url: str, name: str) -> None:
    """Every catalog has the fragment's keys, and the page in fr/de/it shows no raw key."""
    keys = fragment_keys(name)
    assert keys["en"], name
    for lang in ("fr", "de", "it"):
        assert keys[lang] == keys["en"], f"{lang}/{name}.json differs from en"
    english = json.loads((LOCALES_DIR / "en" / f"{name}.json").read_text(encoding="utf-8"))
    for lang in ("en", "fr", "de", "it"):
        separator = "&" if "?" in url else "?"
        page.goto(f"{url}{separator}lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        text = page.locator("body").inner_text()
        found = RAW_KEY.findall(text)
        assert not found, f"untranslated keys in {lang}: {found}"
        if lang != "en":
            own = json.loads((LOCALES_DIR / lang / f"{name}.json").read_text(encoding="utf-8"))
            same = [k for k in english if own[k] == english[k] and len(english[k]) > 20]
            assert not same, f"{lang}/{name}.json has English left in: {same}"


def _number(page: Page, base: str, e164: str) -> dict[str, Any]:
    items = api(page, base, "/api/v1/numbers?limit=1000")["items"]
    found = [n for n in items if n["e164"] == e164]
    assert len(found) == 1, items
    return found[0]


def _route(page: Page, e164: str, value: str) -> None:
    row = page.locator(f'tr[data-number="{e164}"]')
    row.locator("form.route select").select_option(value)
    row.locator("form.route button").click()
    expect(page.locator(".flash")).to_contain_text(f"Number {e164} routed")


def test_bad_input_and_other_tenants_change_nothing(
    portal_server: PortalServer, database_url: str
) -> None:
    """Without a browser (so on both databases: Playwright's loop would stop the PostgreSQL
    fixture; keep this test before the browser tests of this module)."""
    world = seed(database_url)
    base = portal_server.base_url
    with login_client(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        # the other tenant's number: the service's conflict, nothing taken
        answer = submit(admin, "/tenant/numbers", {"e164": OTHER_NUMBER, "target": ""})
        assert f"number {OTHER_NUMBER} is assigned to another tenant" in flash_error(answer)
        answer = submit(admin, "/tenant/numbers", {"e164": "not a number", "target": ""})
        assert flash_error(answer)
        assert admin.get("/api/v1/numbers").json()["total"] == 0

        answer = submit(admin, "/tenant/numbers", {"e164": OURS, "target": ""})
        assert f"Number {OURS} assigned" in answer.text
        number_id = admin.get("/api/v1/numbers").json()["items"][0]["id"]

        # another tenant's extension, ring group, a junk target: refused, nothing changed
        for target, message in (
            (f"extension:{world.other_extension}", f"extension {world.other_extension} not found"),
            (f"ring_group:{world.other_group}", f"ring group {world.other_group} not found"),
            (f"extension:{world.extension_203}x", "unknown destination"),
            ("fax:1", "unknown destination"),
            (f"queue:{world.queue_500 + 1000}", f"queue {world.queue_500 + 1000} not found"),
        ):
            answer = submit(
                admin, "/tenant/numbers", {"number_id": str(number_id), "target": target}
            )
            assert message in flash_error(answer), target
            view = admin.get(f"/api/v1/numbers/{number_id}").json()
            assert (view["extension_id"], view["ring_group_id"]) == (None, None), target
        # ...a taken number offered with a valid target is refused before any routing
        answer = submit(admin, "/tenant/numbers",
                        {"e164": OTHER_NUMBER, "target": f"extension:{world.extension_203}"})  # fmt: skip
        assert "assigned to another tenant" in flash_error(answer)

        with login_client(base, *OTHER_ADMIN) as other:
            theirs = other.get("/api/v1/numbers").json()["items"]
            assert [(n["e164"], n["extension"]) for n in theirs] == [(OTHER_NUMBER, "301")]
            # the other tenant's number in acme's URL: 404, and it keeps its destination
            their_id = str(theirs[0]["id"])
            answer = submit(admin, "/tenant/numbers", {"number_id": their_id, "target": ""})
            assert answer.status_code == 404
            assert other.get("/api/v1/numbers").json()["items"][0]["extension"] == "301"
            # ...and its administrator sees none of acme's numbers or destinations
            seen = other.get("/tenant/numbers").text
            assert OTHER_NUMBER in seen
            for secret in (OURS, "Sales", "Bea", "Reception", "Board"):
                assert secret not in seen, secret
        # a plain user may not use the page
        with login_client(base, "paul@acme.example.com", USER_PASSWORD) as paul:
            assert paul.get("/tenant/numbers").status_code == 403


@SQLITE
def test_admin_takes_and_routes_a_number(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    world = seed(database_url)
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.click("nav a[href^='/tenant/numbers']")
    expect(page.locator("h1")).to_contain_text("Numbers of acme.example.com")

    # another tenant's number: the service's message on the page, nothing taken
    page.fill("#take-number input[name=e164]", OTHER_NUMBER)
    page.click("#take-number button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("is assigned to another tenant")
    assert api(page, base, "/api/v1/numbers")["total"] == 0

    # a new DID for the tenant, straight to extension 202
    paul = next(e for e in api(page, base, "/api/v1/extensions")["items"] if e["number"] == "202")
    page.fill("#take-number input[name=e164]", "+41 21 555 01 42")
    page.select_option("#take-number select[name=target]", f"extension:{paul['id']}")
    page.click("#take-number button[type=submit]")
    expect(page.locator(".flash")).to_contain_text(f"Number {OURS} assigned")
    expect(page.locator(f'tr[data-number="{OURS}"] .target')).to_contain_text("202")
    view = _number(page, base, OURS)
    assert (view["state"], view["extension"], view["ring_group_id"]) == ("assigned", "202", None)

    # re-pointed at the ring group, the room, the flow, and back to an extension
    _route(page, OURS, f"ring_group:{world.group_600}")
    view = _number(page, base, OURS)
    assert (view["extension_id"], view["ring_group_id"], view["ring_group"]) == (
        None,
        world.group_600,
        "600",
    )

    _route(page, OURS, f"conference:{world.room_800}")
    view = _number(page, base, OURS)
    assert (view["ring_group_id"], view["conference_id"]) == (None, world.room_800)

    _route(page, OURS, f"queue:{world.queue_500}")
    expect(page.locator(f'tr[data-number="{OURS}"] .target')).to_contain_text("Queue: 500")
    view = _number(page, base, OURS)
    assert (view["conference_id"], view["queue_id"]) == (None, world.queue_500)

    _route(page, OURS, f"flow:{world.flow}")
    expect(page.locator(f'tr[data-number="{OURS}"] .target')).to_contain_text("Reception")
    view = _number(page, base, OURS)
    assert (view["extension_id"], view["ring_group_id"], view["conference_id"]) == (
        None,
        None,
        None,
    )
    bindings = api(page, base, f"/api/v1/flows/{world.flow}/bindings")["items"]
    assert [b["number"] for b in bindings] == [OURS]

    _route(page, OURS, f"extension:{world.extension_203}")
    assert _number(page, base, OURS)["extension"] == "203"
    assert api(page, base, f"/api/v1/flows/{world.flow}/bindings")["items"] == []  # unbound

    # no destination: the number stays the tenant's, unrouted
    page.locator(f'tr[data-number="{OURS}"] form.unroute button').click()
    expect(page.locator(".flash")).to_contain_text(f"Number {OURS} has no destination any more")
    view = _number(page, base, OURS)
    assert view["state"] == "assigned"
    assert (view["extension_id"], view["ring_group_id"], view["conference_id"]) == (
        None,
        None,
        None,
    )
    expect(page.locator(f'tr[data-number="{OURS}"] .target')).to_have_text("–")

    # usable on a phone screen: the row's form is there
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/numbers?lang=de")
    expect(phone.locator(f'tr[data-number="{OURS}"] form.route button')).to_be_visible()
    expect(phone.locator("#take-number button")).to_have_text("Übernehmen")
    expect(phone.locator(f'tr[data-number="{OURS}"] .state')).to_have_text("zugewiesen")
    _save(page, tmp_path, "tenant-numbers.png")
    _save(phone, tmp_path, "tenant-numbers-phone-de.png")


@SQLITE
def test_numbers_page_is_translated(
    portal_server: PortalServer, browser: Browser, database_url: str
) -> None:
    seed(database_url)
    base = portal_server.base_url
    page = browser.new_page()
    _log_in(page, base, "admin@acme.example.com", ADMIN_PASSWORD)
    page.goto(f"{base}/tenant/numbers")
    page.fill("#take-number input[name=e164]", OURS)
    page.click("#take-number button[type=submit]")
    expect(page.locator(".flash")).to_contain_text(f"Number {OURS} assigned")
    assert_translated(page, f"{base}/tenant/numbers", "numbers")
    expect(page.locator("#take-number button")).to_have_text("Prendi")  # Italian came last
