"""Billing services for rate decks and CDR rating: the database side of `decks` and `rating`.

Plans, contracts, incidents and invoices are in `accounts.py`. Each function loads inputs, calls
the pure rules and stores results. Provider-owned data (rate decks, plans) takes a session;
tenant-owned data (contracts, incidents, invoices, CDRs) takes a `TenantScope` first, so tenant
isolation is enforced by the scope (DESIGN.md habit 7). Nothing here commits: the caller's
transaction does, so a failure anywhere writes nothing.

Re-running is safe: rating a period overwrites the CDRs' rated fields, importing a deck of an
existing name replaces its rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from centrex.billing.decks import MAX_PREFIX_DIGITS, Increment, Rate, RateDeck, parse_deck_csv
from centrex.billing.money import ZERO
from centrex.billing.rating import Cdr, NoRateError, Quote, quote, rate_cdr
from centrex.data.models.billing import (
    RateDeckRecord,
    RateRecord,
)
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

BUNDLE_PRESETS = frozenset({"france_unlimited"})


# ----------------------------------------------------------------------------- rate decks


@dataclass(frozen=True, slots=True)
class DeckImported:
    """Result of a successful import."""

    deck: str
    imported: int
    currency: str
    replaced: bool


_INSERT_BATCH = 5000


def _check_deck_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("deck name must be 1 to 100 characters", error_id="invalid-deck")
    return name


async def import_deck(
    session: AsyncSession, name: str, text: str, *, now: datetime
) -> DeckImported:
    """Parse `text` (raises `DeckImportError` before writing anything) and store it as `name`."""
    return await store_deck(session, parse_deck_csv(text, _check_deck_name(name)), now=now)


async def store_deck(session: AsyncSession, deck: RateDeck, *, now: datetime) -> DeckImported:
    """Store a validated deck, replacing every rate of an existing deck of the same name."""
    name = _check_deck_name(deck.name)
    record = await session.scalar(select(RateDeckRecord).where(RateDeckRecord.name == name))
    replaced = record is not None
    if record is None:
        record = RateDeckRecord(name=name, currency=deck.currency, imported_at=now)
        session.add(record)
        await session.flush()
    else:
        await session.execute(delete(RateRecord).where(RateRecord.deck_id == record.id))
        record.currency = deck.currency
        record.imported_at = now
    record.rate_count = len(deck)
    # One executemany instead of 50 000 ORM objects: a carrier deck imports in seconds.
    rows = [
        {
            "deck_id": record.id,
            "prefix": r.prefix,
            "destination": r.destination,
            "price_per_minute": r.price_per_minute,
            "connection_fee": r.connection_fee,
            "increment_first": r.increment.first,
            "increment_step": r.increment.step,
            "valid_from": r.valid_from,
            "created_at": now,
        }
        for r in deck.rates()
    ]
    for start in range(0, len(rows), _INSERT_BATCH):
        await session.execute(insert(RateRecord), rows[start : start + _INSERT_BATCH])
    await session.flush()
    return DeckImported(name, len(deck), deck.currency, replaced)


async def list_decks(session: AsyncSession) -> Sequence[RateDeckRecord]:
    """Every deck, by name."""
    return (await session.scalars(select(RateDeckRecord).order_by(RateDeckRecord.name))).all()


async def deck_record(session: AsyncSession, name: str) -> RateDeckRecord:
    record = await session.scalar(select(RateDeckRecord).where(RateDeckRecord.name == name))
    if record is None:
        raise NotFound(f"unknown rate deck {name!r}", error_id="deck-not-found")
    return record


def _rate_of(row: RateRecord, currency: str) -> Rate:
    return Rate(
        row.prefix,
        row.destination,
        Decimal(row.price_per_minute),
        Decimal(row.connection_fee),
        Increment(row.increment_first, row.increment_step),
        currency,
        row.valid_from,
    )


async def deck_from_record(session: AsyncSession, record: RateDeckRecord) -> RateDeck:
    """The whole deck of a record (for rating many calls); plain columns, not 50 000 ORM
    objects."""
    rows = await session.execute(
        select(
            RateRecord.prefix,
            RateRecord.destination,
            RateRecord.price_per_minute,
            RateRecord.connection_fee,
            RateRecord.increment_first,
            RateRecord.increment_step,
            RateRecord.valid_from,
        ).where(RateRecord.deck_id == record.id)
    )
    currency = record.currency
    return RateDeck.build(
        record.name,
        (
            Rate(p, d, Decimal(ppm), Decimal(fee), Increment(first, step), currency, valid)
            for p, d, ppm, fee, first, step, valid in rows
        ),
    )


async def deck_for_number(session: AsyncSession, name: str, number_e164: str) -> RateDeck:
    """Only the rates of deck `name` whose prefix starts `number_e164` (at most 15 prefixes):
    enough for the pure longest-prefix lookup, without loading a 50 000-row deck for one
    quote."""
    return await deck_for_record(session, await deck_record(session, name), number_e164)


async def deck_for_record(
    session: AsyncSession, record: RateDeckRecord, number_e164: str
) -> RateDeck:
    """`deck_for_number` for a deck record already at hand (the live rater's case)."""
    digits = number_e164.removeprefix("+")
    candidates = [digits[:end] for end in range(1, len(digits) + 1)]
    rows = await session.scalars(
        select(RateRecord).where(RateRecord.deck_id == record.id, RateRecord.prefix.in_(candidates))
    )
    return RateDeck.build(record.name, (_rate_of(r, record.currency) for r in rows))


async def load_deck(session: AsyncSession, name: str) -> RateDeck:
    """The deck `name` as a pure `RateDeck` (NotFound if unknown)."""
    return await deck_from_record(session, await deck_record(session, name))


def check_e164(number: str) -> str:
    """`+` and 1..15 digits (spaces tolerated and dropped), else ValidationFailed."""
    cleaned = number.replace(" ", "")
    digits = cleaned[1:]
    if not cleaned.startswith("+") or not digits.isdigit() or len(digits) > MAX_PREFIX_DIGITS:
        raise ValidationFailed(
            f"{number!r} is not an E.164 number (+ and up to 15 digits)",
            error_id="invalid-number",
            field="number",
        )
    return cleaned


async def quote_number(
    session: AsyncSession, deck_name: str, number: str, seconds: int, on: date | None = None
) -> Quote:
    """Price an answered call of `seconds` to `number` with the deck `deck_name`."""
    if seconds < 0:
        raise ValidationFailed("seconds must not be negative", error_id="invalid-seconds")
    number = check_e164(number)
    deck = await deck_for_number(session, deck_name, number)
    try:
        return quote(deck, number, seconds, on)
    except NoRateError as exc:
        raise NotFound(str(exc), error_id="no-rate") from None


# ----------------------------------------------------------------------------- CDR rating


def midnight(day: date) -> datetime:
    """00:00 UTC of `day` (billing periods are whole UTC days)."""
    return datetime.combine(day, time(0), UTC)


def to_pure_cdr(row: CdrRow) -> Cdr:
    """The rating view of a CDR row: answered means disposition answered (or an answer time)."""
    answered = row.disposition == Disposition.ANSWERED or (
        row.disposition is None and row.answered_at is not None
    )
    return Cdr(
        call_id=row.call_id,
        called=row.callee,
        start=row.started_at,
        billable_seconds=row.billsec,
        answered=answered,
        outbound=row.direction == Direction.OUTBOUND,
        user=row.extension or row.caller,
    )


async def period_cdrs(scope: TenantScope, start: datetime, end: datetime) -> Sequence[CdrRow]:
    return await scope.list(
        CdrRow,
        CdrRow.started_at >= start,
        CdrRow.started_at < end,
        CdrRow.ended_at.is_not(None),
        order_by=CdrRow.started_at,
    )


@dataclass(frozen=True, slots=True)
class RatingReport:
    """Outcome of rating a tenant's period: counts and totals (price = retail, cost = carrier)."""

    calls: int
    rated: int
    unrated: int
    price: Decimal
    cost: Decimal
    currency: str


_RATE_PAGE = 20_000
# The columns rating reads: not the ORM entity, so a million CDRs never become a million
# tracked objects (identity map, change tracking, per-row UPDATE at flush).
_RATING_COLUMNS = (
    CdrRow.id,
    CdrRow.call_id,
    CdrRow.callee,
    CdrRow.started_at,
    CdrRow.billsec,
    CdrRow.disposition,
    CdrRow.answered_at,
    CdrRow.direction,
    CdrRow.extension,
    CdrRow.caller,
)


def _pure_of_columns(row: Any) -> Cdr:
    """`to_pure_cdr` for a row of `_RATING_COLUMNS` (same rules)."""
    _, call_id, callee, started_at, billsec, disposition, answered_at, direction, ext, caller = row
    answered = disposition == Disposition.ANSWERED or (
        disposition is None and answered_at is not None
    )
    return Cdr(
        call_id=call_id,
        called=callee,
        start=started_at,
        billable_seconds=billsec,
        answered=answered,
        outbound=direction == Direction.OUTBOUND,
        user=ext or caller,
    )


async def rate_period(
    scope: TenantScope,
    *,
    start: datetime,
    end: datetime,
    price_deck: str,
    cost_deck: str | None = None,
) -> RatingReport:
    """Rate the tenant's finished CDRs started in [start, end) and store prefix, price, cost.

    Idempotent: the rated fields are recomputed from the CDR and the decks every time. An
    unmatched outbound call keeps NULL price and prefix and is counted in `unrated`.

    Built for a month of a large tenant (bench/rating_db_bench.py: 1 million CDRs): the CDRs
    are read in keyset pages of plain columns, walking the `started_at` index in (started_at, id)
    order (memory stays flat, each page reads only its rows, no cursor stays open while
    writing) and each page's results are written with one executemany UPDATE by
    primary key, still filtered by the scope's tenant.
    """
    retail = await load_deck(scope.session, price_deck)
    wholesale = await load_deck(scope.session, cost_deck) if cost_deck else None
    session = scope.session
    table = cast(Table, CdrRow.__table__)
    write = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.tenant_id == scope.tenant_id)
        .values(
            rate_prefix=bindparam("b_prefix"), price=bindparam("b_price"), cost=bindparam("b_cost")
        )
    )
    scoped = scope.select(CdrRow, CdrRow.started_at < end, CdrRow.ended_at.is_not(None))
    page = scoped.with_only_columns(*_RATING_COLUMNS).order_by(CdrRow.started_at, CdrRow.id)
    loaded = {
        obj.id: obj
        for obj in session.identity_map.values()
        if isinstance(obj, CdrRow) and obj.tenant_id == scope.tenant_id
    }
    calls = rated = unrated = 0
    price = cost = ZERO
    last_at, last_id = start, 0
    while True:
        after = or_(CdrRow.started_at > last_at, CdrRow.id > last_id)
        stmt = page.where(CdrRow.started_at >= last_at, after).limit(_RATE_PAGE)
        rows = (await session.execute(stmt)).all()
        if not rows:
            break
        last_id, last_at = rows[-1][0], rows[-1][3]
        params: list[dict[str, Any]] = []
        for row in rows:
            result = rate_cdr(_pure_of_columns(row), retail, wholesale)
            if not result.rated:
                unrated += 1
                params.append({"b_id": row[0], "b_prefix": None, "b_price": None, "b_cost": None})
                continue
            rated += 1
            price += result.price
            cost += result.cost
            params.append(
                {
                    "b_id": row[0],
                    "b_prefix": result.prefix,
                    "b_price": result.price,
                    "b_cost": result.cost if wholesale is not None else None,
                }
            )
        calls += len(rows)
        await session.execute(write, params)
        for p in params:  # keep CDR objects already loaded in this session up to date
            obj = loaded.get(p["b_id"])
            if obj is not None:
                for attr in ("prefix", "price", "cost"):
                    key = "rate_prefix" if attr == "prefix" else attr
                    set_committed_value(obj, key, p[f"b_{attr}"])
    return RatingReport(calls, rated, unrated, price, cost, retail.currency)
