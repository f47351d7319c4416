"""`POST /api/v1/calls/{id}/monitor` and the extensions' `supervisor` flag over the API (issue
13 item 6): who may ask (a tenant admin, a supervisor for its own phones — a plain user never),
the body it accepts (mode listen|whisper|barge, a digits-only extension: 422 otherwise),
another tenant's call 404; `PATCH /extensions/{id}` `supervisor` and another tenant's
extension 404. The call layer's own answers (403 not a supervisor's phone, 409 a call not
answered, real audio) are tests/e2e/test_monitor.py against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from centrex.api.app import create_app
from centrex.api.routes.monitor import CallMonitorSource
from centrex.api.sources import RegistrationsFromEvents
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Role, Tenant
from centrex.events import EventBus
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.conftest import FakeCalls, World, _seed
from tests.helpers import api_wiring


@pytest.fixture
async def monitored(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    calls = FakeCalls()  # monitor is recorded; another tenant's call is not found
    assert isinstance(calls, CallMonitorSource)
    app = create_app(database, clock=clock, events_bus=bus,
                     registrations=RegistrationsFromEvents(bus, clock), calls=calls,
                     **api_wiring(tmp_path))  # fmt: skip
    tokens, ids = await _seed(database, clock)
    async with database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, ids["a"]))
        boss = await user_service.create_user(scope, name="Sonia", email="sonia@a.example.com",
                                              role="supervisor")  # fmt: skip
        for number, owner in (("105", boss.id), ("106", None)):
            await extension_service.create_extension(scope, number=number, user_id=owner,
                                                     voicemail=False)  # fmt: skip
        made = await token_service.create_token(session, role=Role.SUPERVISOR,
                                                now=clock.utcnow(), tenant_id=ids["a"],
                                                user_id=boss.id)  # fmt: skip
        tokens["boss_a"] = made.secret
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = World(client, database, bus, calls, RegistrationsFromEvents(bus, clock), clock,
                      tokens, ids)  # fmt: skip
        world.calls.calls.setdefault(ids["a"], []).append(
            {"call_id": "call-a", "caller": "101", "callee": "102", "direction": "internal",
             "state": "answered"}
        )  # fmt: skip
        yield world
    await database.dispose()


async def post(w: World, who: str, body: object, call_id: str = "call-a") -> httpx.Response:
    return await w.client.post(f"/api/v1/calls/{call_id}/monitor", json=body, headers=w.auth(who))


async def test_an_admin_and_a_supervisor_with_its_own_phone_may_ask(monitored: World) -> None:
    w = monitored
    a = w.ids["a"]
    for who, extension, mode in (("admin_a", "106", "listen"), ("boss_a", "105", "whisper"),
                                 ("root", "105", "barge")):  # fmt: skip
        headers = w.auth(who, "a.example.com" if who == "root" else None)
        response = await w.client.post("/api/v1/calls/call-a/monitor", headers=headers,
                                       json={"extension": extension, "mode": mode})  # fmt: skip
        assert response.status_code == 202, response.text
        assert response.json()["mode"] == mode
    assert w.calls.asked == [
        ("monitor", a, "call-a", "106", "listen"),
        ("monitor", a, "call-a", "105", "whisper"),
        ("monitor", a, "call-a", "105", "barge"),
    ]


async def test_a_plain_user_or_someone_elses_phone_is_refused(monitored: World) -> None:
    w = monitored
    refused = await post(w, "user_a", {"extension": "105", "mode": "listen"})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_id"] == "monitor-forbidden"
    not_own = await post(w, "boss_a", {"extension": "106", "mode": "listen"})
    assert not_own.status_code == 403, not_own.text
    assert not_own.json()["error_id"] == "not-your-extension"
    assert w.calls.asked == []


async def test_another_tenants_call_is_not_found(monitored: World) -> None:
    w = monitored
    response = await post(w, "admin_b", {"extension": "201", "mode": "listen"})
    assert response.status_code == 404, response.text
    assert response.json()["error_id"] == "call-not-found"
    unknown = await post(w, "admin_a", {"extension": "105", "mode": "listen"}, "no-such-call")
    assert unknown.status_code == 404, unknown.text
    assert w.calls.asked == []


@pytest.mark.parametrize(
    "body",
    [{"extension": "105", "mode": "spy"}, {"extension": "105"}, {"mode": "listen"},
     {"extension": "10a", "mode": "listen"}, {"extension": "105", "mode": "listen", "x": 1}],
)  # fmt: skip
async def test_bad_bodies_are_422(monitored: World, body: dict[str, str]) -> None:
    response = await post(monitored, "admin_a", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert monitored.calls.asked == []


async def test_the_supervisor_flag_through_patch(monitored: World) -> None:
    w = monitored
    listed = await w.client.get("/api/v1/extensions", headers=w.auth("admin_a"))
    by_number = {e["number"]: e for e in listed.json()["items"]}
    assert by_number["106"]["supervisor"] is False
    ext_id = by_number["106"]["id"]
    made = await w.client.patch(f"/api/v1/extensions/{ext_id}", json={"supervisor": True},
                                headers=w.auth("admin_a"))  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json()["supervisor"] is True
    foreign = await w.client.patch(f"/api/v1/extensions/{ext_id}", json={"supervisor": False},
                                   headers=w.auth("admin_b"))  # fmt: skip
    assert foreign.status_code == 404, foreign.text
    user = await w.client.patch(f"/api/v1/extensions/{ext_id}", json={"supervisor": False},
                                headers=w.auth("user_a"))  # fmt: skip
    assert user.status_code in (403, 404), user.text
    again = await w.client.get(f"/api/v1/extensions/{ext_id}", headers=w.auth("admin_a"))
    assert again.json()["supervisor"] is True


async def test_the_tenants_monitor_beep_through_patch(monitored: World) -> None:
    w = monitored
    a = w.ids["a"]
    shown = await w.client.get(f"/api/v1/tenants/{a}", headers=w.auth("admin_a"))
    assert shown.json()["monitor_beep"] is False
    made = await w.client.patch(f"/api/v1/tenants/{a}", json={"monitor_beep": True},
                                headers=w.auth("admin_a"))  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json()["monitor_beep"] is True
    foreign = await w.client.patch(f"/api/v1/tenants/{a}", json={"monitor_beep": False},
                                   headers=w.auth("admin_b"))  # fmt: skip
    assert foreign.status_code == 404, foreign.text
    bad = await w.client.patch(f"/api/v1/tenants/{a}", json={"monitor_beep": "loud"},
                               headers=w.auth("admin_a"))  # fmt: skip
    assert bad.status_code == 422, bad.text
    again = await w.client.get(f"/api/v1/tenants/{a}", headers=w.auth("admin_a"))
    assert again.json()["monitor_beep"] is True
