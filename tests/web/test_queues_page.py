"""The queues page: in Chromium a tenant admin creates a queue (agents with skill levels, times,
overflow target, callback), edits it while an agent who joined by itself stays a member, and
deletes it, each step checked through the REST API; refused input says why and changes nothing;
another tenant's queue is 404; no untranslated key in any language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARTEFACTS
from tests.web.test_ring_groups_page import (
    ADMIN,
    SQLITE,
    browser,
    csrf_of,
    log_in,
    other_tenant,
    raw_keys,
    run,
    seed,
)
from tests.web.test_switchboard_page import logged_in

__all__ = ["browser"]  # the ring group tests' fixture, used here too


def queues(api: httpx.Client) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/queues")
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def members(queue: dict[str, Any]) -> list[tuple[str, int, bool]]:
    return [(m["extension"], m["level"], m["static"]) for m in queue["members"]]


@SQLITE
def test_admin_creates_edits_and_deletes_a_queue(
    portal_server: PortalServer, browser: Browser, database_url: str, tmp_path: Path
) -> None:
    run(portal_server, seed(database_url))
    base = portal_server.base_url
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, base)
    page.click('header nav a[href="/tenant/queues"]')
    expect(page.locator("h1")).to_contain_text("Queues of acme.example.com")
    expect(page.locator("#queue-moh")).to_contain_text("built-in melody")

    form = page.locator("#create-queue")
    form.locator("input[name=number]").fill("500")
    form.locator("input[name=name]").fill("Support")
    form.locator("select[name=strategy]").select_option("skills")
    form.locator("textarea[name=members]").fill("203:5\n202")
    form.locator("input[name=ring_seconds]").fill("20")
    form.locator("input[name=wrap_up_seconds]").fill("15")
    form.locator("input[name=max_wait_seconds]").fill("120")
    form.locator("input[name=service_level_seconds]").fill("30")
    form.locator("input[name=min_level]").fill("2")
    form.locator("input[name=fallback]").fill("204")
    form.locator("input[name=announce_position]").check()
    form.locator("input[name=callback]").check()
    form.locator("input[name=callback_attempts]").fill("4")
    form.locator("input[name=callback_retry_seconds]").fill("60")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text("Queue 500 created.")
    row = page.locator('tr[data-queue="500"]')
    expect(row.locator("ol.members li")).to_have_text(["203 (level 5)", "202"])
    expect(row.locator(".strategy")).to_have_text("By skill level")
    expect(page.locator("#pause-reasons li").first).to_contain_text("*52")  # set up with it

    with logged_in(base, *ADMIN) as api:
        [created] = queues(api)
        assert members(created) == [("203", 5, True), ("202", 1, True)]
        assert {k: created[k] for k in ("name", "strategy", "ring_seconds", "wrap_up_seconds",
                                        "max_wait_seconds", "service_level_seconds", "min_level",
                                        "fallback", "announce_position", "callback",
                                        "callback_attempts", "callback_retry_seconds")} == {
            "name": "Support", "strategy": "skills", "ring_seconds": 20, "wrap_up_seconds": 15,
            "max_wait_seconds": 120, "service_level_seconds": 30, "min_level": 2,
            "fallback": "204", "announce_position": True, "callback": True,
            "callback_attempts": 4, "callback_retry_seconds": 60,
        }  # fmt: skip

        # agent 204 joins the queue by itself (what *50 does): a dynamic member
        csrf = csrf_of(api.get("/tenant/queues").text)  # the API client's own session
        joined = api.put("/api/v1/agents/204/state", json={"state": "ready", "queue": "500"},
                         headers={"X-CSRF-Token": csrf})  # fmt: skip
        assert joined.status_code == 200, joined.text

        # edit: agents reordered, other times, the overflow target cleared, no announcement
        page.reload()
        row.locator("a", has_text="Edit").click()
        expect(page).to_have_url(f"{base}/tenant/queues/{created['id']}")
        edit = page.locator("#edit-queue")
        expect(edit.locator("textarea[name=members]")).to_have_value("203:5\n202")
        expect(edit.locator(".dynamic")).to_contain_text("204")
        edit.locator("textarea[name=members]").fill("202:3\n203")
        edit.locator("select[name=strategy]").select_option("round-robin")
        edit.locator("input[name=max_wait_seconds]").fill("600")
        edit.locator("input[name=fallback]").fill("")
        edit.locator("input[name=announce_position]").uncheck()
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text("Queue 500 saved.")
        [changed] = queues(api)
        assert members(changed) == [("202", 3, True), ("203", 1, True), ("204", 1, False)]
        assert (changed["strategy"], changed["max_wait_seconds"]) == ("round-robin", 600)
        assert changed["fallback"] is None
        assert changed["announce_position"] is False
        assert (changed["callback"], changed["wrap_up_seconds"]) == (True, 15)  # kept

        # refused: an unknown agent, then another tenant's extension; nothing changes
        page.goto(f"{base}/tenant/queues/{created['id']}")
        edit.locator("textarea[name=members]").fill("202\n999")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("Unknown agent")
        expect(page.locator(".flash.error")).to_contain_text("999")
        expect(edit.locator("textarea[name=members]")).to_have_value("202\n999")
        assert queues(api) == [changed]
        page.goto(f"{base}/tenant/queues")
        form.locator("input[name=number]").fill("501")
        form.locator("textarea[name=members]").fill("301")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("301")
        assert queues(api) == [changed]
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "queues.png"), full_page=True)

        # delete
        page.locator('tr[data-queue="500"] form.delete button').click()
        expect(page.locator(".flash")).to_have_text("Queue 500 deleted.")
        expect(page.locator('tr[data-queue="500"]')).to_have_count(0)
        assert queues(api) == []

    phone = page.context.new_page()  # the same session
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{base}/tenant/queues?lang=it")
    expect(phone.locator("h1")).to_have_text("Code di acme.example.com")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "queues-phone-it.png"), full_page=True)
    phone.close()
    page.close()


def test_refused_input_and_another_tenants_queues(
    portal_server: PortalServer, database_url: str
) -> None:
    ids = run(portal_server, seed(database_url))
    before = run(portal_server, other_tenant(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/queues")
        assert listing.status_code == 200
        assert 'data-queue="800"' not in listing.text  # nothing of globex shown
        token = csrf_of(listing.text)
        refused = {
            "999": ("202\n999", {}),
            "Unknown agent": ("301", {}),
            "A time is out of range": ("202", {"max_wait_seconds": "2"}),
            "not a whole number": ("202", {"wrap_up_seconds": "soon"}),
            "A skill level is a number from 1 to 10": ("202:11", {}),
            "Callback attempts must be 1 to 10": ("202", {"callback_attempts": "0"}),
            "The overflow target": ("202", {"fallback": "voicemail:301"}),
            "already used by an extension": ("202", {"number": "202"}),  # acme's 202
        }
        for shown, (agents, extra) in refused.items():
            data = {"csrf": token, "number": "550", "strategy": "ring-all", "members": agents}
            answer = admin.post("/tenant/queues", data={**data, **extra})
            assert answer.status_code == 200
            assert 'class="flash error"' in answer.text, shown
            assert shown.replace("'", "&#39;") in answer.text, shown
        assert queues(admin) == []

        other = ids["queue"]
        assert admin.get(f"/tenant/queues/{other}").status_code == 404
        changed = admin.post(f"/tenant/queues/{other}", data={
            "csrf": token, "number": "800", "strategy": "skills", "members": "202",
        })  # fmt: skip
        assert changed.status_code == 404
        assert admin.post(f"/tenant/queues/{other}/delete", data={"csrf": token}).status_code == 404
        assert admin.get(f"/api/v1/queues/{other}").status_code == 404
        assert queues(admin) == []
    assert run(portal_server, other_tenant(database_url)) == before
    with logged_in(portal_server.base_url, "paul@acme.example.com", USER_PASSWORD) as user:
        assert user.get("/tenant/queues").status_code == 403


def test_the_page_is_translated_in_every_language(
    portal_server: PortalServer, database_url: str
) -> None:
    run(portal_server, seed(database_url))
    english = set(catalog("en"))
    own = {k for k in english if k.startswith("queues.")}
    assert len(own) > 40
    for language in LANGUAGES:
        assert own <= set(catalog(language)), language
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        token = csrf_of(admin.get("/tenant/queues").text)
        admin.post("/tenant/queues", data={"csrf": token, "number": "500", "strategy": "skills",
                                           "members": "202:4\n203"})  # fmt: skip
        [queue] = queues(admin)
        for language in LANGUAGES:
            for path in ("/tenant/queues", f"/tenant/queues/{queue['id']}"):
                shown = admin.get(f"{path}?lang={language}")
                assert shown.status_code == 200
                assert raw_keys(shown.text, ("queues", "common", "nav")) == [], language
            refused = admin.post(f"/tenant/queues?lang={language}", data={
                "csrf": token, "number": "501", "members": "999",
            })  # fmt: skip
            assert raw_keys(refused.text, ("queues", "error")) == [], language
        german = admin.get("/tenant/queues?lang=de").text
        assert "Nach Qualifikationsstufe" in german
        assert "Pausengründe" in german
        refused = admin.post("/tenant/queues?lang=fr", data={
            "csrf": token, "number": "501", "members": "999",
        })  # fmt: skip
        assert "Agent inconnu" in refused.text
