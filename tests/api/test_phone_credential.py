"""POST /api/v1/me/phone-credential: the softphone's short-lived credential, in-process on SQLite
and PostgreSQL. The JSON contract is exact (the /phone page reads it), the secret is random,
new on each call and stored only as HA1s, and the caller only ever gets its own extension."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from centrex.api.app import create_app
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import PhoneCredential, Role
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from centrex.provisioning.credentials import ha1
from tests.helpers import api_wiring

URL = "/api/v1/me/phone-credential"
WSS_PORT = 7443
PASSWORD = "portal-pass-1"
KEYS = {"ws_url", "sip_uri", "authorization_user", "password", "display_name", "expires_at"}


@dataclass
class Api:
    client: httpx.AsyncClient
    database: Database
    clock: ManualClock
    tokens: dict[str, str]

    def auth(self, who: str, tenant: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if tenant:
            headers["Centrex-Tenant"] = tenant
        return headers


async def _seed(database: Database, clock: ManualClock) -> dict[str, str]:
    now = clock.utcnow()
    made = {}
    async with database.transaction() as session:
        partner = await tenant_service.create_partner(session, name="P")
        made["partner"] = await token_service.create_token(
            session, role=Role.PARTNER, now=now, partner_id=partner.id
        )
        for domain, who in (("a.example.com", "alice"), ("b.example.com", "bob")):
            tenant = await tenant_service.create_tenant(
                session, now=now, name=domain, domain=domain, extension_digits=3, max_calls=5,
                partner_id=partner.id,
            )  # fmt: skip
            scope = tenant_service.scope_of(session, tenant)
            owner = await user_service.create_user(
                scope, name=who.title(), email=f"{who}@{domain}", password=PASSWORD
            )
            await extension_service.create_extension(
                scope, number="101", name=f"{who.title()} Desk", user_id=owner.id, voicemail=False
            )
            await extension_service.create_extension(scope, number="102", voicemail=False)
            made[who] = await token_service.create_token(
                session, role=Role.USER, now=now, tenant_id=tenant.id, user_id=owner.id
            )
            made[f"admin_{who}"] = await token_service.create_token(
                session, role=Role.TENANT_ADMIN, now=now, tenant_id=tenant.id
            )
            if who == "alice":
                lonely = await user_service.create_user(
                    scope, name="Nobody", email=f"nobody@{domain}", password=PASSWORD
                )
                made["nobody"] = await token_service.create_token(
                    session, role=Role.USER, now=now, tenant_id=tenant.id, user_id=lonely.id
                )
    return {name: created.secret for name, created in made.items()}


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    database = Database(database_url)
    clock = ManualClock()
    app = create_app(database, clock=clock, phone_ws_port=WSS_PORT, **api_wiring(tmp_path))
    tokens = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://pbx.example.net") as client:
        yield Api(client, database, clock, tokens)
    await database.dispose()


async def test_a_user_gets_a_credential_for_its_own_extension(api: Api) -> None:
    response = await api.client.post(URL, headers=api.auth("alice"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == KEYS
    assert body["ws_url"] == f"wss://pbx.example.net:{WSS_PORT}"
    assert body["sip_uri"] == "sip:101@a.example.com"
    assert body["authorization_user"] == "101"
    assert body["display_name"] == "Alice Desk"
    assert len(body["password"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires == (api.clock.utcnow() + timedelta(hours=12)).replace(microsecond=0)
    assert response.headers["cache-control"] == "no-store"
    # only HA1s are stored, of the number, the tenant's realm and the secret
    async with api.database.session() as session:
        (row,) = (await session.scalars(select(PhoneCredential))).all()
    assert body["password"] not in repr(vars(row))
    assert row.ha1_md5 == ha1("101", "a.example.com", body["password"], "MD5")
    assert row.ha1_sha256 == ha1("101", "a.example.com", body["password"], "SHA-256")
    again = await api.client.post(URL, headers=api.auth("alice"))
    assert again.json()["password"] != body["password"]  # new on every call


async def test_ws_url_follows_the_host_the_request_came_to(api: Api) -> None:
    headers = {**api.auth("alice"), "Host": "10.1.2.3:8443"}
    response = await api.client.post(URL, headers=headers)
    assert response.json()["ws_url"] == f"wss://10.1.2.3:{WSS_PORT}"
    response = await api.client.post(URL, headers={**api.auth("alice"), "Host": "[::1]:8080"})
    assert response.json()["ws_url"] == f"wss://[::1]:{WSS_PORT}"


async def test_each_user_gets_its_own_tenant_extension(api: Api) -> None:
    bob = (await api.client.post(URL, headers=api.auth("bob"))).json()
    assert bob["sip_uri"] == "sip:101@b.example.com"
    assert bob["display_name"] == "Bob Desk"
    # naming A's tenant from B is not found, as everywhere
    response = await api.client.post(URL, headers=api.auth("bob", "a.example.com"))
    assert response.status_code == 404
    assert response.json()["error_id"] == "tenant-not-found"


@pytest.mark.parametrize(
    ("who", "tenant", "error_id"),
    [
        ("nobody", None, "phone-extension-not-found"),
        ("admin_bob", None, "phone-user-not-found"),
        ("partner", "a.example.com", "phone-user-not-found"),
    ],
)
async def test_no_extension_no_credential(
    api: Api, who: str, tenant: str | None, error_id: str
) -> None:
    response = await api.client.post(URL, headers=api.auth(who, tenant))
    assert response.status_code == 404, response.text
    assert response.json()["error_id"] == error_id
    assert response.headers["content-type"] == "application/problem+json"
    async with api.database.session() as session:
        assert (await session.scalars(select(PhoneCredential))).all() == []


async def test_anonymous_is_refused(api: Api) -> None:
    response = await api.client.post(URL)
    assert response.status_code == 401


async def test_without_a_wss_listener_the_answer_says_so(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    clock = ManualClock()
    app = create_app(database, clock=clock, **api_wiring(tmp_path))
    tokens = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://pbx") as client:
            headers = {"Authorization": f"Bearer {tokens['alice']}"}
            response = await client.post(URL, headers=headers)
            assert response.status_code == 503
            assert response.json()["error_id"] == "phone-wss-off"
            async with database.session() as session:
                assert (await session.scalars(select(PhoneCredential))).all() == []
    finally:
        await database.dispose()


async def test_the_portal_session_works_with_its_csrf_token(api: Api) -> None:
    login = await api.client.get("/login")
    match = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert match is not None
    form = {"email": "alice@a.example.com", "password": PASSWORD, "csrf": match.group(1)}
    page = await api.client.post("/login", data=form, follow_redirects=True)
    assert page.status_code == 200
    csrf = re.search(r'data-csrf="([^"]+)"', page.text)
    assert csrf is not None
    refused = await api.client.post(URL)  # the session cookie alone: no CSRF token
    assert refused.status_code == 403
    response = await api.client.post(URL, headers={"X-CSRF-Token": csrf.group(1)})
    assert response.status_code == 200, response.text
    assert response.json()["sip_uri"] == "sip:101@a.example.com"
