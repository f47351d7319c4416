"""API tokens: created by the CLI or the portal, stored as SHA-256, revocable, optionally expiring.

A token is 32 random bytes (256 bits) in URL-safe base64 with a `cx_` prefix. With that much
entropy a fast hash is as safe as a slow one, and it lets us look a token up by its hash in one
indexed query on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import ApiToken, Partner, Role, Tenant, User
from centrex.data.reach import Reach
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed

TOKEN_PREFIX = "cx_"  # noqa: S105 - a label, not a secret
ADMIN_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.PARTNER, Role.TENANT_ADMIN})
# what the API and the portal mint (agent and supervisor tokens come with the contact centre)
MINTABLE_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.PARTNER, Role.TENANT_ADMIN, Role.USER})
NAME_MAX = 200  # api_tokens.name


class Unauthenticated(CentrexError):
    """No credentials, or credentials that do not (or no longer) work: HTTP 401."""

    status = 401
    error_id = "unauthenticated"


def hash_secret(value: str) -> str:
    """SHA-256 hex of a high-entropy secret (API token or session cookie)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CreatedToken:
    """A new token; `secret` exists only here: show it once."""

    token: ApiToken
    secret: str


def _check_binding(
    role: Role, partner_id: int | None, tenant_id: int | None, user_id: int | None
) -> None:
    """Each role is bound to exactly the objects that define its reach."""
    if role == Role.PLATFORM_ADMIN and (partner_id or tenant_id or user_id):
        raise ValidationFailed(
            "a platform-admin token has no partner, tenant or user", field="role"
        )
    if role == Role.PARTNER and (partner_id is None or tenant_id or user_id):
        raise ValidationFailed("a partner token needs a partner (and only that)", field="partner")
    if role == Role.TENANT_ADMIN and (tenant_id is None or partner_id or user_id):
        raise ValidationFailed("a tenant-admin token needs a tenant", field="tenant")
    if role in (Role.USER, Role.AGENT, Role.SUPERVISOR) and (tenant_id is None or user_id is None):
        raise ValidationFailed(f"a {role.value} token needs a tenant and a user", field="user")


async def create_token(
    session: AsyncSession,
    *,
    role: Role,
    now: datetime,
    name: str = "",
    partner_id: int | None = None,
    tenant_id: int | None = None,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> CreatedToken:
    """A new bearer token for `role`, bound to its partner, tenant or user."""
    _check_binding(role, partner_id, tenant_id, user_id)
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
    if tenant_id is not None and await session.get(Tenant, tenant_id) is None:
        raise NotFound(f"tenant {tenant_id} not found", error_id="tenant-not-found")
    if user_id is not None:
        user = await session.get(User, user_id)
        if user is None or user.tenant_id != tenant_id:
            raise NotFound(f"user {user_id} not found", error_id="user-not-found", field="user")
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "expiry is in the past", error_id="invalid-expiry", field="expires_at"
        )
    secret = new_secret()
    token = ApiToken(
        token_hash=hash_secret(secret),
        prefix=secret[:10],
        name=name,
        role=role,
        partner_id=partner_id,
        tenant_id=tenant_id,
        user_id=user_id,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(token)
    await session.flush()
    return CreatedToken(token, secret)


async def list_tokens(reach: Reach) -> Sequence[ApiToken]:
    """The tokens within a principal's reach (`Reach.platform` for the operator's CLI)."""
    return await reach.tokens()


async def get_token(reach: Reach, token_id: int) -> ApiToken:
    """One token within reach, else `NotFound` (another partner's or tenant's token included)."""
    return await reach.token(token_id)


async def revoke_token(reach: Reach, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke a token within reach: it stops working at once, the record stays for the audit."""
    token = await reach.token(token_id)
    if token.revoked_at is None:
        token.revoked_at = now
        await reach.session.flush()
    return token


def _check_mint(reach: Reach, role: Role, name: str) -> None:
    """Who may mint what at all: administrators only, never more than platform reach."""
    if reach.role not in ADMIN_ROLES:
        raise Forbidden("only an administrator of the tenant may do this")
    if role not in MINTABLE_ROLES:
        raise ValidationFailed(f"tokens cannot be minted for role {role.value}", field="role")
    if role == Role.PLATFORM_ADMIN and not reach.is_platform:
        raise Forbidden("only a platform admin may create platform-admin tokens")
    if role == Role.PARTNER and not reach.is_staff:
        raise Forbidden("only staff may create partner tokens")
    if len(name) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationFailed(
            f"a token name has at most {NAME_MAX} printable characters", field="name"
        )


async def _tenant_binding(
    reach: Reach, role: Role, tenant: str | None, user_email: str | None
) -> tuple[int | None, int | None]:
    """(tenant id, user id) of a tenant-admin or user token, within the minter's reach."""
    if role not in (Role.TENANT_ADMIN, Role.USER):
        return None, None
    acting = await reach.acting_tenant(tenant)
    if acting is None:
        raise ValidationFailed(
            "name the tenant of the token", error_id="tenant-required", field="tenant"
        )
    if role == Role.TENANT_ADMIN:
        return acting.id, None
    if user_email is None:
        raise ValidationFailed("a user token needs user_email", field="user_email")
    user = await reach.session.scalar(
        select(User).where(User.tenant_id == acting.id, User.email == user_email.lower())
    )
    if user is None:
        raise NotFound("no such user", error_id="user-not-found", field="user_email")
    return acting.id, user.id


async def mint_token(
    reach: Reach,
    *,
    role: Role,
    now: datetime,
    name: str = "",
    partner_id: int | None = None,
    tenant: str | None = None,
    user_email: str | None = None,
    expires_at: datetime | None = None,
) -> CreatedToken:
    """A token for `role` minted by a principal: nobody can mint more reach than their own.

    Shared by the API and the portal. A partner's partner token is its own (naming another
    partner is `NotFound`); a tenant-admin or user token is bound to the tenant the minter acts
    in (`tenant`, a domain within reach; a tenant admin's own by default)."""
    _check_mint(reach, role, name)
    bound_partner = None
    if role == Role.PARTNER:
        wanted = reach.partner_id if partner_id is None and reach.is_partner else partner_id
        if wanted is not None:
            bound_partner = (await reach.partner(wanted)).id
    tenant_id, user_id = await _tenant_binding(reach, role, tenant, user_email)
    return await create_token(
        reach.session,
        role=role,
        now=now,
        name=name,
        partner_id=bound_partner,
        tenant_id=tenant_id,
        user_id=user_id,
        expires_at=expires_at,
    )


async def resolve_token(session: AsyncSession, secret: str, *, now: datetime) -> ApiToken:
    """The live token for `secret`, else `Unauthenticated` saying why (unknown/revoked/expired)."""
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        raise Unauthenticated("the token is not valid", error_id="token-invalid")
    if token.revoked_at is not None:
        raise Unauthenticated("the token has been revoked", error_id="token-revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("the token has expired", error_id="token-expired")
    return token


def token_view(token: ApiToken) -> dict[str, object]:
    """A token without its secret (the secret is shown only once, at creation)."""
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "role": token.role.value,
        "partner_id": token.partner_id,
        "tenant_id": token.tenant_id,
        "user_id": token.user_id,
        "created_at": token.created_at.isoformat() if token.created_at else None,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }
