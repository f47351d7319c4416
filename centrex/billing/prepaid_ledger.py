"""Prepaid credit: the ledger, the reservations of calls in progress, and their settlement.

Theory of operation (issue 20 item 2; the pure rules are in `credit.py`):

* The balance is `Tenant.credit`. Every change of it writes one `credit_ledger` row in the
  same transaction with the balance after it: a top-up (+), a call's debit (−), an operator's
  adjustment (±). The ledger explains the balance line by line.
* A call authorised against the credit reserves the price of the seconds it was allowed
  (`credit_reservations`, one row per call, in the database so every node sees it). What a new
  call may spend is the balance minus every reservation of the tenant, read under a lock on the
  tenant's row (`lock_tenant`): two calls, on one node or two, cannot reserve the same credit.
* When the call's CDR is rated (`live_rating.rate_pending`), `settle` debits its price, never
  more than its reservation (a prepaid call is never charged more than it was authorised
  against), writes the ledger row and deletes the reservation; a call that never connected
  is settled at 0, which only releases its reservation.
* A debit that takes the balance across the contract's `low_balance_threshold` downwards
  queues one e-mail to the tenant's contacts in the mail outbox (same transaction: the mail
  is queued exactly when the debit is, and once, since only the crossing debit triggers it).

Locking: PostgreSQL takes the row lock with ``SELECT ... FOR UPDATE``; SQLite has no row locks
but serialises writers, so the transaction starts with a no-op UPDATE of the tenant's row, which
takes SQLite's write lock before anything is read (a second writer waits on the busy timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing.credit import debit
from centrex.billing.money import ZERO
from centrex.data.models.apps import MailOutboxEntry
from centrex.data.models.billing import TenantContract
from centrex.data.models.prepaid import CreditLedgerEntry, CreditReservation, LedgerKind
from centrex.data.models.tenancy import Tenant, TenantContact, TenantStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

__all__ = [
    "QUANTUM",
    "Balance",
    "Settlement",
    "balance",
    "ledger",
    "lock_tenant",
    "parse_amount",
    "release",
    "reserve",
    "reserved",
    "set_prepaid",
    "settle",
    "top_up",
]

MAX_AMOUNT = Decimal("1000000")
QUANTUM = Decimal("0.0001")  # amounts are shown with the 4 decimals they are stored with


@dataclass(frozen=True, slots=True)
class Balance:
    """A tenant's credit, what its calls in progress hold of it, and its currency."""

    balance: Decimal
    reserved: Decimal
    currency: str

    def as_json(self) -> dict[str, str]:
        return {
            "balance": str(self.balance.quantize(QUANTUM)),
            "reserved": str(self.reserved.quantize(QUANTUM)),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settled call: what it was debited, the balance after, and whether mail was queued."""

    debited: Decimal
    balance: Decimal
    low_balance_mail: bool


def parse_amount(text: str | Decimal) -> Decimal:
    """A positive amount given as a decimal string ("10.00"), at most 4 decimals."""
    try:
        amount = Decimal(text) if isinstance(text, str) else text
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationFailed(f"{text!r} is not a positive amount", error_id="invalid-amount",
                               field="amount")  # fmt: skip
    if amount != amount.quantize(QUANTUM):
        raise ValidationFailed("an amount has at most 4 decimals", error_id="invalid-amount",
                               field="amount")  # fmt: skip
    return amount


def is_prepaid(tenant: Tenant) -> bool:
    """A trial tenant calls on its test credit like a prepaid one."""
    return tenant.prepaid or tenant.status is TenantStatus.TRIAL


async def lock_tenant(session: AsyncSession, tenant_id: int) -> Tenant | None:
    """The tenant's row, locked for the rest of the transaction (see the module docstring)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        await session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(credit=Tenant.credit)
            .execution_options(synchronize_session=False)
        )
    stmt = (
        select(Tenant)
        .where(Tenant.id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).first()


async def reserved(session: AsyncSession, tenant_id: int) -> Decimal:
    """What the tenant's calls in progress hold of its credit."""
    total = await session.scalar(
        select(func.coalesce(func.sum(CreditReservation.amount), 0)).where(
            CreditReservation.tenant_id == tenant_id
        )
    )
    return Decimal(total or 0)


def _entry(
    session: AsyncSession,
    tenant: Tenant,
    kind: LedgerKind,
    amount: Decimal,
    *,
    now: datetime,
    reference: str | None = None,
    call_id: str | None = None,
) -> CreditLedgerEntry:
    """Change the (locked) tenant's credit by `amount` and write the ledger row."""
    tenant.credit = Decimal(tenant.credit) + amount
    entry = CreditLedgerEntry(at=now, kind=kind.value, amount=amount,
                              balance_after=tenant.credit, reference=reference,
                              call_id=call_id)  # fmt: skip
    TenantScope(session, tenant.id, tenant.domain).add(entry)
    return entry


async def _tenant(scope: TenantScope) -> Tenant:
    tenant = await lock_tenant(scope.session, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    return tenant


async def set_prepaid(scope: TenantScope, on: bool) -> bool:
    """Turn prepaid on or off for the scope's tenant; returns the new setting."""
    tenant = await _tenant(scope)
    tenant.prepaid = on
    await scope.session.flush()
    return on


async def top_up(
    scope: TenantScope, amount: str | Decimal, *, reference: str | None, now: datetime
) -> Decimal:
    """Add `amount` to the credit (a ledger entry); returns the new balance."""
    value = parse_amount(amount)
    if reference is not None and len(reference) > 200:
        raise ValidationFailed("reference is longer than 200 characters",
                               error_id="invalid-reference", field="reference")  # fmt: skip
    tenant = await _tenant(scope)
    _entry(scope.session, tenant, LedgerKind.TOPUP, value, now=now, reference=reference)
    await scope.session.flush()
    return Decimal(tenant.credit)


async def balance(scope: TenantScope) -> Balance:
    """The scope's tenant's balance, reserved credit and currency."""
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("tenant not found", error_id="tenant-not-found")
    held = await reserved(scope.session, scope.tenant_id)
    return Balance(Decimal(tenant.credit), held, tenant.currency.value)


async def ledger(
    scope: TenantScope, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[CreditLedgerEntry]]:
    """The tenant's ledger, newest first, and its total number of rows."""
    total = await scope.count(CreditLedgerEntry)
    rows = await scope.session.scalars(
        scope.select(CreditLedgerEntry)
        .order_by(CreditLedgerEntry.at.desc(), CreditLedgerEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, list(rows)


async def reserve(session: AsyncSession, tenant: Tenant, call_id: str, amount: Decimal) -> None:
    """Hold `amount` of the (locked) tenant's credit for `call_id`."""
    TenantScope(session, tenant.id, tenant.domain).add(
        CreditReservation(call_id=call_id, amount=amount)
    )
    await session.flush()


async def release(session: AsyncSession, tenant_id: int, call_id: str) -> None:
    """Drop the reservation of `call_id` (a call authorised again replaces its own)."""
    await session.execute(
        delete(CreditReservation).where(
            CreditReservation.tenant_id == tenant_id, CreditReservation.call_id == call_id
        )
    )


async def _threshold(session: AsyncSession, tenant_id: int, day: datetime) -> Decimal | None:
    """The low-balance threshold of the tenant's contract in force (None: no alert)."""
    stmt = (
        select(TenantContract.low_balance_threshold)
        .where(
            TenantContract.tenant_id == tenant_id,
            TenantContract.starts_on <= day.date(),
            or_(TenantContract.ends_on.is_(None), TenantContract.ends_on >= day.date()),
        )
        .order_by(TenantContract.starts_on.desc())
        .limit(1)
    )
    value = await session.scalar(stmt)
    return Decimal(value) if value is not None else None


async def _queue_low_balance_mail(session: AsyncSession, tenant: Tenant, *, now: datetime) -> int:
    """One outbox message per contact of the tenant with an e-mail address; their count."""
    scope = TenantScope(session, tenant.id, tenant.domain)
    contacts = await scope.list(TenantContact, TenantContact.email.is_not(None))
    sender = f"Centrex Billing <billing@{tenant.domain}>"
    for contact in contacts:
        message = EmailMessage()
        message["From"] = sender
        message["To"] = str(contact.email)
        message["Subject"] = f"Low prepaid balance: {tenant.credit:.2f} {tenant.currency.value}"
        message["Date"] = format_datetime(now)
        message["Message-ID"] = make_msgid(domain=tenant.domain)
        message.set_content(
            f"Hello {contact.name},\n\nthe prepaid balance of {tenant.name} is now "
            f"{tenant.credit:.2f} {tenant.currency.value}. Calls to chargeable numbers stop "
            "when it reaches zero; please top up the account.\n"
        )
        scope.add(MailOutboxEntry(recipient=str(contact.email), sender=sender,
                                  subject=str(message["Subject"])[:500],
                                  message=message.as_bytes(), next_attempt_at=now))  # fmt: skip
    return len(contacts)


async def settle(
    session: AsyncSession, tenant_id: int, call_id: str, price: Decimal | None, *, now: datetime
) -> Settlement | None:
    """Debit a rated call of a prepaid tenant (at most its reservation) and release the
    reservation; None when the call held none (a tenant that is not prepaid, or settled)."""
    held = await session.scalar(
        select(CreditReservation).where(
            CreditReservation.tenant_id == tenant_id, CreditReservation.call_id == call_id
        )
    )
    if held is None:
        return None
    tenant = await lock_tenant(session, tenant_id)
    amount = min(price or ZERO, Decimal(held.amount))
    await session.execute(delete(CreditReservation).where(CreditReservation.id == held.id))
    if tenant is None:
        return None
    if amount <= 0:
        return Settlement(ZERO, Decimal(tenant.credit), False)
    threshold = await _threshold(session, tenant_id, now)
    result = debit(Decimal(tenant.credit), amount, threshold if threshold is not None else ZERO)
    _entry(session, tenant, LedgerKind.DEBIT, -amount, now=now, call_id=call_id,
           reference=f"call {call_id}")  # fmt: skip
    mailed = False
    if threshold is not None and result.low_balance_alert:
        mailed = await _queue_low_balance_mail(session, tenant, now=now) > 0
    await session.flush()
    return Settlement(amount, Decimal(tenant.credit), mailed)
