"""Tenant and partner provisioning rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Tenant, TenantStatus
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning import tenants


async def _create(db: Database, clock: ManualClock, **overrides: object) -> Tenant:
    args: dict[str, object] = {
        "name": "Acme",
        "domain": "acme.example.com",
        "extension_digits": 3,
        "max_calls": 4,
    }
    args.update(overrides)
    async with db.transaction() as session:
        return await tenants.create_tenant(session, now=clock.utcnow(), **args)  # type: ignore[arg-type]


async def test_create_tenant_defaults_and_trial(db: Database, clock: ManualClock) -> None:
    tenant = await _create(db, clock, domain="Trial.Example.COM", trial_days=40, language="fr")
    assert tenant.domain == "trial.example.com"
    assert tenant.status is TenantStatus.TRIAL
    assert tenant.trial_ends_at == clock.utcnow() + timedelta(days=40)
    assert tenant.customer_number.isdigit()
    assert len(tenant.customer_number) == 6
    assert tenant.language.value == "fr"


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        ({"domain": "not a domain"}, "invalid-domain"),
        ({"domain": "localhost"}, "invalid-domain"),
        ({"domain": "-bad.example.com"}, "invalid-domain"),
        ({"extension_digits": 1}, "invalid-extension-digits"),
        ({"extension_digits": 6}, "invalid-extension-digits"),
        ({"max_calls": -1}, "invalid-max-calls"),
        ({"language": "es"}, "invalid-language"),
        ({"currency": "USD"}, "invalid-currency"),
        ({"trial_days": 0}, "invalid-trial-days"),
    ],
)
async def test_bad_tenant_input_is_rejected_and_nothing_written(
    db: Database, clock: ManualClock, overrides: dict[str, object], error_id: str
) -> None:
    with pytest.raises(ValidationFailed) as info:
        await _create(db, clock, **overrides)
    assert info.value.error_id == error_id
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Tenant)) == 0


async def test_duplicate_domain_and_unknown_partner(db: Database, clock: ManualClock) -> None:
    await _create(db, clock)
    with pytest.raises(Conflict) as info:
        await _create(db, clock, domain="ACME.example.com")
    assert info.value.error_id == "domain-taken"
    with pytest.raises(NotFound):
        await _create(db, clock, domain="other.example.com", partner_id=999)


async def test_status_changes_are_recorded_with_time(db: Database, clock: ManualClock) -> None:
    await _create(db, clock)
    clock.advance(3600)
    async with db.transaction() as session:
        tenant = await tenants.get_tenant(session, "acme.example.com")
        await tenants.set_status(
            session, tenant, TenantStatus.SUSPENDED, now=clock.utcnow(), reason="unpaid"
        )
        await tenants.set_status(session, tenant, TenantStatus.SUSPENDED, now=clock.utcnow())
    async with db.session() as session:
        scope = await tenants.scope_for(session, "acme.example.com")
        history = await tenants.status_history(scope)
        assert [(h.status, h.reason) for h in history] == [
            (TenantStatus.ACTIVE, None),
            (TenantStatus.SUSPENDED, "unpaid"),
        ]
        assert history[1].changed_at == clock.utcnow()


async def test_partner_names_are_unique(db: Database) -> None:
    async with db.transaction() as session:
        await tenants.create_partner(session, name="Reseller")
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await tenants.create_partner(session, name="Reseller")
