"""/api/v1/health checks the database and the SIP listener instead of always answering ok:
200 with every check named, 503 naming the one that failed (unreachable or hanging database,
SIP not listening)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from centrex.api.app import create_app
from centrex.data.db import Database
from centrex.ops.health import Check, DatabaseCheck, HealthChecks, SipListenerCheck
from centrex.sip.endpoint import SipEndpoint
from centrex.transport import EndpointDriver, ListenAddress, SourceGuard, TransportKind, Transports
from tests.api.conftest import World
from tests.helpers import free_port


async def get_health(health: HealthChecks) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(health=health))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get("/api/v1/health")


@pytest.fixture
async def transports() -> AsyncIterator[Transports]:
    driver = EndpointDriver(SipEndpoint(), time.monotonic)
    found = Transports(driver.receive, SourceGuard(100.0, time.monotonic), time.monotonic)
    yield found
    await found.close()
    driver.close()


async def test_the_api_checks_its_database_by_default(world: World) -> None:
    response = await world.client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": {"status": "ok", "detail": None}}


async def test_ok_when_database_answers_and_sip_listens(
    database_url: str, transports: Transports
) -> None:
    udp = await transports.listen_udp(ListenAddress("127.0.0.1", 0))
    tcp = await transports.listen_stream(TransportKind.TCP, ListenAddress("127.0.0.1", 0))
    database = Database(database_url)
    try:
        checks: dict[str, Check] = {
            "database": DatabaseCheck(database),
            "sip": SipListenerCheck(transports),
        }
        response = await get_health(HealthChecks(checks))
    finally:
        await database.dispose()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["sip"] == {
        "status": "ok",
        "detail": f"UDP 127.0.0.1:{udp[1]}, TCP 127.0.0.1:{tcp[1]}",
    }


async def test_503_when_the_database_is_unreachable_and_sip_not_listening(
    transports: Transports,
) -> None:
    # nothing listens on this port: connection refused
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/centrex")
    try:
        checks: dict[str, Check] = {
            "database": DatabaseCheck(database),
            "sip": SipListenerCheck(transports),
        }
        response = await get_health(HealthChecks(checks))
    finally:
        await database.dispose()
    assert response.status_code == 503
    body: dict[str, Any] = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"]["status"] == "failing"
    assert body["checks"]["database"]["detail"].startswith("database unreachable (")
    assert "127.0.0.1" not in body["checks"]["database"]["detail"]  # no connection string
    assert body["checks"]["sip"] == {"status": "failing", "detail": "not listening on UDP, TCP"}


async def test_503_names_only_the_failing_check(database_url: str, transports: Transports) -> None:
    await transports.listen_udp(ListenAddress("127.0.0.1", 0))  # UDP up, TCP missing
    database = Database(database_url)
    try:
        checks: dict[str, Check] = {
            "database": DatabaseCheck(database),
            "sip": SipListenerCheck(transports),
        }
        response = await get_health(HealthChecks(checks))
    finally:
        await database.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "ok"
    assert response.json()["checks"]["sip"] == {
        "status": "failing",
        "detail": "not listening on TCP",
    }


async def test_a_database_that_never_answers_times_out() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accept the connection, never say a word

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    database = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/centrex")
    try:
        response = await get_health(HealthChecks({"database": DatabaseCheck(database, 0.2)}))
    finally:
        await database.dispose()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {
        "status": "failing",
        "detail": "no answer within 0.2 s",
    }


async def test_a_check_that_raises_is_a_failure_not_a_crash() -> None:
    async def broken() -> str | None:
        raise KeyError("bug")

    response = await get_health(HealthChecks({"broken": broken}))
    assert response.status_code == 503
    assert response.json()["checks"]["broken"] == {
        "status": "failing",
        "detail": "check error (KeyError)",
    }
