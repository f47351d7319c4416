"""Who is calling, and which tenant they act in (shared/DESIGN.md §5).

A request is authenticated by `Authorization: Bearer TOKEN` (integrators) or by the portal's
session cookie (the browser; unsafe methods then also need the session's CSRF token in
`X-CSRF-Token`). Platform admins and partners pick a tenant with `Centrex-Tenant: DOMAIN`; a
tenant admin or user is bound to its tenant by its credential. A tenant out of reach is *not
found* (404), never forbidden, so its existence is not revealed.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.services import ApiServices
from centrex.data.models import Extension, PortalSession, Role, StaffAccount, Tenant, User
from centrex.data.reach import Reach
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, ValidationFailed
from centrex.logs import set_log_context
from centrex.provisioning import logins
from centrex.provisioning.tokens import Unauthenticated, resolve_token

SESSION_COOKIE = "centrex_session"
TENANT_HEADER = "Centrex-Tenant"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and the reach of its role."""

    role: Role
    key: str  # stable identity, e.g. "token:12" or "staff:3" (idempotency records use it)
    name: str
    partner_id: int | None = None
    tenant_id: int | None = None
    user_id: int | None = None
    language: str | None = None
    csrf_token: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.PLATFORM_ADMIN, Role.PARTNER)

    @property
    def is_tenant_admin(self) -> bool:
        return self.role in (Role.PLATFORM_ADMIN, Role.PARTNER, Role.TENANT_ADMIN)


def services(request: Request) -> ApiServices:
    svc: ApiServices = request.app.state.services
    return svc


Services = Annotated[ApiServices, Depends(services)]


async def db_session(svc: Services) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the answer is sent (scope="function")."""
    async with svc.database.transaction() as session:
        yield session


Session = Annotated[AsyncSession, Depends(db_session, scope="function")]


async def principal_from_portal_session(
    session: AsyncSession, row: PortalSession
) -> Principal | None:
    """The principal of a logged-in browser (None if its account is gone)."""
    if row.staff_id is not None:
        staff = await session.get(StaffAccount, row.staff_id)
        if staff is None:
            return None
        return Principal(
            role=staff.role,
            key=f"staff:{staff.id}",
            name=staff.name or staff.email,
            partner_id=staff.partner_id,
            language=staff.language,
            csrf_token=row.csrf_token,
        )
    user = await session.get(User, row.user_id)
    if user is None:
        return None
    role = Role.TENANT_ADMIN if user.role.value == "tenant-admin" else Role(user.role.value)
    return Principal(
        role=role,
        key=f"user:{user.id}",
        name=user.name,
        tenant_id=user.tenant_id,
        user_id=user.id,
        language=user.language.value,
        csrf_token=row.csrf_token,
    )


async def authenticate(
    session: AsyncSession,
    svc: ApiServices,
    *,
    authorization: str | None,
    cookie: str | None,
    method: str,
    csrf_header: str | None,
) -> Principal:
    """Resolve a bearer token or a session cookie into a principal, else 401."""
    now = svc.clock.utcnow()
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated(
                "use 'Authorization: Bearer TOKEN'", error_id="token-invalid", field="Authorization"
            )
        token = await resolve_token(session, secret.strip(), now=now)
        name = token.name or f"token {token.prefix}"
        language = None
        if token.user_id is not None:
            user = await session.get(User, token.user_id)
            language = user.language.value if user is not None else None
        return Principal(
            role=token.role,
            key=f"token:{token.id}",
            name=name,
            partner_id=token.partner_id,
            tenant_id=token.tenant_id,
            user_id=token.user_id,
            language=language,
        )
    if cookie:
        row = await logins.find_session(session, cookie, now=now)
        principal = await principal_from_portal_session(session, row) if row else None
        if principal is not None:
            if method not in SAFE_METHODS and not (
                csrf_header and hmac.compare_digest(csrf_header, principal.csrf_token or "")
            ):
                raise Forbidden("missing or wrong X-CSRF-Token", error_id="csrf-failed")
            return principal
    raise Unauthenticated("authentication required: send 'Authorization: Bearer TOKEN'")


async def current_principal(request: Request, session: Session, svc: Services) -> Principal:
    return await authenticate(
        session,
        svc,
        authorization=request.headers.get("authorization"),
        cookie=request.cookies.get(SESSION_COOKIE),
        method=request.method,
        csrf_header=request.headers.get("x-csrf-token"),
    )


Caller = Annotated[Principal, Depends(current_principal)]


async def tenant_for(session: AsyncSession, principal: Principal, domain: str | None) -> Tenant:
    """The tenant a principal acts in: its own, or the one it names and may reach (`Reach`)."""
    tenant = await Reach.of(session, principal).acting_tenant(domain)
    if tenant is None:
        raise ValidationFailed(
            f"name the tenant with the {TENANT_HEADER} header",
            error_id="tenant-required",
            field=TENANT_HEADER,
        )
    return tenant


async def tenant_scope(request: Request, session: Session, principal: Caller) -> TenantScope:
    tenant = await tenant_for(session, principal, request.headers.get(TENANT_HEADER))
    # The request's task logs as this tenant from here on (reset by `ApiMiddleware`); set only
    # after the reach check, so a header naming another tenant cannot forge log lines.
    set_log_context(tenant=tenant.domain)
    return TenantScope(session, tenant.id, tenant.domain)


Scope = Annotated[TenantScope, Depends(tenant_scope)]


async def caller_reach(session: Session, principal: Caller) -> Reach:
    """The tenants, partners and tokens the caller may reach (everything else is 404)."""
    return Reach.of(session, principal)


CallerReach = Annotated[Reach, Depends(caller_reach)]


def require_platform_admin(principal: Principal) -> None:
    if principal.role != Role.PLATFORM_ADMIN:
        raise Forbidden("only a platform admin may do this")


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("only a platform admin or a partner may do this")


def require_tenant_admin(principal: Principal) -> None:
    if not principal.is_tenant_admin:
        raise Forbidden("only an administrator of the tenant may do this")


async def own_extension_ids(scope: TenantScope, principal: Principal) -> set[int] | None:
    """For a plain user, the ids of the extensions it owns; None means 'all' (admins)."""
    if principal.is_tenant_admin:
        return None
    rows = await scope.list(Extension, Extension.user_id == principal.user_id)
    return {row.id for row in rows}


async def own_extension_numbers(scope: TenantScope, principal: Principal) -> set[str] | None:
    if principal.is_tenant_admin:
        return None
    rows = await scope.list(Extension, Extension.user_id == principal.user_id)
    return {row.number for row in rows}


def request_time(svc: Services) -> datetime:
    """The time of this request, from the injected clock (tests use a manual one)."""
    return svc.clock.utcnow()


Now = Annotated[datetime, Depends(request_time)]
