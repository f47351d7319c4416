"""GET /api/v1/presence: every extension's lamp of the caller's tenant, computed from the live
state, the registrar and the DND setting (centrex/calls/presence.py) — never another tenant's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from centrex.api.app import create_app
from centrex.calls.live_state import DialogPhase, ExtensionDialog, InProcessLiveState
from centrex.calls.presence import PresenceView
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Extension
from centrex.events import EventBus
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from tests.api.conftest import _seed
from tests.helpers import api_wiring


class Registered:
    """The registrar's `lookup` as the presence view uses it: who has a device."""

    def __init__(self, numbers: set[tuple[int, str]]) -> None:
        self.numbers = numbers

    def lookup(self, tenant_id: int, number: str) -> list[object]:
        return [object()] if (tenant_id, number) in self.numbers else []


@pytest.fixture
async def api(
    database_url: str, tmp_path: Path
) -> AsyncIterator[
    tuple[httpx.AsyncClient, dict[str, str], dict[str, int], InProcessLiveState, Database]
]:
    database = Database(database_url)
    clock = ManualClock()
    tokens, ids = await _seed(database, clock)
    async with database.transaction() as session:
        for domain in ("a.example.com", "b.example.com"):
            tenant = await tenant_service.get_tenant(session, domain)
            scope = tenant_service.scope_of(session, tenant)
            for number in ("101", "102", "103", "104"):
                await extension_service.create_extension(
                    scope, number=number, name=f"Ext {number}", voicemail=False
                )
    live = InProcessLiveState()
    registered = Registered({(ids["a"], "101"), (ids["a"], "102"), (ids["a"], "103"),
                             (ids["b"], "104")})  # fmt: skip
    view = PresenceView(live, registered, database)  # type: ignore[arg-type]
    app = create_app(database, clock=clock, events_bus=EventBus(), presence=view,
                     **api_wiring(tmp_path))  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, tokens, ids, live, database
    await database.dispose()


def lamps(body: dict[str, object]) -> dict[str, str]:
    return {item["extension"]: item["state"] for item in body["items"]}  # type: ignore[attr-defined, index]


async def test_every_lamp_of_the_tenant(api: tuple[httpx.AsyncClient, dict[str, str],
                                                    dict[str, int], InProcessLiveState,
                                                    Database]) -> None:  # fmt: skip
    client, tokens, ids, live, database = api
    await live.set_dialog(
        ids["a"], "102", ExtensionDialog("c1", DialogPhase.EARLY, False, "101", 0)
    )
    await live.set_dialog(ids["a"], "101", ExtensionDialog("c1", DialogPhase.EARLY, True, "102", 0))
    async with database.transaction() as session:
        await session.execute(
            update(Extension)
            .where(Extension.tenant_id == ids["a"], Extension.number == "103")
            .values(dnd=True)
        )
    response = await client.get("/api/v1/presence",
                                headers={"Authorization": f"Bearer {tokens['admin_a']}"})  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 4
    assert lamps(body) == {"101": "busy", "102": "ringing", "103": "dnd", "104": "offline"}
    assert body["items"][0]["name"] == "Ext 101"
    # a plain user of the tenant sees the same lamps (its phone's BLF keys would)
    as_user = await client.get("/api/v1/presence",
                               headers={"Authorization": f"Bearer {tokens['user_a']}"})  # fmt: skip
    assert lamps(as_user.json()) == lamps(body)


async def test_another_tenant_sees_only_its_own(api: tuple[httpx.AsyncClient, dict[str, str],
                                                           dict[str, int], InProcessLiveState,
                                                           Database]) -> None:  # fmt: skip
    client, tokens, ids, live, _database = api
    await live.set_dialog(
        ids["a"], "104", ExtensionDialog("c", DialogPhase.CONFIRMED, False, "x", 0)
    )
    response = await client.get("/api/v1/presence",
                                headers={"Authorization": f"Bearer {tokens['admin_b']}"})  # fmt: skip
    assert response.status_code == 200
    assert lamps(response.json()) == {"101": "offline", "102": "offline", "103": "offline",
                                      "104": "idle"}  # fmt: skip
    busy = await client.get("/api/v1/presence?search=busy",
                            headers={"Authorization": f"Bearer {tokens['admin_a']}"})  # fmt: skip
    assert lamps(busy.json()) == {"104": "busy"}


async def test_presence_needs_a_token(api: tuple[httpx.AsyncClient, dict[str, str],
                                                 dict[str, int], InProcessLiveState,
                                                 Database]) -> None:  # fmt: skip
    client = api[0]
    response = await client.get("/api/v1/presence")
    assert response.status_code == 401
