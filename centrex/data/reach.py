"""`Reach`: the one place where partner reach is enforced, one level above `TenantScope`.

`TenantScope` keeps a query inside one tenant; `Reach` decides *which tenants* (and which
partners and API tokens) a principal may see at all: a platform admin reaches every tenant, a
partner only the tenants it resells, a tenant role only its own tenant. Every query that lists or
reads tenants, partners or tokens for a principal is built here, so the rule is written once and
a route cannot forget it (the opt-in filter of Wazo's tenancy bug, one level up). Anything out
of reach is simply *not found* (the API answers 404, never 403, so its existence is not revealed).

A principal whose binding is missing (a partner without a partner id, a tenant role without a
tenant id) reaches nothing: `partner_id == NULL` must never become "every tenant without a
partner".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import ApiToken, Partner, Role, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound


class Reacher(Protocol):
    """What a reach is built from: the role and bindings of a principal (API token, login)."""

    @property
    def role(self) -> Role: ...

    @property
    def partner_id(self) -> int | None: ...

    @property
    def tenant_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Reach:
    """A session restricted to the tenants, partners and tokens one principal may reach."""

    session: AsyncSession
    role: Role
    partner_id: int | None = None
    tenant_id: int | None = None

    @classmethod
    def of(cls, session: AsyncSession, principal: Reacher) -> Reach:
        """The reach of a principal; only the binding that matters for its role is kept."""
        if principal.role == Role.PLATFORM_ADMIN:
            return cls(session, Role.PLATFORM_ADMIN)
        if principal.role == Role.PARTNER:
            return cls(session, Role.PARTNER, partner_id=principal.partner_id)
        return cls(session, principal.role, tenant_id=principal.tenant_id)

    @classmethod
    def platform(cls, session: AsyncSession) -> Reach:
        """Everything: for the operator's CLI and platform-level jobs (no principal)."""
        return cls(session, Role.PLATFORM_ADMIN)

    @property
    def is_platform(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def is_staff(self) -> bool:
        return self.is_platform or self.is_partner

    # ------------------------------------------------------------------ tenants

    def tenant_condition(self) -> ColumnElement[bool]:
        """`WHERE` clause on `Tenant` selecting exactly the reachable tenants."""
        if self.is_platform:
            return true()
        if self.is_partner:
            return Tenant.partner_id == self.partner_id if self.partner_id is not None else false()
        return Tenant.id == self.tenant_id if self.tenant_id is not None else false()

    def select_tenants(self, *where: ColumnElement[bool]) -> Select[Tenant]:
        return select(Tenant).where(self.tenant_condition(), *where)

    async def tenants(self) -> Sequence[Tenant]:
        """The reachable tenants, by id."""
        return (await self.session.scalars(self.select_tenants().order_by(Tenant.id))).all()

    async def tenant_ids(self) -> frozenset[int] | None:
        """Ids of the reachable tenants; None for a platform admin, meaning *every* tenant,
        including those created later (a live event filter must not freeze the list)."""
        if self.is_platform:
            return None
        stmt = select(Tenant.id).where(self.tenant_condition())
        return frozenset((await self.session.scalars(stmt)).all())

    async def tenant(self, tenant_id: int) -> Tenant:
        """The tenant with this id if it is within reach, else `NotFound`."""
        found = (await self.session.scalars(self.select_tenants(Tenant.id == tenant_id))).first()
        if found is None:
            raise NotFound(f"tenant {tenant_id} not found", error_id="tenant-not-found")
        return found

    async def tenant_named(self, domain: str) -> Tenant:
        """The tenant of a SIP domain (case-insensitive) if it is within reach, else `NotFound`."""
        wanted = domain.strip().lower()
        found = (await self.session.scalars(self.select_tenants(Tenant.domain == wanted))).first()
        if found is None:
            raise NotFound(f"unknown tenant {domain!r}", error_id="tenant-not-found")
        return found

    async def acting_tenant(self, domain: str | None) -> Tenant | None:
        """The tenant a principal acts in: a tenant role's own (naming another is `NotFound`),
        or the reachable one staff name; None when staff name none (the caller decides)."""
        if not self.is_staff:
            if self.tenant_id is None:
                raise NotFound(f"unknown tenant {domain!r}", error_id="tenant-not-found")
            own = await self.tenant(self.tenant_id)
            if domain and domain.strip().lower() != own.domain:
                raise NotFound(f"unknown tenant {domain!r}", error_id="tenant-not-found")
            return own
        if not domain:
            return None
        return await self.tenant_named(domain)

    async def scope(self, tenant_id: int) -> TenantScope:
        """The `TenantScope` of a reachable tenant (else `NotFound`)."""
        tenant = await self.tenant(tenant_id)
        return TenantScope(self.session, tenant.id, tenant.domain)

    # ------------------------------------------------------------------ partners

    def partner_condition(self) -> ColumnElement[bool]:
        """A platform admin reaches every partner, a partner itself, a tenant role none."""
        if self.is_platform:
            return true()
        if self.is_partner and self.partner_id is not None:
            return Partner.id == self.partner_id
        return false()

    async def partners(self) -> Sequence[Partner]:
        stmt = select(Partner).where(self.partner_condition()).order_by(Partner.id)
        return (await self.session.scalars(stmt)).all()

    async def partner(self, partner_id: int) -> Partner:
        """The partner with this id if it is within reach, else `NotFound`."""
        stmt = select(Partner).where(self.partner_condition(), Partner.id == partner_id)
        found = (await self.session.scalars(stmt)).first()
        if found is None:
            raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
        return found

    # ------------------------------------------------------------------ API tokens

    def token_condition(self) -> ColumnElement[bool]:
        """Tokens bound to a reachable tenant; a partner also reaches its own partner tokens
        (never platform-admin tokens, never another partner's)."""
        if self.is_platform:
            return true()
        if self.is_partner:
            if self.partner_id is None:
                return false()
            own_tenants = select(Tenant.id).where(Tenant.partner_id == self.partner_id)
            return (ApiToken.partner_id == self.partner_id) | ApiToken.tenant_id.in_(own_tenants)
        return ApiToken.tenant_id == self.tenant_id if self.tenant_id is not None else false()

    async def tokens(self) -> Sequence[ApiToken]:
        """The reachable tokens, by id."""
        stmt = select(ApiToken).where(self.token_condition()).order_by(ApiToken.id)
        return (await self.session.scalars(stmt)).all()

    async def token(self, token_id: int) -> ApiToken:
        """The token with this id if it is within reach, else `NotFound`."""
        stmt = select(ApiToken).where(self.token_condition(), ApiToken.id == token_id)
        found = (await self.session.scalars(stmt)).first()
        if found is None:
            raise NotFound(f"token {token_id} not found", error_id="token-not-found")
        return found
