"""Billing tables: rate decks and rates, plans, tenant contracts, incidents, invoices.

Rate decks and plans belong to the provider (no tenant_id: every tenant is rated against them).
Contracts, incidents and invoices belong to a tenant and are queried through `TenantScope`.
Money is `Numeric`: 4 decimals for rated amounts and fees, 6 for per-minute prices (what a deck
import accepts, see centrex/billing/decks.py), 2 for invoice totals. The pure rules live in
`centrex.billing`; these rows only store their inputs and results (enum-like columns are plain
strings validated by the service, so the data layer never imports the billing layer).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime
from centrex.errors import Conflict

PRICE = Numeric(16, 6)
AMOUNT = Numeric(14, 4)
TOTAL = Numeric(14, 2)


class RateDeckRecord(IdMixin, Base):
    """A named deck (carrier cost or retail price); its rates are replaced as a whole on import."""

    __tablename__ = "rate_decks"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    rate_count: Mapped[int] = mapped_column(Integer, default=0)


class RateRecord(IdMixin, Base):
    """One prefix of a deck (digits only, country code first)."""

    __tablename__ = "rates"
    __table_args__ = (UniqueConstraint("deck_id", "prefix", "valid_from"),)

    deck_id: Mapped[int] = mapped_column(
        ForeignKey("rate_decks.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(15))
    destination: Mapped[str] = mapped_column(String(200))
    price_per_minute: Mapped[Decimal] = mapped_column(PRICE)
    connection_fee: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    increment_first: Mapped[int] = mapped_column(Integer, default=1)
    increment_step: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date | None] = mapped_column(Date)


class BillingPlan(IdMixin, Base):
    """A commercial plan. `bundle` names a bundle preset ("france_unlimited") or is NULL."""

    __tablename__ = "billing_plans"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    base_monthly_fee: Mapped[Decimal] = mapped_column(AMOUNT)
    initial_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    included_agents: Mapped[int] = mapped_column(Integer, default=0)
    included_admins: Mapped[int] = mapped_column(Integer, default=0)
    extra_seat_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    fixed_per_minute: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    mobile_per_minute: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))
    bundle: Mapped[str | None] = mapped_column(String(32))
    fair_use_distinct_numbers: Mapped[int] = mapped_column(Integer, default=150)
    penalty_percent: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal(400))
    retail_deck_id: Mapped[int | None] = mapped_column(
        ForeignKey("rate_decks.id", ondelete="SET NULL")
    )
    cost_deck_id: Mapped[int | None] = mapped_column(
        ForeignKey("rate_decks.id", ondelete="SET NULL")
    )


class TenantContract(TenantOwned, Base):
    """A tenant's subscription to a plan with its contract clauses."""

    __tablename__ = "tenant_contracts"

    plan_id: Mapped[int] = mapped_column(ForeignKey("billing_plans.id", ondelete="RESTRICT"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    agents: Mapped[int] = mapped_column(Integer, default=0)
    admins: Mapped[int] = mapped_column(Integer, default=0)
    initial_months: Mapped[int] = mapped_column(Integer, default=12)
    renewal_months: Mapped[int] = mapped_column(Integer, default=12)
    notice_months: Mapped[int] = mapped_column(Integer, default=3)
    termination_fixed_fee: Mapped[Decimal] = mapped_column(AMOUNT, default=Decimal(0))
    sla_support_hours_only: Mapped[bool] = mapped_column(Boolean, default=False)
    forbidden_use_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged_reason: Mapped[str | None] = mapped_column(String(500))
    low_balance_threshold: Mapped[Decimal | None] = mapped_column(AMOUNT)


class IncidentRecord(TenantOwned, Base):
    """An outage of one service of a tenant; `restored_at` is NULL while it lasts."""

    __tablename__ = "billing_incidents"

    service: Mapped[str] = mapped_column(String(50))
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    restored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    excuse: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(500))


class InvoiceRecord(TenantOwned, Base):
    """An invoice of a period [period_start, period_end).

    A *draft* (status "draft", no number) is recomputed at will; an *issued* invoice has a
    gap-free number (2026-000123) and a due date and never changes again except for its
    payment date: corrections are credit notes (`CreditNoteRecord`).
    """

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("tenant_id", "period_start"),)

    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str] = mapped_column(String(2))
    subtotal: Mapped[Decimal] = mapped_column(TOTAL)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat: Mapped[Decimal] = mapped_column(TOTAL)
    total: Mapped[Decimal] = mapped_column(TOTAL)
    paid_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    due_on: Mapped[date | None] = mapped_column(Date)


class InvoiceLineRecord(TenantOwned, Base):
    """One printed line of an invoice, in order."""

    __tablename__ = "invoice_lines"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(AMOUNT)
    unit_price: Mapped[Decimal] = mapped_column(PRICE)
    amount: Mapped[Decimal] = mapped_column(TOTAL)


ISSUED = "issued"
# Columns of an issued invoice that may still change: its payment is recorded after issue.
_MUTABLE_WHEN_ISSUED = frozenset({"paid_on"})


def invoice_immutable(what: str) -> Conflict:
    """The error for any change to an issued invoice (stable error_id for API and CLI)."""
    return Conflict(
        f"{what} is issued and cannot be changed: issue a credit note instead",
        error_id="invoice-immutable",
    )


@event.listens_for(InvoiceRecord, "before_update")
def _issued_invoice_unchanged(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    """Last line of defence behind the service checks: an ORM flush that would change an
    issued invoice (other than its payment date) fails. Bulk UPDATE statements bypass ORM
    events; the billing services never issue one against invoices."""
    state = inspect(target)
    status = state.attrs.status.history
    was = status.deleted[0] if status.deleted else target.status
    if was != ISSUED:
        return
    for attr in state.attrs:
        if attr.key not in _MUTABLE_WHEN_ISSUED and attr.history.has_changes():
            raise invoice_immutable(f"invoice {target.number}")


@event.listens_for(InvoiceRecord, "before_delete")
def _issued_invoice_kept(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    if target.status == ISSUED:
        raise invoice_immutable(f"invoice {target.number}")


@event.listens_for(InvoiceLineRecord, "before_update")
@event.listens_for(InvoiceLineRecord, "before_delete")
def _issued_lines_unchanged(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    status = connection.scalar(
        select(InvoiceRecord.status).where(InvoiceRecord.id == target.invoice_id)
    )
    if status == ISSUED:
        raise invoice_immutable(f"invoice {target.invoice_id}")


class DocumentSequence(IdMixin, Base):
    """Last number used per document kind ("invoice", "credit_note") and year.

    Incremented under a row lock in the issuing transaction, so a rolled-back issue gives its
    number back and the sequence has no gaps (a legal requirement for invoices in the EU/CH).
    """

    __tablename__ = "billing_sequences"
    __table_args__ = (UniqueConstraint("kind", "year"),)

    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CreditNoteRecord(TenantOwned, Base):
    """A credit note against an issued invoice: positive amounts that are credited back."""

    __tablename__ = "credit_notes"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(TOTAL)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat: Mapped[Decimal] = mapped_column(TOTAL)
    total: Mapped[Decimal] = mapped_column(TOTAL)


class DunningActionRecord(TenantOwned, Base):
    """A dunning action carried out for an invoice (reminder sent, service suspended, ...).

    One row per (invoice, action): applying dunning again never repeats an action.
    """

    __tablename__ = "dunning_actions"
    __table_args__ = (UniqueConstraint("invoice_id", "action"),)

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())
