"""The provider's number ranges page in Chromium: add a range, assign blocks of its numbers to
two tenants, take one back, delete ranges; each checked through the services; overlapping or
reversed ranges, too large blocks and deleting a range in use are refused with nothing changed;
partners and tenant admins are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from centrex.provisioning import numbers as number_service
from centrex.provisioning import provider
from centrex.provisioning import tenants as tenant_service
from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    blocking,
    check_translations,
    chromium,
    in_session,
    log_in,
    provider_server,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


def _held(url: str, domain: str) -> dict[str, str]:
    """The tenant's numbers and their states, as the tenant API lists them."""

    async def work(session: Any) -> dict[str, str]:
        scope = await tenant_service.scope_for(session, domain)
        return {n.e164: n.state.value for n in await number_service.list_numbers(scope)}

    return blocking(in_session(url, work))


def _ranges(url: str) -> dict[str, int]:
    async def work(session: Any) -> dict[str, int]:
        return {
            f"{r.first}-{r.last}": await provider.range_size(session, r.id)
            for r in await number_service.list_ranges(session)
        }

    return blocking(in_session(url, work))


def _add_range(page: Page, first: str, last: str, description: str = "") -> None:
    form = page.locator("#add-range")
    form.locator("input[name=first]").fill(first)
    form.locator("input[name=last]").fill(last)
    form.locator("input[name=description]").fill(description)
    form.locator("button[type=submit]").click()


def _assign(page: Page, domain: str, count: int, start: str = "") -> None:
    form = page.locator("#assign-numbers")
    form.locator("select[name=tenant_id]").select_option(label=f"{_name(domain)} ({domain})")
    form.locator("input[name=start]").fill(start)
    form.locator("input[name=count]").fill(str(count))
    form.locator("input[name=count]").evaluate("e => e.removeAttribute('max')")
    form.locator("button[type=submit]").click()


def _name(domain: str) -> str:
    return {"acme.example.com": "Acme SA", "beta.example.com": "Beta GmbH"}[domain]


@SQLITE
def test_ranges_and_assignment(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        page = log_in(browser, srv.base_url, ROOT)
        page.click("header nav a[href='/provider/numbers']")
        expect(page.locator("h1")).to_have_text("Number ranges")

        _add_range(page, "+41215550100", "+41215550119", "Lausanne block")
        expect(page.locator(".flash.ok")).to_contain_text(
            "Range +41215550100–+41215550119 added (20 numbers)"
        )
        assert _ranges(database_url) == {"+41215550100-+41215550119": 20}
        expect(page.locator("#numbers tbody tr")).to_have_count(20)  # the new range is open
        expect(
            page.locator('#ranges tr[data-range="+41215550100"] [data-state="free"]')
        ).to_have_text("free: 20")

        # bad ranges: refused, nothing added
        _add_range(page, "+41215550110", "+41215550130")
        expect(page.locator(".flash.error")).to_contain_text("overlaps")
        _add_range(page, "+41215550299", "+41215550200")
        expect(page.locator(".flash.error")).to_contain_text("is not ascending")
        assert _ranges(database_url) == {"+41215550100-+41215550119": 20}

        page.locator('#ranges tr[data-range="+41215550100"] a.button').click()
        _assign(page, "acme.example.com", 3)
        expect(page.locator(".flash.ok")).to_contain_text(
            "+41215550100–+41215550102 (3) assigned to acme.example.com"
        )
        _assign(page, "beta.example.com", 2, start="+41215550101")  # the next free from there
        expect(page.locator(".flash.ok")).to_contain_text("+41215550103–+41215550104 (2) assigned")
        assert _held(database_url, "acme.example.com") == {
            f"+4121555010{i}": "assigned" for i in range(3)
        }
        assert _held(database_url, "beta.example.com") == {
            "+41215550103": "assigned",
            "+41215550104": "assigned",
        }
        row = page.locator('#numbers tr[data-number="+41215550103"]')
        expect(row.locator(".tenant")).to_have_text("beta.example.com")
        expect(row.locator(".state")).to_have_text("assigned")

        # more than the free numbers: refused as a whole
        _assign(page, "beta.example.com", 16)
        expect(page.locator(".flash.error")).to_contain_text("only 15 free numbers")
        assert len(_held(database_url, "beta.example.com")) == 2

        # take one back: it ages, belongs to nobody, and the tenant no longer lists it
        page.locator('#numbers tr[data-number="+41215550100"] form.release-number button').click()
        expect(page.locator(".flash.ok")).to_contain_text("+41215550100 taken back from acme")
        expect(page.locator('#numbers tr[data-number="+41215550100"] .state')).to_have_text(
            "ageing"
        )
        assert "+41215550100" not in _held(database_url, "acme.example.com")
        # an ageing number cannot be handed out again at once
        _assign(page, "beta.example.com", 1, start="+41215550100")
        expect(page.locator(".flash.ok")).to_contain_text("+41215550105–+41215550105 (1) assigned")

        # a range in use cannot be deleted; a free one can
        page.locator('#ranges tr[data-range="+41215550100"] form.delete-range button').click()
        expect(page.locator(".flash.error")).to_contain_text("numbers of this range are assigned")
        _add_range(page, "+41445550000", "+41445550009")
        expect(page.locator(".flash.ok")).to_contain_text("(10 numbers)")
        page.locator('#ranges tr[data-range="+41445550000"] form.delete-range button').click()
        expect(page.locator(".flash.ok")).to_contain_text("Range +41445550000–+41445550009 deleted")
        assert _ranges(database_url) == {"+41215550100-+41215550119": 20}

        page.set_viewport_size({"width": 390, "height": 844})  # phone width: rows become cards
        page.goto(f"{srv.base_url}/provider/numbers?range=1")
        expect(page.locator("#numbers thead")).to_be_hidden()
        page.screenshot(path=str(tmp_path / "provider-numbers-phone.png"), full_page=True)
        check_translations(page, f"{srv.base_url}/provider/numbers?range=1", "provider_numbers")


@SQLITE
def test_numbers_page_is_for_the_platform_admin_only(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        for who in (PARTNER, ACME_ADMIN):
            page = log_in(browser, srv.base_url, who)
            expect(page.locator("header nav a[href='/provider/numbers']")).to_have_count(0)
            response = page.goto(f"{srv.base_url}/provider/numbers")
            assert response is not None
            assert response.status == 403
            posted = page.request.post(f"{srv.base_url}/provider/numbers/ranges",
                                       form={"first": "+41215550100", "last": "+41215550101"})  # fmt: skip
            assert posted.status == 403
            page.close()
        assert _ranges(database_url) == {}
