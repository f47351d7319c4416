"""Shared fixtures: databases on SQLite *and* PostgreSQL, and a manual clock.

PostgreSQL (127.0.0.1:5432, user postgres, trust auth) is required: when it cannot be reached the
run stops with a clear message instead of skipping the tests. Each run migrates one template
database, every test gets a fresh copy of it (`CREATE DATABASE ... TEMPLATE`), and all of them are
dropped at the end of the run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from centrex.clock import ManualClock
from centrex.data.db import Database
from tests.helpers import free_port

PG_HOST = os.environ.get("CENTREX_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CENTREX_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("CENTREX_TEST_PG_USER", "postgres")
BACKENDS = ["sqlite", "postgresql"]

# The servers a test starts (`serve`, `demo`) listen on TLS 5061, WebSocket 5066 and secure
# WebSocket (HTTP port + 1) unless told otherwise. Each pytest process takes its own ports, so two
# suites on one machine (a developer's and CI's, or parallel workers) never fight over them; a
# test may still set its own.
for _setting in ("CENTREX_SIP_TLS_PORT", "CENTREX_SIP_WS_PORT", "CENTREX_SIP_WSS_PORT"):
    os.environ.setdefault(_setting, str(free_port()))
# Argon2 at production cost is ~0.15 s per password; the suite creates thousands of users.
os.environ.setdefault("CENTREX_PASSWORD_HASH_PROFILE", "cheapest")


def pg_url(database: str) -> str:
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=10
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class PostgresDatabases:
    """Creates the run's template database lazily and hands out fresh copies."""

    def __init__(self) -> None:
        self.run_id = secrets.token_hex(4)
        self.template = f"centrex_tpl_{self.run_id}"
        self.created: list[str] = []
        self._ready = False

    def _ensure_template(self) -> None:
        if self._ready:
            return
        try:
            asyncio.run(_pg_admin(f'CREATE DATABASE "{self.template}"'))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            pytest.exit(
                f"PostgreSQL is required at {PG_HOST}:{PG_PORT} (user {PG_USER}, trust auth) "
                f"and could not be used: {exc!r}",
                returncode=3,
            )
        self.created.append(self.template)

        async def migrate() -> None:
            database = Database(pg_url(self.template))
            try:
                await database.upgrade()
            finally:
                await database.dispose()

        asyncio.run(migrate())
        self._ready = True

    def fresh(self, *, migrated: bool = True, template: str | None = None) -> str:
        """The URL of a new database: a copy of the migrated template (or of `template`, a
        database of this run with no connection left), or an empty one."""
        self._ensure_template()
        name = f"centrex_t_{self.run_id}_{len(self.created)}"
        source = template or self.template
        clause = f' TEMPLATE "{source}"' if migrated else ""
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return pg_url(name)

    def drop_all(self) -> None:
        """Drop every database of the run, sixteen at a time: each DROP DATABASE waits for a
        checkpoint, and concurrent requests share one (one at a time took minutes per run)."""
        copies, template = [n for n in self.created if n != self.template], self.template
        asyncio.run(_drop_databases(copies))
        if self._ready or template in self.created:
            asyncio.run(_drop_databases([template]))
        self.created.clear()


async def _drop_databases(names: list[str], parallel: int = 16) -> None:
    gate = asyncio.Semaphore(parallel)

    async def drop(name: str) -> None:
        async with gate:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    await asyncio.gather(*(drop(name) for name in names))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    manager = PostgresDatabases()
    yield manager
    manager.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; tests copy it (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def migrate() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_databases: PostgresDatabases,
) -> str:
    """A fresh, migrated, empty database of the current backend."""
    if backend == "sqlite":
        target = tmp_path / "centrex.db"
        target.write_bytes(sqlite_template.read_bytes())
        return f"sqlite+aiosqlite:///{target}"
    return postgres_databases.fresh()


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, postgres_databases: PostgresDatabases) -> str:
    """A fresh database with no schema at all."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return postgres_databases.fresh(migrated=False)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for running the CLI against the test database."""
    env = dict(os.environ)
    env["CENTREX_DATA_DIR"] = str(tmp_path / "data")
    env["CENTREX_DATABASE_URL"] = database_url
    env.pop("CENTREX_CONFIG", None)
    return env


# Tests that drive real peers (sipp, baresip) or start whole servers on fixed RTP ranges stay on
# one xdist worker, one after another, as they were written to run; the browser pages (Chromium)
# likewise on one worker; everything else is spread over the workers (`make test` runs
# `pytest -n N --dist loadgroup`). The groups are chosen by directory in a scheduler of our own:
# xdist's `xdist_group` marks rename node ids, which pytest 9.2 no longer lets a plugin do.
SERIAL_GROUPS = {"e2e": "peers", "web": "browser"}


def _serial_group(nodeid: str) -> str | None:
    parts = nodeid.split("/", 2)
    return SERIAL_GROUPS.get(parts[1]) if len(parts) > 2 and parts[0] == "tests" else None


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadgroup`: one unit of work per serial group, one per test otherwise."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SerialGroups(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            return _serial_group(nodeid) or nodeid

    return SerialGroups(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the serial groups first: the longest units of work start at once."""
    order = list(SERIAL_GROUPS.values())
    rank = {item.nodeid: order.index(g) if (g := _serial_group(item.nodeid)) else len(order)
            for item in items}  # fmt: skip
    items.sort(key=lambda item: rank[item.nodeid])  # stable: each group keeps its order
