"""The call-control routes (`POST /api/v1/calls`, `/calls/{id}/transfer|park|hold|resume|pickup`,
`/transfer/complete|cancel`): who may act on which call, the bodies they accept, the problems
they answer — over the recording `FakeCalls` double (the call layer's own behaviour is
tests/calls/test_call_control.py; with real phones, tests/e2e/test_call_control_demo.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from centrex.api.app import create_app
from centrex.api.sources import CallControlSource, RegistrationsFromEvents
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.events import EventBus
from tests.api.conftest import FakeCalls, World, _seed
from tests.helpers import api_wiring


@pytest.fixture
async def controlled(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    registrations = RegistrationsFromEvents(bus, clock)
    calls = FakeCalls()  # records every action; another tenant's call is NotFound
    assert isinstance(calls, CallControlSource)
    app = create_app(database, clock=clock, events_bus=bus, registrations=registrations,
                     calls=calls, **api_wiring(tmp_path))  # fmt: skip
    tokens, ids = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield World(client, database, bus, calls, registrations, clock, tokens, ids)
    await database.dispose()


def live(world: World, tenant: str, call_id: str, caller: str, callee: str) -> None:
    world.calls.calls.setdefault(world.ids[tenant], []).append(
        {"call_id": call_id, "caller": caller, "callee": callee, "direction": "internal",
         "state": "answered"}
    )  # fmt: skip


def asked(world: World) -> list[tuple[Any, ...]]:
    return world.calls.asked


async def test_an_admin_controls_any_call_of_its_tenant(controlled: World) -> None:
    c, w = controlled.client, controlled
    admin = w.auth("admin_a")
    a = w.ids["a"]
    live(w, "a", "call-a", "102", "101")
    placed = await c.post("/api/v1/calls", json={"from_extension": "101", "to": "+41215550123"},
                          headers=admin)  # fmt: skip
    assert placed.status_code == 202, placed.text
    assert placed.json() == {"call_id": "new-call", "state": "ringing"}
    steps = [
        ("/transfer", {"to": "103"}, 202, {"call_id": "call-a", "to": "103", "mode": "blind",
                                            "state": "ringing"}),
        ("/transfer", {"to": "103", "mode": "attended", "party": "callee"}, 202, None),
        ("/transfer/complete", None, 200, {"call_id": "call-a", "state": "transferred"}),
        ("/transfer/cancel", None, 200, {"call_id": "call-a", "state": "resumed"}),
        ("/park", None, 200, {"call_id": "call-a", "slot": "701"}),
        ("/park", {"party": "caller"}, 200, None),
        ("/hold", {}, 200, {"call_id": "call-a", "held": True}),
        ("/resume", None, 200, {"call_id": "call-a", "held": False}),
        ("/pickup", {"extension": "103"}, 202, {"call_id": "call-a", "extension": "103"}),
    ]  # fmt: skip
    for path, body, status, expected in steps:
        response = await c.post(f"/api/v1/calls/call-a{path}", json=body, headers=admin)
        assert response.status_code == status, (path, response.text)
        if expected is not None:
            assert response.json() == expected, path
    assert asked(w) == [
        ("originate", a, "101", "+41215550123"),
        ("transfer", a, "call-a", "103", "blind", None),
        ("transfer", a, "call-a", "103", "attended", "callee"),
        ("complete", a, "call-a"), ("cancel", a, "call-a"),
        ("park", a, "call-a", None), ("park", a, "call-a", "caller"),
        ("hold", a, "call-a", None), ("resume", a, "call-a"),
        ("pickup", a, "call-a", "103"),
    ]  # fmt: skip


async def test_another_tenant_cannot_touch_the_call(controlled: World) -> None:
    c, w = controlled.client, controlled
    live(w, "a", "call-a", "102", "101")
    other = w.auth("admin_b")
    for path, body in (
        ("/transfer", {"to": "103"}), ("/park", None), ("/hold", None), ("/resume", None),
        ("/pickup", {"extension": "103"}), ("/transfer/complete", None),
        ("/transfer/cancel", None),
    ):  # fmt: skip
        response = await c.post(f"/api/v1/calls/call-a{path}", json=body, headers=other)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error_id"] == "call-not-found"
    assert asked(w) == []


async def test_bad_bodies_are_problems_naming_the_field(controlled: World) -> None:
    c, w = controlled.client, controlled
    admin = w.auth("admin_a")
    live(w, "a", "call-a", "102", "101")
    for path, body, field in (
        ("", {"from_extension": "10a", "to": "102"}, "from_extension"),
        ("", {"from_extension": "101"}, "to"),
        ("", {"from_extension": "101", "to": "102", "extra": 1}, "extra"),
        ("/call-a/transfer", {"to": "sip:103@x"}, "to"),
        ("/call-a/transfer", {"to": "103", "mode": "warm"}, "mode"),
        ("/call-a/transfer", {"to": "103", "party": "both"}, "party"),
        ("/call-a/pickup", {}, "extension"),
    ):  # fmt: skip
        response = await c.post(f"/api/v1/calls{path}", json=body, headers=admin)
        assert response.status_code == 422, (path, body, response.text)
        problem = response.json()
        assert field in str(problem.get("field", "")) + str(problem.get("errors", "")), problem
    assert asked(w) == []


async def test_a_user_acts_only_with_and_on_its_own_extension(controlled: World) -> None:
    c, w = controlled.client, controlled
    admin = w.auth("admin_a")
    made = await c.post("/api/v1/extensions", json={"number": "121", "user_id": w.ids["user_a"]},
                        headers=admin)  # fmt: skip
    assert made.status_code == 201, made.text
    user = w.auth("user_a")
    live(w, "a", "call-mine", "121", "102")
    live(w, "a", "call-other", "102", "101")
    refused = await c.post("/api/v1/calls", json={"from_extension": "101", "to": "102"},
                           headers=user)  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_id"] == "not-your-extension"
    mine = await c.post("/api/v1/calls", json={"from_extension": "121", "to": "102"},
                        headers=user)  # fmt: skip
    assert mine.status_code == 202, mine.text
    hidden = await c.post("/api/v1/calls/call-other/park", headers=user)
    assert hidden.status_code == 404, hidden.text  # not its call: as if it did not exist
    parked = await c.post("/api/v1/calls/call-mine/park", headers=user)
    assert parked.status_code == 200, parked.text
    taken = await c.post("/api/v1/calls/call-other/pickup", json={"extension": "102"},
                         headers=user)  # fmt: skip
    assert taken.status_code == 403, taken.text
    assert [step[0] for step in asked(w)] == ["originate", "park"]


async def test_without_a_call_layer_every_action_is_a_409(
    database_url: str, tmp_path: Path
) -> None:
    database = Database(database_url)
    app = create_app(database, **api_wiring(tmp_path))  # no live calls: NoCallControl
    tokens, _ = await _seed(database, ManualClock())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/api/v1/calls", json={"from_extension": "101", "to": "102"},
                                     headers={"Authorization": f"Bearer {tokens['admin_a']}"})  # fmt: skip
    await database.dispose()
    assert response.status_code == 409, response.text
    assert response.json()["error_id"] == "no-call-control"
