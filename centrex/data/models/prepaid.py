"""Prepaid credit in the running platform (issue 20 item 2): the ledger and the reservations.

`Tenant.credit` is the balance; every change of it is one `credit_ledger` row written in the
same transaction (a top-up, a call's debit, an operator's adjustment), with the balance after
it, so the balance can always be explained line by line. A call that may spend credit holds a
`credit_reservations` row from its authorisation to its settlement (the price of the seconds
it was allowed): the reservations live in the database, not in one node's memory, so several
Centrex nodes share them and two calls (on any nodes) cannot spend the same credit. A row is
removed when the call is settled (its CDR rated), answered or not.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from centrex.data.models.base import Base, TenantOwned, UtcDateTime

AMOUNT = Numeric(14, 4)


class LedgerKind(StrEnum):
    TOPUP = "topup"
    DEBIT = "debit"
    ADJUSTMENT = "adjustment"


class CreditLedgerEntry(TenantOwned, Base):
    """One change of a tenant's credit: `amount` signed (a debit is negative)."""

    __tablename__ = "credit_ledger"

    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    balance_after: Mapped[Decimal] = mapped_column(AMOUNT)
    reference: Mapped[str | None] = mapped_column(String(200))
    call_id: Mapped[str | None] = mapped_column(String(200), index=True)


class CreditReservation(TenantOwned, Base):
    """The credit a call in progress was authorised to spend (one row per call)."""

    __tablename__ = "credit_reservations"

    call_id: Mapped[str] = mapped_column(String(200), unique=True)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
