"""`centrex callback add|list|remove`: scheduled callbacks of outbound campaigns (issue 15).

`--at` is the wall-clock time in the *lead's* time zone ("2026-12-08 10:00"); a time that is
already past there is refused with one line naming the lead's zone and its time now. With
`--extension` the callback is personal (that agent calls back), without it any agent of the
campaign does. The lead is named by its number (`--number`, national numbers in the tenant's
country) or id (`--lead-id`). It is recorded as promised by "CLI" (the agent's notice says
so). Rules and error ids: `centrex.contact_center.callbacks`.
"""

from __future__ import annotations

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
from centrex.contact_center import callbacks as service
from centrex.contact_center.campaigns import get_campaign
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
COLUMNS = ["id", "campaign", "number", "name", "local_time", "zone", "extension", "status",
           "attempts"]  # fmt: skip


@click.group("callback")
def callback() -> None:
    """Scheduled callbacks: a lead called back at a time of its own zone."""


@callback.command("add")
@tenant_option
@click.option("--campaign", "campaign_name", required=True, help="The campaign's name.")
@click.option("--number", help="The lead's number.")
@click.option("--lead-id", type=int, help="The lead's id (instead of --number).")
@click.option("--at", "at", required=True, help="YYYY-MM-DD HH:MM in the lead's local time.")
@click.option("--extension", help="A personal callback for this agent (else campaign-wide).")
@click.option("--note", default="", help="What was promised.")
@json_option
@pass_state
def callback_add(
    state: CliState,
    domain: str,
    campaign_name: str,
    number: str | None,
    lead_id: int | None,
    at: str,
    extension: str | None,
    note: str,
    as_json: bool,
) -> None:
    """Promise a callback to a lead of a campaign."""
    if (number is None) == (lead_id is None):
        fail("give the lead by --number or by --lead-id")
    lead: str | int = number if number is not None else int(lead_id or 0)

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name)
        made = await service.schedule_callback(scope, campaign, lead=lead, at=at,
                                               now=state.clock.utcnow(), extension=extension,
                                               note=note, promised_by="CLI")  # fmt: skip
        return {**made, "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@callback.command("list")
@tenant_option
@click.option("--campaign", "campaign_name", help="Only this campaign's.")
@click.option("--status", help="scheduled, placed, done, missed or cancelled.")
@json_option
@pass_state
def callback_list(
    state: CliState, domain: str, campaign_name: str | None, status: str | None, as_json: bool
) -> None:
    """List callbacks by due time."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        campaign = await get_campaign(scope, campaign_name) if campaign_name else None
        return listing(await service.list_callbacks(scope, campaign=campaign, status=status))

    emit(read_db(state, work), as_json, COLUMNS)


@callback.command("remove")
@tenant_option
@click.option("--id", "callback_id", type=int, required=True, help="The callback's id.")
@json_option
@pass_state
def callback_remove(state: CliState, domain: str, callback_id: int, as_json: bool) -> None:
    """Cancel a callback (it is deleted)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.remove_callback(scope, await service.get_callback(scope, callback_id))
        return {"removed": callback_id, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
