"""The provider's security page on the portal test server: the banned sources of a real
`AuthFailureTracker` (the registrar's class) listed, partners and tenant admins refused,
unbanning an address that is not banned says so; and the tracker's unban itself. A real
`centrex serve` banning sipp and the page lifting the ban: tests/e2e/test_provider_pages.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from centrex.api.ban_list import TrackerBans
from centrex.registrar.security import AuthFailureTracker
from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    check_translations,
    chromium,
    log_in,
    provider_server,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database


def test_unban_lifts_the_ban_and_restarts_the_count() -> None:
    tracker = AuthFailureTracker(failures=2, window=60.0, ban_seconds=600.0)
    bans = TrackerBans(tracker, lambda: 1000.0)
    for _ in range(2):
        tracker.record_failure("198.51.100.7", 1000.0, "wrong password")
    assert bans.banned() == {"198.51.100.7": 600.0}
    assert bans.unban(" 198.51.100.7 ") is True
    assert bans.banned() == {}
    assert not tracker.is_banned("198.51.100.7", 1000.0)
    assert bans.unban("198.51.100.7") is False
    tracker.record_failure("198.51.100.7", 1001.0, "wrong password")  # the count starts over
    assert not tracker.is_banned("198.51.100.7", 1001.0)


@SQLITE
def test_security_page_roles_and_bad_unban(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        now = time.time()
        for _ in range(2):
            srv.loop.call_soon_threadsafe(srv.bans.record_failure, "198.51.100.7", now, "test")
        page = log_in(browser, srv.base_url, ROOT)
        page.goto(f"{srv.base_url}/provider/security")
        expect(page.locator('#bans tr[data-host="198.51.100.7"]')).to_be_visible()
        check_translations(page, f"{srv.base_url}/provider/security", "provider_security")
        csrf = page.locator("form.unban input[name=csrf]").input_value()
        posted = page.request.post(f"{srv.base_url}/provider/security/unban",
                                   form={"csrf": csrf, "host": "203.0.113.9"})  # fmt: skip
        assert "203.0.113.9 is not banned" in posted.text()
        assert srv.bans.banned(time.time()).keys() == {"198.51.100.7"}
        page.close()
        for who in (PARTNER, ACME_ADMIN):
            other = log_in(browser, srv.base_url, who)
            expect(other.locator("header nav a[href='/provider/security']")).to_have_count(0)
            response = other.goto(f"{srv.base_url}/provider/security")
            assert response is not None
            assert response.status == 403
            assert "198.51.100.7" not in response.text()
            other.close()
        assert srv.bans.banned(time.time()).keys() == {"198.51.100.7"}
