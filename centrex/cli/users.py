"""`centrex user create|list`: the people of a tenant who log in to the portal (issue 14 item 6).

A user gets a portal password and a role (`user`, `agent`, `supervisor`, `tenant-admin`), and
may own an extension of the same tenant (`--extension`): the portal's softphone registers as
that extension with a short-lived phone credential, never with the SIP password. The extension
is looked up within `--tenant`, so another tenant's extension is simply not found. Bad input
(unknown tenant, taken e-mail, missing or already owned extension, empty or weak password)
prints one line, exits non-zero and writes nothing.
"""

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
    read_db,
    write_db,
)
from centrex.errors import Conflict, NotFound, ValidationFailed

if TYPE_CHECKING:  # the models and services are imported by the commands, not by `--help`
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.data.models import Extension, User
    from centrex.data.tenancy import TenantScope

tenant_option = click.option("--tenant", "domain", required=True, help="The tenant's domain.")
COLUMNS = ["id", "name", "email", "role", "extensions", "tenant"]


def _row(user: User, extensions: list[str], domain: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "language": user.language.value,
        "extensions": extensions,
        "can_log_in": user.password_hash is not None,
        "tenant": domain,
    }


async def _free_extension(scope: TenantScope, number: str) -> Extension:
    from centrex.data.models import Extension, User

    extension = await scope.first(Extension, Extension.number == number)
    if extension is None:
        raise NotFound(
            f"extension {number} does not exist in {scope.domain}",
            error_id="extension-not-found",
            field="extension",
        )
    if extension.user_id is not None:
        owner = await scope.first(User, User.id == extension.user_id)
        raise Conflict(
            f"extension {number} already belongs to {owner.email if owner else 'another user'}",
            error_id="extension-owned",
            field="extension",
        )
    return extension


def _roles() -> list[str]:
    from centrex.data.models import UserRole

    return [r.value for r in UserRole]


@click.group("user")
def user() -> None:
    """Users of a tenant: portal logins with a role, optionally owning an extension."""


@user.command("create")
@tenant_option
@click.option("--name", required=True, help="The person's name.")
@click.option("--email", required=True, help="Login e-mail, unique within the tenant.")
@click.option("--password", required=True, help="Portal password (8 characters or more).")
@click.option("--role", type=LazyChoice(_roles), default="user",
              show_default=True)  # fmt: skip
@click.option("--extension", "number", help="An extension of the tenant the user owns.")
@json_option
@pass_state
def user_create(
    state: CliState,
    domain: str,
    name: str,
    email: str,
    password: str,
    role: str,
    number: str | None,
    as_json: bool,
) -> None:
    """Create a user who can log in to the portal."""
    from centrex.provisioning import users as service
    from centrex.provisioning.logins import check_password
    from centrex.provisioning.tenants import scope_for

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        if not password.strip():
            raise ValidationFailed("the password is empty", error_id="weak-password")
        check_password(password)
        extension = await _free_extension(scope, number) if number is not None else None
        created = await service.create_user(
            scope, name=name, email=email, role=role, password=password
        )
        if extension is not None:
            extension.user_id = created.id
            await session.flush()
        return _row(created, [extension.number] if extension else [], scope.domain)

    emit(write_db(state, work), as_json)


@user.command("list")
@tenant_option
@json_option
@pass_state
def user_list(state: CliState, domain: str, as_json: bool) -> None:
    """List a tenant's users (with the extensions they own), in creation order."""
    from centrex.data.models import Extension
    from centrex.provisioning import users as service
    from centrex.provisioning.tenants import scope_for

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        owned: dict[int, list[str]] = {}
        for ext in await scope.list(
            Extension, Extension.user_id.is_not(None), order_by=Extension.number
        ):
            assert ext.user_id is not None
            owned.setdefault(ext.user_id, []).append(ext.number)
        users = await service.list_users(scope)
        return listing([_row(u, owned.get(u.id, []), scope.domain) for u in users])

    emit(read_db(state, work), as_json, COLUMNS)
