"""Rating at hang-up: every finished CDR priced by the running server within seconds.

Theory of operation. The queue is the CDR table itself: a finished CDR (`ended_at` set) whose
`rated_at` is NULL waits to be rated. `rate_pending` takes a batch of them, oldest first, prices
each against its tenant's decks and stores `rate_prefix`, `price`, `cost` and `rated_at` in the
same transaction, so:

* nothing is lost across a restart or a crash: a CDR not yet rated is still NULL and the next
  pass (of this node or another) takes it;
* running twice is harmless: the same CDR and decks give the same price, and a row already
  rated is no longer selected (the UPDATE is also guarded by ``rated_at IS NULL``);
* the call path never waits: `LiveRater` runs beside the calls, on its own timer.

Which decks: those of the tenant's contract in force on the day the call started (its plan's
retail deck for the price, its cost deck for the margin). A tenant without a contract or a plan
without a retail deck leaves the call *rated as unpriced* (`rated_at` set, price NULL): it shows
in the period report as unrated, and `centrex billing rate` can re-rate the period after a deck
is given (re-rating stays idempotent, see `service.rate_period`). Inbound and unanswered calls
cost 0. The price is the retail deck's, as `rates quote` gives it for the same number and
duration (bundles and fair use are applied on the invoice, `usage.py`).

Each call reads only its own prefixes of a deck (at most 15 rows, `service.deck_for_record`), so
a 50 000-prefix deck is never loaded to rate one call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing.decks import RateDeck
from centrex.billing.prepaid_ledger import settle
from centrex.billing.rating import rate_cdr
from centrex.billing.service import deck_for_record, to_pure_cdr
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.data.models.billing import BillingPlan, RateDeckRecord, TenantContract
from centrex.data.models.cdr import Cdr as CdrRow

__all__ = ["BATCH", "LiveRater", "LiveRatingReport", "decks_of", "rate_pending"]

log = logging.getLogger("centrex.billing.live")

BATCH = 500


@dataclass(frozen=True, slots=True)
class LiveRatingReport:
    """One pass: how many CDRs were taken, priced, and left unpriced (no deck, no prefix)."""

    taken: int
    priced: int
    unpriced: int


async def decks_of(
    session: AsyncSession, tenant_id: int, day: date
) -> tuple[RateDeckRecord | None, RateDeckRecord | None]:
    """(retail, cost) deck records of the tenant's contract in force on `day`."""
    stmt = (
        select(BillingPlan.retail_deck_id, BillingPlan.cost_deck_id)
        .join(TenantContract, TenantContract.plan_id == BillingPlan.id)
        .where(
            TenantContract.tenant_id == tenant_id,
            TenantContract.starts_on <= day,
            or_(TenantContract.ends_on.is_(None), TenantContract.ends_on >= day),
        )
        .order_by(TenantContract.starts_on.desc())
        .limit(1)
    )
    found = (await session.execute(stmt)).first()
    if found is None:
        return None, None
    retail_id, cost_id = found
    retail = await session.get(RateDeckRecord, retail_id) if retail_id is not None else None
    cost = await session.get(RateDeckRecord, cost_id) if cost_id is not None else None
    return retail, cost


_Decks = tuple[RateDeckRecord | None, RateDeckRecord | None]


async def _price(
    session: AsyncSession, row: CdrRow, decks: dict[tuple[int, date], _Decks]
) -> tuple[str | None, Decimal | None, Decimal | None]:
    """(prefix, price, cost) of one CDR; price None when nothing prices it. `decks` caches the
    contract lookup per tenant and day for the pass (one query per tenant, not per call)."""
    key = (row.tenant_id, row.started_at.date())
    if key not in decks:
        decks[key] = await decks_of(session, *key)
    retail, cost = decks[key]
    if retail is None:
        return None, None, None
    price_deck: RateDeck = await deck_for_record(session, retail, row.callee)
    cost_deck = await deck_for_record(session, cost, row.callee) if cost is not None else None
    if cost_deck is not None and cost_deck.currency != price_deck.currency:
        log.warning("cost deck %s is not in %s: call %s rated without cost",
                    cost_deck.name, price_deck.currency, row.call_id)  # fmt: skip
        cost_deck = None
    result = rate_cdr(to_pure_cdr(row), price_deck, cost_deck)
    if not result.rated:
        return None, None, None
    return result.prefix, result.price, result.cost if cost_deck is not None else None


async def rate_pending(
    database: Database, *, now: datetime, limit: int = BATCH
) -> LiveRatingReport:
    """Rate up to `limit` finished CDRs waiting to be rated (oldest end first), in one
    transaction. A platform job: each CDR is priced with its own tenant's decks only."""
    priced = unpriced = 0
    async with database.transaction() as session:
        waiting = (
            await session.scalars(
                select(CdrRow)
                .where(CdrRow.rated_at.is_(None), CdrRow.ended_at.is_not(None))
                .order_by(CdrRow.ended_at, CdrRow.id)
                .limit(limit)
            )
        ).all()
        decks: dict[tuple[int, date], _Decks] = {}
        for row in waiting:
            prefix, price, cost = await _price(session, row, decks)
            await session.execute(
                update(CdrRow)
                .where(and_(CdrRow.id == row.id, CdrRow.rated_at.is_(None)))
                .values(rate_prefix=prefix, price=price, cost=cost, rated_at=now)
                .execution_options(synchronize_session=False)
            )
            # a prepaid call: debit its price (at most its reservation), release the rest
            await settle(session, row.tenant_id, row.call_id, price, now=now)
            if price is None:
                unpriced += 1
            else:
                priced += 1
    return LiveRatingReport(len(waiting), priced, unpriced)


class LiveRater:
    """The rating loop of `serve`: a pass every `poll_seconds`, at once again while a pass
    found a full batch (a backlog after a restart drains without waiting), never raising into
    the server (a failed pass is logged; its CDRs stay in the queue for the next one)."""

    def __init__(self, database: Database, clock: Clock, *, poll_seconds: float = 2.0) -> None:
        self.database = database
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="live-rating")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def run_once(self) -> LiveRatingReport | None:
        """One pass; None when it failed (logged)."""
        try:
            report = await rate_pending(self.database, now=self.clock.utcnow())
        except Exception:  # a bad row or a lost database must not stop rating for good
            log.exception("live rating pass failed; its CDRs stay queued")
            return None
        finally:
            self.passes += 1
        if report.taken:
            log.debug("rated %d CDRs (%d unpriced)", report.taken, report.unpriced)
        return report

    async def _run(self) -> None:
        while not self._stop.is_set():
            report = await self.run_once()
            if report is not None and report.taken >= BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_seconds)
