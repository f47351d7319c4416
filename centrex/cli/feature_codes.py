"""`centrex feature-code list|set` and `centrex short-number add|list|delete`.

Feature codes are the star codes a tenant's phones dial (`*78` DND on...): every tenant starts
with the platform's defaults and may change any of them; `--code default` goes back. Short
numbers are tenant-wide speed dials to outside numbers. The rules and error ids are in
`centrex.provisioning.feature_codes`; bad input prints one line, exits non-zero, writes nothing.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.feature_codes import BY_NAME
from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import feature_codes as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
CODE_COLUMNS = ["feature", "code", "default", "kind", "description"]
SHORT_COLUMNS = ["number", "target", "name"]


@click.group("feature-code")
def feature_code() -> None:
    """The star codes a tenant's phones dial (DND, forward, pickup, intercom, CLIR...)."""


@feature_code.command("list")
@tenant_option
@json_option
@pass_state
def feature_code_list(state: CliState, domain: str, as_json: bool) -> None:
    """Every feature code of the tenant with its default."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return listing(await service.list_codes(scope))

    emit(read_db(state, work), as_json, CODE_COLUMNS)


@feature_code.command("set")
@tenant_option
@click.option("--feature", required=True, type=click.Choice(list(BY_NAME)))
@click.option("--code", required=True, help="e.g. *77, or 'default' for the platform's code.")
@json_option
@pass_state
def feature_code_set(state: CliState, domain: str, feature: str, code: str, as_json: bool) -> None:
    """Give one feature another code."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return {**await service.set_code(scope, feature, code), "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@click.group("short-number")
def short_number() -> None:
    """Tenant-wide speed dials: a short number that calls an outside number."""


@short_number.command("add")
@tenant_option
@click.option("--number", required=True, help="1 to 6 digits, e.g. 20.")
@click.option("--target", required=True, help="The outside number it calls (E.164 or national).")
@click.option("--name", default="", help="A label for the directory.")
@json_option
@pass_state
def short_number_add(
    state: CliState, domain: str, number: str, target: str, name: str, as_json: bool
) -> None:
    """Add a short number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.add_short_number(scope, number=number, target=target, name=name)
        return {**view, "tenant": scope.domain}

    emit(write_db(state, work), as_json)


@short_number.command("list")
@tenant_option
@json_option
@pass_state
def short_number_list(state: CliState, domain: str, as_json: bool) -> None:
    """The tenant's short numbers."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return listing(await service.list_short_numbers(scope))

    emit(read_db(state, work), as_json, SHORT_COLUMNS)


@short_number.command("delete")
@tenant_option
@click.option("--number", required=True)
@json_option
@pass_state
def short_number_delete(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Remove a short number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.delete_short_number(scope, number)
        return {"deleted": number, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
