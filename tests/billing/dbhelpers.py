"""Helpers for billing database tests: a tenant, its scope, CDR rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.provisioning.tenants import create_tenant, scope_for, scope_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def make_tenant(session: AsyncSession, domain: str, country: str = "CH") -> TenantScope:
    tenant = await create_tenant(
        session,
        now=NOW,
        name=domain,
        domain=domain,
        extension_digits=3,
        max_calls=10,
        country=country,
    )
    return scope_of(session, tenant)


def add_cdr(
    scope: TenantScope,
    n: int,
    callee: str,
    billsec: int,
    *,
    answered: bool = True,
    direction: Direction = Direction.OUTBOUND,
    on: date = date(2026, 3, 2),
) -> CdrRow:
    start = datetime(on.year, on.month, on.day, 9, tzinfo=UTC) + timedelta(minutes=n)
    return scope.add(
        CdrRow(
            call_id=f"call-{n}",
            caller="+41441110000",
            callee=callee,
            direction=direction,
            started_at=start,
            answered_at=start + timedelta(seconds=5) if answered else None,
            ended_at=start + timedelta(seconds=5 + billsec),
            billsec=billsec if answered else 0,
            disposition=Disposition.ANSWERED if answered else Disposition.NO_ANSWER,
            extension="101",
        )
    )


async def tenant_scope(session: AsyncSession, domain: str) -> TenantScope:
    return await scope_for(session, domain)
