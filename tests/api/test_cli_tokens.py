"""`centrex token` and `centrex admin`: the token printed by the CLI opens the API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from centrex.api.app import create_app
from centrex.cli import cli
from centrex.data.db import Database
from tests.helpers import api_wiring


def _ok(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _fails(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_token_commands_and_the_api(
    cli_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    partner = _ok(cli_env, "partner", "create", "--name", "Resell")
    _ok(
        cli_env,
        "tenant",
        "create",
        "--name",
        "Acme",
        "--domain",
        "acme.example.com",
        "--extension-digits",
        "3",
        "--max-calls",
        "5",
        "--partner",
        str(partner["id"]),
    )
    root = _ok(cli_env, "token", "create", "--role", "platform-admin")
    admin = _ok(
        cli_env, "token", "create", "--role", "tenant-admin", "--tenant", "acme.example.com"
    )
    reseller = _ok(cli_env, "token", "create", "--role", "partner", "--partner", str(partner["id"]))
    assert set(root) >= {"token", "id"}
    assert root["token"].startswith("cx_")
    assert "nope.example.com" in _fails(
        cli_env, "token", "create", "--role", "tenant-admin", "--tenant", "nope.example.com"
    )
    assert _fails(cli_env, "token", "create", "--role", "tenant-admin").startswith("error:")
    assert _fails(
        cli_env,
        "token",
        "create",
        "--role",
        "user",
        "--tenant",
        "acme.example.com",
        "--user",
        "x@y.z",
    ).startswith("error:")
    listed = _ok(cli_env, "token", "list")
    assert listed["total"] == 3
    assert all(root["token"] not in json.dumps(item) for item in listed["items"])

    async def use_api() -> None:
        database = Database(database_url)
        try:
            app = create_app(database, **api_wiring(tmp_path))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                for secret, tenant in [
                    (root["token"], "acme.example.com"),
                    (admin["token"], None),
                    (reseller["token"], "acme.example.com"),
                ]:
                    headers = {"Authorization": f"Bearer {secret}"}
                    if tenant:
                        headers["Centrex-Tenant"] = tenant
                    body = {"name": "U", "email": f"u{secret[-6:]}@acme.example.com"}
                    created = await client.post("/api/v1/users", json=body, headers=headers)
                    assert created.status_code == 201, created.text
                await asyncio.to_thread(_ok, cli_env, "token", "revoke", str(admin["id"]))
                gone = await client.get(
                    "/api/v1/users", headers={"Authorization": f"Bearer {admin['token']}"}
                )
                assert gone.status_code == 401
                assert gone.json()["error_id"] == "token-revoked"
        finally:
            await database.dispose()

    asyncio.run(use_api())


def test_admin_create_makes_portal_logins(cli_env: dict[str, str]) -> None:
    staff = _ok(
        cli_env, "admin", "create", "--email", "Root@Provider.test", "--password", "long-enough-1"
    )
    assert staff["role"] == "platform-admin"
    assert staff["email"] == "root@provider.test"
    partner = _ok(cli_env, "partner", "create", "--name", "P")
    seller = _ok(
        cli_env,
        "admin",
        "create",
        "--email",
        "p@p.test",
        "--password",
        "long-enough-2",
        "--partner",
        str(partner["id"]),
    )
    assert seller["role"] == "partner"
    assert seller["partner_id"] == partner["id"]
    assert "password" in _fails(
        cli_env, "admin", "create", "--email", "x@p.test", "--password", "short"
    )
    assert "already" in _fails(
        cli_env, "admin", "create", "--email", "root@provider.test", "--password", "long-enough-3"
    )
    assert _ok(cli_env, "admin", "list")["total"] == 2
