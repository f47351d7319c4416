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

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime

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
    """A computed invoice of a period [period_start, period_end); recomputing replaces it."""

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
