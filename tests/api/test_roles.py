"""Roles: a user reaches only itself, a tenant admin not the provider's resources, and staff
must name a tenant for tenant-level resources."""

from __future__ import annotations

from tests.api.conftest import World

ADMIN_ONLY = [
    ("POST", "/api/v1/extensions", {"number": "111"}),
    ("POST", "/api/v1/users", {"name": "N", "email": "n@a.example.com"}),
    ("GET", "/api/v1/numbers", None),
    ("POST", "/api/v1/numbers", {"e164": "+41215550111"}),
    ("GET", "/api/v1/tokens", None),
    ("POST", "/api/v1/tokens", {"role": "user", "user_email": "ursula@a.example.com"}),
    ("GET", "/api/v1/partners", None),
    ("POST", "/api/v1/tenants", {"name": "T", "domain": "t.example.com"}),
    ("GET", "/api/v1/trunks", None),
    ("GET", "/api/v1/number-ranges", None),
    ("GET", "/api/v1/outbound-routes", None),
    ("DELETE", "/api/v1/calls/any", None),
]

PLATFORM_ONLY = [
    ("GET", "/api/v1/trunks", None),
    ("POST", "/api/v1/trunks", {"name": "t", "host": "sip.example.com"}),
    ("GET", "/api/v1/number-ranges", None),
    ("POST", "/api/v1/number-ranges", {"first": "+41215550100", "last": "+41215550109"}),
    ("GET", "/api/v1/outbound-routes", None),
    ("POST", "/api/v1/partners", {"name": "P"}),
    ("POST", "/api/v1/tenants", {"name": "T", "domain": "t.example.com"}),
]


async def test_user_cannot_reach_admin_endpoints(world: World) -> None:
    for method, path, body in ADMIN_ONLY:
        response = await world.client.request(method, path, json=body, headers=world.auth("user_a"))
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error_id"] == "forbidden"


async def test_tenant_admin_cannot_reach_provider_endpoints(world: World) -> None:
    for method, path, body in PLATFORM_ONLY:
        response = await world.client.request(
            method, path, json=body, headers=world.auth("admin_a")
        )
        assert response.status_code == 403, (method, path, response.text)


async def test_user_sees_only_itself_and_its_extension(world: World) -> None:
    c = world.client
    admin = world.auth("admin_a")
    mine = await c.post(
        "/api/v1/extensions", json={"number": "121", "user_id": world.ids["user_a"]}, headers=admin
    )
    other = await c.post("/api/v1/extensions", json={"number": "122"}, headers=admin)
    user = world.auth("user_a")
    users = await c.get("/api/v1/users", headers=user)
    assert [u["email"] for u in users.json()["items"]] == ["ursula@a.example.com"]
    extensions = await c.get("/api/v1/extensions", headers=user)
    assert [e["number"] for e in extensions.json()["items"]] == ["121"]
    assert (
        await c.get(f"/api/v1/extensions/{other.json()['id']}", headers=user)
    ).status_code == 404
    changed = await c.post(
        f"/api/v1/extensions/{mine.json()['id']}/sip-password", json={}, headers=user
    )
    assert changed.status_code == 200
    assert len(changed.json()["sip_password"]) >= 16
    denied = await c.post(
        f"/api/v1/extensions/{other.json()['id']}/sip-password", json={}, headers=user
    )
    assert denied.status_code == 404
    role = await c.patch(
        f"/api/v1/users/{world.ids['user_a']}", json={"role": "tenant-admin"}, headers=user
    )
    assert role.status_code == 403
    me = await c.get("/api/v1/me", headers=user)
    assert me.json()["role"] == "user"
    assert me.json()["user_id"] == world.ids["user_a"]


async def test_staff_must_name_a_tenant(world: World) -> None:
    response = await world.client.get("/api/v1/extensions", headers=world.auth("root"))
    assert response.status_code == 422
    assert response.json()["field"] == "Centrex-Tenant"
    assert (
        await world.client.get("/api/v1/extensions", headers=world.auth("root", "nope.example.com"))
    ).status_code == 404


async def test_tenant_admin_cannot_change_its_licence(world: World) -> None:
    response = await world.client.patch(
        f"/api/v1/tenants/{world.ids['a']}", json={"max_calls": 999}, headers=world.auth("admin_a")
    )
    assert response.status_code == 403
    ok = await world.client.patch(
        f"/api/v1/tenants/{world.ids['a']}",
        json={"max_calls": 20, "storage_quota_mb": 2048},
        headers=world.auth("p1"),
    )
    assert ok.status_code == 200
    assert ok.json()["max_calls"] == 20
