"""`centrex blocklist|allowlist add|list|delete`: a tenant's call screening lists.

Both groups have the same form (built by `_list_group`): `add --tenant D --pattern PATTERN
--direction inbound|outbound [--extension N] [--action reject|voicemail]`, `list --tenant D`,
`delete --tenant D --id ID`. An entry is looked up within `--tenant`, so another tenant's entry
is simply not found; the rules and error ids are `centrex.provisioning.screening`'s. Bad input
prints one line, exits non-zero and writes nothing.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.features.screening_rules import ListKind
from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.provisioning import screening as service
from centrex.provisioning.tenants import scope_for

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
COLUMNS = ["id", "direction", "pattern", "extension", "action"]
HELP = {
    ListKind.BLOCK: "Blocklist: numbers refused (inbound: 603 or voicemail; outbound: 403).",
    ListKind.ALLOW: "Allowlist: when a direction has one, only its numbers pass.",
}


def _list_group(kind: ListKind) -> click.Group:
    """One of the two list groups (`blocklist`, `allowlist`): same commands, another list."""

    @click.group(service.NAMES[kind], help=HELP[kind])
    def group() -> None:
        pass

    @group.command("add")
    @tenant_option
    @click.option("--pattern", required=True,
                  help="E.164 number, a prefix ending in '*' (+3389*) or 'anonymous'.")  # fmt: skip
    @click.option("--direction", type=click.Choice(list(service.DIRECTIONS)), required=True)
    @click.option("--extension", help="Only for this extension (default: tenant-wide).")
    @click.option("--action", type=click.Choice(list(service.ACTIONS)), default="reject",
                  show_default=True, help="What a refused inbound caller gets.")  # fmt: skip
    @json_option
    @pass_state
    def add(
        state: CliState,
        domain: str,
        pattern: str,
        direction: str,
        extension: str | None,
        action: str,
        as_json: bool,
    ) -> None:
        """Add an entry."""

        async def work(session: AsyncSession) -> dict[str, Any]:
            scope = await scope_for(session, domain)
            view = await service.add_entry(scope, kind, pattern=pattern, direction=direction,
                                           extension=extension, action=action)  # fmt: skip
            return {**view, "tenant": scope.domain}

        emit(write_db(state, work), as_json)

    @group.command("list")
    @tenant_option
    @json_option
    @pass_state
    def list_(state: CliState, domain: str, as_json: bool) -> None:
        """List the entries, oldest first."""

        async def work(session: AsyncSession) -> dict[str, Any]:
            scope = await scope_for(session, domain)
            return listing(await service.list_entries(scope, kind))

        emit(read_db(state, work), as_json, COLUMNS)

    @group.command("delete")
    @tenant_option
    @click.option("--id", "entry_id", type=int, required=True, help="The entry's id (see list).")
    @json_option
    @pass_state
    def delete(state: CliState, domain: str, entry_id: int, as_json: bool) -> None:
        """Delete an entry."""

        async def work(session: AsyncSession) -> dict[str, Any]:
            scope = await scope_for(session, domain)
            await service.delete_entry(scope, kind, entry_id)
            return {"deleted": entry_id, "tenant": scope.domain}

        emit(write_db(state, work), as_json)

    return group


blocklist = _list_group(ListKind.BLOCK)
allowlist = _list_group(ListKind.ALLOW)
