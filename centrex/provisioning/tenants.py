"""Partners and tenants: platform-level provisioning (no tenant scope: these *are* the scopes)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import (
    Currency,
    Language,
    Partner,
    RecordingLayout,
    RecordingMode,
    Tenant,
    TenantStatus,
    TenantStatusChange,
)
from centrex.data.reach import Reach
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, Forbidden, NotFound, ValidationFailed
from centrex.provisioning.validation import (
    check_extension_digits,
    check_language,
    check_non_negative,
    normalise_domain,
)

DEFAULT_TRIAL_DAYS = 40


async def create_partner(
    session: AsyncSession,
    *,
    name: str,
    contact_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> Partner:
    """A reseller; its name is unique."""
    if not name.strip():
        raise ValidationFailed("partner name is empty", error_id="invalid-name", field="name")
    if await session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise Conflict(f"partner {name!r} already exists", error_id="partner-name-taken")
    partner = Partner(name=name, contact_name=contact_name, email=email, phone=phone)
    session.add(partner)
    await session.flush()
    return partner


async def list_partners(session: AsyncSession) -> Sequence[Partner]:
    return (await session.scalars(select(Partner).order_by(Partner.id))).all()


async def _new_customer_number(session: AsyncSession) -> str:
    """A unique 6-digit customer number (100000–999999), random so it reveals no count."""
    for _ in range(50):
        candidate = str(100000 + secrets.randbelow(900000))
        taken = await session.scalar(select(Tenant.id).where(Tenant.customer_number == candidate))
        if taken is None:
            return candidate
    raise Conflict("could not allocate a customer number", error_id="customer-number-exhausted")


async def create_tenant(
    session: AsyncSession,
    *,
    now: datetime,
    name: str,
    domain: str,
    extension_digits: int,
    max_calls: int,
    language: str = "en",
    country: str = "CH",
    partner_id: int | None = None,
    trial_days: int | None = None,
    storage_quota_mb: int = 1024,
    credit: Decimal = Decimal("0"),
    currency: str = "CHF",
) -> Tenant:
    """A new customer. With `trial_days`, it starts in `trial` status ending that many days on."""
    if not name.strip():
        raise ValidationFailed("tenant name is empty", error_id="invalid-name", field="name")
    domain = normalise_domain(domain)
    check_extension_digits(extension_digits)
    check_non_negative(max_calls, "max_calls")
    check_non_negative(storage_quota_mb, "storage_quota_mb")
    check_language(language)
    if currency not in {c.value for c in Currency}:
        raise ValidationFailed(
            f"currency {currency!r} is not CHF or EUR",
            error_id="invalid-currency",
            field="currency",
        )
    if trial_days is not None and trial_days <= 0:
        raise ValidationFailed(
            "trial days must be positive", error_id="invalid-trial-days", field="trial_days"
        )
    if len(country) != 2 or not country.isalpha():
        raise ValidationFailed(
            f"country {country!r} is not an ISO 3166 code", error_id="invalid-country"
        )
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise NotFound(f"partner {partner_id} not found", error_id="partner-not-found")
    if await session.scalar(select(Tenant.id).where(Tenant.domain == domain)) is not None:
        raise Conflict(f"domain {domain} is already used by a tenant", error_id="domain-taken")
    status = TenantStatus.TRIAL if trial_days else TenantStatus.ACTIVE
    tenant = Tenant(
        name=name.strip(),
        domain=domain,
        customer_number=await _new_customer_number(session),
        partner_id=partner_id,
        language=Language(language),
        country=country.upper(),
        extension_digits=extension_digits,
        max_calls=max_calls,
        storage_quota_mb=storage_quota_mb,
        status=status,
        status_changed_at=now,
        trial_ends_at=now + timedelta(days=trial_days) if trial_days else None,
        credit=credit,
        currency=Currency(currency),
    )
    session.add(tenant)
    await session.flush()
    session.add(TenantStatusChange(tenant_id=tenant.id, status=status, changed_at=now))
    await session.flush()
    return tenant


async def create_tenant_within(
    reach: Reach, *, now: datetime, partner_id: int | None = None, **fields: Any
) -> Tenant:
    """A new tenant created by a principal (API, portal): staff only, under a reachable partner.

    A partner's tenants are its own (naming another partner is `NotFound`, never 403); a
    platform admin may put a tenant under any partner or none. `fields` are `create_tenant`'s.
    """
    if not reach.is_staff:
        raise Forbidden("only a platform admin or a partner may do this")
    if partner_id is None and reach.is_partner:
        partner_id = reach.partner_id
    if partner_id is not None:
        partner_id = (await reach.partner(partner_id)).id
    return await create_tenant(reach.session, now=now, partner_id=partner_id, **fields)


async def list_tenants(session: AsyncSession, *, partner_id: int | None = None) -> Sequence[Tenant]:
    """Every tenant (of one partner): platform-level, for the CLI and batch jobs. What a
    principal may list goes through `Reach.tenants()` instead."""
    stmt = select(Tenant).order_by(Tenant.id)
    if partner_id is not None:
        stmt = stmt.where(Tenant.partner_id == partner_id)
    return (await session.scalars(stmt)).all()


async def count_tenants(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


async def get_tenant(session: AsyncSession, domain: str) -> Tenant:
    """The tenant of a SIP domain (case-insensitive), else `NotFound` with error id."""
    tenant = await session.scalar(select(Tenant).where(Tenant.domain == domain.strip().lower()))
    if tenant is None:
        raise NotFound(f"unknown tenant {domain!r}", error_id="tenant-not-found")
    return tenant


async def scope_for(session: AsyncSession, domain: str) -> TenantScope:
    """The `TenantScope` of a domain: the entry point of every tenant-level operation."""
    tenant = await get_tenant(session, domain)
    return TenantScope(session, tenant.id, tenant.domain)


def scope_of(session: AsyncSession, tenant: Tenant) -> TenantScope:
    return TenantScope(session, tenant.id, tenant.domain)


async def set_status(
    session: AsyncSession,
    tenant: Tenant,
    status: TenantStatus,
    *,
    now: datetime,
    reason: str | None = None,
) -> Tenant:
    """Change a tenant's status and record the change (a no-op change is not recorded)."""
    if tenant.status != status:
        tenant.status = status
        tenant.status_changed_at = now
        session.add(
            TenantStatusChange(tenant_id=tenant.id, status=status, changed_at=now, reason=reason)
        )
        await session.flush()
    return tenant


async def set_recording(
    session: AsyncSession,
    tenant: Tenant,
    *,
    record_calls: RecordingMode | None = None,
    record_layout: RecordingLayout | None = None,
    announce: bool | None = None,
) -> Tenant:
    """The tenant's call recording default (None leaves a field as it is); extensions may
    override it. `announce`: both parties hear a notice when a recording starts."""
    if record_calls is not None:
        tenant.record_calls = record_calls
    if record_layout is not None:
        tenant.record_layout = record_layout
    if announce is not None:
        tenant.record_announce = announce
    await session.flush()
    return tenant


async def status_history(scope: TenantScope) -> Sequence[TenantStatusChange]:
    return await scope.list(TenantStatusChange, order_by=TenantStatusChange.id)
