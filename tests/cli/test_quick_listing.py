"""`centrex tenant list` and `centrex partner list` read without the ORM (`quick_read`): the
same JSON as the ORM path prints, on SQLite and PostgreSQL, the same error for a database that
is not migrated, and none of SQLAlchemy, the models or the event loop's asyncio layer imported
on SQLite (what makes the command start fast)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from centrex.cli import cli
from centrex.data.db import Database, DatabaseNotMigrated
from centrex.data.models import RecordingMode, Tenant
from centrex.data.quick_read import safe_url, supports
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.platform_views import partner_view, tenant_view
from tests.cli.test_lazy_cli import PROBE


def _run(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def _orm_listings(url: str, partner_id: int) -> tuple[list[Any], list[Any], list[Any]]:
    database = Database(url)
    try:
        async with database.session() as session:
            tenants = [tenant_view(t) for t in await tenant_service.list_tenants(session)]
            own = await tenant_service.list_tenants(session, partner_id=partner_id)
            partners = [partner_view(p) for p in await tenant_service.list_partners(session)]
            return tenants, [tenant_view(t) for t in own], partners
    finally:
        await database.dispose()


async def _vary(url: str, domain: str) -> None:
    """Give one tenant values of every kind the view prints (credit, trial end, booleans,
    enums, park settings), as a real tenant may have them."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            tenant = await tenant_service.get_tenant(session, domain)
            assert isinstance(tenant, Tenant)
            tenant.credit = Decimal("12.3456")
            tenant.trial_ends_at = datetime(2027, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
            tenant.record_announce = True
            tenant.monitor_beep = True
            tenant.record_calls = RecordingMode.ALWAYS
            tenant.park_number, tenant.park_slots, tenant.park_timeout = "750", "751-755", 90
            tenant.main_number = "+41215550100"
            tenant.status_changed_at = tenant.status_changed_at - timedelta(days=3)
    finally:
        await database.dispose()


def test_the_quick_listings_print_what_the_orm_path_prints(
    cli_env: dict[str, str], database_url: str
) -> None:
    assert supports(database_url)
    env = cli_env
    partner = _run(env, "partner", "create", "--name", "Reseller", "--email", "r@example.com")
    _run(env, "partner", "create", "--name", "Other")
    for n, partner_args in (
        (1, ["--partner", str(partner["id"])]),
        (2, []),
        (3, ["--trial-days", "40"]),
    ):
        _run(env, "tenant", "create", "--name", f"T{n}", "--domain", f"t{n}.example.com",
             "--extension-digits", "3", "--max-calls", "4", *partner_args)  # fmt: skip
    asyncio.run(_vary(database_url, "t1.example.com"))
    tenants, own, partners = asyncio.run(_orm_listings(database_url, partner["id"]))
    assert len(tenants) == 3
    assert len(own) == 1
    assert len(partners) == 2
    assert _run(env, "tenant", "list") == {"total": 3, "items": tenants}
    assert _run(env, "tenant", "list", "--partner", str(partner["id"])) == {
        "total": 1,
        "items": own,
    }
    assert _run(env, "partner", "list") == {"total": 2, "items": partners}
    varied = own[0]
    assert varied["credit"] == "12.3456"
    assert varied["record_announce"] is True
    assert varied["trial_ends_at"] == "2027-01-02T03:04:05.678000+00:00"


def test_an_unmigrated_database_gets_the_orm_paths_message(
    cli_env: dict[str, str], empty_database_url: str
) -> None:
    env = {**cli_env, "CENTREX_DATABASE_URL": empty_database_url}
    result = CliRunner().invoke(cli, ["tenant", "list"], env=env, catch_exceptions=False)
    assert result.exit_code == 1

    async def orm_message() -> str:
        database = Database(empty_database_url)
        try:
            with pytest.raises(DatabaseNotMigrated) as orm:
                await database.require_migrated()
        finally:
            await database.dispose()
        return str(orm.value)

    assert result.stderr == f"error: {asyncio.run(orm_message())}\n"


def test_safe_url_hides_the_password_as_sqlalchemy_does() -> None:
    from sqlalchemy import make_url

    for url in ("postgresql+asyncpg://centrex:s3cr%40t@db.example.com:5433/centrex",
                "postgresql+asyncpg://postgres@127.0.0.1/test", "sqlite+aiosqlite:////tmp/x.db"):  # fmt: skip
        assert safe_url(url) == make_url(url).render_as_string(hide_password=True)


def test_tenant_list_on_sqlite_imports_neither_sqlalchemy_nor_the_models(
    tmp_path: Path, sqlite_template: Path
) -> None:
    copy = tmp_path / "centrex.db"
    shutil.copyfile(sqlite_template, copy)
    env = {**os.environ, "CENTREX_DATA_DIR": str(tmp_path / "data"),
           "CENTREX_DATABASE_URL": f"sqlite+aiosqlite:///{copy}"}  # fmt: skip
    env.pop("CENTREX_CONFIG", None)
    _run(env, "tenant", "create", "--name", "T", "--domain", "t.example.com",
         "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(["tenant", "list", "--json"])],
        capture_output=True, text=True, timeout=120, check=True, env=env,
    )  # fmt: skip
    assert json.loads(done.stdout)["total"] == 1
    modules = json.loads(done.stderr.strip().splitlines()[-1])
    assert [m for m in modules if m.split(".")[0] in ("sqlalchemy", "alembic", "aiosqlite")] == []
    assert [m for m in modules if m.startswith(("centrex.data.models", "centrex.data.db"))] == []
