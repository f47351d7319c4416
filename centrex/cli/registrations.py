"""`centrex registrations`: the live SIP registrations (bindings) of a tenant.

Reads the `registrar_bindings` table, which the running server writes behind within a fraction
of a second of each REGISTER, so this works from any shell while `centrex serve` runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db

if TYPE_CHECKING:  # imported by the command: its `--help` pays for neither
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.data.models import RegistrarBinding

COLUMNS = ("aor", "contact", "source", "transport", "user_agent", "expires_at")


def binding_row(row: RegistrarBinding) -> dict[str, Any]:
    """One binding as printed (`expires_at` in ISO 8601 UTC)."""
    return {
        "aor": row.aor,
        "user": row.user,
        "contact": row.contact,
        "q": row.q,
        "source": f"{row.source_host}:{row.source_port}",
        "transport": row.transport,
        "user_agent": row.user_agent,
        "expires_at": row.expires_at.replace(microsecond=0).isoformat(),
    }


@click.command()
@click.option("--tenant", "domain", required=True, help="Tenant SIP domain.")
@click.option("--user", help="Only this extension.")
@json_option
@pass_state
def registrations(state: CliState, domain: str, user: str | None, as_json: bool) -> None:
    """List a tenant's registered devices (expired bindings are not shown)."""
    from centrex.data.models import RegistrarBinding
    from centrex.provisioning.tenants import scope_for

    now = state.clock.utcnow()

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        where = [RegistrarBinding.expires_at > now]
        if user is not None:
            where.append(RegistrarBinding.user == user)
        rows = await scope.list(RegistrarBinding, *where)
        items = [binding_row(row) for row in rows]
        items.sort(key=lambda item: (item["user"], item["contact"]))
        return listing(items)

    emit(read_db(state, work), as_json, COLUMNS)
