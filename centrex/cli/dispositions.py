"""`centrex disposition add|list|remove|set`: call dispositions of the outbound contact center.

The system dispositions (sale, not-interested, wrong-number, do-not-call, callback,
answering-machine) are always there and cannot be removed; `add` gives the tenant codes of its
own (final unless `--not-final`). `set` dispositions a lead as an agent would after the call:
a final code settles the lead, `do-not-call` also puts its number on the tenant's DNC list,
`answering-machine` makes it due again after the campaign's machine retry delay (the rules:
`centrex.contact_center.dispositions`). The counts per disposition show in `campaign stats`.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.contact_center import dispositions as service
from centrex.contact_center import leads
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
COLUMNS = ["code", "label", "final", "system"]


@click.group("disposition")
def disposition() -> None:
    """Call dispositions: the system ones and the tenant's own; disposition a lead."""


@disposition.command("add")
@tenant_option
@click.option("--code", required=True, help="Lowercase letters, digits and '-' (max 32).")
@click.option("--label", required=True, help="What agents see (max 64 characters).")
@click.option("--not-final", is_flag=True, help="The lead is called again (default: settled).")
@json_option
@pass_state
def disposition_add(
    state: CliState, domain: str, code: str, label: str, not_final: bool, as_json: bool
) -> None:
    """Add a disposition code of the tenant's own."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return await service.add_disposition(scope, code=code, label=label, final=not not_final)

    emit(write_db(state, work), as_json)


@disposition.command("list")
@tenant_option
@json_option
@pass_state
def disposition_list(state: CliState, domain: str, as_json: bool) -> None:
    """List the system dispositions, then the tenant's own by code."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing(await service.list_dispositions(await scope_for(session, domain)))

    emit(read_db(state, work), as_json, COLUMNS)


@disposition.command("remove")
@tenant_option
@click.option("--code", required=True, help="A code of the tenant's own.")
@json_option
@pass_state
def disposition_remove(state: CliState, domain: str, code: str, as_json: bool) -> None:
    """Remove a tenant disposition (leads that carry it keep it)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.remove_disposition(scope, code)
        return {"removed": code, "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@disposition.command("set")
@tenant_option
@click.option("--lead", "lead_id", required=True, type=click.IntRange(1, 2**31 - 1),
              help="The lead's id (`centrex lead search`).")  # fmt: skip
@click.option("--disposition", "code", required=True, help="A system or tenant code.")
@click.option("--note", help="A note kept with the lead (max 200 characters).")
@json_option
@pass_state
def disposition_set(
    state: CliState, domain: str, lead_id: int, code: str, note: str | None, as_json: bool
) -> None:
    """Disposition a lead; prints the lead afterwards."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        lead = await service.set_disposition(scope, lead_id, code, note=note,
                                             now=state.clock.utcnow())  # fmt: skip
        names = await leads.campaign_names(scope)
        return leads.lead_dict(lead, names.get(lead.campaign_id))

    emit(write_db(state, work), as_json)
