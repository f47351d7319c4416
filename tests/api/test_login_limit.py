"""Portal login over plain HTTP: CSRF double-submit, session cookie flags, rate limit."""

from __future__ import annotations

import re

from centrex.data.models import UserRole
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.api.conftest import World


async def _login_page(world: World) -> str:
    page = await world.client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


async def test_login_sets_a_safe_session_cookie_and_limits_failures(world: World) -> None:
    async with world.database.transaction() as session:
        scope = await tenant_service.scope_for(session, "a.example.com")
        await user_service.create_user(
            scope,
            name="Ada",
            email="ada@a.example.com",
            role=UserRole.TENANT_ADMIN.value,
            password="right-password-1",
        )
    c = world.client
    token = await _login_page(world)
    no_csrf = await c.post(
        "/login",
        data={"email": "ada@a.example.com", "password": "right-password-1", "csrf": "forged"},
    )
    assert no_csrf.status_code == 403
    token = await _login_page(world)
    ok = await c.post(
        "/login", data={"email": "ada@a.example.com", "password": "right-password-1", "csrf": token}
    )
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "centrex_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    me = await c.get("/api/v1/me")  # the session cookie works for reads
    assert me.json()["name"] == "Ada"
    write = await c.post("/api/v1/users", json={"name": "X", "email": "x@a.example.com"})
    assert write.status_code == 403  # ...but writes need the CSRF header
    assert write.json()["error_id"] == "csrf-failed"
    c.cookies.clear()
    for _ in range(5):
        token = await _login_page(world)
        wrong = await c.post(
            "/login", data={"email": "ada@a.example.com", "password": "nope-nope", "csrf": token}
        )
        assert wrong.status_code == 401
    token = await _login_page(world)
    blocked = await c.post(
        "/login", data={"email": "ada@a.example.com", "password": "right-password-1", "csrf": token}
    )
    assert blocked.status_code == 429
