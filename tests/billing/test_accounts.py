"""Plans, contracts, incidents, fair-use evidence and stored invoices (SQLite and PostgreSQL),
including the multi-tenant rules: another tenant's objects are not found."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import accounts, service
from centrex.billing.clauses import Excuse
from centrex.data.db import Database
from centrex.data.models.billing import BillingPlan, InvoiceLineRecord, InvoiceRecord
from centrex.errors import Conflict, NotFound, ValidationFailed

from .conftest import RETAIL_CSV
from .dbhelpers import NOW, add_cdr, make_tenant, tenant_scope

D = Decimal


async def test_invoice_is_computed_stored_and_replaced(db: Database) -> None:
    async with db.transaction() as session:
        plan = await accounts.create_plan(
            session,
            name="France unlimited",
            currency="EUR",
            base_monthly_fee=D(180),
            included_agents=2,
            included_admins=1,
            extra_seat_fee=D(40),
            fixed_per_minute=D("0.01"),
            mobile_per_minute=D("0.08"),
            bundle="france_unlimited",
        )
        acme = await make_tenant(session, "acme.example", country="FR")
        await accounts.subscribe(acme, plan.id, date(2026, 1, 1), agents=3, admins=1)
        add_cdr(acme, 1, "+33612345678", 600)  # in the bundle
        await accounts.record_incident(
            acme,
            service="telephony",
            notified_at=datetime(2026, 3, 10, 8, tzinfo=UTC),
            restored_at=datetime(2026, 3, 10, 19, tzinfo=UTC),  # 11 h -> 5 %
        )
        await accounts.record_incident(
            acme,
            service="telephony",
            notified_at=datetime(2026, 3, 12, 8, tzinfo=UTC),
            restored_at=datetime(2026, 3, 14, 8, tzinfo=UTC),
            excuse=Excuse.PLANNED_MAINTENANCE,
        )
    for _ in range(2):
        async with db.transaction() as session:
            scope = await tenant_scope(session, "acme.example")
            _, invoice = await accounts.compute_invoice(
                scope,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                issued_on=date(2026, 4, 1),
            )
    # 180 + 40 seat - 5 % of 220 (11.00) = 209.00 ; VAT FR 20 % = 41.80
    assert invoice.subtotal == D("209.00")
    assert invoice.total == D("250.80")
    async with db.session() as session:
        scope = await tenant_scope(session, "acme.example")
        (stored,) = await scope.list(InvoiceRecord)
        assert stored.total == D("250.80")
        lines = await scope.list(InvoiceLineRecord, order_by=InvoiceLineRecord.position)
        assert [line.kind for line in lines] == ["subscription", "seats", "bundle", "sla_credit"]
        assert lines[-1].amount == D("-11.00")


async def test_invoice_flagged_and_terminated_contract(db: Database) -> None:
    async with db.transaction() as session:
        plan = await accounts.create_plan(
            session,
            name="P",
            currency="EUR",
            base_monthly_fee=D(180),
            included_agents=2,
            included_admins=1,
            fixed_per_minute=D("0.01"),
            mobile_per_minute=D("0.08"),
            bundle="france_unlimited",
        )
        acme = await make_tenant(session, "acme.example", country="DE")
        await accounts.subscribe(
            acme,
            plan.id,
            date(2026, 1, 1),
            agents=2,
            admins=1,
            ends_on=date(2026, 5, 31),
            forbidden_use_flagged=True,
            termination_fixed_fee=D(100),
        )
        add_cdr(acme, 1, "+33612345678", 600, on=date(2026, 5, 1))  # 10 min mobile = 0.80
    async with db.transaction() as session:
        scope = await tenant_scope(session, "acme.example")
        _, invoice = await accounts.compute_invoice(
            scope,
            period_start=date(2026, 5, 1),
            period_end=date(2026, 6, 1),
            issued_on=date(2026, 6, 1),
        )
    kinds = {line.kind.value: line.amount for line in invoice.lines}
    assert kinds["usage"] == D("0.80")
    assert kinds["penalty"] == D("2.40")
    # June..December = 7 months x 95 % x 180 + 100
    assert kinds["termination"] == D("1297.00")
    assert invoice.vat_rate == 19


async def test_no_contract_and_unknown_plan(db: Database) -> None:
    with pytest.raises(NotFound, match="no contract"):
        async with db.transaction() as session:
            acme = await make_tenant(session, "acme.example")
            await accounts.compute_invoice(
                acme,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                issued_on=date(2026, 4, 1),
            )
    with pytest.raises(NotFound, match="plan 99"):
        async with db.transaction() as session:
            acme = await make_tenant(session, "acme.example")
            await accounts.subscribe(acme, 99, date(2026, 1, 1))
    with pytest.raises(ValidationFailed, match="precedes"):
        async with db.transaction() as session:
            acme = await make_tenant(session, "acme.example")
            await accounts.record_incident(
                acme, service="x", notified_at=NOW, restored_at=NOW - timedelta(hours=1)
            )


async def _plan(session: AsyncSession, **overrides: object) -> BillingPlan:
    fields: dict[str, Any] = {
        "name": "France unlimited",
        "currency": "EUR",
        "base_monthly_fee": D(180),
        "included_agents": 2,
        "included_admins": 1,
        "extra_seat_fee": D(40),
        "fixed_per_minute": D("0.01"),
        "mobile_per_minute": D("0.08"),
        "bundle": "france_unlimited",
    }
    fields.update(overrides)
    return await accounts.create_plan(session, **fields)


async def test_plan_validation(db: Database) -> None:
    async with db.transaction() as session:
        await _plan(session)
        await service.import_deck(session, "chf", RETAIL_CSV, now=NOW)
    bad: list[tuple[dict[str, object], type[Exception], str]] = [
        ({}, Conflict, "already exists"),
        ({"name": "x", "currency": "EUE"}, ValidationFailed, "unknown currency"),
        ({"name": "x", "bundle": "galaxy"}, ValidationFailed, "bundle preset"),
        ({"name": "x", "base_monthly_fee": D(-1)}, ValidationFailed, "non-negative"),
        ({"name": "x", "retail_deck": "chf"}, ValidationFailed, "is in CHF"),
        ({"name": "x", "retail_deck": "nope"}, NotFound, "unknown rate deck"),
        ({"name": " "}, ValidationFailed, "plan name"),
    ]
    for overrides, error, message in bad:
        with pytest.raises(error, match=message):
            async with db.transaction() as session:
                await _plan(session, **overrides)
    async with db.session() as session:
        plans = await accounts.list_plans(session)
        assert [p.name for p in plans] == ["France unlimited"]
        assert (await accounts.plan_by_name(session, "France unlimited")).id == plans[0].id
        with pytest.raises(NotFound):
            await accounts.plan_by_name(session, "nope")


async def test_contract_starting_mid_month_is_pro_rated(db: Database) -> None:
    async with db.transaction() as session:
        plan = await _plan(session, initial_fee=D(99))
        acme = await make_tenant(session, "acme.example", country="CH")
        await accounts.subscribe(acme, plan.id, date(2026, 3, 10), agents=2, admins=1)
        _, invoice = await accounts.compute_invoice(
            acme,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            issued_on=date(2026, 4, 1),
        )
    amounts = {line.kind.value: line.amount for line in invoice.lines}
    assert amounts == {"initial_fee": D("99.00"), "subscription": D("127.74")}
    assert invoice.total == D("245.11")


async def test_contract_validation(db: Database) -> None:
    async with db.transaction() as session:
        plan = await _plan(session)
    with pytest.raises(ValidationFailed, match="ends before"):
        async with db.transaction() as session:
            acme = await make_tenant(session, "acme.example")
            await accounts.subscribe(acme, plan.id, date(2026, 3, 1), ends_on=date(2026, 2, 1))
    with pytest.raises(ValidationFailed, match="out of range"):
        async with db.transaction() as session:
            acme = await make_tenant(session, "acme.example")
            await accounts.subscribe(acme, plan.id, date(2026, 3, 1), initial_months=0)


async def test_flagging_is_recorded_and_drives_the_penalty(db: Database) -> None:
    async with db.transaction() as session:
        plan = await _plan(session)
        acme = await make_tenant(session, "acme.example", country="FR")
        contract = await accounts.subscribe(acme, plan.id, date(2026, 1, 1), agents=2, admins=1)
        for n in range(30):
            add_cdr(acme, n, f"+336{10000000 + n}", 5)
        report = await accounts.fair_use_report(
            acme, datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        )
        assert report[0].user == "101"
        assert report[0].short_call_share == 1
        assert report[0].suspicious
        with pytest.raises(ValidationFailed, match="reason"):
            await accounts.set_forbidden_use(acme, contract.id, flagged=True)
        flagged = await accounts.set_forbidden_use(
            acme, contract.id, flagged=True, reason="telemarketing: 100 % calls under 10 s"
        )
        assert flagged.forbidden_use_flagged
        _, invoice = await accounts.compute_invoice(
            acme,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            issued_on=date(2026, 4, 1),
        )
        amounts = {line.kind.value: line.amount for line in invoice.lines}
        # 30 calls of 5 s to French mobiles at 0.08/min, per second: 30 x 0.0067 = 0.2010
        assert amounts["usage"] == D("0.20")
        assert amounts["penalty"] == D("0.60")
        cleared = await accounts.set_forbidden_use(acme, contract.id, flagged=False)
        assert not cleared.forbidden_use_flagged
        assert cleared.flagged_reason is None


async def test_another_tenants_billing_objects_are_not_found(db: Database) -> None:
    async with db.transaction() as session:
        plan = await _plan(session)
        acme = await make_tenant(session, "acme.example", country="FR")
        other = await make_tenant(session, "other.example", country="FR")
        contract = await accounts.subscribe(acme, plan.id, date(2026, 1, 1))
        incident = await accounts.record_incident(
            acme, service="telephony", notified_at=datetime(2026, 3, 3, 8, tzinfo=UTC)
        )
        record, _ = await accounts.compute_invoice(
            acme,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            issued_on=date(2026, 4, 1),
        )
        invoice_id, incident_id, contract_id = record.id, incident.id, contract.id
    async with db.transaction() as session:
        other = await tenant_scope(session, "other.example")
        # list
        assert await accounts.list_incidents(other) == []
        assert await accounts.list_invoices(other) == []
        # get
        with pytest.raises(NotFound):
            await accounts.get_invoice(other, invoice_id)
        # update
        with pytest.raises(NotFound):
            await accounts.restore_incident(other, incident_id, datetime(2026, 3, 3, 9, tzinfo=UTC))
        with pytest.raises(NotFound):
            await accounts.set_forbidden_use(other, contract_id, flagged=True, reason="x")
        # delete
        with pytest.raises(NotFound):
            await accounts.delete_incident(other, incident_id)
        # create with a reference: the other tenant has no contract to invoice against
        with pytest.raises(NotFound, match="no contract"):
            await accounts.compute_invoice(
                other,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                issued_on=date(2026, 4, 1),
            )
    async with db.transaction() as session:
        acme = await tenant_scope(session, "acme.example")
        (listed,) = await accounts.list_invoices(acme)
        stored, lines = await accounts.get_invoice(acme, listed.id)
        assert stored.total == D("216.00")  # 180 + 20 % VAT
        assert [line.kind for line in lines] == ["subscription"]
        (open_incident,) = await accounts.list_incidents(acme)
        assert open_incident.restored_at is None
        with pytest.raises(ValidationFailed, match="precedes"):
            await accounts.restore_incident(acme, incident_id, datetime(2026, 3, 2, tzinfo=UTC))
        restored = await accounts.restore_incident(
            acme, incident_id, datetime(2026, 3, 3, 21, tzinfo=UTC)
        )
        assert restored.restored_at is not None
        # now restored (13 h -> 10 %), the recomputed March invoice carries the credit
        _, invoice = await accounts.compute_invoice(
            acme,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            issued_on=date(2026, 4, 1),
        )
        assert invoice.subtotal == D("162.00")
        await accounts.delete_incident(acme, incident_id)
        assert await accounts.list_incidents(acme) == []


async def test_payment_and_dunning_are_tenant_scoped(db: Database) -> None:
    async with db.transaction() as session:
        plan = await _plan(session)
        acme = await make_tenant(session, "acme.example", country="FR")
        await make_tenant(session, "other.example", country="FR")
        await accounts.subscribe(acme, plan.id, date(2026, 1, 1))
        record, _ = await accounts.compute_invoice(
            acme,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            issued_on=date(2026, 4, 1),
        )
        invoice_id = record.id
    async with db.transaction() as session:
        other = await tenant_scope(session, "other.example")
        with pytest.raises(NotFound):
            await accounts.mark_paid(other, invoice_id, date(2026, 4, 2))
        assert await accounts.dunning_report(other, date(2026, 6, 1)) == []
        acme = await tenant_scope(session, "acme.example")
        ((_, status),) = await accounts.dunning_report(acme, date(2026, 6, 1))
        assert status.state.value == "suspended"
        await accounts.mark_paid(acme, invoice_id, date(2026, 6, 1))
        ((_, status),) = await accounts.dunning_report(acme, date(2026, 6, 1))
        assert status.state.value == "paid"
        with pytest.raises(Conflict, match="already paid"):
            await accounts.mark_paid(acme, invoice_id, date(2026, 6, 2))
