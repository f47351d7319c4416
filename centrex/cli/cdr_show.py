"""`centrex cdr show`: one CDR with its legs (each ringing attempt and each transfer hop)."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, pass_state, read_db
from centrex.cli.telephony import cdr, tenant_option
from centrex.provisioning import cdr_reports
from centrex.provisioning.cdrs import cdr_row
from centrex.provisioning.tenants import scope_for


@cdr.command("show")
@tenant_option
@click.argument("cdr_id", type=int)
@json_option
@pass_state
def cdr_show(state: CliState, domain: str, cdr_id: int, as_json: bool) -> None:
    """Show CDR CDR_ID of the tenant and its legs in call order."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        row = cdr_row(await cdr_reports.get_cdr(scope, cdr_id))
        legs = await cdr_reports.cdr_legs(scope, cdr_id)
        return {**row, "legs": [cdr_reports.leg_row(leg) for leg in legs]}

    result = read_db(state, work)
    if as_json:
        emit(result, True)
        return
    click.echo(
        f"CDR {result['id']}: {result['caller']} -> {result['callee']} "
        f"{result['direction']} {result['disposition'] or '-'} {result['billsec']} s"
    )
    emit(
        {"total": len(result["legs"]), "items": result["legs"]},
        False,
        ["leg_index", "peer", "started_at", "answered_at", "disposition", "transferred_by"],
    )
