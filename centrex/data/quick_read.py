"""Read-only queries without SQLAlchemy, for the CLI's platform listings.

Why: scripts and checks call `centrex tenant list` hundreds of times, and the ORM path costs
about 0.8 s of CPU before the first row (SQLAlchemy and its asyncio layer ~0.3 s, building every
mapped class ~0.3 s, the event loop and the engine ~0.2 s). A listing of one platform table
needs none of it: this module sends one SELECT through the database's own driver (the standard
library's `sqlite3`, or `asyncpg` for PostgreSQL) and gives plain dicts.

What it is not: a second data layer. It only reads, only platform-level tables (tenants,
partners) that no tenant scope guards (tenant-owned data is read through `TenantScope`, never
here), builds its SQL from identifiers written in code (values are always bound parameters), and
every listing made with it is tested to print exactly what the ORM path prints, on both
databases (`tests/cli/test_quick_listing.py`).

The schema check is the same as `Database.require_migrated`: the version table's heads against
the code's (`migration_heads`), with the same message.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from centrex.data.migration_heads import code_heads

__all__ = ["SchemaOutdated", "as_utc", "safe_url", "select_rows", "supports"]


_VERSIONS = "SELECT version_num FROM alembic_version"


class SchemaOutdated(RuntimeError):
    """The schema is missing or older than this code (the message says what to do)."""


def safe_url(url: str) -> str:
    """The URL with its password shown as ``***`` (as SQLAlchemy renders it)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def as_utc(value: Any) -> datetime | None:
    """A timestamp column's value as an aware UTC datetime (SQLite gives text, PostgreSQL a
    naive datetime: `UtcDateTime` stores naive UTC on both)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC)


def _placeholder(url: str, index: int) -> str:
    return f"${index}" if url.startswith("postgresql") else "?"


def _statement(
    url: str, table: str, columns: Sequence[str], where: Mapping[str, object], order_by: str
) -> tuple[str, list[object]]:
    conditions = [f"{name} = {_placeholder(url, n)}" for n, name in enumerate(where, start=1)]
    sql = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - identifiers from code only
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return f"{sql} ORDER BY {order_by}", list(where.values())


def _check_heads(url: str, found: Sequence[str]) -> None:
    current = "+".join(sorted(found)) or None
    head = "+".join(code_heads())
    if current != head:
        raise SchemaOutdated(
            f"database {safe_url(url)} is at revision {current or 'none'}, "
            f"this Centrex needs {head}: run `centrex db upgrade`"
        )


def _sqlite_rows(url: str, sql: str, params: list[object]) -> list[dict[str, Any]]:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path or path == ":memory:":
        raise SchemaOutdated(f"database {url} is at revision none: run `centrex db upgrade`")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.OperationalError:  # no file yet: the same as an empty database
        _check_heads(url, [])
        raise
    try:
        try:
            found = [row[0] for row in connection.execute(_VERSIONS)]
        except sqlite3.OperationalError:  # no version table: never migrated
            found = []
        _check_heads(url, found)
        cursor = connection.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


async def _postgres_rows(url: str, sql: str, params: list[object]) -> list[dict[str, Any]]:
    import asyncpg

    parts = urlsplit(url)
    connection = await asyncpg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None,
    )
    try:
        exists = await connection.fetchval("SELECT to_regclass('alembic_version') IS NOT NULL")
        found = []
        if exists:
            found = [row[0] for row in await connection.fetch(_VERSIONS)]
        _check_heads(url, found)
        return [dict(row) for row in await connection.fetch(sql, *params)]
    finally:
        await connection.close()


def supports(url: str) -> bool:
    """Whether `url` names a database this module reads (else use the ORM path)."""
    return url.startswith(("sqlite+aiosqlite:///", "postgresql+asyncpg://"))


def select_rows(
    url: str,
    table: str,
    columns: Sequence[str],
    *,
    where: Mapping[str, object] | None = None,
    timestamps: Sequence[str] = (),
    order_by: str = "id",
) -> list[dict[str, Any]]:
    """`SELECT columns FROM table [WHERE c = value AND ...] ORDER BY order_by` as dicts, after
    checking that the schema is current (`SchemaOutdated` otherwise); the `timestamps` columns
    come back as aware UTC datetimes, as `UtcDateTime` gives them. `url` is the SQLAlchemy URL
    of the settings, one that `supports` accepts."""
    sql, params = _statement(url, table, columns, where or {}, order_by)
    if url.startswith("sqlite"):
        rows = _sqlite_rows(url, sql, params)
    else:
        import asyncio

        rows = asyncio.run(_postgres_rows(url, sql, params))
    for row in rows:
        for name in timestamps:
            row[name] = as_utc(row[name])
    return rows
