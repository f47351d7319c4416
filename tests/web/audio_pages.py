"""Shared by the voicemail, media and recordings page tests: a second tenant with an admin of its
own, WAV files, seeding through the services, an HTTP client holding a portal session, and the
check that a page shows no raw translation key in any language.

Data is written through a second `Database` on the test's own event loop while the portal
server runs in its thread (the same database file or PostgreSQL database).
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import re
import struct
import wave
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.web.i18n import LANGUAGES, LOCALES_DIR

T = TypeVar("T")

OTHER_DOMAIN = "beta.example.com"
OTHER_ADMIN = ("bert@beta.example.com", "beta-admin-pw-1")
ACME_ADMIN_EMAIL = "admin@acme.example.com"


def write_wav(path: Path, seconds: float, frequency: float = 440.0, rate: int = 8000) -> Path:
    """A mono 16-bit PCM WAV with a sine tone (what a phone or the recorder would write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(frames))
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


def run_async(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on a loop of its own in a thread of its own: Playwright's sync API keeps
    a loop running in the test's thread, where `asyncio.run` is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


def run_in_scope(url: str, domain: str, work: Callable[[TenantScope], Awaitable[T]]) -> T:
    """Run `work(scope)` of tenant `domain` in one transaction on a database of its own."""

    async def main() -> T:
        database = Database(url)
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, domain)
                return await work(scope)
        finally:
            await database.dispose()

    return run_async(main)


def add_other_tenant(url: str) -> int:
    """beta.example.com with its admin Bert and extension 301 (with its mailbox)."""

    async def main() -> int:
        database = Database(url)
        try:
            async with database.transaction() as session:
                tenant = await tenant_service.create_tenant(
                    session, now=datetime.now(UTC), name="Beta GmbH", domain=OTHER_DOMAIN,
                    extension_digits=3, max_calls=4,
                )  # fmt: skip
                scope = tenant_service.scope_of(session, tenant)
                await user_service.create_user(
                    scope, name="Bert Admin", email=OTHER_ADMIN[0],
                    role=UserRole.TENANT_ADMIN.value, password=OTHER_ADMIN[1],
                )  # fmt: skip
                await extension_service.create_extension(
                    scope, number="301", name="Bert", password="bert-sip-pw-1"
                )
                return tenant.id
        finally:
            await database.dispose()

    return run_async(main)


@dataclass
class Session:
    """An HTTP client holding a portal session, and that session's CSRF token for forms."""

    client: httpx.Client
    csrf: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """A form post with the CSRF token added."""
        return self.client.post(path, data={"csrf": self.csrf, **(data or {})}, **kwargs)


@contextmanager
def logged_in(base: str, email: str, password: str) -> Iterator[Session]:
    """A portal session of `email`, as the browser would hold it."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as client:
        login = client.get("/login")
        match = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert match is not None
        form = {"email": email, "password": password, "csrf": match.group(1)}
        assert client.post("/login", data=form).status_code == 200
        token = re.search(r'data-csrf="([^"]+)"', client.get("/").text)
        assert token is not None
        yield Session(client, token.group(1))


def fragment_keys(name: str) -> dict[str, set[str]]:
    """language → the keys of its `locales/<language>/<name>.json`."""
    return {
        lang: set(json.loads((LOCALES_DIR / lang / f"{name}.json").read_text("utf-8")))
        for lang in LANGUAGES
    }


RAW_KEY = re.compile(r"(?<![\w/.-])(voicemail|media|recordings|common|nav|error)\.[a-z][\w.-]*")


def raw_keys(page: str) -> list[str]:
    """Translation keys that reached the page untranslated (outside tags' URLs and names)."""
    text = re.sub(r"<[^>]+>", " ", page)  # keys show up in text, not in attributes like href
    return [m.group(0) for m in RAW_KEY.finditer(text)]


def assert_translated(client: Session, path: str, must: dict[str, str]) -> None:
    """`path` in each language: no raw key, and a sentence of that language on it."""
    for lang in LANGUAGES:
        page = client.get(path, params={"lang": lang})
        assert page.status_code == 200, (lang, page.text[:300])
        assert raw_keys(page.text) == [], (lang, raw_keys(page.text))
        assert must[lang] in html.unescape(page.text), (lang, must[lang])


def problem(response: httpx.Response | Any) -> None:
    """A refused request for another tenant's object: 404, never the object."""
    assert response.status_code == 404, (response.status_code, response.text[:300])
