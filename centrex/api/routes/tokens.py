"""/api/v1/tokens: API tokens, created and revoked by staff or tenant admins within their reach.

The token value is returned once, at creation (`token`), and stored only as SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.auth import Caller, Now, Principal, Session, require_tenant_admin, tenant_for
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import Domain, Email, IdPath, OptName, RefId, Strict
from centrex.data.models import ApiToken, Role, Tenant, User
from centrex.errors import Forbidden, NotFound, ValidationFailed
from centrex.provisioning import tokens as service

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=PROBLEM_RESPONSES)


class TokenIn(Strict):
    role: Literal["platform-admin", "partner", "tenant-admin", "user"]
    name: OptName = ""
    partner_id: RefId | None = None
    tenant: Domain | None = None
    user_email: Email | None = None
    expires_at: AwareDatetime | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: str
    partner_id: int | None
    tenant_id: int | None
    user_id: int | None
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None


class TokenCreated(TokenOut):
    token: str


async def reachable_tenant_ids(session: Any, caller: Principal) -> list[int] | None:
    if caller.role == Role.PLATFORM_ADMIN:
        return None
    if caller.role == Role.PARTNER:
        rows = await session.scalars(
            select(Tenant.id).where(Tenant.partner_id == caller.partner_id)
        )
        return list(rows.all())
    return [caller.tenant_id] if caller.tenant_id is not None else []


@router.get("", response_model=Page[TokenOut])
async def list_tokens(session: Session, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    tenant_ids = await reachable_tenant_ids(session, caller)
    partner = caller.partner_id if caller.role == Role.PARTNER else None
    tokens = await service.list_tokens(session, partner_id=partner, tenant_ids=tenant_ids)
    return paginate(
        [service.token_view(t) for t in tokens],
        query,
        orders=("id", "name", "role", "created_at"),
        searchable=("name", "prefix", "role"),
    )


@router.post("", status_code=201, response_model=TokenCreated)
async def create_token(
    body: TokenIn, session: Session, caller: Caller, now: Now, response: Response
) -> dict[str, Any]:
    """A new token for `role`; nobody can mint a token with more reach than their own."""
    created = await mint_token(session, caller, body, now)
    response.headers["Location"] = f"/api/v1/tokens/{created.token.id}"
    return {**service.token_view(created.token), "token": created.secret}


async def mint_token(
    session: AsyncSession, caller: Principal, body: TokenIn, now: datetime
) -> service.CreatedToken:
    """Create a token within the caller's reach (shared by the API and the portal)."""
    require_tenant_admin(caller)
    role = Role(body.role)
    if role == Role.PLATFORM_ADMIN and caller.role != Role.PLATFORM_ADMIN:
        raise Forbidden("only a platform admin may create platform-admin tokens")
    partner_id = body.partner_id if role == Role.PARTNER else None
    if role == Role.PARTNER:
        if caller.role == Role.PARTNER and partner_id not in (None, caller.partner_id):
            raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
        if caller.role == Role.PARTNER:
            partner_id = caller.partner_id
        elif caller.role != Role.PLATFORM_ADMIN:
            raise Forbidden("only staff may create partner tokens")
    tenant_id = user_id = None
    if role in (Role.TENANT_ADMIN, Role.USER):
        tenant = await tenant_for(session, caller, body.tenant)
        tenant_id = tenant.id
        if role == Role.USER:
            if body.user_email is None:
                raise ValidationFailed("a user token needs user_email", field="user_email")
            user = await session.scalar(
                select(User).where(
                    User.tenant_id == tenant.id, User.email == body.user_email.lower()
                )
            )
            if user is None:
                raise NotFound("no such user", error_id="user-not-found", field="user_email")
            user_id = user.id
    return await service.create_token(
        session,
        role=role,
        now=now,
        name=body.name,
        partner_id=partner_id,
        tenant_id=tenant_id,
        user_id=user_id,
        expires_at=body.expires_at,
    )


async def reachable_token(session: AsyncSession, caller: Principal, token_id: int) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    tenant_ids = await reachable_tenant_ids(session, caller)
    reachable = token is not None and (
        tenant_ids is None
        or token.tenant_id in tenant_ids
        or (caller.role == Role.PARTNER and token.partner_id == caller.partner_id)
    )
    if not reachable:
        raise NotFound(f"token {token_id} not found", error_id="token-not-found")
    assert token is not None
    return token


@router.get("/{token_id}", response_model=TokenOut)
async def get_token(token_id: IdPath, session: Session, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return service.token_view(await reachable_token(session, caller, token_id))


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: IdPath, session: Session, caller: Caller, now: Now) -> Response:
    """Revoke: the token stops working at once; the record stays for the audit trail."""
    require_tenant_admin(caller)
    token = await reachable_token(session, caller, token_id)
    await service.revoke_token(session, token.id, now=now)
    return Response(status_code=204)
