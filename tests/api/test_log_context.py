"""Every log line written while serving an API request names the request's tenant (defect 5 of
issue 11: they all read `tenant=-`), tasks the request spawns keep it, and nothing leaks into
the next request or back into the caller."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from centrex.api.app import create_app
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.logs import ContextFilter, current_tenant
from tests.api.conftest import _seed
from tests.helpers import api_wiring

LOG = logging.getLogger("tests.api.log_context")


class LoggingCalls:
    """A LiveCalls double that logs, and logs again from a task it spawns."""

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        LOG.info("listing calls of %d", tenant_id)

        async def background() -> None:
            LOG.info("spawned for %d", tenant_id)

        await asyncio.create_task(background())
        return []

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        LOG.info("hangup %s", call_id)
        return False


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(ContextFilter())
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage().split(" ")[0], record.tenant))  # type: ignore[attr-defined]


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    yield handler
    LOG.removeHandler(handler)


@pytest.fixture
async def api(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    database = Database(database_url)
    clock = ManualClock()
    app = create_app(
        database, clock=clock, calls=LoggingCalls(), portal=False, **api_wiring(tmp_path)
    )
    tokens, _ = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, tokens
    await database.dispose()


def _bearer(token: str, tenant: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if tenant:
        headers["Centrex-Tenant"] = tenant
    return headers


async def test_request_log_lines_carry_the_tenant(
    api: tuple[httpx.AsyncClient, dict[str, str]], capture: _Capture
) -> None:
    client, tokens = api
    response = await client.get("/api/v1/calls", headers=_bearer(tokens["admin_a"]))
    assert response.status_code == 200
    staff = await client.get("/api/v1/calls", headers=_bearer(tokens["p2"], "b.example.com"))
    assert staff.status_code == 200
    gone = await client.delete("/api/v1/calls/nope", headers=_bearer(tokens["admin_b"]))
    assert gone.status_code == 404
    assert capture.seen == [
        ("listing", "a.example.com"),
        ("spawned", "a.example.com"),
        ("listing", "b.example.com"),
        ("spawned", "b.example.com"),
        ("hangup", "b.example.com"),
    ]
    # the test's own context (the ASGI app ran in this task) is left as it was
    assert current_tenant.get() == "-"


async def test_a_request_without_a_tenant_logs_a_dash(
    api: tuple[httpx.AsyncClient, dict[str, str]], capture: _Capture
) -> None:
    client, tokens = api
    await client.get("/api/v1/calls", headers=_bearer(tokens["admin_a"]))
    # a partner that names no tenant is refused before any tenant is known
    refused = await client.get("/api/v1/calls", headers=_bearer(tokens["p1"]))
    assert refused.status_code == 422
    LOG.info("outside")
    assert capture.seen[-1] == ("outside", "-")
