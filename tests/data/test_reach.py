"""Partner reach: what a platform admin, a partner and a tenant role may see of tenants, partners
and API tokens (everything else is *not found*), on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Role
from centrex.data.reach import Reach
from centrex.errors import NotFound
from centrex.provisioning import tenants, tokens


@dataclass(frozen=True)
class Who:
    """A principal as `Reach.of` sees it (role and bindings)."""

    role: Role
    partner_id: int | None = None
    tenant_id: int | None = None


@dataclass(frozen=True)
class Seeded:
    p1: int
    p2: int
    a1: int  # partner one's tenant
    a2: int  # partner one's second tenant
    b: int  # partner two's tenant
    orphan: int  # a tenant without partner
    token_ids: dict[str, int]


async def _seed(session: AsyncSession, clock: ManualClock) -> Seeded:
    now = clock.utcnow()
    p1 = await tenants.create_partner(session, name="One")
    p2 = await tenants.create_partner(session, name="Two")
    made = {}
    for key, domain, partner in (
        ("a1", "a1.example.com", p1.id),
        ("a2", "a2.example.com", p1.id),
        ("b", "b.example.com", p2.id),
        ("orphan", "orphan.example.com", None),
    ):
        tenant = await tenants.create_tenant(
            session,
            now=now,
            name=key,
            domain=domain,
            extension_digits=3,
            max_calls=1,
            partner_id=partner,
        )
        made[key] = tenant.id
    specs = {
        "root": {"role": Role.PLATFORM_ADMIN},
        "p1": {"role": Role.PARTNER, "partner_id": p1.id},
        "p2": {"role": Role.PARTNER, "partner_id": p2.id},
        "admin_a1": {"role": Role.TENANT_ADMIN, "tenant_id": made["a1"]},
        "admin_b": {"role": Role.TENANT_ADMIN, "tenant_id": made["b"]},
        "admin_orphan": {"role": Role.TENANT_ADMIN, "tenant_id": made["orphan"]},
    }
    token_ids = {}
    for name, spec in specs.items():
        created = await tokens.create_token(session, now=now, **spec)  # type: ignore[arg-type]
        token_ids[name] = created.token.id
    return Seeded(p1.id, p2.id, made["a1"], made["a2"], made["b"], made["orphan"], token_ids)


async def test_platform_admin_reaches_everything(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        s = await _seed(session, clock)
        reach = Reach.of(session, Who(Role.PLATFORM_ADMIN))
        assert [t.id for t in await reach.tenants()] == [s.a1, s.a2, s.b, s.orphan]
        assert await reach.tenant_ids() is None  # every tenant, also those created later
        assert (await reach.tenant(s.b)).id == s.b
        assert [p.id for p in await reach.partners()] == [s.p1, s.p2]
        assert sorted(t.id for t in await reach.tokens()) == sorted(s.token_ids.values())
        assert await reach.acting_tenant(None) is None
        assert (await reach.acting_tenant("B.Example.com ")).id == s.b
        assert Reach.platform(session) == reach


async def test_partner_reaches_only_its_own(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        s = await _seed(session, clock)
        one = Reach.of(session, Who(Role.PARTNER, partner_id=s.p1, tenant_id=s.b))
        assert one.tenant_id is None  # a partner's reach ignores any stray tenant binding
        assert [t.id for t in await one.tenants()] == [s.a1, s.a2]
        assert await one.tenant_ids() == frozenset({s.a1, s.a2})
        assert [p.id for p in await one.partners()] == [s.p1]
        # its own partner token and its tenants' tokens; never root's, partner two's or B's
        assert {t.id for t in await one.tokens()} == {
            s.token_ids["p1"],
            s.token_ids["admin_a1"],
        }
        for foreign in ("root", "p2", "admin_b", "admin_orphan"):
            with pytest.raises(NotFound) as caught:
                await one.token(s.token_ids[foreign])
            assert caught.value.error_id == "token-not-found"
        for tenant_id in (s.b, s.orphan):
            with pytest.raises(NotFound) as caught:
                await one.tenant(tenant_id)
            assert caught.value.error_id == "tenant-not-found"
        with pytest.raises(NotFound):
            await one.tenant_named("b.example.com")
        with pytest.raises(NotFound):
            await one.acting_tenant("orphan.example.com")
        with pytest.raises(NotFound) as caught:
            await one.partner(s.p2)
        assert caught.value.error_id == "partner-not-found"
        two = Reach.of(session, Who(Role.PARTNER, partner_id=s.p2))
        assert [t.id for t in await two.tenants()] == [s.b]
        with pytest.raises(NotFound):
            await two.tenant(s.a1)
        assert (await two.scope(s.b)).domain == "b.example.com"
        with pytest.raises(NotFound):
            await two.scope(s.a1)


async def test_tenant_admin_reaches_its_tenant_only(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        s = await _seed(session, clock)
        admin = Reach.of(session, Who(Role.TENANT_ADMIN, partner_id=s.p1, tenant_id=s.b))
        assert admin.partner_id is None  # a tenant role never inherits partner reach
        assert [t.id for t in await admin.tenants()] == [s.b]
        assert await admin.tenant_ids() == frozenset({s.b})
        assert await admin.partners() == []
        with pytest.raises(NotFound):
            await admin.partner(s.p2)
        assert [t.id for t in await admin.tokens()] == [s.token_ids["admin_b"]]
        assert (await admin.acting_tenant(None)).id == s.b
        assert (await admin.acting_tenant("b.example.com")).id == s.b
        with pytest.raises(NotFound):
            await admin.acting_tenant("a1.example.com")
        with pytest.raises(NotFound):
            await admin.tenant(s.a1)
        scope = await admin.scope(s.b)
        assert (scope.tenant_id, scope.domain) == (s.b, "b.example.com")


@pytest.mark.parametrize(
    "who", [Who(Role.PARTNER), Who(Role.TENANT_ADMIN), Who(Role.USER)], ids=str
)
async def test_a_missing_binding_reaches_nothing(
    db: Database, clock: ManualClock, who: Who
) -> None:
    """`partner_id IS NULL` must not become 'every tenant without a partner'."""
    async with db.transaction() as session:
        s = await _seed(session, clock)
        reach = Reach.of(session, who)
        assert await reach.tenants() == []
        assert await reach.tenant_ids() == frozenset()
        assert await reach.partners() == []
        assert await reach.tokens() == []
        with pytest.raises(NotFound):
            await reach.tenant(s.orphan)
        with pytest.raises(NotFound):
            await reach.acting_tenant("orphan.example.com")
