"""The visual call-flow builder in a real browser (Debian chromium driven by Playwright).

A tenant admin builds a flow by drag and drop and the side panel: a time condition (closed →
an announcement → the menu, open → the menu) and a menu whose key 1 goes to extension 103 and
key 2 to extension 102. Deleting key 2's target leaves a dangling branch that the platform's
validator names on the menu node; saving then refuses (nothing changes in the API). Once fixed,
"Tuesday 19:30, key 2" is simulated and the path is highlighted on the graph, the flow is saved
and bound to a DID, and both are checked through the REST API. The graph the page saved is the
one tests/e2e/test_flow_builder_call.py puts behind a DID and calls (FLOW_FILE); this test fails
if the page stops producing it.

Bad input and isolation: another tenant's flow id answers 404 on every route, a duplicate name
and a number the tenant does not own are refused with a message. SQLite only, as every portal
test (tests/web/conftest.py): the flow services behind these pages are the API's, whose tests
run on both databases.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import tenants as tenant_service
from centrex.web.flows_page import JS_STRINGS, STARTER_GRAPH
from centrex.web.i18n import LANGUAGES, catalog
from tests.web.conftest import ADMIN_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, CHROMIUM

SQLITE = pytest.mark.parametrize("backend", ["sqlite"])
ARTEFACTS = Path("/tmp/centrex-portal-screenshots")
FLOW_FILE = Path(__file__).resolve().parents[1] / "e2e" / "flow_builder_flow.json"
DID = "+41215550100"
ACME = "acme.example.com"


async def _provision(url: str) -> dict[str, int]:
    """Extensions 102 and 103 and a DID for Acme; a second tenant with a flow of its own."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.domain == ACME))
            assert tenant is not None
            scope = tenant_service.scope_of(session, tenant)
            for number in ("102", "103"):
                await extension_service.create_extension(
                    scope, number=number, password=f"pw-{number}-secret-1", voicemail=False
                )
            await number_service.assign_number(scope, DID, now=now, extension_number="102")
            other = await tenant_service.create_tenant(
                session, now=now, name="Other", domain="other.example.com",
                extension_digits=3, max_calls=2,
            )  # fmt: skip
            other_scope = tenant_service.scope_of(session, other)
            await number_service.assign_number(other_scope, "+41215550177", now=now)
            theirs = await flow_service.create_flow(
                other_scope, name="Theirs", graph=STARTER_GRAPH, now=now
            )
            return {"other_flow": theirs.id}
    finally:
        await database.dispose()


@pytest.fixture
def seeded(portal_server: PortalServer, database_url: str) -> dict[str, int]:
    # in the server's own loop (the test's thread may already run one)
    future = asyncio.run_coroutine_threadsafe(_provision(database_url), portal_server.loop)
    return future.result(timeout=60)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "admin@acme.example.com")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/tenant/extensions")


def _api(page: Page, base: str) -> httpx.Client:
    """The REST API with the browser's session cookie (reads need no CSRF token)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return httpx.Client(base_url=base, cookies=cookies, timeout=30)


def _shot(page: Page, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTEFACTS / name)


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'#fe-canvas .drawflow-node:has(.fe-node-body[data-node="{node_id}"])')


def drop_step(page: Page, kind: str, x: int, y: int) -> None:
    """Drag a step from the palette onto the canvas at (x, y) inside it."""
    page.drag_and_drop(
        f'.fe-add[data-type="{kind}"]', "#fe-canvas", target_position={"x": x, "y": y}
    )


def drawn(page: Page) -> None:
    """Wait until the canvas shows the model (the editor redraws just after each change)."""
    expect(page.locator("body[data-render-pending=no]")).to_have_count(1)


def connect(page: Page, source: str, output: int, target: str) -> None:
    """Draw a connection with the mouse from `source`'s output dot to the `target` node."""
    drawn(page)
    dot = node(page, source).locator(f".output_{output}").bounding_box()
    box = node(page, target).locator(".fe-head").bounding_box()
    assert dot is not None
    assert box is not None
    page.mouse.move(dot["x"] + dot["width"] / 2, dot["y"] + dot["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 30, steps=8)
    page.mouse.move(box["x"] + 30, box["y"] + 14, steps=4)
    page.mouse.up()
    line = f'#fe-canvas svg.connection[data-from="{source}"][data-to="{target}"]'
    expect(page.locator(line)).to_have_count(1)
    drawn(page)


def select_node(page: Page, node_id: str) -> None:
    drawn(page)
    node(page, node_id).locator(".fe-head").click()
    expect(page.locator("#fe-panel")).to_have_attribute("data-node", node_id)


def without_layout(graph: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in graph.items() if k != "layout"}


@SQLITE
def test_build_validate_simulate_save_and_bind(
    portal_server: PortalServer, seeded: dict[str, int], browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, base)
    page.click('a[href="/tenant/flows"]')
    page.fill("#create-flow input[name=name]", "Reception")
    page.click("#create-flow button[type=submit]")
    expect(page).to_have_url(re.compile(r"/tenant/flows/\d+/edit$"))
    flow_id = int(page.url.split("/")[-2])
    expect(page.locator("#fe-status")).to_have_text("Valid and saved.")
    expect(page.locator("#fe-canvas .drawflow-node")).to_have_count(1)

    # The starter step becomes the goodbye at the end: renamed in the side panel.
    select_node(page, "start")
    page.fill("#fe-panel input[name=node_id]", "bye")
    page.press("#fe-panel input[name=node_id]", "Enter")
    expect(node(page, "bye")).to_have_count(1)

    # Steps dragged in from the palette, and the goodbye dragged out of their way.
    head = node(page, "bye").locator(".fe-head")
    head.drag_to(page.locator("#fe-canvas"), target_position={"x": 660, "y": 330})
    drop_step(page, "time", 30, 40)
    drop_step(page, "play", 30, 330)
    drop_step(page, "menu", 300, 40)
    drop_step(page, "transfer", 600, 20)
    drop_step(page, "transfer", 600, 230)
    expect(page.locator("#fe-canvas .drawflow-node")).to_have_count(6)

    # The time condition opens the call: Monday to Friday 08:00-18:00, Christmas a holiday.
    select_node(page, "time1")
    page.click("#fe-make-start")
    expect(node(page, "time1").locator(".fe-start-badge")).to_have_count(1)
    expect(page.locator('#fe-panel input[name="day_tue"]')).to_have_value("08:00-18:00")
    page.fill("#fe-panel input[name=holidays]", "12-25")
    connect(page, "time1", 1, "menu1")  # open
    connect(page, "time1", 2, "play1")  # closed
    select_node(page, "play1")
    page.select_option("#fe-panel select[name=prompt_key]", "menu.closed")
    connect(page, "play1", 1, "menu1")

    # The menu: key 1 → sales (103), key 2 → transfer2, no key → bye, 8 s to choose.
    select_node(page, "menu1")
    page.fill("#fe-panel input[name=new_digit]", "2")
    page.click("#fe-add-branch")
    expect(node(page, "menu1").locator('.fe-ports li[data-port="branches.2"]')).to_have_count(1)
    page.fill("#fe-panel input[name=timeout_seconds]", "8")
    select_node(page, "transfer1")
    page.fill("#fe-panel input[name=node_id]", "sales")
    page.press("#fe-panel input[name=node_id]", "Enter")
    page.fill("#fe-panel input[name=target_value]", "103")
    connect(page, "menu1", 1, "sales")
    connect(page, "menu1", 2, "transfer2")
    select_node(page, "menu1")
    page.select_option('#fe-panel select[name="port_timeout"]', "bye")
    expect(page.locator("body[data-flow-valid=yes]")).to_have_count(1)
    expect(page.locator("#fe-canvas .fe-has-error")).to_have_count(0)

    # Deleting key 2's target: the validator names the dangling branch on the menu node.
    select_node(page, "transfer2")
    page.click("#fe-delete-node")
    menu = node(page, "menu1")
    expect(menu).to_have_class(re.compile(r"\bfe-has-error\b"))
    expect(menu.locator(".fe-errors")).to_contain_text("Dangling branch")
    expect(menu.locator(".fe-errors")).to_contain_text("transfer2")
    expect(menu.locator('.fe-ports li[data-port="branches.2"]')).to_have_class("fe-port-error")
    expect(page.locator("#fe-status")).to_have_text("1 problem(s)")
    _shot(page, tmp_path, "flow-builder-dangling.png")

    # Saving refuses: the flow in the API is still the starter graph.
    page.click("#fe-save")
    expect(page.locator("#fe-status")).to_contain_text("Not saved")
    with _api(page, base) as api:
        before = api.get(f"/api/v1/flows/{flow_id}").json()
    assert without_layout(before["graph"]) == without_layout(STARTER_GRAPH)

    # Fixed: a new transfer to 102 named "support", connected to key 2 with the mouse.
    drop_step(page, "transfer", 600, 250)
    # named transfer1 (free again since the rename), never transfer2: the dangling branch
    # still holds that name, and a new step must not silently repair it
    expect(node(page, "transfer2")).to_have_count(0)
    expect(menu.locator(".fe-errors")).to_contain_text("Dangling branch")
    select_node(page, "transfer1")
    page.fill("#fe-panel input[name=node_id]", "support")
    page.press("#fe-panel input[name=node_id]", "Enter")
    page.fill("#fe-panel input[name=target_value]", "102")
    connect(page, "menu1", 2, "support")
    expect(page.locator("body[data-flow-valid=yes]")).to_have_count(1)
    expect(page.locator("#fe-canvas .fe-has-error")).to_have_count(0)

    # Tuesday 19:30 (closed), key 2: the path is highlighted on the graph.
    page.select_option("#fe-sim-form select[name=weekday]", "tue")
    page.fill("#fe-sim-form input[name=time]", "19:30")
    page.fill("#fe-sim-form input[name=digits]", "2")
    page.click("#fe-sim-form button[type=submit]")
    expect(page.locator("#fe-sim-action")).to_have_text("The call goes to extension 102")
    expect(page.locator("#fe-sim-path li")).to_have_text(
        ["time1 — closed", "play1 — played", "menu1 — digit 2", "support — extension 102"]
    )
    for on_path in ("time1", "play1", "menu1", "support"):
        expect(node(page, on_path)).to_have_class(re.compile(r"\bfe-on-path\b"))
    for off_path in ("sales", "bye"):
        expect(node(page, off_path)).not_to_have_class(re.compile(r"\bfe-on-path\b"))
    expect(page.locator("#fe-canvas .connection.fe-on-path")).to_have_count(3)
    _shot(page, tmp_path, "flow-builder-simulated.png")

    page.click("#fe-save")
    expect(page.locator("#fe-status")).to_have_text("Saved.")
    with _api(page, base) as api:
        saved = api.get(f"/api/v1/flows/{flow_id}").json()["graph"]
        assert set(saved["layout"]) == {"bye", "time1", "play1", "menu1", "sales", "support"}
        assert saved["layout"]["bye"]["x"] > 400  # where it was dragged to
        assert without_layout(saved) == json.loads(FLOW_FILE.read_text())
        check = api.post(
            f"/api/v1/flows/{flow_id}/simulate",
            json={"at": "2026-12-08T19:30:00+01:00", "digits": ["1"]},
            headers={"X-CSRF-Token": page.locator("body").get_attribute("data-csrf") or ""},
        )
        action = check.json()["action"]
        assert (action["type"], action["kind"], action["value"]) == ("transfer", "extension", "103")

    # Bound to the DID; the binding is the API's too.
    page.reload()
    expect(page.locator("#fe-canvas .drawflow-node")).to_have_count(6)  # drawn from the save
    page.select_option("#bind-number select[name=number]", DID)
    page.click("#bind-number button[type=submit]")
    expect(page.locator(".flash")).to_have_text(f"Calls to {DID} now follow this flow.")
    expect(page.locator("#bindings")).to_contain_text(DID)
    with _api(page, base) as api:
        bindings = api.get(f"/api/v1/flows/{flow_id}/bindings").json()
    assert [(b["number"], b["extension"]) for b in bindings["items"]] == [(DID, None)]
    page.goto(f"{base}/tenant/flows")
    expect(page.locator(f'tr[data-flow="{flow_id}"]')).to_contain_text(DID)
    assert errors == []


@SQLITE
def test_list_page_creates_and_deletes_and_phone_width(
    portal_server: PortalServer, seeded: dict[str, int], browser: Browser, tmp_path: Path
) -> None:
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 390, "height": 844})
    _log_in(page, base)
    page.goto(f"{base}/tenant/flows")
    page.fill("#create-flow input[name=name]", "Night")
    page.click("#create-flow button[type=submit]")
    expect(page).to_have_url(re.compile(r"/tenant/flows/\d+/edit$"))
    # measured once the editor has drawn the new flow's start step (the layout is settled)
    expect(page.locator("#fe-canvas .drawflow-node")).to_have_count(1)
    canvas = page.locator("#fe-canvas").bounding_box()
    panel = page.locator("#fe-panel").bounding_box()
    assert canvas is not None
    assert panel is not None
    assert panel["y"] >= canvas["y"] + canvas["height"]  # the panel goes below on a phone
    assert canvas["width"] <= 390
    assert canvas["height"] >= 300  # a canvas to work on, not a collapsed strip
    page.click('.fe-add[data-type="menu"]')  # tapping a step adds it (no drag on a phone)
    expect(page.locator("#fe-canvas .drawflow-node")).to_have_count(2)
    _shot(page, tmp_path, "flow-builder-phone.png")

    page.goto(f"{base}/tenant/flows")
    page.fill("#create-flow input[name=name]", "Night")  # the name is taken
    page.click("#create-flow button[type=submit]")
    expect(page.locator(".flash.error")).to_contain_text("Night")
    expect(page.locator("#flows tbody tr")).to_have_count(1)
    page.locator("#flows tr", has_text="Night").locator("button", has_text="Delete").click()
    expect(page.locator(".flash")).to_have_text("Call flow Night deleted.")
    with _api(page, base) as api:
        assert api.get("/api/v1/flows").json()["total"] == 0


@SQLITE
def test_other_tenants_flow_and_bad_input_change_nothing(
    portal_server: PortalServer, seeded: dict[str, int]
) -> None:
    base = portal_server.base_url
    with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token is not None
        client.post(
            "/login",
            data={"email": "admin@acme.example.com", "password": ADMIN_PASSWORD,
                  "csrf": token[1]},
        )  # fmt: skip
        listing = client.get("/tenant/flows")
        assert listing.status_code == 200
        csrf = re.search(r'data-csrf="([^"]+)"', listing.text)
        assert csrf is not None
        form = {"csrf": csrf[1]}
        theirs = seeded["other_flow"]
        assert "Theirs" not in listing.text
        assert client.get(f"/tenant/flows/{theirs}/edit").status_code == 404
        assert client.post(f"/tenant/flows/{theirs}/delete", data=form).status_code == 404
        bind = {**form, "number": DID}
        assert client.post(f"/tenant/flows/{theirs}/bindings", data=bind).status_code == 404
        simulate = client.post(
            f"/tenant/flows/{theirs}/simulate",
            json={"weekday": "tue", "time": "19:30", "digits": "2"},
            headers={"X-CSRF-Token": csrf[1]},
        )
        assert simulate.status_code == 404

        created = client.post("/tenant/flows", data={**form, "name": "Mine"})
        mine = int(created.url.path.split("/")[-2])
        # another tenant's DID, and one nobody has: a message, no binding
        taken = client.post(
            f"/tenant/flows/{mine}/bindings", data={**form, "number": "+41215550177"}
        )
        assert taken.status_code == 200
        assert "Not done: number +41215550177 not found" in taken.text
        neither = client.post(f"/tenant/flows/{mine}/bindings", data=form)
        assert "Not done: choose a number or an extension" in neither.text
        assert client.get(f"/api/v1/flows/{mine}/bindings").json()["total"] == 0
        # a simulation without the CSRF header is refused, a bad time is named
        assert client.post(f"/tenant/flows/{mine}/simulate", json={}).status_code == 403
        bad_time = client.post(
            f"/tenant/flows/{mine}/simulate",
            json={"weekday": "tue", "time": "25:00", "digits": ""},
            headers={"X-CSRF-Token": csrf[1]},
        )
        assert bad_time.status_code == 422
        # an invalid graph is not simulated: its issues come back for the nodes
        invalid = client.post(
            f"/tenant/flows/{mine}/simulate",
            json={"weekday": "tue", "time": "10:00", "graph": {"start": "a", "nodes": [
                {"id": "a", "type": "menu", "prompt": "menu.welcome", "branches": {"1": "x"}}]}},
            headers={"X-CSRF-Token": csrf[1]},
        )  # fmt: skip
        assert invalid.status_code == 422
        assert [(i["node"], i["error_id"]) for i in invalid.json()["issues"]] == [
            ("a", "flow-dangling-branch")
        ]
        their_api = client.get(f"/api/v1/flows/{theirs}")
        assert their_api.status_code == 404


@SQLITE
def test_flow_pages_have_no_untranslated_key(
    portal_server: PortalServer, seeded: dict[str, int], browser: Browser
) -> None:
    english = {k for k in catalog("en") if k.startswith("flows.")}
    assert {f"flows.{name}" for name in JS_STRINGS} <= english
    for lang in LANGUAGES:
        own = {k for k in catalog(lang) if k.startswith("flows.")}
        assert own == english, (lang, sorted(english ^ own))
    base = portal_server.base_url
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _log_in(page, base)
    page.goto(f"{base}/tenant/flows")
    page.fill("#create-flow input[name=name]", "Languages")
    page.click("#create-flow button[type=submit]")
    expect(page).to_have_url(re.compile(r"/tenant/flows/\d+/edit$"))
    editor = page.url
    for lang in LANGUAGES:
        for url in (f"{base}/tenant/flows?lang={lang}", f"{editor}?lang={lang}"):
            page.goto(url)
            if "/edit" in url:
                select_node(page, "start")
            text = page.locator("body").inner_text()
            assert not re.search(r"\bflows\.[a-z_]+", text), (lang, url, text)
            if "/edit" in url:
                strings = json.loads(page.locator("#fe-data").text_content() or "{}")
                raw = [v for v in strings["strings"].values() if v.startswith("flows.")]
                assert raw == [], (lang, raw)
            if lang != "en":
                assert catalog(lang)["flows.save"] != catalog("en")["flows.save"]
