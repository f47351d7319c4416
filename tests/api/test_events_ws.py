"""WebSocket /api/v1/events: registration and call events, each subscriber within its scope."""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from centrex.data.db import Database
from centrex.data.models import Role
from centrex.events import CallEvent, LeadOffered, RegistrationChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.live_server import live_api


async def _seed(database: Database) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with database.transaction() as session:
        ids: dict[str, Any] = {}
        for name in ("a", "b"):
            tenant = await tenant_service.create_tenant(
                session,
                now=now,
                name=name,
                domain=f"{name}.example.com",
                extension_digits=3,
                max_calls=5,
            )
            ids[name] = tenant.id
            created = await token_service.create_token(
                session, role=Role.TENANT_ADMIN, now=now, tenant_id=tenant.id
            )
            ids[f"admin_{name}"] = created.secret
        scope = tenant_service.scope_of(session, await session.get(tenant_service.Tenant, ids["a"]))
        user = await user_service.create_user(scope, name="U", email="u@a.example.com")
        await extension_service.create_extension(scope, number="101", user_id=user.id)
        created = await token_service.create_token(
            session, role=Role.USER, now=now, tenant_id=ids["a"], user_id=user.id
        )
        ids["user_a"] = created.secret
        ids["root"] = (
            await token_service.create_token(session, role=Role.PLATFORM_ADMIN, now=now)
        ).secret
        return ids


def _open(stack: ExitStack, base: str, query: str) -> ClientConnection:
    ws = stack.enter_context(connect(base.replace("http://", "ws://") + "/api/v1/events" + query))
    assert json.loads(ws.recv(timeout=10)) == {"kind": "ready"}
    return ws


def _next(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=10)))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_events_stream_within_scope(database_url: str) -> None:
    with live_api(database_url, _seed) as (base, ids, loop, bus), ExitStack() as stack:

        def publish(event: Any) -> None:
            loop.call_soon_threadsafe(bus.publish, event)

        admin_b = _open(stack, base, f"?token={ids['admin_b']}")
        root_a = _open(stack, base, f"?token={ids['root']}&tenant=a.example.com")
        user_a = _open(stack, base, f"?token={ids['user_a']}")
        publish(
            RegistrationChanged(
                tenant_id=ids["a"], aor="sip:102@a.example.com", contact="sip:x", expires=60
            )
        )
        publish(
            RegistrationChanged(
                tenant_id=ids["a"], aor="sip:101@a.example.com", contact="sip:y", expires=60
            )
        )
        for state in ("started", "ringing", "answered", "ended"):
            publish(
                CallEvent(tenant_id=ids["a"], call_id="c1", state=state, caller="101", callee="102")
            )
        for extension, lead in (("102", 7), ("101", 8), ("", 9)):  # another agent, own, dropped
            publish(
                LeadOffered(tenant_id=ids["a"], campaign="Spring", lead_id=lead,
                            number="+33142685301", extension=extension, state="offered")
            )  # fmt: skip
        publish(
            CallEvent(tenant_id=ids["b"], call_id="b1", state="started", caller="201", callee="202")
        )

        # B's admin: A's six events were filtered out, the first it sees is B's call
        first_b = _next(admin_b)
        assert first_b["call_id"] == "b1"
        assert first_b["tenant_id"] == ids["b"]
        # platform admin narrowed to A: everything of A in order, nothing of B
        seen = [_next(root_a) for _ in range(9)]
        assert [e["kind"] for e in seen] == ["registration"] * 2 + ["call"] * 4 + [
            "campaign.call"
        ] * 3
        assert [e["state"] for e in seen[2:6]] == ["started", "ringing", "answered", "ended"]
        # the user: its own line's registration (101, not 102), its calls, its own lead only
        own = _next(user_a)
        assert own["aor"] == "sip:101@a.example.com"
        assert [_next(user_a)["state"] for _ in range(4)] == [
            "started", "ringing", "answered", "ended"
        ]  # fmt: skip
        lead = _next(user_a)
        assert (lead["kind"], lead["lead_id"], lead["extension"]) == ("campaign.call", 8, "101")
        publish(
            CallEvent(tenant_id=ids["a"], call_id="c2", state="started", caller="101", callee="103")
        )
        assert _next(user_a)["call_id"] == "c2"  # leads 7 and 9 were never delivered

        with pytest.raises(InvalidStatus):
            _open(stack, base, "?token=cx_wrong")
        with pytest.raises(InvalidStatus):  # a tenant admin cannot listen to another tenant
            _open(
                stack,
                base,
                base.replace("http://", "ws://")
                + f"/api/v1/events?token={ids['admin_a']}&tenant=b.example.com",
            )
