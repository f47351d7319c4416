"""`centrex campaign explain|simulate`: why the hopper is empty, and what each method would do.

`explain` answers the dialer's most common support question from the rules the hopper really
applies (`centrex.contact_center.explain`); `simulate` replays a past day of the campaign
through progressive, ratio 1, ratio 2 and predictive (`centrex.contact_center.
simulate_campaign`), on observed attempts or, with too little history, on stated defaults
(`"basis"` says which). Both only read. Registered on the `campaign` group by
`centrex.cli.__init__`; another tenant's campaign is simply not found.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.campaigns import campaign, name_option, tenant_option
from centrex.cli.common import CliState, emit, fail, json_option, pass_state, read_db
from centrex.contact_center import campaigns as service
from centrex.contact_center.explain import explain_campaign, explain_number
from centrex.contact_center.simulate_campaign import simulate_campaign
from centrex.provisioning.tenants import scope_for


@campaign.command("explain")
@tenant_option
@name_option
@click.option("--number", help="One number (E.164 or national): would it be called now?")
@json_option
@pass_state
def campaign_explain(
    state: CliState, domain: str, name: str, number: str | None, as_json: bool
) -> None:
    """Why (not) now: caller ID, local time, window, DNC, attempts; or per-filter counts."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.get_campaign(scope, name)
        now = state.clock.utcnow()
        if number is not None:
            answer = await explain_number(scope, found, number, now)
        else:
            answer = await explain_campaign(scope, found, now)
        return {**answer, "tenant": scope.domain}

    emit(read_db(state, work), as_json)


@campaign.command("simulate")
@tenant_option
@name_option
@click.option("--day", help="The past day to replay, YYYY-MM-DD [default: the last day dialled].")
@json_option
@pass_state
def campaign_simulate(
    state: CliState, domain: str, name: str, day: str | None, as_json: bool
) -> None:
    """Replay a past day through each dial method: drop % and agent occupancy."""
    chosen: date | None = None
    if day is not None:
        try:
            chosen = date.fromisoformat(day.strip())
        except ValueError:
            fail(f"--day is YYYY-MM-DD, not {day!r}")

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        found = await service.get_campaign(scope, name)
        answer = await simulate_campaign(scope, found, chosen, state.clock.utcnow())
        return {**answer, "tenant": scope.domain}

    emit(read_db(state, work), as_json)
