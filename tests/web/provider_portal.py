"""A portal server for the provider page tests: two partners' worth of tenants and logins.

acme.example.com (no partner) comes from tests/web/conftest.py's seed with its tenant admin and
the platform admin root@provider.test; here beta.example.com is added under partner "Alpine
Reseller" (partner login partner@alpine.test) with its own tenant admin, and an empty partner
"Other Reseller". The live sources are the portal tests' fakes (calls the test sets, registrations
from events); the ban list is a real `AuthFailureTracker`, the registrar's own class.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.app import create_app
from centrex.api.ban_list import TrackerBans
from centrex.api.sources import RegistrationsFromEvents
from centrex.data.db import Database
from centrex.data.models import Role, UserRole
from centrex.events import Event, EventBus
from centrex.provisioning import logins
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.registrar.security import AuthFailureTracker
from centrex.web.i18n import LANGUAGES, catalog
from tests.helpers import api_wiring, free_port, wait_http
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, FakeCalls, _seed
from tests.web.test_portal_browser import ARGS, CHROMIUM

ROOT = ("root@provider.test", STAFF_PASSWORD)
ACME_ADMIN = ("admin@acme.example.com", ADMIN_PASSWORD)
BETA_ADMIN = ("admin@beta.example.com", "beta-admin-pw-1")
PARTNER = ("partner@alpine.test", "partner-login-pw-1")
T = TypeVar("T")


@dataclass
class ProviderServer:
    base_url: str
    database_url: str
    loop: asyncio.AbstractEventLoop
    bus: EventBus
    calls: FakeCalls
    bans: AuthFailureTracker
    ids: dict[str, int]  # "acme", "beta", "alpine", "other"

    def publish(self, event: Event) -> None:
        self.loop.call_soon_threadsafe(self.bus.publish, event)

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop (services checks) and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)


async def _seed_more(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            alpine = await tenant_service.create_partner(session, name="Alpine Reseller")
            other = await tenant_service.create_partner(session, name="Other Reseller")
            beta = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Beta GmbH", domain="beta.example.com",
                extension_digits=3, max_calls=6, language="de", partner_id=alpine.id,
            )  # fmt: skip
            await user_service.create_user(
                tenant_service.scope_of(session, beta), name="Bert Admin", email=BETA_ADMIN[0],
                role=UserRole.TENANT_ADMIN.value, password=BETA_ADMIN[1],
            )  # fmt: skip
            await logins.create_staff(session, email=PARTNER[0], password=PARTNER[1],
                                      role=Role.PARTNER, partner_id=alpine.id)  # fmt: skip
            acme = await tenant_service.get_tenant(session, "acme.example.com")
            return {"acme": acme.id, "beta": beta.id, "alpine": alpine.id, "other": other.id}
    finally:
        await database.dispose()


@contextmanager
def provider_server(database_url: str, tmp_path: Path) -> Iterator[ProviderServer]:
    port = free_port()
    loop = asyncio.new_event_loop()
    bus = EventBus()
    calls = FakeCalls()
    tracker = AuthFailureTracker(failures=2, window=60.0, ban_seconds=900.0)
    holder: dict[str, Any] = {}

    async def main() -> None:
        await _seed(database_url)
        holder["ids"] = await _seed_more(database_url)
        database = Database(database_url)
        registrations = RegistrationsFromEvents(bus)
        registrations.start()
        app = create_app(database, events_bus=bus, registrations=registrations, calls=calls,
                         bans=TrackerBans(tracker, time.time), **api_wiring(tmp_path))  # fmt: skip
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
        yield ProviderServer(base, database_url, loop, bus, calls, tracker, holder["ids"])
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=30)
        loop.close()


def blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from sync test code, even inside Playwright's sync API
    (which keeps an event loop running in the test's thread): on a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


async def in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one transaction on a database of its own (checks through the services)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            return await work(session)
    finally:
        await database.dispose()


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


def log_in(browser: Browser, base: str, who: tuple[str, str], *, width: int = 1366,
           height: int = 768) -> Page:  # fmt: skip
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{base}/login")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    expect(page.locator("header nav")).to_be_visible()
    return page


def own_keys(prefix: str) -> set[str]:
    """The keys of a page's fragment (`prefix.*`), from the English catalog."""
    return {k for k in catalog("en") if k.startswith(prefix + ".")}


def check_translations(page: Page, url: str, prefix: str) -> None:
    """Every language has every key of the fragment, really translated somewhere, and the page
    rendered in each language shows no raw `prefix.` key."""
    keys = own_keys(prefix)
    assert keys, f"no {prefix}.* keys"
    for lang in LANGUAGES:
        missing = keys - set(catalog(lang))
        assert not missing, f"{lang} lacks {sorted(missing)}"
        page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        text = page.locator("body").inner_text()
        assert f"{prefix}." not in text, f"raw {prefix} key on the {lang} page"
        assert page.locator("html").get_attribute("lang") == lang
    page.goto(f"{url}{'&' if '?' in url else '?'}lang=en")  # the language cookie back to English
    for lang in ("fr", "de", "it"):
        same = [k for k in keys if catalog(lang)[k] == catalog("en")[k]]
        # a few words are the same in both languages (Port, Trunks, Partner); most are not
        assert len(same) < len(keys) / 2, f"{lang} looks untranslated: {same}"
