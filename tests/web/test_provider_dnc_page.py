"""The provider's national DNC page (`/provider/national-dnc`): without a browser, on both
databases, only the platform admin reaches it (a partner and a tenant admin get 403 for every
form, nothing changed), a bad file, country or name says why and leaves the list as it was,
replace and add behave as the API's `PUT`, delete removes a list; then in Chromium the platform
admin imports a list through the page (checked through the API), is told why a bad file is
refused (the list unchanged), and deletes the list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    check_translations,
    chromium,
    log_in,
    provider_server,
)
from tests.web.test_switchboard_page import logged_in

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database
PAGE = "/provider/national-dnc"
GOOD = "numero;date\n01 42 68 53 01;2026-01-01\n+33142685302\n+41 44 555 00 00\n12\n"
MORE = "+33142685303\n+33142685302\n"
BAD = "hello\n12\n+41 44 555 00 00\n"  # no valid French number at all


def lists(api: httpx.Client) -> list[tuple[str, str, int]]:
    answer = api.get("/api/v1/national-dnc")
    assert answer.status_code == 200, answer.text
    return [(x["country"], x["name"], x["count"]) for x in answer.json()["items"]]


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def upload(client: httpx.Client, csrf: str, content: str, **fields: str) -> httpx.Response:
    data = {"csrf": csrf, "country": "FR", "name": "Bloctel", "mode": "replace", **fields}
    files = {"file": ("bloctel.csv", content.encode(), "text/csv")}
    return client.post(PAGE, data=data, files=files)


def test_roles_bad_files_replace_add_and_delete(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, logged_in(srv.base_url, *ROOT) as root:
        shown = root.get(PAGE)
        assert shown.status_code == 200
        assert "No national list yet." in shown.text
        token = csrf_of(shown.text)
        done = upload(root, token, GOOD)
        assert done.status_code == 200
        assert "List Bloctel (FR) replaced: 2 numbers imported, 2 in all." in done.text
        assert "2 line(s) rejected" in done.text
        assert "Line 4:" in done.text
        assert lists(root) == [("FR", "Bloctel", 2)]

        for fields, content, said in (
            ({}, BAD, "File refused, nothing changed"),
            ({}, "", "File refused, nothing changed"),
            ({"country": "XX"}, GOOD, "Invalid country"),
            ({"name": "a/b"}, GOOD, "Invalid list name"),
        ):
            refused = upload(root, token, content, **fields)
            assert refused.status_code == 200
            assert 'class="flash error"' in refused.text, fields
            assert said in refused.text, fields
            assert lists(root) == [("FR", "Bloctel", 2)], fields  # nothing changed
        kept = upload(root, token, BAD, country="FR", name="Bloctel")
        assert 'value="Bloctel"' in kept.text  # what was typed, to correct it

        added = upload(root, token, MORE, mode="add")
        assert "List Bloctel (FR): 1 numbers added, 3 in all." in added.text
        assert "1 duplicate(s)" in added.text
        assert lists(root) == [("FR", "Bloctel", 3)]
        replaced = upload(root, token, MORE)
        assert "2 in all" in replaced.text
        assert lists(root) == [("FR", "Bloctel", 2)]
        assert root.post(PAGE, data={"country": "FR", "name": "X"},
                         files={"file": ("x.csv", GOOD.encode(), "text/csv")}).status_code == 400  # fmt: skip

        for who in (PARTNER, ACME_ADMIN):
            with logged_in(srv.base_url, *who) as other:
                assert other.get(PAGE).status_code == 403, who
                assert "Bloctel" not in other.get(PAGE).text
                assert upload(other, token, GOOD, name="Mine").status_code == 403, who
                gone = other.post(f"{PAGE}/delete", data={"csrf": token, "country": "FR",
                                                          "name": "Bloctel"})  # fmt: skip
                assert gone.status_code == 403, who
                nav = other.get("/").text
                assert f'href="{PAGE}"' not in nav
        assert lists(root) == [("FR", "Bloctel", 2)]
        assert f'href="{PAGE}"' in root.get("/provider").text

        missing = root.post(f"{PAGE}/delete", data={"csrf": token, "country": "FR",
                                                    "name": "Robinson"})  # fmt: skip
        assert "No such list" in missing.text
        deleted = root.post(f"{PAGE}/delete", data={"csrf": token, "country": "FR",
                                                    "name": "Bloctel"})  # fmt: skip
        assert "List Bloctel (FR) deleted with its 2 numbers." in deleted.text
        assert lists(root) == []


@SQLITE
def test_admin_imports_is_refused_a_bad_file_and_deletes(database_url: str, tmp_path: Path) -> None:
    good, bad = tmp_path / "bloctel.csv", tmp_path / "broken.csv"
    good.write_text(GOOD)
    bad.write_text(BAD)
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        page = log_in(browser, srv.base_url, ROOT)
        page.click(f"header nav a[href='{PAGE}']")
        expect(page.locator("h1")).to_have_text("National do-not-call lists")
        form = page.locator("#import-national")
        form.locator("input[name=country]").fill("FR")
        form.locator("input[name=name]").fill("Bloctel")
        form.locator("input[name=file]").set_input_files(str(good))
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_have_text(
            "List Bloctel (FR) replaced: 2 numbers imported, 2 in all."
        )
        row = page.locator('#national-lists tr[data-country="FR"][data-name="Bloctel"]')
        expect(row.locator(".count")).to_have_text("2")
        expect(page.locator("#dnc-report .rejected")).to_have_text("2 line(s) rejected")
        with logged_in(srv.base_url, *ROOT) as api:
            assert lists(api) == [("FR", "Bloctel", 2)]
            answer: dict[str, Any] = api.get("/api/v1/national-dnc").json()
            assert answer["items"][0]["imported_at"]

            form = page.locator("#import-national")
            form.locator("input[name=country]").fill("FR")
            form.locator("input[name=name]").fill("Bloctel")
            form.locator("input[name=file]").set_input_files(str(bad))
            form.locator("button[type=submit]").click()
            expect(page.locator(".flash.error")).to_contain_text("File refused, nothing changed")
            expect(page.locator(".flash.error")).to_contain_text("no valid number of FR")
            expect(row.locator(".count")).to_have_text("2")
            assert lists(api) == [("FR", "Bloctel", 2)]

            check_translations(page, f"{srv.base_url}{PAGE}", "provider_dnc")
            page.locator('#national-lists tr[data-name="Bloctel"] form.delete button').click()
            expect(page.locator(".flash")).to_have_text(
                "List Bloctel (FR) deleted with its 2 numbers."
            )
            expect(page.locator("#national-lists tr.empty")).to_have_count(1)
            assert lists(api) == []
        phone = log_in(browser, srv.base_url, ROOT, width=390, height=844)
        phone.goto(f"{srv.base_url}{PAGE}?lang=de")
        expect(phone.locator("h1")).to_have_text("Nationale Werbesperrlisten")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()
        page.close()
