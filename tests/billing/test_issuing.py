"""Issuing invoices (SQLite and PostgreSQL): gap-free numbers, immutability, credit notes,
the monthly run, partner statements and tenant isolation of all of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import accounts, issuing
from centrex.data.db import Database
from centrex.data.models import Tenant
from centrex.data.models.billing import InvoiceLineRecord, InvoiceRecord
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.tenants import create_partner

from .dbhelpers import add_cdr, make_tenant, tenant_scope

D = Decimal
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


async def _plan_id(session: AsyncSession) -> int:
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
    return plan.id


async def _customer(session: AsyncSession, domain: str, plan_id: int, **kwargs: Any) -> TenantScope:
    scope = await make_tenant(session, domain, country="FR")
    if kwargs:
        tenant = await session.get(Tenant, scope.tenant_id)
        assert tenant is not None
        for key, value in kwargs.items():
            setattr(tenant, key, value)
    await accounts.subscribe(scope, plan_id, date(2026, 1, 1))
    return scope


async def _draft(scope: TenantScope, start: date = MARCH, end: date = APRIL) -> int:
    record, _ = await accounts.compute_invoice(
        scope, period_start=start, period_end=end, issued_on=end
    )
    return record.id


async def test_numbers_are_gap_free_per_year_across_tenants(db: Database) -> None:
    async with db.transaction() as session:
        plan_id = await _plan_id(session)
        acme = await _customer(session, "acme.example", plan_id)
        beta = await _customer(session, "beta.example", plan_id)
        numbers = []
        for scope, start, end in ((acme, MARCH, APRIL), (beta, MARCH, APRIL), (acme, APRIL, MAY)):
            record = await issuing.issue_invoice(
                scope, await _draft(scope, start, end), issued_on=end
            )
            numbers.append(record.number)
            assert record.due_on == date(end.year, end.month, 16)  # default 15 days
        january = await issuing.issue_invoice(
            acme,
            await _draft(acme, date(2026, 12, 1), date(2027, 1, 1)),
            issued_on=date(2027, 1, 1),
        )
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]
    assert january.number == "2027-000001"  # a new year starts a new sequence


async def test_a_rolled_back_issue_gives_its_number_back(db: Database) -> None:
    async with db.transaction() as session:
        acme = await _customer(session, "acme.example", await _plan_id(session))
        first = await _draft(acme)
        second = await _draft(acme, APRIL, MAY)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as session:
            acme = await tenant_scope(session, "acme.example")
            await issuing.issue_invoice(acme, first, issued_on=APRIL)
            raise Boom
    async with db.transaction() as session:
        acme = await tenant_scope(session, "acme.example")
        a = await issuing.issue_invoice(acme, second, issued_on=MAY, due_days=30)
        b = await issuing.issue_invoice(acme, first, issued_on=MAY)
    assert (a.number, b.number) == ("2026-000001", "2026-000002")
    assert a.due_on == date(2026, 5, 31)


async def test_an_issued_invoice_is_immutable(db: Database) -> None:
    async with db.transaction() as session:
        acme = await _customer(session, "acme.example", await _plan_id(session))
        add_cdr(acme, 1, "+33612345678", 600)
        await _draft(acme)
        invoice_id = await _draft(acme)  # a draft is recomputed at will
        assert len(await acme.list(InvoiceRecord)) == 1
        issued = await issuing.issue_invoice(acme, invoice_id, issued_on=APRIL)
        number = issued.number
    async with db.transaction() as session:
        acme = await tenant_scope(session, "acme.example")
        with pytest.raises(Conflict, match="credit note") as recompute:
            await _draft(acme)
        assert recompute.value.error_id == "invoice-immutable"
        with pytest.raises(Conflict) as again:
            await issuing.issue_invoice(acme, invoice_id, issued_on=MAY)
        assert again.value.error_id == "invoice-already-issued"
        await accounts.mark_paid(acme, invoice_id, date(2026, 4, 10))  # payment is allowed
    for change in ("total", "line", "delete"):
        async with db.session() as session:
            acme = await tenant_scope(session, "acme.example")
            record, lines = await accounts.get_invoice(acme, invoice_id)
            if change == "total":
                record.total = D(0)
            elif change == "line":
                lines[0].amount = D(0)
            else:
                await session.delete(record)
            with pytest.raises(Conflict) as exc:
                await session.flush()
            assert exc.value.error_id == "invoice-immutable"
            await session.rollback()
    async with db.session() as session:
        acme = await tenant_scope(session, "acme.example")
        record, lines = await accounts.get_invoice(acme, invoice_id)
        assert (record.number, record.total, record.paid_on) == (
            number,
            D("216.00"),
            date(2026, 4, 10),
        )
        assert sum(line.amount for line in lines) == D("180.00")


async def test_credit_notes(db: Database) -> None:
    async with db.transaction() as session:
        acme = await _customer(session, "acme.example", await _plan_id(session))
        draft = await _draft(acme)
        with pytest.raises(Conflict) as not_issued:
            await issuing.issue_credit_note(acme, draft, reason="x", issued_on=APRIL)
        assert not_issued.value.error_id == "invoice-not-issued"
        invoice = await issuing.issue_invoice(acme, draft, issued_on=APRIL)
        assert invoice.subtotal == D("180.00")
        partial = await issuing.issue_credit_note(
            acme, draft, reason="goodwill", issued_on=date(2026, 4, 5), amount=D("30")
        )
        assert (partial.number, partial.subtotal, partial.vat, partial.total) == (
            "CN-2026-000001",
            D("30.00"),
            D("6.00"),
            D("36.00"),
        )
        for amount, reason, error in (
            (D("151"), "too much", "invalid-credit-amount"),
            (D(0), "zero", "invalid-credit-amount"),
            (None, "  ", "reason-required"),
        ):
            with pytest.raises(ValidationFailed) as bad:
                await issuing.issue_credit_note(
                    acme, draft, reason=reason, issued_on=APRIL, amount=amount
                )
            assert bad.value.error_id == error
        rest = await issuing.issue_credit_note(acme, draft, reason="cancelled", issued_on=APRIL)
        assert (rest.number, rest.subtotal, rest.total) == (
            "CN-2026-000002",
            D("150.00"),
            D("180.00"),
        )
        assert await issuing.credited_so_far(acme, draft) == D("180.00")
        doc = await issuing.credit_note_document(acme, rest.id)
        assert doc.total == D("-180.00")
        assert "2026-000001" in doc.lines[0].description
        other = await _customer(session, "other.example", await _plan_id_other(session))
        with pytest.raises(NotFound):
            await issuing.issue_credit_note(other, draft, reason="steal", issued_on=APRIL)
        with pytest.raises(NotFound):
            await issuing.credit_note_document(other, rest.id)
        assert await issuing.list_credit_notes(other) == []
        assert len(await issuing.list_credit_notes(acme, draft)) == 2


async def _plan_id_other(session: AsyncSession) -> int:
    plan = await accounts.create_plan(session, name="Other", currency="EUR", base_monthly_fee=D(10))
    return plan.id


async def test_monthly_run_and_partner_statement(db: Database) -> None:
    async with db.transaction() as session:
        plan_id = await _plan_id(session)
        partner = await create_partner(session, name="Reseller")
        acme = await _customer(session, "acme.example", plan_id, partner_id=partner.id)
        await _customer(session, "beta.example", plan_id, partner_id=partner.id)
        await _customer(session, "direct.example", plan_id)
        await make_tenant(session, "nocontract.example", country="FR")
        drafts = await issuing.invoice_month(
            session, period_start=MARCH, period_end=APRIL, issued_on=APRIL, issue=False
        )
        assert [(t.domain, r.status) for t, r in drafts] == [
            ("acme.example", "draft"),
            ("beta.example", "draft"),
            ("direct.example", "draft"),
        ]
        issued = await issuing.invoice_month(
            session, period_start=MARCH, period_end=APRIL, issued_on=APRIL, issue=True
        )
        assert [r.number for _, r in issued] == ["2026-000001", "2026-000002", "2026-000003"]
        again = await issuing.invoice_month(
            session, period_start=MARCH, period_end=APRIL, issued_on=APRIL, issue=True
        )
        assert [r.number for _, r in again] == ["2026-000001", "2026-000002", "2026-000003"]
        acme_invoice = issued[0][1]
        await issuing.issue_credit_note(
            acme, acme_invoice.id, reason="goodwill", issued_on=APRIL, amount=D(10)
        )
        await accounts.mark_paid(acme, acme_invoice.id, date(2026, 4, 3))
        statement = await issuing.partner_statement(session, "Reseller", MARCH, APRIL)
        with pytest.raises(NotFound):
            await issuing.partner_statement(session, "Nobody", MARCH, APRIL)
    assert [(i.tenant, i.number) for i in statement.items] == [
        ("acme.example", "2026-000001"),
        ("beta.example", "2026-000002"),
    ]
    # 2 x 216.00 (180 + 20 % VAT) minus the 12.00 credit note; only beta is still open
    assert statement.totals == {"EUR": D("420.00")}
    assert statement.open_totals == {"EUR": D("216.00")}
    assert statement.items[0].credited == D("12.00")


async def test_documents_and_call_details_are_tenant_scoped(db: Database) -> None:
    async with db.transaction() as session:
        plan_id = await _plan_id(session)
        acme = await _customer(session, "acme.example", plan_id)
        other = await make_tenant(session, "other.example", country="FR")
        add_cdr(acme, 1, "+33612345678", 600)
        add_cdr(acme, 2, "+41441234567", 60, answered=False)
        invoice_id = await _draft(acme)
        doc = await issuing.invoice_document(acme, invoice_id)
        details = await issuing.invoice_call_details(acme, invoice_id)
        for call in (issuing.invoice_document, issuing.invoice_call_details):
            with pytest.raises(NotFound):
                await call(other, invoice_id)
        lines = (await session.scalars(select(InvoiceLineRecord))).all()
    assert doc.number is None
    assert doc.customer.name == "acme.example"
    assert [line.kind for line in doc.lines] == [line.kind for line in lines]
    assert [(d.called, d.note, d.amount) for d in details] == [("+33612345678", "bundle", D(0))]
