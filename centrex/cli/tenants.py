"""`centrex db`, `centrex partner` and `centrex tenant` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from centrex.cli.common import (
    CliState,
    LazyChoice,
    emit,
    json_option,
    listing,
    pass_state,
    quick_listing,
    read_db,
    run_async,
    write_db,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# The models and services are imported inside the commands: `centrex tenant list --help` (and
# the help of every other command) must not pay for SQLAlchemy and every table.


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@json_option
@pass_state
def db_upgrade(state: CliState, as_json: bool) -> None:
    """Apply the migrations (creates the SQLite file when needed)."""

    async def body() -> dict[str, str | None]:
        database = state.database()
        try:
            await database.upgrade()
            return {"database": database.safe_url, "revision": await database.current_revision()}
        finally:
            await database.dispose()

    emit(run_async(body()), as_json)


@db.command("status")
@json_option
@pass_state
def db_status(state: CliState, as_json: bool) -> None:
    """Show the schema revision of the database and of this code."""

    from centrex.data.db import Database

    async def body() -> dict[str, str | None]:
        database = state.database()
        try:
            return {
                "database": database.safe_url,
                "revision": await database.current_revision(),
                "head": Database.head_revision(),
            }
        finally:
            await database.dispose()

    emit(run_async(body()), as_json)


@click.group()
def partner() -> None:
    """Partners (resellers)."""


@partner.command("create")
@click.option("--name", required=True)
@click.option("--contact-name")
@click.option("--email")
@click.option("--phone")
@json_option
@pass_state
def partner_create(
    state: CliState,
    name: str,
    contact_name: str | None,
    email: str | None,
    phone: str | None,
    as_json: bool,
) -> None:
    """Create a partner."""
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import partner_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        created = await tenant_service.create_partner(
            session, name=name, contact_name=contact_name, email=email, phone=phone
        )
        return partner_view(created)

    emit(write_db(state, work), as_json)


@partner.command("list")
@json_option
@pass_state
def partner_list(state: CliState, as_json: bool) -> None:
    """List partners."""
    from centrex.provisioning.platform_views import PARTNER_COLUMNS, partner_view

    quick = quick_listing(state, "partners", PARTNER_COLUMNS, partner_view)
    if quick is None:
        from centrex.provisioning import tenants as tenant_service

        async def work(session: AsyncSession) -> dict[str, Any]:
            return listing([partner_view(p) for p in await tenant_service.list_partners(session)])

        quick = read_db(state, work)
    emit(quick, as_json, ["id", "name", "email"])


@click.group()
def tenant() -> None:
    """Tenants (customers)."""


@tenant.command("create")
@click.option("--name", required=True)
@click.option("--domain", required=True, help="The tenant's SIP domain, e.g. acme.example.com.")
@click.option("--extension-digits", type=int, required=True, help="2 to 5.")
@click.option("--max-calls", type=int, required=True, help="Licence: simultaneous calls.")
@click.option("--language", default="en", show_default=True, help="de, fr, en or it.")
@click.option("--country", default="CH", show_default=True)
@click.option("--partner", "partner_id", type=int, help="Partner id.")
@click.option("--trial-days", type=int, help="Start as a trial ending in N days.")
@click.option("--storage-quota-mb", type=int, default=1024, show_default=True)
@click.option("--currency", default="CHF", show_default=True)
@json_option
@pass_state
def tenant_create(
    state: CliState,
    name: str,
    domain: str,
    extension_digits: int,
    max_calls: int,
    language: str,
    country: str,
    partner_id: int | None,
    trial_days: int | None,
    storage_quota_mb: int,
    currency: str,
    as_json: bool,
) -> None:
    """Create a tenant."""
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        created = await tenant_service.create_tenant(
            session,
            now=state.clock.utcnow(),
            name=name,
            domain=domain,
            extension_digits=extension_digits,
            max_calls=max_calls,
            language=language,
            country=country,
            partner_id=partner_id,
            trial_days=trial_days,
            storage_quota_mb=storage_quota_mb,
            currency=currency,
        )
        return tenant_view(created)

    emit(write_db(state, work), as_json)


@tenant.command("list")
@click.option("--partner", "partner_id", type=int)
@json_option
@pass_state
def tenant_list(state: CliState, partner_id: int | None, as_json: bool) -> None:
    """List tenants."""
    from centrex.provisioning.platform_views import TENANT_COLUMNS, TENANT_TIMESTAMPS, tenant_view

    where = {} if partner_id is None else {"partner_id": partner_id}
    quick = quick_listing(state, "tenants", TENANT_COLUMNS, tenant_view, where, TENANT_TIMESTAMPS)
    if quick is None:
        from centrex.provisioning import tenants as tenant_service

        async def work(session: AsyncSession) -> dict[str, Any]:
            rows = await tenant_service.list_tenants(session, partner_id=partner_id)
            return listing([tenant_view(t) for t in rows])

        quick = read_db(state, work)
    emit(quick, as_json, ["id", "domain", "name", "status", "max_calls"])


@tenant.command("show")
@click.argument("domain")
@json_option
@pass_state
def tenant_show(state: CliState, domain: str, as_json: bool) -> None:
    """Show one tenant."""
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        return tenant_view(await tenant_service.get_tenant(session, domain))

    emit(read_db(state, work), as_json)


def _status_command(name: str, status: str, help_text: str) -> None:
    """`status` names a `TenantStatus` member (the enum is imported when the command runs)."""

    @tenant.command(name, help=help_text)
    @click.argument("domain")
    @click.option("--reason")
    @json_option
    @pass_state
    def command(state: CliState, domain: str, reason: str | None, as_json: bool) -> None:
        from centrex.data.models import TenantStatus
        from centrex.provisioning import tenants as tenant_service
        from centrex.provisioning.platform_views import tenant_view

        async def work(session: AsyncSession) -> dict[str, Any]:
            found = await tenant_service.get_tenant(session, domain)
            await tenant_service.set_status(
                session, found, TenantStatus[status], now=state.clock.utcnow(), reason=reason
            )
            return tenant_view(found)

        emit(write_db(state, work), as_json)


_status_command("suspend", "SUSPENDED", "Suspend a tenant (emergency calls only).")
_status_command("activate", "ACTIVE", "Activate a tenant.")
_status_command("deactivate", "DEACTIVATED", "Deactivate a tenant.")


def _recording_modes() -> list[str]:
    from centrex.data.models import RecordingMode

    return [m.value for m in RecordingMode]


def _recording_layouts() -> list[str]:
    from centrex.data.models import RecordingLayout

    return [m.value for m in RecordingLayout]


def _digest_policies() -> list[str]:
    from centrex.data.models import DigestPolicy

    return [p.value for p in DigestPolicy]


@tenant.command("set-recording")
@click.argument("domain")
@click.option(
    "--record",
    "record_calls",
    type=LazyChoice(_recording_modes),
    help="Record the tenant's calls: never, always, or on demand (feature code *1).",
)
@click.option(
    "--layout",
    "record_layout",
    type=LazyChoice(_recording_layouts),
    help="mixed: both parties in one WAV; per-party: one WAV per party.",
)
@click.option(
    "--announce/--no-announce",
    default=None,
    help="Tell both parties when a recording starts (where the law requires it).",
)
@json_option
@pass_state
def tenant_set_recording(
    state: CliState,
    domain: str,
    record_calls: str | None,
    record_layout: str | None,
    announce: bool | None,
    as_json: bool,
) -> None:
    """Set the tenant's call recording default (extensions may override it)."""
    from centrex.data.models import RecordingLayout, RecordingMode
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await tenant_service.get_tenant(session, domain)
        await tenant_service.set_recording(
            session,
            found,
            record_calls=RecordingMode(record_calls) if record_calls else None,
            announce=announce,
            record_layout=RecordingLayout(record_layout) if record_layout else None,
        )
        return tenant_view(found)

    emit(write_db(state, work), as_json)


@tenant.command("set-digest")
@click.argument("domain")
@click.option(
    "--policy",
    required=True,
    type=LazyChoice(_digest_policies),
    help="compatible: MD5 first, then SHA-256 (phones that read only the first challenge and "
    "know only MD5 work); prefer-sha256: SHA-256 first; require-sha256: SHA-256 only.",
)
@json_option
@pass_state
def tenant_set_digest(state: CliState, domain: str, policy: str, as_json: bool) -> None:
    """Set the digest algorithms the tenant's phones are offered (extensions may override it)."""
    from centrex.data.models import DigestPolicy
    from centrex.provisioning import digest_policy
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await tenant_service.get_tenant(session, domain)
        await digest_policy.set_tenant_policy(session, found, DigestPolicy(policy))
        return tenant_view(found)

    emit(write_db(state, work), as_json)


@tenant.command("set-park")
@click.argument("domain")
@click.option("--number", help="The number a call is transferred to for parking (default 700).")
@click.option("--slots", help="The slots parked calls wait in, e.g. 701-709 (the default).")
@click.option(
    "--timeout", type=int, help="Seconds before an unretrieved call rings its parker (60)."
)
@click.option("--default", "reset", is_flag=True, help="Back to 700, 701-709 and 60 s first.")
@json_option
@pass_state
def tenant_set_park(
    state: CliState,
    domain: str,
    number: str | None,
    slots: str | None,
    timeout: int | None,
    reset: bool,
    as_json: bool,
) -> None:
    """Set the tenant's call park number, slots and ring-back time-out."""
    from centrex.provisioning import parking
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await tenant_service.get_tenant(session, domain)
        await parking.set_park(session, found, number=number, slots=slots, seconds=timeout,
                               reset=reset)  # fmt: skip
        return tenant_view(found)

    emit(write_db(state, work), as_json)


@tenant.command("set-monitor-beep")
@click.argument("domain")
@click.argument("beep", type=click.Choice(["on", "off"]))
@json_option
@pass_state
def tenant_set_monitor_beep(state: CliState, domain: str, beep: str, as_json: bool) -> None:
    """Whether the parties of a call a supervisor listens to hear a beep when it joins (off:
    they hear nothing)."""
    from centrex.provisioning import supervisors
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning.platform_views import tenant_view

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await tenant_service.get_tenant(session, domain)
        await supervisors.set_monitor_beep(found, beep == "on")
        return tenant_view(found)

    emit(write_db(state, work), as_json)
