"""The domain rules shared by the API and the portal: minting tokens and creating tenants within
a principal's reach (nobody mints more reach than their own; out of reach is *not found*)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import ApiToken, Role, Tenant
from centrex.data.reach import Reach
from centrex.errors import CentrexError, Forbidden, NotFound, ValidationFailed
from centrex.provisioning import tenants, tokens, users


async def _world(session: AsyncSession, clock: ManualClock) -> dict[str, int]:
    now = clock.utcnow()
    p1 = await tenants.create_partner(session, name="One")
    p2 = await tenants.create_partner(session, name="Two")
    a = await tenants.create_tenant(
        session,
        now=now,
        name="A",
        domain="a.example.com",
        extension_digits=3,
        max_calls=1,
        partner_id=p1.id,
    )
    b = await tenants.create_tenant(
        session,
        now=now,
        name="B",
        domain="b.example.com",
        extension_digits=3,
        max_calls=1,
        partner_id=p2.id,
    )
    await users.create_user(tenants.scope_of(session, b), name="Bea", email="bea@b.example.com")
    return {"p1": p1.id, "p2": p2.id, "a": a.id, "b": b.id}


def _partner(ids: dict[str, int], session: AsyncSession, which: str = "p1") -> Reach:
    return Reach(session, Role.PARTNER, partner_id=ids[which])


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_partner_mints_only_within_its_reach(db: Database, clock: ManualClock) -> None:
    now = clock.utcnow()
    async with db.transaction() as session:
        ids = await _world(session, clock)
        one = _partner(ids, session)
        own = await tokens.mint_token(one, role=Role.PARTNER, now=now)
        assert own.token.partner_id == ids["p1"]
        admin_a = await tokens.mint_token(
            one, role=Role.TENANT_ADMIN, now=now, tenant="a.example.com"
        )
        assert admin_a.token.tenant_id == ids["a"]
        before = await _count(session, ApiToken)
        refused: list[tuple[dict[str, object], type[CentrexError], str]] = [
            ({"role": Role.PARTNER, "partner_id": ids["p2"]}, NotFound, "partner-not-found"),
            ({"role": Role.TENANT_ADMIN, "tenant": "b.example.com"}, NotFound, "tenant-not-found"),
            (
                {"role": Role.USER, "tenant": "b.example.com", "user_email": "bea@b.example.com"},
                NotFound,
                "tenant-not-found",
            ),
            ({"role": Role.PLATFORM_ADMIN}, Forbidden, "forbidden"),
            ({"role": Role.TENANT_ADMIN}, ValidationFailed, "tenant-required"),
        ]
        for kwargs, error, error_id in refused:
            with pytest.raises(error) as caught:
                await tokens.mint_token(one, now=now, **kwargs)  # type: ignore[arg-type]
            assert caught.value.error_id == error_id, kwargs
        assert await _count(session, ApiToken) == before


async def test_tenant_admin_and_user_mint_no_more_than_their_tenant(
    db: Database, clock: ManualClock
) -> None:
    now = clock.utcnow()
    async with db.transaction() as session:
        ids = await _world(session, clock)
        admin = Reach(session, Role.TENANT_ADMIN, tenant_id=ids["b"])
        user = await tokens.mint_token(
            admin, role=Role.USER, now=now, user_email="BEA@b.example.com"
        )
        assert (user.token.tenant_id, user.token.role) == (ids["b"], Role.USER)
        with pytest.raises(NotFound):
            await tokens.mint_token(admin, role=Role.TENANT_ADMIN, now=now, tenant="a.example.com")
        for role in (Role.PARTNER, Role.PLATFORM_ADMIN):
            with pytest.raises(Forbidden):
                await tokens.mint_token(admin, role=role, now=now)
        with pytest.raises(ValidationFailed):
            await tokens.mint_token(admin, role=Role.AGENT, now=now)
        with pytest.raises(ValidationFailed):
            await tokens.mint_token(admin, role=Role.TENANT_ADMIN, now=now, name="bad\nname")
        plain = Reach(session, Role.USER, tenant_id=ids["b"])
        with pytest.raises(Forbidden):
            await tokens.mint_token(plain, role=Role.USER, now=now, user_email="bea@b.example.com")


async def test_revoke_and_get_only_within_reach(db: Database, clock: ManualClock) -> None:
    now = clock.utcnow()
    async with db.transaction() as session:
        ids = await _world(session, clock)
        theirs = await tokens.create_token(
            session, role=Role.TENANT_ADMIN, now=now, tenant_id=ids["b"]
        )
        with pytest.raises(NotFound):
            await tokens.revoke_token(_partner(ids, session), theirs.token.id, now=now)
        with pytest.raises(NotFound):
            await tokens.get_token(_partner(ids, session), theirs.token.id)
        assert theirs.token.revoked_at is None
        revoked = await tokens.revoke_token(_partner(ids, session, "p2"), theirs.token.id, now=now)
        assert revoked.revoked_at == now


async def test_create_tenant_within_reach(db: Database, clock: ManualClock) -> None:
    now = clock.utcnow()
    fields = {"name": "N", "extension_digits": 3, "max_calls": 1}
    async with db.transaction() as session:
        ids = await _world(session, clock)
        one = _partner(ids, session)
        mine = await tenants.create_tenant_within(one, now=now, domain="n1.example.com", **fields)
        assert mine.partner_id == ids["p1"]
        with pytest.raises(NotFound) as caught:
            await tenants.create_tenant_within(
                one, now=now, partner_id=ids["p2"], domain="n2.example.com", **fields
            )
        assert caught.value.error_id == "partner-not-found"
        with pytest.raises(Forbidden):
            await tenants.create_tenant_within(
                Reach(session, Role.TENANT_ADMIN, tenant_id=ids["a"]),
                now=now,
                domain="n3.example.com",
                **fields,
            )
        root = Reach.platform(session)
        anywhere = await tenants.create_tenant_within(
            root, now=now, partner_id=ids["p2"], domain="n4.example.com", **fields
        )
        assert anywhere.partner_id == ids["p2"]
        bare = await tenants.create_tenant_within(root, now=now, domain="n5.example.com", **fields)
        assert bare.partner_id is None
        domains = (await session.scalars(select(Tenant.domain).order_by(Tenant.id))).all()
        assert domains == [
            "a.example.com",
            "b.example.com",
            "n1.example.com",
            "n4.example.com",
            "n5.example.com",
        ]
