"""`centrex user create|list` (SQLite and PostgreSQL): a user who can log in to the portal with
a role and, optionally, its own extension of the same tenant; bad input is one line and writes
nothing; another tenant's extension is not found."""

from __future__ import annotations

import asyncio

import pytest

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import logins
from centrex.provisioning import phone_credentials as phone_service
from centrex.provisioning.tenants import scope_for
from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"
PASSWORD = "s3cret-portal"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def _create(*extra: str, email: str = "ann@a.example.com", password: str = PASSWORD) -> list[str]:
    return ["user", "create", "--tenant", A, "--name", "Ann Agent", "--email", email,
            "--password", password, *extra]  # fmt: skip


async def _login_and_phone(url: str, email: str, password: str) -> tuple[str | None, str]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            login = await logins.authenticate(session, email, password)
            assert login is not None
            assert login.user is not None
            scope = await scope_for(session, A)
            issued = await phone_service.issue_phone_credential(
                scope, user_id=login.user.id, now=SystemClock().utcnow()
            )
            return login.user.role.value, issued.sip_uri
    finally:
        await database.dispose()


def test_create_and_list(centrex: Centrex, cli_env: dict[str, str]) -> None:
    made = centrex.ok(*_create("--role", "agent", "--extension", "101"))
    assert {k: made[k] for k in ("name", "email", "role", "extensions", "tenant")} == {
        "name": "Ann Agent", "email": "ann@a.example.com", "role": "agent",
        "extensions": ["101"], "tenant": A,
    }  # fmt: skip
    assert made["can_log_in"] is True
    assert isinstance(made["id"], int)
    plain = centrex.ok(*_create(email="bo@a.example.com"))
    assert (plain["role"], plain["extensions"]) == ("user", [])
    admin = centrex.ok(*_create("--role", "tenant-admin", email="it@a.example.com"))
    assert admin["role"] == "tenant-admin"
    listed = centrex.ok("user", "list", "--tenant", A)
    assert listed["total"] == 3
    assert [(u["email"], u["extensions"]) for u in listed["items"]] == [
        ("ann@a.example.com", ["101"]), ("bo@a.example.com", []), ("it@a.example.com", []),
    ]  # fmt: skip
    assert centrex.ok("user", "list", "--tenant", B) == {"total": 0, "items": []}
    table = centrex.run("user", "list", "--tenant", A)
    assert table.exit_code == 0
    assert "ann@a.example.com" in table.stdout
    assert "EXTENSIONS" in table.stdout
    # the password logs in to the portal, and the user's softphone gets its extension
    role, sip_uri = asyncio.run(
        _login_and_phone(cli_env["CENTREX_DATABASE_URL"], "ann@a.example.com", PASSWORD)
    )
    assert role == "agent"
    assert sip_uri == "sip:101@a.example.com"
    assert PASSWORD not in centrex.run("user", "list", "--tenant", A, "--json").stdout


def test_bad_input_is_one_line_and_writes_nothing(centrex: Centrex) -> None:
    centrex.ok(*_create("--extension", "101"))
    before = centrex.ok("user", "list", "--tenant", A)
    nope = ["user", "create", "--tenant", "nope.example.com", "--name", "X", "--email",
            "x@nope.example.com", "--password", PASSWORD]  # fmt: skip
    assert "nope.example.com" in centrex.fails(*nope)
    assert "already a user" in centrex.fails(*_create())
    assert "already a user" in centrex.fails(*_create(email="ANN@a.example.com"))
    assert "extension 201 does not exist in a.example.com" in centrex.fails(
        *_create("--extension", "201", email="c@a.example.com")
    )  # B's extension is not A's
    assert "extension 999 does not exist" in centrex.fails(
        *_create("--extension", "999", email="c@a.example.com")
    )
    assert "already belongs to ann@a.example.com" in centrex.fails(
        *_create("--extension", "101", email="c@a.example.com")
    )
    assert "at least 8 characters" in centrex.fails(*_create(email="c@a.example.com",
                                                             password="short"))  # fmt: skip
    assert "password is empty" in centrex.fails(*_create(email="c@a.example.com", password=""))
    assert "password is empty" in centrex.fails(*_create(email="c@a.example.com", password="  "))
    assert "is not an e-mail address" in centrex.fails(*_create(email="not-an-address"))
    bad_role = centrex.run(*_create("--role", "root", email="c@a.example.com"))
    assert bad_role.exit_code != 0
    assert "Invalid value for '--role'" in bad_role.stderr
    assert centrex.ok("user", "list", "--tenant", A) == before
    assert centrex.ok("user", "list", "--tenant", B) == {"total": 0, "items": []}
