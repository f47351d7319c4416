"""`centrex dnc add|list|remove`: the tenant's do-not-call list, or one campaign's.

`add --number E164` adds one number (a bad one is an error); `add --file F` adds one number per
line and reports bad lines with their line number, adding the others. Without `--campaign` the
entry is tenant-wide: no campaign of the tenant calls it. Numbers are normalised like leads.
The dialer checks the lists again just before each call, so a number added now is never dialled
even if it was imported earlier. The provider's national lists (`dnc national-import`,
`cli/national_dnc.py`) block for every tenant: `remove` of a nationally listed number removes
the tenant's entry only, and says that the number stays blocked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import (
    CliState,
    emit,
    fail,
    json_option,
    listing,
    pass_state,
    read_db,
    write_db,
)
from centrex.cli.national_dnc import COMMANDS as NATIONAL_COMMANDS
from centrex.contact_center import dnc as service
from centrex.contact_center.campaigns import get_campaign
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
campaign_option = click.option(
    "--campaign", "campaign_name", help="A campaign's list (default: the tenant-wide list)."
)
COLUMNS = ["number", "campaign", "note", "created_at"]


@click.group("dnc")
def dnc() -> None:
    """Do-not-call lists: numbers never dialled (tenant-wide or per campaign)."""


@dnc.command("add")
@tenant_option
@click.option("--number", help="One number (E.164 or national).")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="One number per line.")
@campaign_option
@click.option("--note", default="", help="Why (e.g. 'asked on 2026-12-01').")
@json_option
@pass_state
def dnc_add(
    state: CliState,
    domain: str,
    number: str | None,
    file: str | None,
    campaign_name: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Add numbers to a do-not-call list; prints `{added, existing, rejected}`."""
    if (number is None) == (file is None):
        fail("give one of --number E164 or --file FILE")
    data = b""
    if file is not None:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror or exc}")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        if number is not None:
            return await service.add_number(scope, number, campaign, note)
        return await service.add_numbers(scope, service.numbers_of_file(data), campaign, note)

    emit(write_db(state, work), as_json)


@dnc.command("list")
@tenant_option
@campaign_option
@click.option("--all", "every", is_flag=True, help="The tenant list and every campaign's.")
@json_option
@pass_state
def dnc_list(
    state: CliState, domain: str, campaign_name: str | None, every: bool, as_json: bool
) -> None:
    """List a do-not-call list by number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        return listing(await service.list_entries(scope, campaign, every=every))

    emit(read_db(state, work), as_json, COLUMNS)


@dnc.command("remove")
@tenant_option
@click.option("--number", required=True, help="The number to call again.")
@campaign_option
@json_option
@pass_state
def dnc_remove(
    state: CliState, domain: str, number: str, campaign_name: str | None, as_json: bool
) -> None:
    """Remove a number from a do-not-call list (a number on a national list stays blocked:
    `national` names the list, `message` says so)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        await service.remove_number(scope, number, campaign)
        national = await service.national_listing(scope, number)
        removed: dict[str, Any] = {"removed": number, "campaign": campaign_name,
                                   "tenant": scope.domain, "national": national}  # fmt: skip
        if national is not None:
            removed["message"] = f"{number} stays blocked: national DNC list {national}"
        return removed

    emit(write_db(state, work), as_json)


for command in NATIONAL_COMMANDS:
    dnc.add_command(command)
