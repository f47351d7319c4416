"""`centrex caller-id add|list|delete`: the number a tenant presents for calls to a prefix
(its caller ID per outbound route). Rules and error ids: `centrex.provisioning.caller_id_rules`;
bad input prints one line, exits non-zero, writes nothing."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import caller_id_rules as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
prefix_option = click.option(
    "--prefix", required=True, help="E.164 digits without +, e.g. 33 (France); '' for every call."
)


@click.group("caller-id")
def caller_id() -> None:
    """The caller ID a tenant shows per destination (outbound route)."""


@caller_id.command("add")
@tenant_option
@prefix_option
@click.option("--number", required=True, help="One of the tenant's numbers (E.164).")
@json_option
@pass_state
def caller_id_add(state: CliState, domain: str, prefix: str, number: str, as_json: bool) -> None:
    """Present NUMBER for calls to PREFIX."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return {**await service.add_rule(scope, prefix=prefix, number=number),
                "tenant": scope.domain}  # fmt: skip

    emit(write_db(state, work), as_json)


@caller_id.command("list")
@tenant_option
@json_option
@pass_state
def caller_id_list(state: CliState, domain: str, as_json: bool) -> None:
    """The tenant's caller ID rules."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing(await service.list_rules(await scope_for(session, domain)))

    emit(read_db(state, work), as_json, ["prefix", "number"])


@caller_id.command("delete")
@tenant_option
@prefix_option
@json_option
@pass_state
def caller_id_delete(state: CliState, domain: str, prefix: str, as_json: bool) -> None:
    """Remove the rule for PREFIX."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.delete_rule(scope, prefix)
        return {"deleted": prefix, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
