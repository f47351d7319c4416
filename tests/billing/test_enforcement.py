"""Dunning carried out (SQLite and PostgreSQL): an overdue issued invoice gets its tenant
reminded, suspended (with the reason in the status history), then deactivated; a payment
restores it; every step happens once however often dunning runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from centrex.billing import accounts, enforcement, issuing
from centrex.billing.dunning import DunningPolicy
from centrex.data.db import Database
from centrex.data.models import Tenant, TenantStatus
from centrex.provisioning.tenants import get_tenant, status_history

from .dbhelpers import make_tenant, tenant_scope

D = Decimal
APRIL = date(2026, 4, 1)


async def _issued_invoice(db: Database, domain: str = "acme.example") -> int:
    async with db.transaction() as session:
        plan = await accounts.create_plan(
            session, name=f"Basic {domain}", currency="EUR", base_monthly_fee=D(100)
        )
        scope = await make_tenant(session, domain, country="FR")
        await accounts.subscribe(scope, plan.id, date(2026, 1, 1))
        record, _ = await accounts.compute_invoice(
            scope, period_start=date(2026, 3, 1), period_end=APRIL, issued_on=APRIL
        )
        await issuing.issue_invoice(scope, record.id, issued_on=APRIL)  # due 16 April
        return record.id


async def _apply(db: Database, today: date) -> list[enforcement.AppliedAction]:
    async with db.transaction() as session:
        now = datetime(today.year, today.month, today.day, 6, tzinfo=UTC)
        return await enforcement.apply_dunning(session, today, now=now)


async def _status(db: Database, domain: str = "acme.example") -> TenantStatus:
    async with db.session() as session:
        return (await get_tenant(session, domain)).status


async def test_overdue_invoice_suspends_then_deactivates_the_tenant(db: Database) -> None:
    await _issued_invoice(db)
    # a draft of another tenant is never dunned
    async with db.transaction() as session:
        plan = await accounts.create_plan(
            session, name="Draft plan", currency="EUR", base_monthly_fee=D(1)
        )
        draft = await make_tenant(session, "draft.example", country="FR")
        await accounts.subscribe(draft, plan.id, date(2026, 1, 1))
        await accounts.compute_invoice(
            draft, period_start=date(2026, 3, 1), period_end=APRIL, issued_on=APRIL
        )
    assert await _apply(db, date(2026, 4, 16)) == []  # due today: nothing yet
    reminded = await _apply(db, date(2026, 4, 23))
    assert [(a.action, a.tenant_status) for a in reminded] == [("send_reminder", "active")]
    assert await _status(db) is TenantStatus.ACTIVE
    suspended = await _apply(db, date(2026, 5, 3))
    assert [(a.action, a.invoice, a.tenant_status) for a in suspended] == [
        ("suspend_service", "2026-000001", "suspended")
    ]
    assert await _status(db) is TenantStatus.SUSPENDED
    assert await _apply(db, date(2026, 5, 4)) == []  # nothing is done twice
    async with db.session() as session:
        scope = await tenant_scope(session, "acme.example")
        change = (await status_history(scope))[-1]
        assert change.status is TenantStatus.SUSPENDED
        assert change.reason is not None
        assert "invoice 2026-000001" in change.reason
        assert "unpaid since 2026-04-16" in change.reason
        tenant = await session.get(Tenant, scope.tenant_id)
        assert tenant is not None
        history = await enforcement.dunning_history(session, tenant)
        assert [(h.action, h.due_on) for h in history] == [
            ("send_reminder", date(2026, 4, 23)),
            ("suspend_service", date(2026, 5, 3)),
        ]
    terminated = await _apply(db, date(2026, 6, 2))
    assert [(a.action, a.tenant_status) for a in terminated] == [
        ("terminate_contract", "deactivated")
    ]
    assert await _status(db) is TenantStatus.DEACTIVATED
    assert await _status(db, "draft.example") is TenantStatus.ACTIVE


async def test_catch_up_and_payment_restores_service(db: Database) -> None:
    invoice_id = await _issued_invoice(db)
    # a scheduler down for weeks catches up in one run, in order
    caught_up = await _apply(db, date(2026, 5, 20))
    assert [a.action for a in caught_up] == ["send_reminder", "suspend_service"]
    async with db.transaction() as session:
        scope = await tenant_scope(session, "acme.example")
        await accounts.mark_paid(scope, invoice_id, date(2026, 5, 21))
    restored = await _apply(db, date(2026, 5, 21))
    assert [(a.action, a.tenant_status) for a in restored] == [("restore_service", "active")]
    assert await _apply(db, date(2026, 8, 1)) == []
    async with db.session() as session:
        scope = await tenant_scope(session, "acme.example")
        changes = (await status_history(scope))[-2:]
    assert [c.status for c in changes] == [TenantStatus.SUSPENDED, TenantStatus.ACTIVE]
    assert changes[1].reason is not None
    assert "paid on 2026-05-21" in changes[1].reason


async def test_policy_and_single_tenant_run(db: Database) -> None:
    await _issued_invoice(db, "acme.example")
    await _issued_invoice(db, "beta.example")
    policy = DunningPolicy(reminder_days=1, suspension_days=1, termination_days=1)
    async with db.transaction() as session:
        applied = await enforcement.apply_dunning(
            session,
            date(2026, 4, 18),
            now=datetime(2026, 4, 18, tzinfo=UTC),
            policy=policy,
            tenant_domain="beta.example",
        )
    assert [(a.tenant, a.action) for a in applied] == [
        ("beta.example", "send_reminder"),
        ("beta.example", "suspend_service"),
    ]
    assert await _status(db, "beta.example") is TenantStatus.SUSPENDED
    assert await _status(db, "acme.example") is TenantStatus.ACTIVE
