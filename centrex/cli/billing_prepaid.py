"""`centrex billing` commands for prepaid credit: turn prepaid on/off, top up, show the balance.

Attached to the `billing` group by the lazy command table (`centrex.cli.COMMANDS`, the
group's `extras`). Same contract as every command: `--json`, amounts as decimal strings, bad
input exits non-zero and writes nothing.

* ``billing prepaid --tenant D (--on|--off)`` -> ``{"tenant": D, "prepaid": true}``
* ``billing top-up --tenant D --amount AMOUNT [--reference TEXT]`` -> ``{"balance": "…"}``
* ``billing balance --tenant D`` -> ``{"balance": "…", "reserved": "…", "currency": "…"}``
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import prepaid
from centrex.cli.common import CliState, emit, json_option, pass_state, read_db, write_db
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")


@click.command("prepaid")
@tenant_option
@click.option("--on/--off", "on", required=True, default=None,
              help="Authorise the tenant's outbound calls against its credit, or not.")  # fmt: skip
@json_option
@pass_state
def prepaid_switch(state: CliState, domain: str, on: bool, as_json: bool) -> None:
    """Turn prepaid on or off for a tenant (a trial tenant is always prepaid)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return {"tenant": scope.domain, "prepaid": await prepaid.set_prepaid(scope, on)}

    emit(write_db(state, work), as_json)


@click.command("top-up")
@tenant_option
@click.option("--amount", required=True, help="Decimal amount in the tenant's currency.")
@click.option("--reference", help="Payment reference kept on the ledger entry.")
@json_option
@pass_state
def top_up(state: CliState, domain: str, amount: str, reference: str | None, as_json: bool) -> None:
    """Add credit to a tenant's prepaid balance (a ledger entry)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        new = await prepaid.top_up(scope, amount, reference=reference, now=state.clock.utcnow())
        return {"balance": str(new.quantize(prepaid.QUANTUM))}

    emit(write_db(state, work), as_json)


@click.command("balance")
@tenant_option
@json_option
@pass_state
def show_balance(state: CliState, domain: str, as_json: bool) -> None:
    """A tenant's prepaid balance, the credit its calls in progress hold, its currency."""

    async def work(session: AsyncSession) -> dict[str, str]:
        return (await prepaid.balance(await scope_for(session, domain))).as_json()

    emit(read_db(state, work), as_json)


COMMANDS = (prepaid_switch, top_up, show_balance)
