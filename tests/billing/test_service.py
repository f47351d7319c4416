"""Billing services against a migrated SQLite database: deck storage, quotes, CDR rating,
tenant isolation, incidents and stored invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import service
from centrex.billing.clauses import Excuse
from centrex.billing.decks import DeckImportError
from centrex.data.db import Database
from centrex.data.models.billing import InvoiceLineRecord, InvoiceRecord
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning.tenants import create_tenant, scope_for, scope_of

from .conftest import HEADER, RETAIL_CSV, WHOLESALE_CSV

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = Decimal


async def _tenant(session: AsyncSession, domain: str, country: str = "CH") -> TenantScope:
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


def _cdr(
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


async def test_import_store_and_quote(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        result = await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
        assert (result.imported, result.currency, result.replaced) == (5, "CHF", False)
    async with billing_db.session() as session:
        q = await service.quote_number(session, "retail", "+33123456789", 61)
        assert (q.prefix, q.billed_seconds, q.price) == ("33", 120, D("0.0800"))
        deck = await service.load_deck(session, "retail")
        assert len(deck) == 5
        assert [d.name for d in await service.list_decks(session)] == ["retail"]


async def test_reimport_replaces_and_bad_import_writes_nothing(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
    async with billing_db.transaction() as session:
        again = await service.import_deck(
            session, "retail", HEADER + "41,CH,0.07,0,1/1,CHF\n", now=NOW
        )
        assert again.replaced
    with pytest.raises(DeckImportError):
        async with billing_db.transaction() as session:
            await service.import_deck(session, "retail", HEADER + "41,CH,-1,0,1/1,CHF\n", now=NOW)
    async with billing_db.session() as session:
        deck = await service.load_deck(session, "retail")
        assert len(deck) == 1
        rate = deck.lookup("+41441234567")
        assert rate is not None
        assert rate.price_per_minute == D("0.07")


async def test_quote_errors(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
    async with billing_db.session() as session:
        with pytest.raises(NotFound, match="unknown rate deck"):
            await service.quote_number(session, "nope", "+41441234567", 10)
        with pytest.raises(NotFound, match="no rate"):
            await service.quote_number(session, "retail", "+4930123456", 10)
        with pytest.raises(ValidationFailed, match=r"E\.164"):
            await service.quote_number(session, "retail", "0041441234567", 10)
        with pytest.raises(ValidationFailed, match="negative"):
            await service.quote_number(session, "retail", "+41441234567", -1)
    with pytest.raises(ValidationFailed, match="deck name"):
        async with billing_db.transaction() as session:
            await service.import_deck(session, " ", RETAIL_CSV, now=NOW)


async def test_rate_period_stores_price_cost_and_is_idempotent(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        await service.import_deck(session, "retail", RETAIL_CSV, now=NOW)
        await service.import_deck(session, "wholesale", WHOLESALE_CSV, now=NOW)
        acme = await _tenant(session, "acme.example")
        other = await _tenant(session, "other.example")
        _cdr(acme, 1, "+41781234567", 90)  # 0.3750 / cost 0.1500
        _cdr(acme, 2, "+33123456789", 61)  # 0.0800 / cost 61 s at 0.008 = 0.0081
        _cdr(acme, 3, "+41441234567", 0, answered=False)
        _cdr(acme, 4, "+41441234567", 60, direction=Direction.INBOUND)
        _cdr(acme, 5, "+4930123456", 60)  # no rate
        _cdr(acme, 6, "+41441234567", 60, on=date(2026, 4, 1))  # outside the period
        _cdr(other, 7, "+41781234567", 90)
    for _ in range(2):
        async with billing_db.transaction() as session:
            scope = await service_scope(session, "acme.example")
            report = await service.rate_period(
                scope,
                start=datetime(2026, 3, 1, tzinfo=UTC),
                end=datetime(2026, 4, 1, tzinfo=UTC),
                price_deck="retail",
                cost_deck="wholesale",
            )
            assert (report.calls, report.rated, report.unrated) == (5, 4, 1)
            assert report.price == D("0.4550")
            assert report.cost == D("0.1581")
    async with billing_db.session() as session:
        acme = await service_scope(session, "acme.example")
        rows = {r.call_id: r for r in await acme.list(CdrRow)}
        assert (rows["call-1"].rate_prefix, rows["call-1"].price, rows["call-1"].cost) == (
            "417",
            D("0.3750"),
            D("0.1500"),
        )
        assert rows["call-3"].price == 0
        assert rows["call-5"].price is None
        assert rows["call-6"].price is None
        other = await service_scope(session, "other.example")
        (theirs,) = await other.list(CdrRow)
        assert theirs.price is None  # another tenant's CDRs are not touched


async def service_scope(session: AsyncSession, domain: str) -> TenantScope:
    return await scope_for(session, domain)


async def test_invoice_is_computed_stored_and_replaced(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        plan = await service.create_plan(
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
        acme = await _tenant(session, "acme.example", country="FR")
        await service.subscribe(acme, plan.id, date(2026, 1, 1), agents=3, admins=1)
        _cdr(acme, 1, "+33612345678", 600)  # in the bundle
        await service.record_incident(
            acme,
            service="telephony",
            notified_at=datetime(2026, 3, 10, 8, tzinfo=UTC),
            restored_at=datetime(2026, 3, 10, 19, tzinfo=UTC),  # 11 h -> 5 %
        )
        await service.record_incident(
            acme,
            service="telephony",
            notified_at=datetime(2026, 3, 12, 8, tzinfo=UTC),
            restored_at=datetime(2026, 3, 14, 8, tzinfo=UTC),
            excuse=Excuse.PLANNED_MAINTENANCE,
        )
    for _ in range(2):
        async with billing_db.transaction() as session:
            scope = await service_scope(session, "acme.example")
            _, invoice = await service.compute_invoice(
                scope,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                issued_on=date(2026, 4, 1),
            )
    # 180 + 40 seat - 5 % of 220 (11.00) = 209.00 ; VAT FR 20 % = 41.80
    assert invoice.subtotal == D("209.00")
    assert invoice.total == D("250.80")
    async with billing_db.session() as session:
        scope = await service_scope(session, "acme.example")
        (stored,) = await scope.list(InvoiceRecord)
        assert stored.total == D("250.80")
        lines = await scope.list(InvoiceLineRecord, order_by=InvoiceLineRecord.position)
        assert [line.kind for line in lines] == ["subscription", "seats", "bundle", "sla_credit"]
        assert lines[-1].amount == D("-11.00")


async def test_invoice_flagged_and_terminated_contract(billing_db: Database) -> None:
    async with billing_db.transaction() as session:
        plan = await service.create_plan(
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
        acme = await _tenant(session, "acme.example", country="DE")
        await service.subscribe(
            acme,
            plan.id,
            date(2026, 1, 1),
            agents=2,
            admins=1,
            ends_on=date(2026, 5, 31),
            forbidden_use_flagged=True,
            termination_fixed_fee=D(100),
        )
        _cdr(acme, 1, "+33612345678", 600, on=date(2026, 5, 1))  # 10 min mobile = 0.80
    async with billing_db.transaction() as session:
        scope = await service_scope(session, "acme.example")
        _, invoice = await service.compute_invoice(
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


async def test_no_contract_and_unknown_plan(billing_db: Database) -> None:
    with pytest.raises(NotFound, match="no contract"):
        async with billing_db.transaction() as session:
            acme = await _tenant(session, "acme.example")
            await service.compute_invoice(
                acme,
                period_start=date(2026, 3, 1),
                period_end=date(2026, 4, 1),
                issued_on=date(2026, 4, 1),
            )
    with pytest.raises(NotFound, match="plan 99"):
        async with billing_db.transaction() as session:
            acme = await _tenant(session, "acme.example")
            await service.subscribe(acme, 99, date(2026, 1, 1))
    with pytest.raises(ValidationFailed, match="precedes"):
        async with billing_db.transaction() as session:
            acme = await _tenant(session, "acme.example")
            await service.record_incident(
                acme, service="x", notified_at=NOW, restored_at=NOW - timedelta(hours=1)
            )
