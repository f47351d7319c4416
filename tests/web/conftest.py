"""A real portal server (uvicorn in a thread, its own event loop) on a seeded database.

Only SQLite: the browser tests exercise the portal, and the API tests already cover both
databases. Events are published into the server's loop with `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.data.db import Database
from centrex.data.models import Role, UserRole
from centrex.events import Event, EventBus
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import logins
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.helpers import api_wiring, free_port, wait_http

ADMIN_PASSWORD = "tenant-admin-pw-1"
STAFF_PASSWORD = "platform-admin-pw-1"
USER_PASSWORD = "plain-user-pw-1"


class FakeCalls:
    def __init__(self) -> None:
        self.calls: dict[int, list[dict[str, Any]]] = {}

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        return list(self.calls.get(tenant_id, []))

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        before = self.calls.get(tenant_id, [])
        self.calls[tenant_id] = [c for c in before if c["call_id"] != call_id]
        return len(before) != len(self.calls[tenant_id])


@dataclass
class PortalServer:
    base_url: str
    loop: asyncio.AbstractEventLoop
    bus: EventBus
    calls: FakeCalls
    tenant_id: int

    def publish(self, event: Event) -> None:
        self.loop.call_soon_threadsafe(self.bus.publish, event)


async def _seed(url: str) -> int:
    database = Database(url)
    try:
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session,
                now=datetime.now(UTC),
                name="Acme SA",
                domain="acme.example.com",
                extension_digits=3,
                max_calls=4,
            )
            scope = tenant_service.scope_of(session, tenant)
            await user_service.create_user(
                scope,
                name="Anna Admin",
                email="admin@acme.example.com",
                role=UserRole.TENANT_ADMIN.value,
                password=ADMIN_PASSWORD,
            )
            paul = await user_service.create_user(
                scope,
                name="Paul User",
                email="paul@acme.example.com",
                language="fr",
                password=USER_PASSWORD,
            )
            await extension_service.create_extension(
                scope, number="202", name="Paul", user_id=paul.id, password="paul-sip-pw-1"
            )
            await logins.create_staff(
                session,
                email="root@provider.test",
                password=STAFF_PASSWORD,
                role=Role.PLATFORM_ADMIN,
            )
            return tenant.id
    finally:
        await database.dispose()


@pytest.fixture
def portal_server(database_url: str, tmp_path: Path) -> Iterator[PortalServer]:
    port = free_port()
    loop = asyncio.new_event_loop()
    bus = EventBus()
    calls = FakeCalls()
    holder: dict[str, Any] = {}

    async def main() -> None:
        holder["tenant_id"] = await _seed(database_url)
        database = Database(database_url)
        registrations = RegistrationsFromEvents(bus)
        registrations.start()
        app = create_app(
            database,
            events_bus=bus,
            registrations=registrations,
            calls=calls,
            **api_wiring(tmp_path),
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        holder["server"] = server
        try:
            await server.serve()
        finally:
            await registrations.stop()
            await database.dispose()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/api/v1/health")
    try:
        yield PortalServer(base, loop, bus, calls, holder["tenant_id"])
    finally:
        holder["server"].should_exit = True
        thread.join(timeout=30)
        loop.close()
