"""`centrex ring-group create|list|update|delete`: a tenant's ring groups.

A group is looked up by its number within `--tenant`, so another tenant's group is simply not
found, and a member must be an extension of `--tenant` or an outside number (the rules and error
ids are in `centrex.provisioning.ring_groups`). Bad input prints one line, exits non-zero and
writes nothing.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import ring_groups as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
number_option = click.option("--number", required=True, help="The group's number (e.g. 600).")
STRATEGY = click.Choice(list(service.STRATEGIES))
COLUMNS = ["number", "name", "strategy", "ring_seconds", "members", "fallback"]


def _row(view: service.GroupView, domain: str) -> dict[str, Any]:
    data = view.as_dict()
    data["tenant"] = domain
    return data


def _table_row(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "members": ",".join(m["target"] for m in data["members"])}


@click.group("ring-group")
def ring_group() -> None:
    """Ring groups: a number that rings several extensions or outside numbers (or pages the
    tenant's phones: strategy page)."""


@ring_group.command("create")
@tenant_option
@number_option
@click.option("--strategy", type=STRATEGY, required=True,
              help="page: every member's phone answers by itself and hears the caller "
                   "(extensions only).")  # fmt: skip
@click.option("--member", "members", multiple=True, help="An extension or E.164 number; repeat.")
@click.option("--name", default="", help="A label (an IVR flow may transfer to it by name).")
@click.option("--ring-seconds", type=int, default=service.DEFAULT_RING_SECONDS, show_default=True,
              help="How long each step rings (the whole group, when simultaneous).")  # fmt: skip
@click.option("--fallback", help="Nobody answered: extension, E.164, voicemail[:N], flow:NAME.")
@json_option
@pass_state
def ring_group_create(
    state: CliState,
    domain: str,
    number: str,
    strategy: str,
    members: tuple[str, ...],
    name: str,
    ring_seconds: int,
    fallback: str | None,
    as_json: bool,
) -> None:
    """Create a ring group."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.create_ring_group(
            scope, number=number, strategy=strategy, members=members, name=name,
            ring_seconds=ring_seconds, fallback=fallback,
        )  # fmt: skip
        return _row(view, scope.domain)

    result = write_db(state, work)
    emit(result if as_json else _table_row(result), as_json)


@ring_group.command("list")
@tenant_option
@json_option
@pass_state
def ring_group_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's ring groups, ordered by number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        return listing([_row(v, scope.domain) for v in await service.list_ring_groups(scope)])

    result = read_db(state, work)
    if not as_json:
        result = {**result, "items": [_table_row(item) for item in result["items"]]}
    emit(result, as_json, COLUMNS)


@ring_group.command("update")
@tenant_option
@number_option
@click.option("--new-number", help="Give the group another number.")
@click.option("--strategy", type=STRATEGY)
@click.option("--member", "members", multiple=True, help="Replaces every member when given.")
@click.option("--name")
@click.option("--ring-seconds", type=int)
@click.option("--fallback", help="extension, E.164, voicemail[:N], flow:NAME; '' clears it.")
@json_option
@pass_state
def ring_group_update(
    state: CliState,
    domain: str,
    number: str,
    new_number: str | None,
    strategy: str | None,
    members: tuple[str, ...],
    name: str | None,
    ring_seconds: int | None,
    fallback: str | None,
    as_json: bool,
) -> None:
    """Change a ring group (options left out stay as they are)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.get_ring_group(scope, number)
        view = await service.update_ring_group(
            scope, view, number=new_number, name=name, strategy=strategy,
            ring_seconds=ring_seconds, members=members or None,
            fallback=fallback or None, clear_fallback=fallback == "",
        )  # fmt: skip
        return _row(view, scope.domain)

    result = write_db(state, work)
    emit(result if as_json else _table_row(result), as_json)


@ring_group.command("delete")
@tenant_option
@number_option
@json_option
@pass_state
def ring_group_delete(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Delete a ring group."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        view = await service.get_ring_group(scope, number)
        await service.delete_ring_group(scope, view)
        return {"deleted": number, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
