"""Portal pages over HTTP (no browser): CDR filters and exports, users, numbers, live calls,
language negotiation, and the interactive API docs."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from centrex.data.models import Cdr, Direction, Disposition, UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.api.conftest import World


async def _login(world: World) -> str:
    async with world.database.transaction() as session:
        scope = await tenant_service.scope_for(session, "a.example.com")
        await user_service.create_user(
            scope,
            name="Ada",
            email="ada@a.example.com",
            role=UserRole.TENANT_ADMIN.value,
            password="right-password-1",
        )
    page = await world.client.get("/login", headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert "Connexion" in page.text  # French from Accept-Language before anyone logs in
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"email": "ada@a.example.com", "password": "right-password-1", "csrf": csrf.group(1)}
    done = await world.client.post("/login", data=form)
    assert done.status_code == 303
    landing = await world.client.get("/tenant/extensions")
    token = re.search(r'data-csrf="([^"]+)"', landing.text)
    assert token is not None
    return token.group(1)


async def test_tenant_pages(world: World) -> None:
    from openpyxl import load_workbook

    csrf = await _login(world)
    c = world.client
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        for index, direction in enumerate([Direction.INBOUND, Direction.OUTBOUND]):
            session.add(
                Cdr(
                    tenant_id=world.ids["a"],
                    call_id=f"p{index}",
                    caller="101",
                    callee=f"+4121555000{index}",
                    direction=direction,
                    disposition=Disposition.ANSWERED,
                    started_at=now - timedelta(days=index),
                    extension="101",
                )
            )
    cdrs = await c.get("/tenant/cdrs", params={"direction": "outbound"})
    assert "+41215550001" in cdrs.text
    assert "+41215550000" not in cdrs.text
    csv = await c.get("/tenant/cdrs/export", params={"direction": "inbound", "format": "csv"})
    assert csv.text.count("\n") == 2
    xlsx = await c.get("/tenant/cdrs/export", params={"format": "xlsx"})
    assert len(list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows())) == 3

    users = await c.post(
        "/tenant/users",
        data={
            "csrf": csrf,
            "name": "Bea",
            "email": "bea@a.example.com",
            "role": "user",
            "language": "it",
        },
    )
    assert "bea@a.example.com" in users.text
    bad = await c.post("/tenant/users", data={"csrf": csrf, "name": "Bea", "email": "not-an-email"})
    assert 'class="flash error"' in bad.text
    forged = await c.post(
        "/tenant/users", data={"csrf": "forged", "name": "Eve", "email": "eve@a.example.com"}
    )
    assert forged.status_code == 400
    assert "eve@a.example.com" not in (await c.get("/tenant/users")).text

    numbers = await c.get("/tenant/numbers")
    assert numbers.status_code == 200

    world.calls.calls[world.ids["a"]] = [
        {
            "call_id": "live-1",
            "caller": "101",
            "callee": "102",
            "state": "answered",
            "direction": "internal",
        }
    ]
    calls = await c.get("/tenant/calls")
    assert 'data-call-id="live-1"' in calls.text
    hung = await c.post("/tenant/calls/hangup", data={"csrf": csrf, "call_id": "live-1"})
    assert 'data-call-id="live-1"' not in hung.text
    assert world.calls.calls[world.ids["a"]] == []

    # a tenant admin cannot open the provider dashboard or another tenant
    assert (await c.get("/provider", follow_redirects=False)).status_code == 303
    other = await c.get("/tenant/extensions", params={"tenant": "b.example.com"})
    assert other.status_code == 404


async def test_docs_and_openapi(world: World) -> None:
    docs = await world.client.get("/docs")
    assert docs.status_code == 200
    assert "/api/v1/openapi.json" in docs.text
    spec = (await world.client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/extensions" in spec["paths"]
    assert "Problem" in spec["components"]["schemas"]
