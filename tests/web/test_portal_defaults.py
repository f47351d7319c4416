"""The tenant's recording and digest defaults (telephony page) and an extension's pickup group
and digest policy (extension page): saved through the pages, read back through the REST API,
refused values change nothing, another tenant's extension is not found. Without a browser, so on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Tenant
from tests.web.conftest import ADMIN_PASSWORD, PortalServer
from tests.web.test_numbers_page import OTHER_ADMIN, flash_error, login_client, seed, submit


def _tenant(admin: httpx.Client) -> dict[str, Any]:
    items = admin.get("/api/v1/tenants").json()["items"]
    assert len(items) == 1
    return dict(items[0])


async def _recording(url: str) -> tuple[str, str, bool]:
    database = Database(url)  # the API shows no recording defaults: read the stored ones
    try:
        async with database.session() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.domain == "acme.example.com"))
            assert tenant is not None
            return tenant.record_calls.value, tenant.record_layout.value, tenant.record_announce
    finally:
        await database.dispose()


def recording(url: str) -> tuple[str, str, bool]:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _recording(url)).result()


def _extension(admin: httpx.Client, number: str) -> dict[str, Any]:
    items = admin.get("/api/v1/extensions?limit=1000").json()["items"]
    return next(dict(e) for e in items if e["number"] == number)


def test_tenant_defaults_are_saved_and_refused_values_change_nothing(
    portal_server: PortalServer, database_url: str
) -> None:
    seed(database_url)
    with login_client(portal_server.base_url, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        chosen = {"record_calls": "always", "record_layout": "per-party",
                  "record_announce": "on", "digest_policy": "require-sha256"}  # fmt: skip
        answer = submit(admin, "/tenant/telephony/defaults", chosen)
        assert answer.status_code == 200
        assert "Recording and sign-in defaults saved." in answer.text
        assert _tenant(admin)["digest_policy"] == "require-sha256"
        assert recording(database_url) == ("always", "per-party", True)
        for field, bad in (("record_calls", "sometimes"), ("digest_policy", "md4")):
            answer = submit(admin, "/tenant/telephony/defaults",
                            {**chosen, "record_calls": "never", field: bad})  # fmt: skip
            assert "refused" in flash_error(answer), field
            # all or nothing: the valid "never" is not saved either
            assert _tenant(admin)["digest_policy"] == "require-sha256"
            assert recording(database_url) == ("always", "per-party", True)


def test_extension_pickup_group_and_digest_policy(
    portal_server: PortalServer, database_url: str
) -> None:
    seed(database_url)
    base = portal_server.base_url
    with login_client(base, "admin@acme.example.com", ADMIN_PASSWORD) as admin:
        ext = _extension(admin, "203")
        path = f"/tenant/extensions/{ext['id']}"
        form = {"section": "pickup-digest", "pickup_group": "sales",
                "digest_policy": "prefer-sha256"}  # fmt: skip
        answer = submit(admin, path, form)
        assert answer.status_code == 200, answer.text
        saved = _extension(admin, "203")
        assert (saved["pickup_group"], saved["digest_policy"]) == ("sales", "prefer-sha256")
        answer = submit(admin, path, {**form, "pickup_group": "no spaces here"})
        assert "pickup group" in flash_error(answer)
        assert _extension(admin, "203")["pickup_group"] == "sales"
        answer = submit(admin, path, {"section": "pickup-digest", "pickup_group": "",
                                      "digest_policy": ""})  # fmt: skip
        cleared = _extension(admin, "203")
        assert (cleared["pickup_group"], cleared["digest_policy"]) == (None, None)
        with login_client(base, *OTHER_ADMIN) as other:
            refused = submit(other, path, form)
            assert refused.status_code == 404
        assert _extension(admin, "203")["pickup_group"] is None
