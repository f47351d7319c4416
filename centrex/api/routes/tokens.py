"""/api/v1/tokens: API tokens, created and revoked by staff or tenant admins within their reach.

The token value is returned once, at creation (`token`), and stored only as SHA-256.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import AwareDatetime, BaseModel

from centrex.api.auth import Caller, CallerReach, Now, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import Domain, Email, IdPath, OptName, RefId, Strict
from centrex.data.models import Role
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


@router.get("", response_model=Page[TokenOut])
async def list_tokens(reach: CallerReach, caller: Caller, query: Listing) -> dict[str, Any]:
    require_tenant_admin(caller)
    return paginate(
        [service.token_view(t) for t in await service.list_tokens(reach)],
        query,
        orders=("id", "name", "role", "created_at"),
        searchable=("name", "prefix", "role"),
    )


@router.post("", status_code=201, response_model=TokenCreated)
async def create_token(
    body: TokenIn, reach: CallerReach, caller: Caller, now: Now, response: Response
) -> dict[str, Any]:
    """A new token for `role`; nobody can mint a token with more reach than their own."""
    require_tenant_admin(caller)
    created = await service.mint_token(
        reach,
        role=Role(body.role),
        now=now,
        name=body.name,
        partner_id=body.partner_id if body.role == "partner" else None,
        tenant=body.tenant,
        user_email=body.user_email,
        expires_at=body.expires_at,
    )
    response.headers["Location"] = f"/api/v1/tokens/{created.token.id}"
    return {**service.token_view(created.token), "token": created.secret}


@router.get("/{token_id}", response_model=TokenOut)
async def get_token(token_id: IdPath, reach: CallerReach, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return service.token_view(await service.get_token(reach, token_id))


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: IdPath, reach: CallerReach, caller: Caller, now: Now) -> Response:
    """Revoke: the token stops working at once; the record stays for the audit trail."""
    require_tenant_admin(caller)
    await service.revoke_token(reach, token_id, now=now)
    return Response(status_code=204)
