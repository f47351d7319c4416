"""WebSocket /api/v1/events for a supervisor: it watches the whole floor of its tenant (every
agent's state change, every agent's dialer call, every call), like a tenant admin, while an
agent still sees its own lines only and nothing of another tenant reaches either."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from centrex.data.db import Database
from centrex.data.models import Role, Tenant
from centrex.events import CallEvent, LeadOffered, QueueChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.live_server import live_api


async def _seed(database: Database) -> dict[str, Any]:
    """Tenant a: supervisor Sonia (no phone of her own), agent Alice on 101; tenant b."""
    now = datetime.now(UTC)
    ids: dict[str, Any] = {}
    async with database.transaction() as session:
        for name in ("a", "b"):
            tenant = await tenant_service.create_tenant(session, now=now, name=name,
                                                        domain=f"{name}.example.com",
                                                        extension_digits=3, max_calls=5)  # fmt: skip
            ids[name] = tenant.id
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, ids["a"]))
        for key, role in (("sonia", Role.SUPERVISOR), ("alice", Role.AGENT)):
            user = await user_service.create_user(scope, name=key, role=role.value,
                                                  email=f"{key}@a.example.com")  # fmt: skip
            if key == "alice":
                await extension_service.create_extension(scope, number="101", user_id=user.id)
            token = await token_service.create_token(session, role=role, now=now,
                                                     tenant_id=ids["a"], user_id=user.id)  # fmt: skip
            ids[key] = token.secret
    return ids


def _open(stack: ExitStack, base: str, token: str) -> ClientConnection:
    url = base.replace("http://", "ws://") + f"/api/v1/events?token={token}"
    ws = stack.enter_context(connect(url))
    assert json.loads(ws.recv(timeout=10)) == {"kind": "ready"}
    return ws


def _next(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=10)))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_supervisor_sees_the_whole_floor(database_url: str) -> None:
    with live_api(database_url, _seed) as (base, ids, loop, bus), ExitStack() as stack:

        def publish(event: Any) -> None:
            loop.call_soon_threadsafe(bus.publish, event)

        sonia = _open(stack, base, ids["sonia"])
        alice = _open(stack, base, ids["alice"])
        publish(QueueChanged(ids["b"], state="agent", extension="102"))  # another tenant's
        publish(QueueChanged(ids["a"], state="agent", extension="102"))  # another agent's
        publish(LeadOffered(ids["a"], campaign="Spring", lead_id=7, extension="102",
                            call_id="c7", state="connected"))  # fmt: skip
        publish(CallEvent(ids["a"], call_id="c7", state="ended", caller="102", callee="+4144"))
        publish(CallEvent(ids["a"], call_id="c8", state="started", caller="101", callee="+4144"))
        seen = [_next(sonia) for _ in range(4)]
        assert [(e["kind"], e.get("extension"), e.get("call_id")) for e in seen] == [
            ("queue", "102", None), ("campaign.call", "102", "c7"), ("call", None, "c7"),
            ("call", None, "c8"),
        ]  # fmt: skip
        assert {e["tenant_id"] for e in seen} == {ids["a"]}
        # the agent: nothing of 102's lead or call, only its own line's call
        assert _next(alice)["call_id"] == "c8"
