"""An API in-process (httpx over ASGI) on a fresh database, with two partners, two tenants and a
token for every role, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Role
from centrex.errors import NotFound
from centrex.events import EventBus
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.helpers import api_wiring


class FakeCalls:
    """A LiveCalls and CallControlSource double: calls per tenant, hangup removes one, the
    call-control actions are recorded."""

    def __init__(self) -> None:
        self.calls: dict[int, list[dict[str, Any]]] = {}
        self.asked: list[tuple[Any, ...]] = []

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return list(self.calls.get(tenant_id, []))

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        before = self.calls.get(tenant_id, [])
        after = [c for c in before if c["call_id"] != call_id]
        self.calls[tenant_id] = after
        return len(after) != len(before)

    # ---- call control (`CallControlSource`): recorded; another tenant's call is not found,
    # as the call layer answers
    def _check(self, tenant_id: int, call_id: str) -> None:
        if not any(c["call_id"] == call_id for c in self.calls.get(tenant_id, [])):
            raise NotFound(f"no live call {call_id}", error_id="call-not-found")

    async def originate(self, tenant_id: int, from_extension: str, to: str) -> dict[str, Any]:
        self.asked.append(("originate", tenant_id, from_extension, to))
        return {"call_id": "new-call", "state": "ringing"}

    async def transfer(
        self, tenant_id: int, call_id: str, to: str, mode: str, party: str | None
    ) -> dict[str, Any]:
        self._check(tenant_id, call_id)
        self.asked.append(("transfer", tenant_id, call_id, to, mode, party))
        return {"call_id": call_id, "to": to, "mode": mode, "state": "ringing"}

    async def park(self, tenant_id: int, call_id: str, party: str | None) -> str:
        self._check(tenant_id, call_id)
        self.asked.append(("park", tenant_id, call_id, party))
        return "701"

    async def hold(self, tenant_id: int, call_id: str, party: str | None) -> None:
        self._check(tenant_id, call_id)
        self.asked.append(("hold", tenant_id, call_id, party))

    async def resume(self, tenant_id: int, call_id: str) -> None:
        self._check(tenant_id, call_id)
        self.asked.append(("resume", tenant_id, call_id))

    async def pickup(self, tenant_id: int, call_id: str, extension: str) -> None:
        self._check(tenant_id, call_id)
        self.asked.append(("pickup", tenant_id, call_id, extension))

    async def complete_transfer(self, tenant_id: int, call_id: str) -> None:
        self._check(tenant_id, call_id)
        self.asked.append(("complete", tenant_id, call_id))

    async def cancel_transfer(self, tenant_id: int, call_id: str) -> None:
        self._check(tenant_id, call_id)
        self.asked.append(("cancel", tenant_id, call_id))

    # supervisor monitoring (`api.routes.monitor.CallMonitorSource`)
    async def monitor(
        self, tenant_id: int, call_id: str, extension: str, mode: str
    ) -> dict[str, Any]:
        self._check(tenant_id, call_id)
        self.asked.append(("monitor", tenant_id, call_id, extension, mode))
        return {"call_id": call_id, "monitor_call_id": "sup-call", "extension": extension,
                "mode": mode, "state": "ringing"}  # fmt: skip


@dataclass
class World:
    client: httpx.AsyncClient
    database: Database
    bus: EventBus
    calls: FakeCalls
    registrations: RegistrationsFromEvents
    clock: ManualClock
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str, tenant: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if tenant:
            headers["Centrex-Tenant"] = tenant
        return headers


async def _seed(database: Database, clock: ManualClock) -> tuple[dict[str, str], dict[str, int]]:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    now = clock.utcnow()
    async with database.transaction() as session:
        p1 = await tenant_service.create_partner(session, name="Partner One")
        p2 = await tenant_service.create_partner(session, name="Partner Two")
        a = await tenant_service.create_tenant(
            session,
            now=now,
            name="A",
            domain="a.example.com",
            extension_digits=3,
            max_calls=5,
            partner_id=p1.id,
        )
        b = await tenant_service.create_tenant(
            session,
            now=now,
            name="B",
            domain="b.example.com",
            extension_digits=3,
            max_calls=5,
            partner_id=p2.id,
        )
        user = await user_service.create_user(
            tenant_service.scope_of(session, a), name="Ursula", email="ursula@a.example.com"
        )
        ids.update(p1=p1.id, p2=p2.id, a=a.id, b=b.id, user_a=user.id)
        made = {
            "root": await token_service.create_token(session, role=Role.PLATFORM_ADMIN, now=now),
            "p1": await token_service.create_token(
                session, role=Role.PARTNER, now=now, partner_id=p1.id
            ),
            "p2": await token_service.create_token(
                session, role=Role.PARTNER, now=now, partner_id=p2.id
            ),
            "admin_a": await token_service.create_token(
                session, role=Role.TENANT_ADMIN, now=now, tenant_id=a.id
            ),
            "admin_b": await token_service.create_token(
                session, role=Role.TENANT_ADMIN, now=now, tenant_id=b.id
            ),
            "user_a": await token_service.create_token(
                session, role=Role.USER, now=now, tenant_id=a.id, user_id=user.id
            ),
        }
        tokens = {name: created.secret for name, created in made.items()}
    return tokens, ids


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    registrations = RegistrationsFromEvents(bus, clock)
    calls = FakeCalls()
    app = create_app(
        database,
        clock=clock,
        events_bus=bus,
        registrations=registrations,
        calls=calls,
        **api_wiring(tmp_path),
    )
    tokens, ids = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield World(client, database, bus, calls, registrations, clock, tokens, ids)
    await database.dispose()
