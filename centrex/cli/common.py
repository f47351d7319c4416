"""What every CLI command shares: settings, the database, output and error handling.

Contract: every command accepts `--json`; a list prints `{"total": N, "items": [...]}`; a created
object prints as one JSON object with its `id`. Bad input exits non-zero with one line naming the
problem, and writes nothing (the command's transaction is rolled back).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from centrex.clock import SystemClock
from centrex.errors import CentrexError

if TYPE_CHECKING:  # imported where used: `centrex --help` must not pay for them
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.data.db import Database
    from centrex.settings import Settings

R = TypeVar("R")

log = logging.getLogger("centrex.cli")


class CliState:
    """Lazily built settings and database for one CLI invocation."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self.clock = SystemClock()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from centrex.settings import load_settings

            self._settings = load_settings()
        return self._settings

    def database(self) -> Database:
        from centrex.data.db import Database

        return Database(self.settings.effective_database_url)


pass_state = click.make_pass_decorator(CliState, ensure=True)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False)


def emit(data: Any, as_json: bool, columns: Sequence[str] | None = None) -> None:
    """Print an object or a `{total, items}` list as JSON or as a readable table."""
    if as_json:
        click.echo(dumps(data))
        return
    if isinstance(data, dict) and "items" in data and "total" in data:
        items = data["items"]
        cols = list(columns or (items[0].keys() if items else []))
        if items:
            widths = [max(len(c), *(len(_cell(item.get(c))) for item in items)) for c in cols]
            click.echo("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)))
            for item in items:
                click.echo(
                    "  ".join(
                        _cell(item.get(c)).ljust(w) for c, w in zip(cols, widths, strict=True)
                    )
                )
        click.echo(f"({data['total']} total)")
        return
    if isinstance(data, dict):
        for key, value in data.items():
            click.echo(f"{key}: {_cell(value)}")
        return
    click.echo(str(data))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def fail(message: str) -> None:
    """One line on stderr and a non-zero exit."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def run_async(coro: Coroutine[Any, Any, R]) -> R:
    """Run a coroutine, turning expected errors into one-line messages."""
    from centrex.data.db import DatabaseNotMigrated

    try:
        return asyncio.run(coro)
    except CentrexError as exc:
        log.debug("command failed: %s", exc.error_id)
        fail(exc.message)
    except DatabaseNotMigrated as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


async def _with_session(
    state: CliState, work: Callable[[AsyncSession], Awaitable[R]], write: bool
) -> R:
    database = state.database()
    try:
        await database.require_migrated()
        if write:
            async with database.transaction() as session:
                return await work(session)
        async with database.session() as session:
            return await work(session)
    finally:
        await database.dispose()


def read_db(state: CliState, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
    """Run `work` on a session of a migrated database (read only)."""
    return run_async(_with_session(state, work, write=False))


def write_db(state: CliState, work: Callable[[AsyncSession], Awaitable[R]]) -> R:
    """Run `work` in one transaction: all of it is written, or (on any error) nothing."""
    return run_async(_with_session(state, work, write=True))


def quick_listing(
    state: CliState,
    table: str,
    columns: Sequence[str],
    view: Callable[[Any], dict[str, Any]],
    where: Mapping[str, object] | None = None,
    timestamps: Sequence[str] = (),
) -> dict[str, Any] | None:
    """A platform table listed without the ORM (`centrex.data.quick_read`), or None when the
    database is not one the quick path reads (the caller then takes the ORM path). `view` is
    the same view function the ORM path uses; it reads the row as attributes."""
    from types import SimpleNamespace

    from centrex.data.quick_read import SchemaOutdated, select_rows, supports

    url = state.settings.effective_database_url
    if not supports(url):
        return None
    try:
        rows = select_rows(url, table, columns, where=where, timestamps=timestamps)
    except SchemaOutdated as exc:
        fail(str(exc))
    return listing([view(SimpleNamespace(**row)) for row in rows])


def listing(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": len(items), "items": items}


class LazyChoice(click.Choice[str]):
    """A `click.Choice` whose values are computed on first use.

    Many choices are the values of a model's enum; importing the models (SQLAlchemy, every table)
    when the module is imported would make `centrex --help` and every other command's help pay
    for it. The values, the metavar and the error messages are those of a plain `Choice`.
    """

    def __init__(self, values: Callable[[], Sequence[str]], case_sensitive: bool = True) -> None:
        self._values = values
        self._choices: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(self._values())
        return self._choices

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        self._choices = tuple(value)
