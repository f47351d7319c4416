"""The music-on-hold and prompts page: in Chromium an administrator uploads a MOH file and a
prompt (a file that is not audio refused with the service's message, nothing stored), plays one
in an `<audio>` element, renames and deletes it; checked through the REST API. Over HTTP, on both
databases: another tenant's administrator reaches no file of acme's, and a greeting is not
reachable through this page's routes.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.data.models import GreetingKind, MediaFile, MediaKind
from centrex.data.tenancy import TenantScope
from centrex.provisioning import media_files
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore
from tests.web.audio_pages import (
    ACME_ADMIN_EMAIL,
    OTHER_ADMIN,
    add_other_tenant,
    assert_translated,
    fragment_keys,
    logged_in,
    problem,
    run_in_scope,
    write_wav,
)
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test (see test_voicemail_page.py: the PostgreSQL fixture needs this thread's loop)."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", ACME_ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")


def _upload(page: Page, kind: str, name: str, file: Any) -> None:
    form = page.locator("#upload-media")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=name]").fill(name)
    form.locator("input[type=file]").set_input_files(file)
    form.locator("button[type=submit]").click()


@SQLITE
def test_admin_uploads_plays_renames_and_deletes_media(
    portal_server: PortalServer, browser: Browser, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    add_other_tenant(database_url)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base)
    page.click("nav >> text=Music & prompts")
    expect(page).to_have_url(f"{base}/tenant/media")
    expect(page.locator("#storage")).to_contain_text("0.0 kB of")

    # not audio: the service's message, and nothing stored
    _upload(page, "moh", "Broken", {"name": "song.mp3", "mimeType": "audio/mpeg",
                                     "buffer": b"<html>not music</html>"})  # fmt: skip
    expect(page.locator(".flash.error")).to_contain_text("only WAV and MP3 files are accepted")
    assert page.request.get(f"{base}/api/v1/media").json()["total"] == 0
    assert list(tmp_path.glob("tenants/*/media/*")) == []  # no file left behind either
    # a RIFF header with nothing decodable behind it
    _upload(page, "moh", "Truncated", {"name": "cut.wav", "mimeType": "audio/wav",
                                        "buffer": b"RIFF\x24\x00\x00\x00WAVEfmt "})  # fmt: skip
    expect(page.locator(".flash.error")).to_contain_text("cannot be decoded")
    assert page.request.get(f"{base}/api/v1/media").json()["total"] == 0

    # a real MOH file (44.1 kHz: the service converts it to telephone WAV) and a prompt
    _upload(page, "moh", "Lobby music", str(write_wav(tmp_path / "up" / "lobby.wav", 3.0,
                                                       rate=44100)))  # fmt: skip
    expect(page.locator(".flash")).to_have_text('"Lobby music" uploaded.')
    _upload(page, "prompt", "", str(write_wav(tmp_path / "up" / "welcome.wav", 1.0)))
    expect(page.locator(".flash")).to_have_text('"welcome.wav" uploaded.')
    listed = page.request.get(f"{base}/api/v1/media").json()
    by_kind = {m["kind"]: m for m in listed["items"]}
    assert sorted(by_kind) == ["moh", "prompt"]
    moh = by_kind["moh"]
    assert moh["name"] == "Lobby music"
    assert moh["duration_ms"] == 3000
    expect(page.locator("#storage")).not_to_contain_text("0.0 kB of")

    row = page.locator(f'#media-moh tr[data-media="{moh["id"]}"]')
    audio = row.locator("audio")
    src = audio.get_attribute("src")
    assert src == f"/tenant/media/{moh['id']}/audio"
    answer = page.request.get(f"{base}{src}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/wav"
    duration = audio.evaluate(
        """el => new Promise((ok, fail) => {
            el.addEventListener('loadedmetadata', () => ok(el.duration));
            el.addEventListener('error', () => fail(String(el.error && el.error.code)));
            el.preload = 'auto'; el.load(); })"""
    )
    assert round(duration) == 3
    with logged_in(base, *OTHER_ADMIN) as other:
        problem(other.get(src))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "media.png"), full_page=True)

    row.locator("input[name=name]").fill("Lobby music (winter)")
    row.locator("form.rename button").click()
    expect(page.locator(".flash")).to_have_text('Renamed to "Lobby music (winter)".')
    assert page.request.get(f"{base}/api/v1/media/{moh['id']}").json()["name"] == (
        "Lobby music (winter)"
    )
    page.locator(f'#media-moh tr[data-media="{moh["id"]}"] td.actions button').click()
    expect(page.locator(".flash")).to_have_text('"Lobby music (winter)" deleted.')
    assert page.request.get(f"{base}/api/v1/media/{moh['id']}").status == 404
    assert [m["kind"] for m in page.request.get(f"{base}/api/v1/media").json()["items"]] == [
        "prompt"
    ]

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/media?lang=de")
    expect(phone.locator("h1")).to_contain_text("Wartemusik und Ansagen")
    phone.screenshot(path=str(ARTEFACTS / "media-phone-de.png"), full_page=True)


def _seed(url: str, store: MediaStore, tmp_path: Path) -> dict[str, Any]:
    """acme: a MOH file and 202's busy greeting."""

    async def work(scope: TenantScope) -> dict[str, Any]:
        data = write_wav(tmp_path / "seed" / "moh.wav", 1.0).read_bytes()
        moh = await media_files.upload_media(scope, store, data, kind=MediaKind.MOH, name="Acme")
        box = await vm.mailbox_for_extension(scope, "202")
        assert box is not None
        greeting = await media_files.upload_media(
            scope, store, data, kind=MediaKind.GREETING, name="busy.wav",
            mailbox_id=box.id, greeting=GreetingKind.BUSY,
        )  # fmt: skip
        return {"moh": moh.id, "greeting": greeting.id, "path": moh.path}

    return run_in_scope(url, "acme.example.com", work)


def _names(url: str) -> list[tuple[str, str]]:
    async def work(scope: TenantScope) -> list[tuple[str, str]]:
        return sorted((m.kind.value, m.name) for m in await scope.list(MediaFile))

    return run_in_scope(url, "acme.example.com", work)


def test_another_tenants_admin_reaches_no_media_file(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    seeded = _seed(database_url, MediaStore(tmp_path), tmp_path)
    add_other_tenant(database_url)
    before = _names(database_url)
    with logged_in(base, *OTHER_ADMIN) as other:
        for media in (seeded["moh"], seeded["greeting"]):
            problem(other.get(f"/tenant/media/{media}/audio"))
            problem(other.get(f"/tenant/media/{media}/audio?download=1"))
            problem(other.post(f"/tenant/media/{media}/rename", {"name": "Mine now"}))
            problem(other.post(f"/tenant/media/{media}/delete"))
        listing = other.get("/tenant/media")
        assert listing.status_code == 200
        assert "Acme" not in listing.text
        assert f'data-media="{seeded["moh"]}"' not in listing.text
        # beta's own upload lands in beta, not in acme
        wav = write_wav(tmp_path / "up" / "beta.wav", 1.0).read_bytes()
        added = other.post("/tenant/media", {"kind": "moh", "name": "Beta music"},
                           files={"file": ("beta.wav", wav, "audio/wav")})  # fmt: skip
        assert '"Beta music" uploaded.' in html.unescape(added.text)
    assert _names(database_url) == before
    assert (tmp_path / seeded["path"]).exists()
    with logged_in(base, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        # a greeting belongs to its mailbox: not reachable through the media routes
        problem(admin.get(f"/tenant/media/{seeded['greeting']}/audio"))
        problem(admin.post(f"/tenant/media/{seeded['greeting']}/delete"))
        own = admin.get(f"/tenant/media/{seeded['moh']}/audio?download=1")
        assert own.status_code == 200
        assert own.headers["content-disposition"].startswith("attachment")
        assert "Beta music" not in admin.get("/tenant/media").text
        wrong = admin.post("/tenant/media", {"kind": "greeting", "name": "x"},
                           files={"file": ("x.wav", wav, "audio/wav")})  # fmt: skip
        assert "choose music on hold or a prompt" in wrong.text
    assert _names(database_url) == before
    with logged_in(base, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/media").status_code == 403
        assert user.get(f"/tenant/media/{seeded['moh']}/audio").status_code == 403


@SQLITE
def test_media_page_is_translated_in_every_language(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    keys = fragment_keys("media")
    assert keys["fr"] == keys["en"]
    assert keys["de"] == keys["en"]
    assert keys["it"] == keys["en"]
    _seed(database_url, MediaStore(tmp_path), tmp_path)
    with logged_in(portal_server.base_url, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        assert_translated(admin, "/tenant/media", {
            "en": "Music on hold and prompts", "fr": "Musique d'attente et annonces",
            "de": "Wartemusik und Ansagen", "it": "Musica d'attesa e annunci"})  # fmt: skip
