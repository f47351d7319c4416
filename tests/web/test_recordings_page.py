"""The recordings page: in Chromium an administrator searches acme's recordings by period,
extension, number and minimum duration, plays one, downloads one and deletes one (checked through
the REST API and on disk), and reads the storage use against the quota. Over HTTP, on both
databases: the search itself (CDR link by id and by call id, per-party recordings, bad input),
and another tenant's administrator reaches no recording of acme's and finds none in a search.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from centrex.data.models import CallRecording, Cdr, Direction, Disposition, RecordingLayout
from centrex.data.tenancy import TenantScope
from centrex.provisioning.recordings import register_recording
from centrex.provisioning.storage import MediaStore
from tests.web.audio_pages import (
    ACME_ADMIN_EMAIL,
    OTHER_ADMIN,
    OTHER_DOMAIN,
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


# (call id, caller, callee, extension, start, seconds, link): "id" links the CDR by id, "call"
# only by call id (the CDR was written after the recording), None: a per-party recording
# of 202 with no CDR at all.
CALLS: tuple[tuple[str, str, str, str | None, datetime, float, str | None], ...] = (
    ("out-1", "202", "+41215550100", "202", datetime(2026, 3, 1, 9, 0, tzinfo=UTC), 6.0, "id"),
    ("in-1", "+41445550199", "203", "203", datetime(2026, 3, 5, 14, 0, tzinfo=UTC), 2.0, "call"),
    ("int-1", "", "", None, datetime(2026, 3, 10, 18, 30, tzinfo=UTC), 4.0, None),
)


def _seed(url: str, store: MediaStore, domain: str = "acme.example.com") -> dict[str, int]:
    """The three recordings of CALLS (call id → recording id) in `domain`."""

    async def work(scope: TenantScope) -> dict[str, int]:
        ids: dict[str, int] = {}
        for call_id, caller, callee, ext, start, seconds, link in CALLS:
            cdr = None
            if link is not None:
                cdr = scope.add(Cdr(call_id=call_id, caller=caller, callee=callee,
                                    direction=Direction.INTERNAL, started_at=start,
                                    billsec=int(seconds), extension=ext,
                                    disposition=Disposition.ANSWERED))  # fmt: skip
                await scope.session.flush()
            _relative, path = store.new_file(scope.tenant_id, "recordings")
            write_wav(path, seconds)
            recording = await register_recording(
                scope, store, call_id=call_id, path=path, now=datetime.now(UTC),
                layout=RecordingLayout.MIXED if link else RecordingLayout.PER_PARTY,
                party=None if link else "202", cdr_id=cdr.id if cdr and link == "id" else None,
                started_at=start,
            )  # fmt: skip
            ids[call_id] = recording.id
        return ids

    return run_in_scope(url, domain, work)


def _recordings(url: str, domain: str = "acme.example.com") -> list[tuple[int, str]]:
    async def work(scope: TenantScope) -> list[tuple[int, str]]:
        return [(r.id, r.path) for r in await scope.list(CallRecording)]

    return run_in_scope(url, domain, work)


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", ACME_ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")


def _shown(page: Page) -> list[str]:
    return sorted(page.locator("#recordings tr[data-recording]").evaluate_all(
        "rows => rows.map(r => r.dataset.recording)"))  # fmt: skip


def _search(page: Page, **values: str) -> None:
    form = page.locator("#search-recordings")
    for name in ("since", "until", "extension", "number", "min_seconds"):
        form.locator(f"input[name={name}]").fill(values.get(name, ""))
    form.locator("button[type=submit]").click()


@SQLITE
def test_admin_searches_plays_downloads_and_deletes_recordings(
    portal_server: PortalServer, browser: Browser, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    ids = {k: str(v) for k, v in _seed(database_url, MediaStore(tmp_path)).items()}
    add_other_tenant(database_url)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base)
    page.click("nav >> text=Recordings")
    expect(page).to_have_url(f"{base}/tenant/recordings")
    expect(page.locator("#found")).to_have_text("3 found, 3 shown (newest first).")
    assert _shown(page) == sorted(ids.values())
    expect(page.locator("#storage")).to_contain_text("of 1024.0 MB used")
    row = page.locator(f'tr[data-recording="{ids["in-1"]}"]')
    expect(row).to_contain_text("+41445550199")
    expect(row).to_contain_text("2026-03-05 14:00:00")  # its CDR found by call id

    _search(page, extension="202")
    assert _shown(page) == sorted([ids["out-1"], ids["int-1"]])  # the call's, and 202's voice
    _search(page, number="5550199")
    assert _shown(page) == [ids["in-1"]]
    _search(page, min_seconds="3")
    assert _shown(page) == sorted([ids["out-1"], ids["int-1"]])
    _search(page, since="2026-03-02", until="2026-03-05")
    assert _shown(page) == [ids["in-1"]]
    expect(page).to_have_url(f"{base}/tenant/recordings?since=2026-03-02&until=2026-03-05"
                             "&extension=&number=&min_seconds=")  # fmt: skip
    _search(page, since="2026-03-06", until="2026-03-01")
    expect(page.locator(".flash.error")).to_contain_text(
        "the end of the period is before its start"
    )
    assert _shown(page) == []
    _search(page, extension="20x")
    expect(page.locator(".flash.error")).to_contain_text("an extension has 2 to 5 digits")

    _search(page)
    audio = page.locator(f'tr[data-recording="{ids["out-1"]}"] audio')
    src = audio.get_attribute("src")
    assert src == f"/tenant/recordings/{ids['out-1']}/audio"
    answer = page.request.get(f"{base}{src}")
    assert answer.status == 200
    assert answer.headers["content-type"] == "audio/wav"
    duration = audio.evaluate(
        """el => new Promise((ok, fail) => {
            el.addEventListener('loadedmetadata', () => ok(el.duration));
            el.addEventListener('error', () => fail(String(el.error && el.error.code)));
            el.preload = 'auto'; el.load(); })"""
    )
    assert round(duration) == 6
    with page.expect_download() as info:
        page.locator(f'tr[data-recording="{ids["out-1"]}"] a.download').click()
    download = info.value
    assert download.suggested_filename == f"recording-{ids['out-1']}.wav"
    assert Path(download.path()).read_bytes()[:4] == b"RIFF"
    with logged_in(base, *OTHER_ADMIN) as other:
        problem(other.get(src))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "recordings.png"), full_page=True)

    # delete one from a filtered list: the same search comes back, without it
    _search(page, min_seconds="3")
    paths = dict(_recordings(database_url))
    page.locator(f'tr[data-recording="{ids["int-1"]}"] button[type=submit]').click()
    expect(page.locator(".flash")).to_have_text(f"Recording {ids['int-1']} deleted.")
    assert _shown(page) == [ids["out-1"]]
    expect(page.locator("#search-recordings input[name=min_seconds]")).to_have_value("3")
    listed = page.request.get(f"{base}/api/v1/recordings").json()
    assert sorted(str(r["id"]) for r in listed["items"]) == sorted([ids["out-1"], ids["in-1"]])
    assert not (tmp_path / paths[int(ids["int-1"])]).exists()

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/tenant/recordings?lang=it")
    expect(phone.locator("h1")).to_contain_text("Registrazioni delle chiamate")
    phone.screenshot(path=str(ARTEFACTS / "recordings-phone-it.png"), full_page=True)


def test_search_and_isolation_of_recordings(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    base = portal_server.base_url
    store = MediaStore(tmp_path)
    ids = _seed(database_url, store)
    add_other_tenant(database_url)
    # beta has CDRs that would match acme's recordings by call id and by number
    beta_ids = _seed(database_url, store, OTHER_DOMAIN)

    async def beta_cdr(scope: TenantScope) -> None:
        """A CDR of beta with the call id of acme's CDR-less recording: it must not match."""
        scope.add(Cdr(call_id="int-1", caller="+41990000000", callee="209", extension="209",
                      direction=Direction.INBOUND, started_at=CALLS[2][4]))  # fmt: skip

    run_in_scope(database_url, OTHER_DOMAIN, beta_cdr)
    before = _recordings(database_url)

    def shown(session: Any, **query: str) -> list[int]:
        page = session.get("/tenant/recordings", params=query)
        assert page.status_code == 200, page.text[:300]
        text = page.text
        return sorted(int(x) for x in set(
            part.split('"')[0] for part in text.split('data-recording="')[1:]))  # fmt: skip

    with logged_in(base, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        assert shown(admin) == sorted(ids.values())
        assert shown(admin, extension="203") == [ids["in-1"]]
        assert shown(admin, number="+41215550100") == [ids["out-1"]]
        assert shown(admin, since="2026-03-10", until="2026-03-10") == [ids["int-1"]]
        assert shown(admin, min_seconds="5") == [ids["out-1"]]
        assert shown(admin, extension="202", min_seconds="5") == [ids["out-1"]]
        assert shown(admin, number="0000") == []
        assert shown(admin, number="41990000000") == []  # beta's CDR of the same call id
        assert shown(admin, extension="209") == []
        bad = admin.get("/tenant/recordings", params={"since": "2026-02-30"})
        assert bad.status_code == 422
        assert "since is not a date" in html.unescape(bad.text)
        assert admin.get("/tenant/recordings", params={"min_seconds": "-1"}).status_code == 422
    with logged_in(base, *OTHER_ADMIN) as other:
        assert shown(other) == sorted(beta_ids.values())  # never one of acme's
        assert shown(other, extension="202") == sorted([beta_ids["out-1"], beta_ids["int-1"]])
        assert shown(other, number="41990000000") == [beta_ids["int-1"]]  # through its own CDR
        for recording in ids.values():
            problem(other.get(f"/tenant/recordings/{recording}/audio"))
            problem(other.get(f"/tenant/recordings/{recording}/audio?download=1"))
            problem(other.post(f"/tenant/recordings/{recording}/delete"))
    assert _recordings(database_url) == before
    assert all((tmp_path / path).exists() for _id, path in before)
    with logged_in(base, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/recordings").status_code == 403
        assert user.get(f"/tenant/recordings/{ids['out-1']}/audio").status_code == 403
        assert user.post(f"/tenant/recordings/{ids['out-1']}/delete").status_code == 403
    assert _recordings(database_url) == before


@SQLITE
def test_recordings_page_is_translated_in_every_language(
    portal_server: PortalServer, tmp_path: Path, database_url: str
) -> None:
    keys = fragment_keys("recordings")
    assert keys["fr"] == keys["en"]
    assert keys["de"] == keys["en"]
    assert keys["it"] == keys["en"]
    _seed(database_url, MediaStore(tmp_path))
    with logged_in(portal_server.base_url, ACME_ADMIN_EMAIL, ADMIN_PASSWORD) as admin:
        assert_translated(admin, "/tenant/recordings", {
            "en": "3 found, 3 shown", "fr": "3 trouvés, 3 affichés",
            "de": "3 gefunden, 3 angezeigt", "it": "3 trovate, 3 mostrate"})  # fmt: skip
