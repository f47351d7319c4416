"""`centrex extension|number|trunk|route|cdr` commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.data.models import (
    DigestPolicy,
    Direction,
    Disposition,
    Extension,
    RecordingLayout,
    RecordingMode,
    SipCredential,
)
from centrex.data.secrets_box import SecretBox
from centrex.errors import ValidationFailed
from centrex.provisioning import cdrs as cdr_service
from centrex.provisioning import digest_policy, forwarding, screening, srtp_policy, supervisors
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import pickup as pickup_service
from centrex.provisioning import trunks as trunk_service
from centrex.provisioning.storage import MediaStore
from centrex.provisioning.tenants import get_tenant, scope_for
from centrex.provisioning.views import (
    extension_view,
    number_view,
    range_view,
    route_view,
    trunk_view,
)

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
record_option = click.option(
    "--record",
    "record_calls",
    type=click.Choice([*(m.value for m in RecordingMode), "tenant"]),
    help="Record this extension's calls: never, always, on-demand (feature code *1), or "
    "tenant (follow the tenant's setting, the default).",
)
record_layout_option = click.option(
    "--record-layout",
    type=click.Choice([m.value for m in RecordingLayout]),
    help="mixed: both parties in one WAV; per-party: one WAV per party.",
)


def _mode(value: str | None) -> RecordingMode | None:
    return RecordingMode(value) if value and value != "tenant" else None


def _layout(value: str | None) -> RecordingLayout | None:
    return RecordingLayout(value) if value else None


@click.group()
def extension() -> None:
    """Extensions of a tenant."""


@extension.command("create")
@tenant_option
@click.option("--number", required=True)
@click.option("--name", default="")
@click.option("--password", help="SIP password; generated and shown once when omitted.")
@click.option("--email", help="Address for voicemail to e-mail.")
@click.option("--caller-id", help="Outbound caller ID: one of the tenant's numbers.")
@record_option
@record_layout_option
@click.option(
    "--no-voicemail",
    is_flag=True,
    help="No mailbox (by default one is created and its PIN shown once).",
)
@json_option
@pass_state
def extension_create(
    state: CliState,
    domain: str,
    number: str,
    name: str,
    password: str | None,
    email: str | None,
    caller_id: str | None,
    record_calls: str | None,
    record_layout: str | None,
    no_voicemail: bool,
    as_json: bool,
) -> None:
    """Create an extension with SIP credentials and a voicemail box."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        created = await extension_service.create_extension(
            scope,
            number=number,
            name=name,
            password=password,
            email=email,
            outbound_caller_id=caller_id,
            record_calls=_mode(record_calls),
            record_layout=_layout(record_layout),
            voicemail=not no_voicemail,
        )
        view = extension_view(created.extension, created.credential)
        view["tenant"] = scope.domain
        if created.generated_password is not None:
            view["sip_password"] = created.generated_password
        if created.voicemail_pin is not None:
            view["voicemail_pin"] = created.voicemail_pin
        return view

    emit(write_db(state, work), as_json)


@extension.command("update")
@tenant_option
@click.option("--number", required=True)
@click.option("--name")
@click.option("--email", help="Address for voicemail to e-mail ('' clears it).")
@click.option("--caller-id", help="Outbound caller ID: one of the tenant's numbers.")
@record_option
@record_layout_option
@click.option(
    "--digest",
    type=click.Choice([*(p.value for p in DigestPolicy), digest_policy.INHERIT]),
    help="Digest algorithms this device is offered: compatible (MD5, then SHA-256), "
    "prefer-sha256, require-sha256, or tenant (follow the tenant's policy).",
)
@click.option(
    "--call-waiting",
    type=click.Choice(["on", "off"]),
    help="on (default): a second call rings a phone in a call; off: busy treatment.",
)
@click.option(
    "--pickup-group",
    help="Pickup group label: *8 answers calls ringing the group's other extensions "
    "('' or none: in no group).",
)
@click.option(
    "--outbound",
    "outbound_class",
    type=click.Choice(list(screening.CLASSES)),
    help="Outbound barring: internal (no outside calls), national, international, all "
    "(the default). Emergency numbers are always allowed.",
)
@click.option(
    "--premium",
    type=click.Choice(["on", "off"]),
    help="on: premium-rate and shared-cost numbers may be dialled (off by default).",
)
@click.option(
    "--supervisor/--no-supervisor",
    default=None,
    help="This extension's phone may listen to, whisper to and barge into the tenant's calls "
    "(*90N, *91N, *92N); off by default.",
)
@click.option(
    "--srtp",
    type=click.Choice(list(srtp_policy.MODES)),
    help="SRTP (SDES) for this extension's phones: optional (the default: SRTP offers "
    "accepted, plain RTP offered), required (plain offers refused, RTP/SAVP offered), off.",
)
@json_option
@pass_state
def extension_update(
    state: CliState,
    domain: str,
    number: str,
    name: str | None,
    email: str | None,
    caller_id: str | None,
    record_calls: str | None,
    record_layout: str | None,
    digest: str | None,
    call_waiting: str | None,
    pickup_group: str | None,
    outbound_class: str | None,
    premium: str | None,
    supervisor: bool | None,
    srtp: str | None,
    as_json: bool,
) -> None:
    """Change an extension (options left out stay as they are)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        if pickup_group is not None:
            pickup_service.parse_pickup_group(pickup_group)  # refused before anything changes
        ext = await extension_service.get_extension(scope, number)
        await extension_service.update_extension(
            scope,
            ext,
            name=name,
            email=email,
            outbound_caller_id=caller_id,
            record_calls=_mode(record_calls),
            record_layout=_layout(record_layout),
            inherit_recording=record_calls == "tenant",
        )
        if digest is not None:
            policy = None if digest == digest_policy.INHERIT else DigestPolicy(digest)
            await digest_policy.set_extension_policy(scope, ext, policy)
        if call_waiting is not None:
            await forwarding.set_call_waiting(scope, number, call_waiting == "on")
        if pickup_group is not None:
            await pickup_service.set_pickup_group(scope, number, pickup_group)
        if outbound_class is not None or premium is not None:
            allowed = None if premium is None else premium == "on"
            await screening.set_barring(
                scope, number, outbound_class=outbound_class, premium=allowed
            )
        if supervisor is not None:
            await supervisors.set_supervisor(scope, number, supervisor)
        if srtp is not None:
            await srtp_policy.set_srtp(scope, number, srtp)
        view = extension_view(ext)
        view["tenant"] = scope.domain
        return view

    emit(write_db(state, work), as_json)


@extension.command("list")
@tenant_option
@json_option
@pass_state
def extension_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's extensions."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        credentials = {c.extension_id: c for c in await scope.list(SipCredential)}
        numbers = await number_service.extension_numbers(scope)
        return listing(
            [
                extension_view(
                    e,
                    credentials.get(e.id),
                    [numbers[e.id]] if e.id in numbers else [],
                )
                for e in await extension_service.list_extensions(scope)
            ]
        )

    emit(read_db(state, work), as_json, ["number", "name", "sip_username", "email", "numbers"])


@extension.command("delete")
@tenant_option
@click.option("--number", required=True)
@json_option
@pass_state
def extension_delete(state: CliState, domain: str, number: str, as_json: bool) -> None:
    """Delete an extension."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        await extension_service.delete_extension(scope, number, MediaStore(state.settings.data_dir))
        return {"deleted": True, "tenant": scope.domain, "number": number}

    emit(write_db(state, work), as_json)


@extension.command("set-password")
@tenant_option
@click.option("--number", required=True)
@click.option("--password", help="New SIP password; generated and shown once when omitted.")
@json_option
@pass_state
def extension_set_password(
    state: CliState, domain: str, number: str, password: str | None, as_json: bool
) -> None:
    """Replace an extension's SIP password."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        ext = await extension_service.get_extension(scope, number)
        generated = await extension_service.set_sip_password(scope, ext, password)
        result: dict[str, Any] = {"tenant": scope.domain, "number": number, "changed": True}
        if generated is not None:
            result["sip_password"] = generated
        return result

    emit(write_db(state, work), as_json)


@click.group()
def number() -> None:
    """Numbers (DIDs) and number ranges."""


@number.command("add")
@click.argument("e164")
@tenant_option
@click.option("--extension", "extension_number", help="Route the number to this extension.")
@click.option("--ring-group", "ring_group", help="Or to this ring group (its members ring).")
@click.option("--conference", help="Or to this conference room (callers join it).")
@json_option
@pass_state
def number_add(
    state: CliState,
    e164: str,
    domain: str,
    extension_number: str | None,
    ring_group: str | None,
    conference: str | None,
    as_json: bool,
) -> None:
    """Assign a number to a tenant (and optionally to an extension, ring group or room)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        tenant = await get_tenant(session, domain)
        scope = await scope_for(session, domain)
        assigned = await number_service.assign_number(
            scope,
            e164,
            now=state.clock.utcnow(),
            country=tenant.country,
            extension_number=extension_number,
            ring_group_number=ring_group,
            conference_number=conference,
        )
        view = number_view(assigned, extension_number, ring_group)
        return {**view, "conference": conference} if conference else view

    emit(write_db(state, work), as_json)


@number.command("release")
@click.argument("e164")
@tenant_option
@json_option
@pass_state
def number_release(state: CliState, e164: str, domain: str, as_json: bool) -> None:
    """Take a number back from a tenant (it goes to `ageing`)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        released = await number_service.release_number(scope, e164, now=state.clock.utcnow())
        return number_view(released)

    emit(write_db(state, work), as_json)


@number.command("list")
@tenant_option
@json_option
@pass_state
def number_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's numbers."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        extensions = {e.id: e.number for e in await scope.list(Extension)}
        return listing(
            [
                number_view(n, extensions.get(n.extension_id) if n.extension_id else None)
                for n in await number_service.list_numbers(scope)
            ]
        )

    emit(read_db(state, work), as_json, ["e164", "state", "extension"])


@number.group("range")
def number_range() -> None:
    """Provider number ranges."""


@number_range.command("add")
@click.argument("first")
@click.argument("last")
@click.option("--description", default="")
@json_option
@pass_state
def range_add(state: CliState, first: str, last: str, description: str, as_json: bool) -> None:
    """Add a range of DIDs, e.g. +41215550100 +41215550199."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        created, size = await number_service.add_range(
            session, first, last, description=description
        )
        return range_view(created, size)

    emit(write_db(state, work), as_json)


@number_range.command("list")
@json_option
@pass_state
def range_list(state: CliState, as_json: bool) -> None:
    """List number ranges."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing([range_view(r) for r in await number_service.list_ranges(session)])

    emit(read_db(state, work), as_json, ["id", "first", "last", "description"])


@click.group()
def trunk() -> None:
    """Carrier trunks."""


@trunk.command("create")
@click.option("--name", required=True)
@click.option("--host", required=True)
@click.option("--port", type=int, default=5060, show_default=True)
@click.option("--priority", type=int, default=1, show_default=True, help="1 = primary.")
@click.option("--transport", default="udp", show_default=True)
@click.option("--username")
@click.option("--password")
@click.option("--max-calls", type=int)
@click.option("--register/--no-register", default=False, help="Register to the carrier.")
@json_option
@pass_state
def trunk_create(
    state: CliState,
    name: str,
    host: str,
    port: int,
    priority: int,
    transport: str,
    username: str | None,
    password: str | None,
    max_calls: int | None,
    register: bool,
    as_json: bool,
) -> None:
    """Create a trunk (the password is stored encrypted and never shown)."""
    box = SecretBox.from_settings(state.settings.secret_key, state.settings.data_dir)

    async def work(session: AsyncSession) -> dict[str, Any]:
        created = await trunk_service.create_trunk(
            session,
            box,
            name=name,
            host=host,
            port=port,
            priority=priority,
            transport=transport,
            username=username,
            password=password,
            max_calls=max_calls,
            register=register,
        )
        return trunk_view(created)

    emit(write_db(state, work), as_json)


@trunk.command("list")
@json_option
@pass_state
def trunk_list(state: CliState, as_json: bool) -> None:
    """List trunks."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing([trunk_view(t) for t in await trunk_service.list_trunks(session)])

    emit(read_db(state, work), as_json, ["id", "name", "host", "port", "priority", "enabled"])


@click.group()
def route() -> None:
    """Outbound routes: prefix → trunks in order."""


@route.command("create")
@click.option("--name", required=True)
@click.option("--prefix", default="", help="E.164 digits; empty matches everything.")
@click.option("--trunk", "trunk_names", multiple=True, required=True, help="In failover order.")
@json_option
@pass_state
def route_create(
    state: CliState, name: str, prefix: str, trunk_names: tuple[str, ...], as_json: bool
) -> None:
    """Create an outbound route."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        created = await trunk_service.create_route(
            session, name=name, prefix=prefix, trunk_names=list(trunk_names)
        )
        return route_view(created, [await trunk_service.get_trunk(session, n) for n in trunk_names])

    emit(write_db(state, work), as_json)


@route.command("list")
@json_option
@pass_state
def route_list(state: CliState, as_json: bool) -> None:
    """List outbound routes."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing([route_view(r, t) for r, t in await trunk_service.list_routes(session)])

    emit(read_db(state, work), as_json, ["id", "name", "prefix", "trunks"])


def _parse_date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"{option} {value!r} is not a date (YYYY-MM-DD)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group()
def cdr() -> None:
    """Call detail records."""


@cdr.command("list")
@tenant_option
@click.option("--since", help="YYYY-MM-DD or ISO timestamp (UTC when no zone).")
@click.option("--until", help="YYYY-MM-DD or ISO timestamp, exclusive.")
@click.option("--direction", type=click.Choice([d.value for d in Direction]))
@click.option("--disposition", type=click.Choice([d.value for d in Disposition]))
@click.option("--extension")
@click.option("--limit", type=int)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead.")
@json_option
@pass_state
def cdr_list(
    state: CliState,
    domain: str,
    since: str | None,
    until: str | None,
    direction: str | None,
    disposition: str | None,
    extension: str | None,
    limit: int | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """List a tenant's CDRs, newest first."""

    async def work(session: AsyncSession) -> dict[str, Any] | str:
        scope = await scope_for(session, domain)
        total, rows = await cdr_service.list_cdrs(
            scope,
            since=_parse_date(since, "--since"),
            until=_parse_date(until, "--until"),
            direction=Direction(direction) if direction else None,
            disposition=Disposition(disposition) if disposition else None,
            extension=extension,
            limit=limit,
        )
        if as_csv:
            return cdr_service.cdrs_to_csv(rows)
        return {"total": total, "items": [cdr_service.cdr_row(r) for r in rows]}

    result = read_db(state, work)
    if isinstance(result, str):
        click.echo(result, nl=False)
        return
    emit(
        result,
        as_json,
        ["started_at", "caller", "callee", "direction", "disposition", "billsec"],
    )
