"""Issuing invoices: gap-free numbers, due dates, credit notes, documents, partner statements.

A computed invoice (`accounts.compute_invoice`) is a *draft*: it can be recomputed as often as
needed. Issuing gives it the next number of its year (``2026-000123``) and a due date (issue
date + `due_days`, 15 by default); from then on it never changes (the ORM guard in
`centrex.data.models.billing` refuses it with error_id ``invoice-immutable``) except for its
payment date. A correction is a credit note (``CN-2026-000007``) against the issued invoice.

Numbers come from one counter row per (kind, year), incremented under a row lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers anyway) in the issuing
transaction: a rolled-back issue gives its number back, so the sequence has no gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import accounts
from centrex.billing.documents import (
    CallDetail,
    DocumentLine,
    InvoiceDocument,
    Party,
    call_details,
)
from centrex.billing.money import ZERO, round_cents
from centrex.data.models.billing import (
    ISSUED,
    CreditNoteRecord,
    DocumentSequence,
    InvoiceRecord,
)
from centrex.data.models.tenancy import Partner, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning.tenants import scope_of

DEFAULT_DUE_DAYS = 15
DEFAULT_PROVIDER = Party("Centrex hosted PBX", ("Provider of telephony services",))
_PREFIX = {"invoice": "", "credit_note": "CN-"}


async def next_number(session: AsyncSession, kind: str, year: int) -> str:
    """The next number of `kind` ("invoice" or "credit_note") in `year` (see module docstring)."""
    if kind not in _PREFIX:
        raise ValueError(f"unknown document kind {kind!r}")
    counter = await session.scalar(
        select(DocumentSequence)
        .where(DocumentSequence.kind == kind, DocumentSequence.year == year)
        .with_for_update()
    )
    if counter is None:
        counter = DocumentSequence(kind=kind, year=year, last=0)
        session.add(counter)
    counter.last += 1
    await session.flush()
    return f"{_PREFIX[kind]}{year}-{counter.last:06d}"


async def issue_invoice(
    scope: TenantScope, invoice_id: int, *, issued_on: date, due_days: int = DEFAULT_DUE_DAYS
) -> InvoiceRecord:
    """Number a draft invoice, date it and set its due date; it is immutable afterwards."""
    if due_days < 0:
        raise ValidationFailed("due days must not be negative", error_id="invalid-due-days")
    record = await scope.get(InvoiceRecord, invoice_id)
    if record.status == ISSUED:
        raise Conflict(
            f"invoice {record.number} is already issued", error_id="invoice-already-issued"
        )
    if issued_on < record.period_start:
        raise ValidationFailed(
            "an invoice cannot be issued before its period starts", error_id="invalid-issue-date"
        )
    record.number = await next_number(scope.session, "invoice", issued_on.year)
    record.status = ISSUED
    record.issued_on = issued_on
    record.due_on = issued_on + timedelta(days=due_days)
    await scope.session.flush()
    return record


async def invoice_month(
    session: AsyncSession,
    *,
    period_start: date,
    period_end: date,
    issued_on: date,
    issue: bool,
    due_days: int = DEFAULT_DUE_DAYS,
) -> list[tuple[Tenant, InvoiceRecord]]:
    """The monthly run: compute (and optionally issue) the invoice of every tenant that has a
    contract in the period; tenants without a contract are skipped, issued invoices kept."""
    done: list[tuple[Tenant, InvoiceRecord]] = []
    for tenant in (await session.scalars(select(Tenant).order_by(Tenant.id))).all():
        scope = scope_of(session, tenant)
        existing = await scope.first(InvoiceRecord, InvoiceRecord.period_start == period_start)
        if existing is not None and existing.status == ISSUED:
            done.append((tenant, existing))
            continue
        try:
            record, _ = await accounts.compute_invoice(
                scope, period_start=period_start, period_end=period_end, issued_on=issued_on
            )
        except NotFound as exc:
            if exc.error_id == "no-contract":
                continue
            raise
        if issue:
            await issue_invoice(scope, record.id, issued_on=issued_on, due_days=due_days)
        done.append((tenant, record))
    return done


# ----------------------------------------------------------------------------- credit notes


async def credited_so_far(scope: TenantScope, invoice_id: int) -> Decimal:
    """Net amount already credited against an invoice."""
    total = await scope.session.scalar(
        select(func.coalesce(func.sum(CreditNoteRecord.subtotal), 0)).where(
            CreditNoteRecord.tenant_id == scope.tenant_id,
            CreditNoteRecord.invoice_id == invoice_id,
        )
    )
    return Decimal(total or 0)


async def issue_credit_note(
    scope: TenantScope,
    invoice_id: int,
    *,
    reason: str,
    issued_on: date,
    amount: Decimal | None = None,
) -> CreditNoteRecord:
    """Credit `amount` (net, before VAT; default: whatever is left of the invoice) against an
    issued invoice, at the invoice's VAT rate. The total credited never exceeds the invoice."""
    invoice = await scope.get(InvoiceRecord, invoice_id)
    if invoice.status != ISSUED:
        raise Conflict(
            "a draft invoice is corrected by recomputing it, not by a credit note",
            error_id="invoice-not-issued",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a credit note needs a reason", error_id="reason-required")
    left = Decimal(invoice.subtotal) - await credited_so_far(scope, invoice_id)
    net = left if amount is None else round_cents(amount)
    if not net.is_finite() or net <= 0 or net > left:
        raise ValidationFailed(
            f"credit must be more than 0 and at most {left} {invoice.currency}",
            error_id="invalid-credit-amount",
        )
    vat = round_cents(net * Decimal(invoice.vat_rate) / 100)
    note = scope.add(
        CreditNoteRecord(
            invoice_id=invoice.id,
            number=await next_number(scope.session, "credit_note", issued_on.year),
            issued_on=issued_on,
            reason=reason[:500],
            currency=invoice.currency,
            subtotal=net,
            vat_rate=invoice.vat_rate,
            vat=vat,
            total=net + vat,
        )
    )
    await scope.session.flush()
    return note


async def list_credit_notes(
    scope: TenantScope, invoice_id: int | None = None
) -> Sequence[CreditNoteRecord]:
    """The tenant's credit notes (of one invoice when given), oldest first."""
    where = [] if invoice_id is None else [CreditNoteRecord.invoice_id == invoice_id]
    return await scope.list(CreditNoteRecord, *where, order_by=CreditNoteRecord.id)


# ----------------------------------------------------------------------------- documents


def _customer(tenant: Tenant) -> Party:
    return Party(
        tenant.name,
        (tenant.domain, f"Customer no. {tenant.customer_number}", f"Country: {tenant.country}"),
    )


async def invoice_document(
    scope: TenantScope, invoice_id: int, provider: Party = DEFAULT_PROVIDER
) -> InvoiceDocument:
    """What the PDF of a stored invoice prints (stored lines and totals, never recomputed)."""
    record, lines = await accounts.get_invoice(scope, invoice_id)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    notes = [
        f"Credit note {n.number} of {n.issued_on}: -{n.total} {n.currency} ({n.reason})"
        for n in await list_credit_notes(scope, invoice_id)
    ]
    return InvoiceDocument(
        title="Invoice",
        provider=provider,
        customer=_customer(tenant),
        number=record.number,
        issued_on=record.issued_on,
        period_start=record.period_start,
        period_end=record.period_end,
        due_on=record.due_on,
        currency=record.currency,
        lines=tuple(
            DocumentLine(
                line.kind,
                line.description,
                Decimal(line.quantity),
                Decimal(line.unit_price),
                Decimal(line.amount),
            )
            for line in lines
        ),
        subtotal=Decimal(record.subtotal),
        vat_rate=Decimal(record.vat_rate),
        vat=Decimal(record.vat),
        total=Decimal(record.total),
        notes=tuple(notes),
    )


async def credit_note_document(
    scope: TenantScope, credit_note_id: int, provider: Party = DEFAULT_PROVIDER
) -> InvoiceDocument:
    """What the PDF of a credit note prints: one negative line referring to the invoice."""
    note = await scope.get(CreditNoteRecord, credit_note_id)
    invoice = await scope.get(InvoiceRecord, note.invoice_id)
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    subtotal = -Decimal(note.subtotal)
    return InvoiceDocument(
        title="Credit note",
        provider=provider,
        customer=_customer(tenant),
        number=note.number,
        issued_on=note.issued_on,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        due_on=None,
        currency=note.currency,
        lines=(
            DocumentLine(
                "credit",
                f"Credit on invoice {invoice.number}: {note.reason}",
                Decimal(1),
                subtotal,
                subtotal,
            ),
        ),
        subtotal=subtotal,
        vat_rate=Decimal(note.vat_rate),
        vat=-Decimal(note.vat),
        total=-Decimal(note.total),
    )


async def invoice_call_details(scope: TenantScope, invoice_id: int) -> list[CallDetail]:
    """The rated outbound calls of an invoice's period (same rating as its usage lines)."""
    record = await scope.get(InvoiceRecord, invoice_id)
    _, _, cdrs, usage = await accounts.period_usage(scope, record.period_start, record.period_end)
    return call_details(cdrs, usage)


# ----------------------------------------------------------------------------- partners


@dataclass(frozen=True, slots=True)
class StatementItem:
    """One tenant invoice on a partner statement."""

    tenant: str
    number: str
    period_start: date
    currency: str
    subtotal: Decimal
    vat: Decimal
    total: Decimal
    credited: Decimal
    paid_on: date | None


@dataclass(frozen=True, slots=True)
class PartnerStatement:
    """A partner's tenants' issued invoices of periods starting in [start, end), with totals
    per currency (a partner may sell in CHF and EUR: amounts are never added across them)."""

    partner: str
    start: date
    end: date
    items: tuple[StatementItem, ...]
    totals: dict[str, Decimal]
    open_totals: dict[str, Decimal]


async def partner_statement(
    session: AsyncSession, partner_name: str, start: date, end: date
) -> PartnerStatement:
    """Sum the issued invoices of the partner's tenants (credit notes deducted)."""
    partner = await session.scalar(select(Partner).where(Partner.name == partner_name))
    if partner is None:
        raise NotFound(f"unknown partner {partner_name!r}", error_id="partner-not-found")
    tenants = (
        await session.scalars(
            select(Tenant).where(Tenant.partner_id == partner.id).order_by(Tenant.domain)
        )
    ).all()
    items: list[StatementItem] = []
    totals: dict[str, Decimal] = {}
    open_totals: dict[str, Decimal] = {}
    for tenant in tenants:
        scope = scope_of(session, tenant)
        invoices = await scope.list(
            InvoiceRecord,
            InvoiceRecord.status == ISSUED,
            InvoiceRecord.period_start >= start,
            InvoiceRecord.period_start < end,
            order_by=InvoiceRecord.period_start,
        )
        for inv in invoices:
            credited = sum((Decimal(n.total) for n in await list_credit_notes(scope, inv.id)), ZERO)
            assert inv.number is not None
            item = StatementItem(
                tenant.domain,
                inv.number,
                inv.period_start,
                inv.currency,
                Decimal(inv.subtotal),
                Decimal(inv.vat),
                Decimal(inv.total),
                credited,
                inv.paid_on,
            )
            items.append(item)
            due = item.total - credited
            totals[inv.currency] = totals.get(inv.currency, ZERO) + due
            if inv.paid_on is None:
                open_totals[inv.currency] = open_totals.get(inv.currency, ZERO) + due
    return PartnerStatement(partner.name, start, end, tuple(items), totals, open_totals)
