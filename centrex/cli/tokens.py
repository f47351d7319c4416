"""`centrex token` (API tokens) and `centrex admin` (portal logins of platform admins and
partner staff). Token secrets are printed once and stored only as SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# The models and services are imported in the commands that use them: `centrex token --help`
# pays for none of them, and only `admin` pays for the login service's Argon2 set-up.

ROLES = ["platform-admin", "partner", "tenant-admin", "user"]


def _expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"--expires {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        raise ValidationFailed("--expires needs a time zone, e.g. 2027-01-01T00:00:00+00:00")
    return parsed


@click.group()
def token() -> None:
    """API tokens (sent as 'Authorization: Bearer TOKEN')."""


@token.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--tenant", "domain", help="Tenant domain (tenant-admin, user).")
@click.option("--partner", "partner_id", type=int, help="Partner id (partner).")
@click.option("--user", "email", help="User e-mail (user).")
@click.option("--name", default="", help="A label to recognise the token.")
@click.option("--expires", help="Expiry time, ISO 8601 with time zone.")
@json_option
@pass_state
def token_create(
    state: CliState,
    role: str,
    domain: str | None,
    partner_id: int | None,
    email: str | None,
    name: str,
    expires: str | None,
    as_json: bool,
) -> None:
    """Create a token; its value is shown only now."""
    from sqlalchemy import select

    from centrex.data.models import Role, User
    from centrex.provisioning import tenants as tenant_service
    from centrex.provisioning import tokens as token_service

    async def work(session: AsyncSession) -> dict[str, Any]:
        tenant_id = user_id = None
        if domain is not None:
            tenant_id = (await tenant_service.get_tenant(session, domain)).id
        if email is not None:
            if tenant_id is None:
                raise ValidationFailed("--user needs --tenant", field="tenant")
            user = await session.scalar(
                select(User).where(User.tenant_id == tenant_id, User.email == email.lower())
            )
            if user is None:
                raise NotFound(f"no user {email} in {domain}", error_id="user-not-found")
            user_id = user.id
        created = await token_service.create_token(
            session,
            role=Role(role),
            now=state.clock.utcnow(),
            name=name,
            partner_id=partner_id,
            tenant_id=tenant_id,
            user_id=user_id,
            expires_at=_expiry(expires),
        )
        return {**token_service.token_view(created.token), "token": created.secret}

    result = write_db(state, work)
    if as_json:
        emit(result, True)
    else:
        click.echo(result["token"])


@token.command("list")
@json_option
@pass_state
def token_list(state: CliState, as_json: bool) -> None:
    """Every token (never their values)."""
    from centrex.data.reach import Reach
    from centrex.provisioning import tokens as token_service

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing(
            [
                token_service.token_view(t)
                for t in await token_service.list_tokens(Reach.platform(session))
            ]
        )

    emit(
        read_db(state, work),
        as_json,
        ["id", "role", "name", "prefix", "tenant_id", "expires_at", "revoked_at"],
    )


@token.command("revoke")
@click.argument("token_id", type=int)
@json_option
@pass_state
def token_revoke(state: CliState, token_id: int, as_json: bool) -> None:
    """Revoke a token: it stops working at once."""
    from centrex.data.reach import Reach
    from centrex.provisioning import tokens as token_service

    async def work(session: AsyncSession) -> dict[str, Any]:
        revoked = await token_service.revoke_token(
            Reach.platform(session), token_id, now=state.clock.utcnow()
        )
        return token_service.token_view(revoked)

    emit(write_db(state, work), as_json)


@click.group()
def admin() -> None:
    """Portal logins of platform admins and partner staff."""


@admin.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--name", default="")
@click.option("--partner", "partner_id", type=int, help="Make a partner staff login.")
@click.option("--language", type=click.Choice(["en", "fr", "de", "it"]), default="en")
@json_option
@pass_state
def admin_create(
    state: CliState,
    email: str,
    password: str,
    name: str,
    partner_id: int | None,
    language: str,
    as_json: bool,
) -> None:
    """Create a platform admin login (or partner staff with --partner)."""
    from centrex.data.models import Role
    from centrex.provisioning import logins

    async def work(session: AsyncSession) -> dict[str, Any]:
        account = await logins.create_staff(
            session,
            email=email,
            password=password,
            role=Role.PARTNER if partner_id is not None else Role.PLATFORM_ADMIN,
            partner_id=partner_id,
            name=name,
            language=language,
        )
        return _staff_view(account)

    emit(write_db(state, work), as_json)


def _staff_view(account: Any) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "role": account.role.value,
        "partner_id": account.partner_id,
        "language": account.language,
    }


@admin.command("list")
@json_option
@pass_state
def admin_list(state: CliState, as_json: bool) -> None:
    """Platform admin and partner staff logins."""
    from centrex.provisioning import logins

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing([_staff_view(a) for a in await logins.list_staff(session)])

    emit(read_db(state, work), as_json)
