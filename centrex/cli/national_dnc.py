"""`centrex dnc national-import|national-list|national-delete`: the provider's national lists.

Bloctel (FR), the TPS (UK), ...: a national do-not-call list binds every tenant's campaigns
calling numbers of its country, so the platform operator imports it, not a tenant (no
`--tenant`). `national-import --country FR --name Bloctel --file F` adds the file's numbers to
the list (national format of the country accepted; other countries' numbers and invalid lines
are reported with their line number and skipped); `--replace` swaps the whole list in one
transaction. Bad input — an unknown country code, a file that cannot be read or holds no valid
number — exits with status 2 and one line, before the database is touched. The commands are
attached to the `dnc` group by `cli/dnc.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.contact_center import national_dnc as service
from centrex.errors import ValidationFailed

country_option = click.option(
    "--country", required=True, help="ISO 3166 code of the list's country (FR, GB, ...)."
)
name_option = click.option("--name", required=True, help="The list's name (e.g. Bloctel).")
COLUMNS = ["country", "name", "count", "imported_at"]


def refuse(message: str) -> NoReturn:
    """Bad input: one line on stderr and exit status 2 (a usage error, nothing written)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("national-import")
@country_option
@name_option
@click.option("--file", "file", required=True, type=click.Path(dir_okay=False),
              help="One number per line, or a CSV whose first column is the number.")  # fmt: skip
@click.option("--replace", is_flag=True, help="Replace the whole list (default: add to it).")
@json_option
@pass_state
def national_import(
    state: CliState, country: str, name: str, file: str, replace: bool, as_json: bool
) -> None:
    """Import a national do-not-call list; prints `{list, country, imported, duplicates,
    rejected, total}`."""
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        refuse(f"cannot read {file}: {exc.strerror or exc}")
    try:
        label = service.name_of(name)
        parsed = service.read_national_file(data, country)
    except ValidationFailed as exc:
        refuse(exc.message)

    async def work(session: AsyncSession) -> dict[str, Any]:
        return await service.store_national(session, name=label, file=parsed, replace=replace,
                                            now=state.clock.utcnow())  # fmt: skip

    emit(write_db(state, work), as_json)


@click.command("national-list")
@json_option
@pass_state
def national_list(state: CliState, as_json: bool) -> None:
    """The national lists: country, name, numbers, last import."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing(await service.list_national(session))

    emit(read_db(state, work), as_json, COLUMNS)


@click.command("national-delete")
@country_option
@name_option
@json_option
@pass_state
def national_delete(state: CliState, country: str, name: str, as_json: bool) -> None:
    """Delete a national list and all its numbers."""
    try:
        code, label = service.country_of(country), service.name_of(name)
    except ValidationFailed as exc:
        refuse(exc.message)

    async def work(session: AsyncSession) -> dict[str, Any]:
        return await service.delete_national(session, code, label)

    emit(write_db(state, work), as_json)


COMMANDS = (national_import, national_list, national_delete)
