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

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import ApiToken, Partner, Role, Tenant, User
from centrex.errors import CentrexError, NotFound, ValidationFailed

TOKEN_PREFIX = "cx_"  # noqa: S105 - a label, not a secret


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


async def list_tokens(
    session: AsyncSession,
    *,
    partner_id: int | None = None,
    tenant_ids: Sequence[int] | None = None,
) -> Sequence[ApiToken]:
    """Tokens, optionally only those of a partner and/or a set of tenants (a caller's reach)."""
    stmt = select(ApiToken).order_by(ApiToken.id)
    where: list[ColumnElement[bool]] = []
    if partner_id is not None and tenant_ids is not None:
        where.append((ApiToken.partner_id == partner_id) | ApiToken.tenant_id.in_(list(tenant_ids)))
    elif tenant_ids is not None:
        where.append(ApiToken.tenant_id.in_(list(tenant_ids)))
    if where:
        stmt = stmt.where(*where)
    return (await session.scalars(stmt)).all()


async def revoke_token(session: AsyncSession, token_id: int, *, now: datetime) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found", error_id="token-not-found")
    if token.revoked_at is None:
        token.revoked_at = now
        await session.flush()
    return token


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
