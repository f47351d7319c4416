"""Tenant isolation: everything read, updated or deleted through one tenant's scope stays in it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Extension, Partner, SipCredential, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning import extensions, tenants


async def _two_tenants(db: Database, clock: ManualClock) -> tuple[int, int]:
    async with db.transaction() as session:
        a = await tenants.create_tenant(
            session,
            now=clock.utcnow(),
            name="A",
            domain="a.example.com",
            extension_digits=3,
            max_calls=2,
        )
        b = await tenants.create_tenant(
            session,
            now=clock.utcnow(),
            name="B",
            domain="b.example.com",
            extension_digits=3,
            max_calls=2,
        )
        for tenant in (a, b):
            scope = tenants.scope_of(session, tenant)
            await extensions.create_extension(scope, number="101", name=f"{tenant.name} 101")
            await extensions.create_extension(scope, number="102", name=f"{tenant.name} 102")
        return a.id, b.id


async def test_same_extension_number_in_two_tenants(db: Database, clock: ManualClock) -> None:
    await _two_tenants(db, clock)
    async with db.session() as session:
        a = await tenants.scope_for(session, "a.example.com")
        b = await tenants.scope_for(session, "b.example.com")
        ext_a = await extensions.get_extension(a, "101")
        ext_b = await extensions.get_extension(b, "101")
        assert ext_a.id != ext_b.id
        assert ext_a.display_name == "A 101"
        assert ext_b.display_name == "B 101"
        assert [e.display_name for e in await extensions.list_extensions(a)] == ["A 101", "A 102"]


async def test_get_of_other_tenants_row_is_not_found(db: Database, clock: ManualClock) -> None:
    await _two_tenants(db, clock)
    async with db.session() as session:
        a = await tenants.scope_for(session, "a.example.com")
        b = await tenants.scope_for(session, "b.example.com")
        foreign = await extensions.get_extension(b, "101")
        with pytest.raises(NotFound):
            await a.get(Extension, foreign.id)
        assert await a.count(Extension) == 2
        assert await a.first(Extension, Extension.id == foreign.id) is None


async def test_update_and_delete_never_touch_other_tenant(db: Database, clock: ManualClock) -> None:
    await _two_tenants(db, clock)
    async with db.transaction() as session:
        a = await tenants.scope_for(session, "a.example.com")
        changed = await a.update(Extension, [Extension.number == "101"], display_name="changed")
        assert changed == 1
        deleted = await a.delete(Extension, Extension.number == "102")
        assert deleted == 1
        b = await tenants.scope_for(session, "b.example.com")
        foreign = await extensions.get_extension(b, "101")
        with pytest.raises(NotFound):
            await a.remove(foreign)
    async with db.session() as session:
        names = (await session.scalars(select(Extension.display_name).order_by(Extension.id))).all()
        assert sorted(names) == ["B 101", "B 102", "changed"]
        # cascading delete removed exactly one credential (A's 102)
        assert await session.scalar(select(func.count()).select_from(SipCredential)) == 3


async def test_scope_add_forces_its_tenant(db: Database, clock: ManualClock) -> None:
    a_id, b_id = await _two_tenants(db, clock)
    async with db.transaction() as session:
        a = TenantScope(session, a_id, "a.example.com")
        ext = a.add(Extension(number="103", tenant_id=b_id))
        await session.flush()
        assert ext.tenant_id == a_id


async def test_scope_refuses_platform_tables(db: Database) -> None:
    async with db.session() as session:
        scope = TenantScope(session, 1, "a.example.com")
        with pytest.raises(TypeError):
            scope.select(Partner)
        with pytest.raises(TypeError):
            scope.select(Tenant)


async def test_scope_refuses_moving_rows_or_unconditional_delete(
    db: Database, clock: ManualClock
) -> None:
    a_id, b_id = await _two_tenants(db, clock)
    async with db.transaction() as session:
        a = TenantScope(session, a_id, "a.example.com")
        with pytest.raises(ValueError, match="another tenant"):
            await a.update(Extension, [Extension.number == "101"], tenant_id=b_id)
        with pytest.raises(ValueError, match="without a condition"):
            await a.delete(Extension)
