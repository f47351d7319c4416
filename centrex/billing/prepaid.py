"""Prepaid in the call (issue 20 item 2): may this outbound call start, and for how long.

Theory of operation (CGRateS-style reservation, A2Billing-style maximum duration):

* `authorize` is asked before an outbound call of a tenant leaves for a trunk. An emergency
  call always passes (nothing read). A tenant that is neither prepaid nor in trial is not
  limited. For a prepaid (or trial) tenant the number is priced with the retail deck of its
  contract in force (`live_rating.decks_of`, the deck the call will be rated with at hang-up,
  so the authorisation and the price agree); a number the deck rates at 0 (fee and price) is
  free and passes. Otherwise the credit available is the balance minus what the tenant's calls
  in progress hold (`prepaid_ledger.reserved`), read under the tenant's row lock; the call gets
  the longest duration that pays for (`credit.authorize_call` → `rating.max_duration`, fee and
  increments respected) and reserves that duration's price, so a concurrent call sees it.
* A prepaid call the deck cannot price is refused: it would be free for ever otherwise.
* The call's end is settled by the live rater (`prepaid_ledger.settle`): debit of its rated
  price, never above the reservation; the reservation of a call that never connected is
  released at 0.

The service face (`set_prepaid`, `top_up`, `balance`, `ledger`, `settle`) lives in
`prepaid_ledger.py` and is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing.credit import Refusal, authorize_call
from centrex.billing.live_rating import decks_of
from centrex.billing.money import ZERO
from centrex.billing.prepaid_ledger import (
    QUANTUM,
    Balance,
    Settlement,
    balance,
    is_prepaid,
    ledger,
    lock_tenant,
    parse_amount,
    release,
    reserve,
    reserved,
    set_prepaid,
    settle,
    top_up,
)
from centrex.billing.rating import charge
from centrex.billing.service import deck_for_record

__all__ = [
    "QUANTUM",
    "Balance",
    "CallAuthorization",
    "Settlement",
    "authorize",
    "balance",
    "is_prepaid",
    "ledger",
    "parse_amount",
    "set_prepaid",
    "settle",
    "top_up",
]

NO_CREDIT_TEXT = "prepaid credit exhausted"
NO_RATE_TEXT = "no rate for this number: a prepaid call must be priced"


@dataclass(frozen=True, slots=True)
class CallAuthorization:
    """May the call start; `max_seconds` None: no limit from the credit. `reserved` is the
    credit held for the call (0 when it holds none)."""

    allowed: bool
    max_seconds: int | None = None
    reason: str | None = None
    reserved: Decimal = ZERO


UNLIMITED = CallAuthorization(True)


async def authorize(
    session: AsyncSession,
    tenant_id: int,
    number: str,
    now: datetime,
    *,
    call_id: str,
    emergency: bool = False,
) -> CallAuthorization:
    """Authorise an outbound call to `number` (E.164) and reserve its credit (see the module
    docstring). Run it in a transaction of its own: it locks the tenant's row."""
    if emergency:
        return UNLIMITED
    tenant = await lock_tenant(session, tenant_id)
    if tenant is None or not is_prepaid(tenant):
        return UNLIMITED
    await release(session, tenant_id, call_id)  # authorised again (a *31 call): one hold
    retail, _cost = await decks_of(session, tenant_id, now.date())
    rate = None
    if retail is not None:
        rate = (await deck_for_record(session, retail, number)).lookup(number, now.date())
    if rate is None:
        return CallAuthorization(False, 0, NO_RATE_TEXT)
    available = Decimal(tenant.credit) - await reserved(session, tenant_id)
    verdict = authorize_call(available, rate)
    if not verdict.allowed:
        text = NO_CREDIT_TEXT
        if verdict.refusal is Refusal.CREDIT_TOO_LOW:
            text = "prepaid credit too low for this destination"
        return CallAuthorization(False, 0, text)
    if verdict.max_seconds is None:  # a free number
        return UNLIMITED
    price = charge(rate, verdict.max_seconds)
    await reserve(session, tenant, call_id, price)
    return CallAuthorization(True, verdict.max_seconds, None, price)
