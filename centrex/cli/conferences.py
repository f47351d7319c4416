"""`centrex conference create|list|update|delete`: a tenant's conference rooms.

A room is looked up by its number within `--tenant`, so another tenant's room is simply not
found; its number must be free in the tenant's number space (the rules and error ids are in
`centrex.provisioning.conferences`). Bad input prints one line, exits non-zero and writes
nothing.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import conferences as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
number_option = click.option("--number", required=True, help="The room's number (e.g. 800).")
COLUMNS = ["number", "name", "pin", "moderator_pin", "record", "max_members"]


def _row(data: dict[str, Any], domain: str) -> dict[str, Any]:
    return {**data, "tenant": domain}


@click.group("conference")
def conference() -> None:
    """Conference rooms: a number where the tenant's callers meet (PIN, moderator, recording)."""


@conference.command("create")
@tenant_option
@number_option
@click.option("--name", default="", help="A label.")
@click.option("--pin", help="Callers enter it to get in (3-8 digits).")
@click.option("--moderator-pin", help="Makes a moderator; members wait for one (3-8 digits).")
@click.option("--record", is_flag=True, help="Record the room's mix (linked to the CDR).")
@click.option("--max-members", type=int, default=service.DEFAULT_MAX_MEMBERS, show_default=True,
              help="A full room tells the next caller so and hangs up.")  # fmt: skip
@json_option
@pass_state
def conference_create(
    state: CliState,
    domain: str,
    number: str,
    name: str,
    pin: str | None,
    moderator_pin: str | None,
    record: bool,
    max_members: int,
    as_json: bool,
) -> None:
    """Create a conference room."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        room = await service.create_conference(
            scope, number=number, name=name, pin=pin, moderator_pin=moderator_pin,
            record=record, max_members=max_members,
        )  # fmt: skip
        return _row(service.conference_dict(room), scope.domain)

    emit(write_db(state, work), as_json)


@conference.command("list")
@tenant_option
@json_option
@pass_state
def conference_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's conference rooms, ordered by number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        rooms = await service.list_conferences(scope)
        return listing([_row(service.conference_dict(r), scope.domain) for r in rooms])

    emit(read_db(state, work), as_json, COLUMNS)


@conference.command("update")
@tenant_option
@number_option
@click.option("--new-number", help="Give the room another number.")
@click.option("--name")
@click.option("--pin", help="3-8 digits; '' removes the PIN.")
@click.option("--moderator-pin", help="3-8 digits; '' removes it.")
@click.option("--record/--no-record", default=None)
@click.option("--max-members", type=int)
@json_option
@pass_state
def conference_update(
    state: CliState,
    domain: str,
    number: str,
    new_number: str | None,
    name: str | None,
    pin: str | None,
    moderator_pin: str | None,
    record: bool | None,
    max_members: int | None,
    as_json: bool,
) -> None:
    """Change a conference room (options left out stay as they are)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        room = await service.get_conference(scope, number)
        room = await service.update_conference(
            scope, room, number=new_number, name=name, pin=pin or None,
            moderator_pin=moderator_pin or None, record=record, max_members=max_members,
            clear_pin=pin == "", clear_moderator_pin=moderator_pin == "",
        )  # fmt: skip
        return _row(service.conference_dict(room), scope.domain)

    emit(write_db(state, work), as_json)


@conference.command("delete")
@tenant_option
@number_option
@json_option
@pass_state
def conference_delete(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Delete a conference room."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await service.delete_conference(scope, await service.get_conference(scope, number))
        return {"deleted": number, "tenant": scope.domain}

    emit(write_db(state, work), as_json)
