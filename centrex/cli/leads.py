"""`centrex lead import|rollback|export|search|batches`: a campaign's leads.

`import FILE` reads CSV (UTF-8, else Windows-1252: a note on stderr says so) or XLSX, maps
columns with `--map field=Column` (number, name, postal_code; any other field is a custom
field, and so is every column nobody mapped), and prints exactly
`{"batch", "imported", "rejected": [{"line", "error"}], "dnc_filtered", "duplicates"}`. A file
that cannot be read is one error line and nothing is written. `rollback --batch ID` removes
exactly that import: its leads and their history. Rules: `centrex.contact_center.lead_import`.
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
from centrex.contact_center import leads as service
from centrex.contact_center.campaigns import get_campaign
from centrex.contact_center.lead_export import to_csv, to_xlsx
from centrex.contact_center.lead_files import parse_mapping
from centrex.contact_center.lead_import import import_leads
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
COLUMNS = ["id", "campaign", "number", "name", "postal_code", "status", "attempts",
           "disposition", "batch"]  # fmt: skip
MAX_FILE = 200 * 1024 * 1024


def _read(path: str) -> bytes:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE:
            fail(f"{path}: larger than {MAX_FILE // (1024 * 1024)} MB")
        return file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    return b""


@click.group("lead")
def lead() -> None:
    """Leads of outbound campaigns: import batches, rollback, export, search."""


@lead.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@tenant_option
@click.option("--campaign", "campaign_name", required=True, help="The campaign's name.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="field=Column",
    help="Which column holds a field (number, name, postal_code, or a custom one).",
)
@json_option
@pass_state
def lead_import(
    state: CliState,
    file: str,
    domain: str,
    campaign_name: str,
    mapping: tuple[str, ...],
    as_json: bool,
) -> None:
    """Import a CSV or XLSX file of leads into a campaign, as one batch."""
    data = _read(file)

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name)
        result = await import_leads(scope, campaign, data, now=state.clock.utcnow(),
                                    filename=Path(file).name,
                                    mapping=parse_mapping(mapping))  # fmt: skip
        if result.encoding not in (None, "utf-8-sig"):
            click.echo(f"note: {Path(file).name} was read as {result.encoding} (not UTF-8)",
                       err=True)  # fmt: skip
        return result.as_dict()

    emit(write_db(state, work), as_json)


@lead.command("rollback")
@tenant_option
@click.option("--batch", "batch_id", type=int, required=True, help="The batch's id.")
@json_option
@pass_state
def lead_rollback(state: CliState, domain: str, batch_id: int, as_json: bool) -> None:
    """Remove exactly one import: its leads and their call history."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return await service.rollback_batch(scope, await service.get_batch(scope, batch_id))

    emit(write_db(state, work), as_json)


@lead.command("batches")
@tenant_option
@click.option("--campaign", "campaign_name", help="Only this campaign's imports.")
@json_option
@pass_state
def lead_batches(state: CliState, domain: str, campaign_name: str | None, as_json: bool) -> None:
    """List the imports (batches) of a tenant."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        batches = await service.list_batches(scope, campaign)
        names = await service.campaign_names(scope)
        return listing([service.batch_dict(b, names.get(b.campaign_id)) for b in batches])

    emit(read_db(state, work), as_json)


@lead.command("export")
@tenant_option
@click.option("--campaign", "campaign_name", required=True, help="The campaign's name.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write CSV here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write XLSX here.")
@json_option
@pass_state
def lead_export(
    state: CliState,
    domain: str,
    campaign_name: str,
    csv_path: str | None,
    xlsx_path: str | None,
    as_json: bool,
) -> None:
    """Export a campaign's leads with status, attempts, dispositions and custom fields."""
    if (csv_path is None) == (xlsx_path is None):
        fail("give one of --csv FILE or --xlsx FILE")

    async def work(session: AsyncSession) -> tuple[str, list[str], list[list[Any]]]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name)
        headers, rows = await service.export_rows(scope, campaign)
        return campaign.name, headers, rows

    name, headers, rows = read_db(state, work)
    target = csv_path or xlsx_path
    assert target is not None
    data = to_csv(headers, rows) if csv_path else to_xlsx(headers, rows, name)
    try:
        Path(target).write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    emit({"file": target, "leads": len(rows), "format": "csv" if csv_path else "xlsx"}, as_json)


@lead.command("search")
@tenant_option
@click.option("--campaign", "campaign_name", help="Only this campaign's leads.")
@click.option("--postal-code", help="Postal code (or its beginning).")
@click.option("--status", help="new, retry, in-call, done, exhausted, dnc.")
@click.option("--disposition", help="The last disposition.")
@click.option("--query", help="Text in the name, number, postal code or custom fields.")
@click.option("--limit", type=click.IntRange(1, service.MAX_PAGE), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@json_option
@pass_state
def lead_search(
    state: CliState,
    domain: str,
    campaign_name: str | None,
    postal_code: str | None,
    status: str | None,
    disposition: str | None,
    query: str | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Search leads (all filters together); prints `{total, items}`."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        return await service.search_leads(
            scope, limit=limit, offset=offset, campaign=campaign, postal_code=postal_code,
            status=status, disposition=disposition, query=query,
        )  # fmt: skip

    emit(read_db(state, work), as_json, COLUMNS)
