"""The provider's trunks and outbound routes page in Chromium, and its OPTIONS test against a real
sipp UAS: create, edit, test, route with failover order (reorder, add, remove), delete, each
checked through the services; bad input refused with nothing changed; partners and tenant admins
refused. The route-order services are also checked on SQLite and PostgreSQL without a browser.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from centrex.calls.trunk_probe import options_ping
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import provider
from centrex.provisioning import trunks as service
from centrex.provisioning.views import trunk_view
from tests.helpers import free_port
from tests.web.provider_portal import (
    ACME_ADMIN,
    PARTNER,
    ROOT,
    ProviderServer,
    blocking,
    check_translations,
    chromium,
    in_session,
    log_in,
    provider_server,
)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])  # the browser tests need one database

# A UAS that answers every OPTIONS with 200 (sipp's built-in uas scenario expects an INVITE).
OPTIONS_UAS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answer OPTIONS">
  <recv request="OPTIONS"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag[call_number]
[last_Call-ID:]
[last_CSeq:]
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS
Content-Length: 0

    ]]>
  </send>
</scenario>
"""


@contextmanager
def _sipp_answering_options(directory: Path, transport: str) -> Iterator[int]:
    """A sipp UAS answering OPTIONS on 127.0.0.1:PORT over `transport`; yields PORT once it
    answers."""
    port = free_port(socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM)
    scenario = directory / f"options_uas_{transport}.xml"
    scenario.write_text(OPTIONS_UAS, encoding="ascii")
    process = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port), "-nostdin",
         "-m", "1000", "-t", "u1" if transport == "udp" else "t1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(50):  # bounded: sipp binds within a fraction of a second
            if process.poll() is not None:
                raise RuntimeError("sipp exited at start")
            found = blocking(options_ping("127.0.0.1", port, transport,
                                          monotonic=time.monotonic, wait_s=0.3))  # fmt: skip
            if found.status == 200:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("sipp never answered OPTIONS")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sipp_uas(tmp_path: Path) -> Iterator[int]:
    with _sipp_answering_options(tmp_path, "udp") as port:
        yield port


def test_options_probe_over_tcp_and_its_failures(tmp_path: Path) -> None:
    """The probe's other paths: TCP against sipp, a refused connection, a name that does not
    resolve, a transport it does not know."""
    with _sipp_answering_options(tmp_path, "tcp") as port:
        found = blocking(options_ping("127.0.0.1", port, "tcp", monotonic=time.monotonic))
    assert (found.status, found.reason, found.timed_out) == (200, "OK", False)
    assert found.rtt_ms is not None
    assert found.rtt_ms >= 0
    closed = free_port()
    refused = blocking(options_ping("127.0.0.1", closed, "tcp", monotonic=time.monotonic))
    assert (refused.status, refused.unreachable, refused.error) == (
        None,
        True,
        "connection refused",
    )
    unknown = blocking(options_ping("no-such-carrier.invalid", 5060, monotonic=time.monotonic))
    assert unknown.status is None
    assert unknown.error is not None
    assert "cannot be reached" in unknown.error
    odd = blocking(options_ping("127.0.0.1", 5060, "sctp", monotonic=time.monotonic))
    assert odd.error == "transport 'sctp' is not udp, tcp or tls"


def _closed_udp_port() -> int:
    """A UDP port nothing listens on (bound, read, released)."""
    return free_port(socket.SOCK_DGRAM)


def _db(url: str, work: Any) -> Any:
    return blocking(in_session(url, work))


def _trunks(url: str) -> dict[str, dict[str, Any]]:
    async def work(session: Any) -> dict[str, dict[str, Any]]:
        return {t.name: trunk_view(t) for t in await service.list_trunks(session)}

    result: dict[str, dict[str, Any]] = _db(url, work)
    return result


def _routes(url: str) -> dict[str, list[str]]:
    async def work(session: Any) -> dict[str, list[str]]:
        return {r.name: [t.name for t in ts] for r, ts in await service.list_routes(session)}

    result: dict[str, list[str]] = _db(url, work)
    return result


def _create_trunk(page: Page, name: str, host: str, port: int) -> None:
    form = page.locator("#create-trunk")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=host]").fill(host)
    form.locator("input[name=port]").fill(str(port))
    form.locator("button[type=submit]").click()


@SQLITE
def test_trunks_routes_and_options_test(database_url: str, tmp_path: Path, sipp_uas: int) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        page = log_in(browser, srv.base_url, ROOT)
        page.click("header nav a[href='/provider/trunks']")
        expect(page.locator("h1")).to_have_text("Trunks and outbound routes")

        _create_trunk(page, "carrier-a", "127.0.0.1", sipp_uas)
        expect(page.locator(".flash.ok")).to_contain_text("Trunk carrier-a created")
        _create_trunk(page, "carrier-dead", "127.0.0.1", _closed_udp_port())
        expect(page.locator(".flash.ok")).to_contain_text("carrier-dead created")
        assert set(_trunks(database_url)) == {"carrier-a", "carrier-dead"}

        # bad input: a clear message, nothing created or changed
        _create_trunk(page, "broken", "not a host!", 5060)
        expect(page.locator(".flash.error")).to_contain_text("is not a host name or IP address")
        _create_trunk(page, "carrier-a", "192.0.2.1", 5060)
        expect(page.locator(".flash.error")).to_contain_text("already exists")
        assert set(_trunks(database_url)) == {"carrier-a", "carrier-dead"}
        assert _trunks(database_url)["carrier-a"]["port"] == sipp_uas

        # edit: priority, limit, credentials (the password is write-only)
        row = page.locator('tr[data-edit="carrier-dead"]')
        row.locator("details.edit summary").click()
        edit = row.locator("form.edit-trunk")
        edit.locator("input[name=priority]").fill("2")
        edit.locator("input[name=max_calls]").fill("30")
        edit.locator("input[name=username]").fill("acct-7")
        edit.locator("input[name=password]").fill("carrier-secret")
        edit.locator("button[type=submit]").click()
        expect(page.locator(".flash.ok")).to_contain_text("Trunk carrier-dead saved")
        saved = _trunks(database_url)["carrier-dead"]
        assert (saved["priority"], saved["max_calls"], saved["username"]) == (2, 30, "acct-7")
        assert saved["has_password"] is True
        expect(page.locator("body")).not_to_contain_text("carrier-secret")
        row = page.locator('tr[data-edit="carrier-dead"]')
        row.locator("details.edit summary").click()
        row.locator("form.edit-trunk input[name=port]").fill("70000")
        row.locator("form.edit-trunk input[name=port]").evaluate("e => e.removeAttribute('max')")
        row.locator("form.edit-trunk button[type=submit]").click()
        expect(page.locator(".flash.error")).to_contain_text("port is not 1–65535")
        assert _trunks(database_url)["carrier-dead"] == saved

        # OPTIONS test: sipp answers 200 with a round-trip time; the closed port times out
        page.locator('tr[data-trunk="carrier-a"] form.test-trunk button').click()
        expect(page.locator(".flash.ok")).to_contain_text("carrier-a answered OPTIONS: 200 OK in")
        expect(page.locator(".flash.ok")).to_contain_text(" ms")
        expect(page.locator('tr[data-trunk="carrier-a"] .probe.ok')).to_contain_text("200 OK")
        page.locator('tr[data-trunk="carrier-dead"] form.test-trunk button').click()
        expect(page.locator(".flash.error")).to_contain_text(
            "carrier-dead did not answer OPTIONS within 3.0 s (timeout)", timeout=15000
        )
        expect(page.locator('tr[data-trunk="carrier-dead"] .probe.failed')).to_have_text("timeout")

        _routes_through_the_page(page, database_url)

        # delete a trunk: gone from the list and from the database
        page.locator('tr[data-trunk="carrier-dead"] form.delete-trunk button').click()
        expect(page.locator(".flash.ok")).to_contain_text("Trunk carrier-dead deleted")
        assert set(_trunks(database_url)) == {"carrier-a"}
        page.screenshot(path=str(tmp_path / "provider-trunks.png"), full_page=True)

        check_translations(page, f"{srv.base_url}/provider/trunks", "provider_trunks")


def _order(page: Page, route: str) -> list[str]:
    return page.locator(
        f'tr[data-route="{route}"] ol.route-trunks li .trunk-name'
    ).all_inner_texts()


def _routes_through_the_page(page: Page, url: str) -> None:
    form = page.locator("#create-route")
    form.locator("input[name=name]").fill("switzerland")
    form.locator("input[name=prefix]").fill("+41")
    form.locator("select[name=trunks]").select_option(["carrier-a", "carrier-dead"])
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.ok")).to_contain_text("Route switzerland created")
    assert _routes(url) == {"switzerland": ["carrier-a", "carrier-dead"]}
    assert _order(page, "switzerland") == ["carrier-a", "carrier-dead"]

    row = page.locator('tr[data-route="switzerland"]')
    row.locator('li[data-trunk="carrier-a"] button.move-down').click()
    expect(page.locator(".flash.ok")).to_contain_text("Failover order changed")
    assert _routes(url) == {"switzerland": ["carrier-dead", "carrier-a"]}
    assert _order(page, "switzerland") == ["carrier-dead", "carrier-a"]
    page.locator('tr[data-route="switzerland"] li[data-trunk="carrier-a"] button.move-up').click()
    expect(page.locator(".flash.ok")).to_contain_text("Failover order changed")
    assert _routes(url) == {"switzerland": ["carrier-a", "carrier-dead"]}

    # a route needs a trunk: removing one is fine, removing the last is refused
    page.locator('tr[data-route="switzerland"] li[data-trunk="carrier-dead"] .remove-trunk').click()
    expect(page.locator(".flash.ok")).to_contain_text("Trunk removed from the route")
    page.locator('tr[data-route="switzerland"] li[data-trunk="carrier-a"] .remove-trunk').click()
    expect(page.locator(".flash.error")).to_contain_text("a route needs at least one trunk")
    assert _routes(url) == {"switzerland": ["carrier-a"]}
    add = page.locator('tr[data-route="switzerland"] form.add-trunk')
    add.locator("select").select_option("carrier-dead")
    add.locator("button").click()
    expect(page.locator(".flash.ok")).to_contain_text("Trunk carrier-dead added to the route")
    assert _routes(url) == {"switzerland": ["carrier-a", "carrier-dead"]}

    # bad route: no trunk chosen
    form = page.locator("#create-route")
    form.locator("input[name=name]").fill("empty")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.error")).to_contain_text("a route needs at least one trunk")
    assert set(_routes(url)) == {"switzerland"}

    page.locator('tr[data-route="switzerland"] form.delete-route button').click()
    expect(page.locator(".flash.ok")).to_contain_text("Route switzerland deleted")
    assert _routes(url) == {}


@SQLITE
def test_trunks_page_is_for_the_platform_admin_only(database_url: str, tmp_path: Path) -> None:
    with provider_server(database_url, tmp_path) as srv, chromium() as browser:
        _refused(browser, srv, PARTNER)
        _refused(browser, srv, ACME_ADMIN)


def _refused(browser: Browser, srv: ProviderServer, who: tuple[str, str]) -> None:
    page = log_in(browser, srv.base_url, who)
    expect(page.locator("header nav a[href='/provider/trunks']")).to_have_count(0)
    response = page.goto(f"{srv.base_url}/provider/trunks")
    assert response is not None
    assert response.status == 403
    # a post with the session cookie is refused for the role before anything is read
    posted = page.request.post(f"{srv.base_url}/provider/trunks",
                               form={"name": "x", "host": "192.0.2.9", "csrf": "nope"})  # fmt: skip
    assert posted.status == 403
    assert _trunks(srv.database_url) == {}
    page.close()


# ---------------------------------------------------------------- the route-order services


async def test_route_trunk_order_services(db: Database) -> None:
    box = SecretBox("test-key")
    async with db.transaction() as session:
        for name in ("a", "b", "c"):
            await service.create_trunk(session, box, name=name, host="192.0.2.1")
        route = await service.create_route(session, name="all", prefix="", trunk_names=["a", "b"])
        ids = {t.name: t.id for t in await service.list_trunks(session)}
        await service.add_route_trunk(session, route.id, "c")
        await service.move_route_trunk(session, route.id, ids["c"], -1)
        assert [t.name for t in (await provider.get_route(session, route.id))[1]] == ["a", "c", "b"]
        await service.move_route_trunk(session, route.id, ids["a"], -1)  # already first
        await service.move_route_trunk(session, route.id, ids["a"], 5)  # past the end
        assert [t.name for t in (await provider.get_route(session, route.id))[1]] == ["c", "b", "a"]
        await service.remove_route_trunk(session, route.id, ids["b"])
        await service.remove_route_trunk(session, route.id, ids["c"])
        with pytest.raises(ValidationFailed, match="at least one trunk"):
            await service.remove_route_trunk(session, route.id, ids["a"])
        with pytest.raises(NotFound):
            await service.move_route_trunk(session, route.id, ids["b"], 1)
        with pytest.raises(NotFound):
            await service.add_route_trunk(session, route.id + 99, "a")
        assert [t.name for t in (await provider.get_route(session, route.id))[1]] == ["a"]
