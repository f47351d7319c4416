"""The voicemail pages: in Chromium an administrator creates a mailbox, edits its e-mail and
attachment, resets and sets the PIN, uploads a greeting (a bad file refused with the service's
message), reads the record-by-phone steps, plays a message in an `<audio>` element and deletes
it; every change is checked through the REST API or the services. Over HTTP, on both databases:
another tenant's administrator reaches none of these routes with acme's ids, and nothing moves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.data.models import Extension, GreetingKind, MediaFile, MediaKind, VoicemailMessage
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions as extension_service
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
from tests.web.conftest import ADMIN_PASSWORD, STAFF_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
SEED_PIN = "2468"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test, not per module: while Playwright's sync API runs, its event loop occupies this
    thread, and the PostgreSQL fixture of the HTTP-only tests needs `asyncio.run` here."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _seed_acme(url: str, store: MediaStore, tmp_path: Path, *, greeting: bool) -> dict[str, Any]:
    """Extension 203 without a mailbox; 202's mailbox gets PIN 2468, a 2-second message from
    Claire and, with `greeting`, an unavailable greeting."""

    async def work(scope: TenantScope) -> dict[str, Any]:
        await extension_service.create_extension(
            scope, number="203", name="Desk", password="desk-sip-pw-1", voicemail=False
        )
        box = await vm.mailbox_for_extension(scope, "202")
        assert box is not None
        await vm.update_mailbox(scope, box.id, pin=SEED_PIN)
        recorded = write_wav(tmp_path / "incoming" / "msg.wav", 2.0)
        message = await vm.deposit_message(scope, store, box, recorded, caller="+41215550100",
                                           caller_name="Claire", now=datetime.now(UTC))  # fmt: skip
        media_id = None
        if greeting:
            data = write_wav(tmp_path / "incoming" / "greeting.wav", 1.0).read_bytes()
            media = await media_files.upload_media(
                scope, store, data, kind=MediaKind.GREETING, name="away.wav",
                mailbox_id=box.id, greeting=GreetingKind.UNAVAILABLE,
            )  # fmt: skip
            media_id = media.id
        return {"box": box.id, "message": message.id, "path": message.path, "greeting": media_id}

    return run_in_scope(url, "acme.example.com", work)


def _state(url: str, box_id: int) -> dict[str, Any]:
    """What the services say about 202's mailbox now."""

    async def work(scope: TenantScope) -> dict[str, Any]:
        box = await vm.get_mailbox(scope, box_id)
        ext = await scope.get(Extension, box.extension_id)
        messages = await scope.list(VoicemailMessage, VoicemailMessage.mailbox_id == box_id)
        greetings = await scope.list(MediaFile, MediaFile.mailbox_id == box_id)
        return {
            "email": ext.email,
            "format": box.attachment_format.value,
            "email_enabled": box.email_enabled,
            "messages": [m.id for m in messages],
            "greetings": sorted(g.greeting.value for g in greetings if g.greeting),
            "pins": {p: vm.verify_pin(box, p) for p in (SEED_PIN, "4321")},
        }

    return run_in_scope(url, "acme.example.com", work)


def _verify_pin(url: str, extension: str, pin: str) -> bool:
    async def work(scope: TenantScope) -> bool:
        box = await vm.mailbox_for_extension(scope, extension)
        return box is not None and vm.verify_pin(box, pin)

    return run_in_scope(url, "acme.example.com", work)


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", ACME_ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")


def _flash(page: Page) -> str:
    return page.locator(".flash").inner_text()


@SQLITE
def test_admin_manages_a_mailbox_in_the_browser(
    portal_server: PortalServer, browser: Browser, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    store = MediaStore(tmp_path)
    seeded = _seed_acme(database_url, store, tmp_path, greeting=False)
    box_id = seeded["box"]
    add_other_tenant(database_url)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base)
    page.click("nav >> text=Voicemail")
    expect(page).to_have_url(f"{base}/tenant/voicemail")
    expect(page.locator('tr[data-mailbox="202"] .counts')).to_have_text("1 new, 0 heard")

    # a mailbox for 203 with a generated PIN, shown once
    page.select_option("#create-mailbox select[name=extension]", "203")
    page.click("#create-mailbox button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Mailbox of extension 203 created.")
    generated = re.search(r"Its PIN is (\d{6})", _flash(page))
    assert generated is not None
    assert _verify_pin(database_url, "203", generated.group(1))
    expect(page.locator('tr[data-mailbox="203"]')).to_have_count(1)

    page.locator('tr[data-mailbox="202"] a').click()
    expect(page).to_have_url(f"{base}/tenant/voicemail/{box_id}")
    expect(page.locator("#record-by-phone")).to_contain_text(
        "From a phone of extension 202, dial *97."
    )

    # e-mail and attachment: a bad address is refused and changes nothing
    email = page.locator("#mailbox-settings input[name=email]")
    email.evaluate("el => el.type = 'text'")  # past the browser's own check, to the server's
    email.fill("not an address")
    page.select_option("#mailbox-settings select[name=attachment_format]", "mp3")
    page.click("#mailbox-settings button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("is not an e-mail address")
    before = _state(database_url, box_id)
    assert (before["email"], before["format"]) == (None, "wav")
    page.fill("#mailbox-settings input[name=email]", "paul.vm@acme.example.com")
    page.select_option("#mailbox-settings select[name=attachment_format]", "mp3")
    page.click("#mailbox-settings button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Mailbox of extension 202 saved.")
    api = page.request.get(f"{base}/api/v1/voicemail/boxes/{box_id}").json()
    assert api["attachment_format"] == "mp3"
    assert api["email_enabled"] is True
    assert _state(database_url, box_id)["email"] == "paul.vm@acme.example.com"

    # PIN: reset to a random one, then a chosen one (a too short one refused first)
    page.click("#pin-reset button[type=submit]")
    reset = re.search(r"New PIN: (\d{6})", _flash(page))
    assert reset is not None
    assert _verify_pin(database_url, "202", reset.group(1))
    assert not _verify_pin(database_url, "202", SEED_PIN)
    page.fill("#pin-set input[name=pin]", "12")
    page.click("#pin-set button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("a PIN has 4 to 10 digits")
    assert _verify_pin(database_url, "202", reset.group(1))
    page.fill("#pin-set input[name=pin]", "4321")
    page.click("#pin-set button[type=submit]")
    expect(page.locator(".flash")).to_have_text("The new PIN is set.")
    assert _verify_pin(database_url, "202", "4321")
    page.goto(f"{base}/tenant/voicemail/{box_id}")  # the PIN is not shown again
    expect(page.locator(".flash")).to_have_count(0)
    assert reset.group(1) not in page.content()

    # greetings: a text file is refused with the service's message, a WAV is kept
    busy = page.locator('tr[data-greeting="busy"]')
    busy.locator("input[type=file]").set_input_files(
        files=[{"name": "notes.wav", "mimeType": "audio/wav", "buffer": b"just some text"}]
    )
    busy.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("only WAV and MP3 files are accepted")
    greetings = page.request.get(f"{base}/api/v1/media?kind=greeting").json()
    assert greetings["total"] == 0
    wav = write_wav(tmp_path / "upload" / "away.wav", 1.5, 660.0)
    unavailable = page.locator('tr[data-greeting="unavailable"]')
    unavailable.locator("input[type=file]").set_input_files(str(wav))
    unavailable.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text('Greeting "Unavailable" saved.')
    greetings = page.request.get(f"{base}/api/v1/media?kind=greeting").json()
    assert [(g["greeting"], g["mailbox_id"]) for g in greetings["items"]] == [
        ("unavailable", box_id)
    ]
    src = page.locator('tr[data-greeting="unavailable"] audio').get_attribute("src")
    assert src is not None
    answer = page.request.get(f"{base}{src}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/wav"

    # the message plays in the browser; another tenant's admin gets 404 for the same source
    audio = page.locator(f'tr[data-message="{seeded["message"]}"] audio')
    src = audio.get_attribute("src")
    assert src == f"/tenant/voicemail/{box_id}/messages/{seeded['message']}/audio"
    answer = page.request.get(f"{base}{src}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/wav"
    assert answer.body()[:4] == b"RIFF"
    duration = audio.evaluate(
        """el => new Promise((ok, fail) => {
            el.addEventListener('loadedmetadata', () => ok(el.duration));
            el.addEventListener('error', () => fail(String(el.error && el.error.code)));
            el.preload = 'auto'; el.load(); })"""
    )
    assert round(duration) == 2  # Chromium decoded the 2-second message
    with logged_in(base, *OTHER_ADMIN) as other:
        problem(other.get(src))
    page.screenshot(path=str(tmp_path / "voicemail-box.png"), full_page=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "voicemail-box.png"), full_page=True)

    page.locator(f'tr[data-message="{seeded["message"]}"] button[type=submit]').click()
    expect(page.locator(".flash")).to_have_text("Message deleted.")
    listed = page.request.get(f"{base}/api/v1/voicemail/boxes/{box_id}/messages").json()
    assert listed["total"] == 0
    assert not (tmp_path / seeded["path"]).exists()

    # on a phone, in French
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/voicemail/{box_id}?lang=fr")
    expect(phone.locator("h1")).to_contain_text("Boîte vocale de l'extension 202")
    expect(phone.locator("#record-by-phone")).to_contain_text("composez *97")
    phone.screenshot(path=str(ARTEFACTS / "voicemail-box-phone-fr.png"), full_page=True)

    # the mailbox of 203 deleted from its page; the extension stays
    page.goto(f"{base}/tenant/voicemail")
    page.locator('tr[data-mailbox="203"] a').click()
    page.click("#delete-mailbox button[type=submit]")
    expect(page.locator(".flash")).to_have_text("Mailbox of extension 203 deleted.")
    expect(page.locator('tr[data-mailbox="203"]')).to_have_count(0)
    boxes = page.request.get(f"{base}/api/v1/voicemail/boxes").json()
    assert [b["extension"] for b in boxes["items"]] == ["202"]


def test_another_tenants_admin_reaches_no_mailbox_route(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    store = MediaStore(tmp_path)
    seeded = _seed_acme(database_url, store, tmp_path, greeting=True)
    add_other_tenant(database_url)
    box, message = seeded["box"], seeded["message"]
    before = _state(database_url, box)
    wav = write_wav(tmp_path / "upload" / "busy.wav", 1.0).read_bytes()
    with logged_in(base, *OTHER_ADMIN) as other:
        for path in (
            f"/tenant/voicemail/{box}",
            f"/tenant/voicemail/{box}/greetings/unavailable/audio",
            f"/tenant/voicemail/{box}/messages/{message}/audio",
            f"/tenant/voicemail/{box}/messages/{message}/audio?download=1",
        ):
            problem(other.get(path))
        problem(other.post(f"/tenant/voicemail/{box}/settings",
                           {"email": "evil@beta.example.com", "attachment_format": "mp3"}))  # fmt: skip
        problem(other.post(f"/tenant/voicemail/{box}/pin", {"action": "set", "pin": "1111"}))
        problem(other.post(f"/tenant/voicemail/{box}/pin", {"action": "reset"}))
        problem(other.post(f"/tenant/voicemail/{box}/greetings/busy",
                           files={"file": ("busy.wav", wav, "audio/wav")}))  # fmt: skip
        problem(other.post(f"/tenant/voicemail/{box}/greetings/unavailable/delete"))
        problem(other.post(f"/tenant/voicemail/{box}/messages/{message}/delete"))
        problem(other.post(f"/tenant/voicemail/{box}/delete"))
        # acme's extension 203 is not offered to beta, and a mailbox for "202" is beta's own 404
        listing = other.get("/tenant/voicemail")
        assert 'data-mailbox="301"' in listing.text
        assert 'data-mailbox="202"' not in listing.text
        assert "<option>203</option>" not in listing.text
        refused = other.post("/tenant/voicemail", {"extension": "203", "pin": "1234"})
        assert "extension 203 not found" in refused.text
        # a message of acme through beta's own mailbox id is not found either
        own = re.search(r'href="/tenant/voicemail/(\d+)"', listing.text)
        assert own is not None
        problem(other.get(f"/tenant/voicemail/{own.group(1)}/messages/{message}/audio"))
        problem(other.post(f"/tenant/voicemail/{own.group(1)}/messages/{message}/delete"))
    after = _state(database_url, box)
    for key in ("email", "format", "email_enabled", "messages", "greetings", "pins"):
        assert after[key] == before[key], key
    assert after["pins"][SEED_PIN]
    assert after["greetings"] == ["unavailable"]
    assert (tmp_path / seeded["path"]).exists()
    # the owner's own admin does reach them; a plain user does not; staff name the tenant
    with logged_in(base, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        audio = admin.get(f"/tenant/voicemail/{box}/messages/{message}/audio?download=1")
        assert audio.status_code == 200
        assert audio.headers["content-type"] == "audio/wav"
        assert audio.headers["content-disposition"].startswith("attachment")
        assert admin.get(f"/tenant/voicemail/{box}/greetings/no-such/audio").status_code == 404
    with logged_in(base, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/voicemail").status_code == 403
        assert user.get(f"/tenant/voicemail/{box}/messages/{message}/audio").status_code == 403
    with logged_in(base, "root@provider.test", STAFF_PASSWORD) as staff:
        chosen = staff.get(f"/tenant/voicemail/{box}?tenant=acme.example.com")
        assert chosen.status_code == 200
        assert (
            f'src="/tenant/voicemail/{box}/messages/{message}/audio?tenant=acme.example.com"'
            in (chosen.text)
        )


@SQLITE
def test_voicemail_pages_are_translated_in_every_language(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    keys = fragment_keys("voicemail")
    assert keys["fr"] == keys["en"]
    assert keys["de"] == keys["en"]
    assert keys["it"] == keys["en"]
    seeded = _seed_acme(database_url, MediaStore(tmp_path), tmp_path, greeting=True)
    with logged_in(portal_server.base_url, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        assert_translated(admin, "/tenant/voicemail", {
            "en": "Voicemail boxes of", "fr": "Boîtes vocales de", "de": "Voicemail-Boxen von",
            "it": "Caselle vocali di"})  # fmt: skip
        assert_translated(admin, f"/tenant/voicemail/{seeded['box']}", {
            "en": "Record a greeting by phone", "fr": "Enregistrer une annonce par téléphone",
            "de": "Ansage am Telefon aufnehmen", "it": "Registrare un messaggio dal telefono"})  # fmt: skip
