"""Billing services: the database side of the pure billing engine.

Each function loads inputs, calls the pure rules (`decks`, `rating`, `usage`, `clauses`,
`invoices`) and stores results. Provider-owned data (rate decks, plans) takes a session;
tenant-owned data (contracts, incidents, invoices, CDRs) takes a `TenantScope` first, so tenant
isolation is enforced by the scope (DESIGN.md habit 7). Nothing here commits: the caller's
transaction does, so a failure anywhere writes nothing.

Re-running is safe: rating a period overwrites the CDRs' rated fields, importing a deck of an
existing name replaces its rates, computing an invoice replaces the period's invoice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing.clauses import (
    ContractTerms,
    Excuse,
    Incident,
    SlaCredit,
    SlaTerms,
    SupportHours,
    service_sla_credit,
)
from centrex.billing.decks import MAX_PREFIX_DIGITS, Increment, Rate, RateDeck, parse_deck_csv
from centrex.billing.invoices import VAT_RATES, Invoice, InvoiceRequest, ServiceCredit
from centrex.billing.invoices import compute_invoice as compute_pure_invoice
from centrex.billing.money import ZERO
from centrex.billing.plans import Bundle, Plan, france_unlimited_plan
from centrex.billing.rating import Cdr, NoRateError, Quote, quote, rate_cdr
from centrex.billing.usage import rate_usage
from centrex.data.models.billing import (
    BillingPlan,
    IncidentRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    RateDeckRecord,
    RateRecord,
    TenantContract,
)
from centrex.data.models.cdr import Cdr as CdrRow
from centrex.data.models.cdr import Direction, Disposition
from centrex.data.models.tenancy import Tenant
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
    session.add_all(
        RateRecord(
            deck_id=record.id,
            prefix=r.prefix,
            destination=r.destination,
            price_per_minute=r.price_per_minute,
            connection_fee=r.connection_fee,
            increment_first=r.increment.first,
            increment_step=r.increment.step,
            valid_from=r.valid_from,
        )
        for r in deck.rates()
    )
    await session.flush()
    return DeckImported(name, len(deck), deck.currency, replaced)


async def list_decks(session: AsyncSession) -> Sequence[RateDeckRecord]:
    """Every deck, by name."""
    return (await session.scalars(select(RateDeckRecord).order_by(RateDeckRecord.name))).all()


async def _deck_record(session: AsyncSession, name: str) -> RateDeckRecord:
    record = await session.scalar(select(RateDeckRecord).where(RateDeckRecord.name == name))
    if record is None:
        raise NotFound(f"unknown rate deck {name!r}", error_id="deck-not-found")
    return record


async def _load(session: AsyncSession, record: RateDeckRecord) -> RateDeck:
    rows = await session.scalars(select(RateRecord).where(RateRecord.deck_id == record.id))
    return RateDeck.build(
        record.name,
        (
            Rate(
                r.prefix,
                r.destination,
                Decimal(r.price_per_minute),
                Decimal(r.connection_fee),
                Increment(r.increment_first, r.increment_step),
                record.currency,
                r.valid_from,
            )
            for r in rows
        ),
    )


async def load_deck(session: AsyncSession, name: str) -> RateDeck:
    """The deck `name` as a pure `RateDeck` (NotFound if unknown)."""
    return await _load(session, await _deck_record(session, name))


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
    deck = await load_deck(session, deck_name)
    try:
        return quote(deck, check_e164(number), seconds, on)
    except NoRateError as exc:
        raise NotFound(str(exc), error_id="no-rate") from None


# ----------------------------------------------------------------------------- CDR rating


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


async def _period_cdrs(scope: TenantScope, start: datetime, end: datetime) -> Sequence[CdrRow]:
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
    """
    retail = await load_deck(scope.session, price_deck)
    wholesale = await load_deck(scope.session, cost_deck) if cost_deck else None
    rows = await _period_cdrs(scope, start, end)
    rated = unrated = 0
    price = cost = ZERO
    for row in rows:
        result = rate_cdr(to_pure_cdr(row), retail, wholesale)
        if not result.rated:
            unrated += 1
            row.rate_prefix, row.price, row.cost = None, None, None
            continue
        rated += 1
        row.rate_prefix = result.prefix
        row.price = result.price
        row.cost = result.cost if wholesale is not None else None
        price += result.price
        cost += result.cost
    await scope.session.flush()
    return RatingReport(len(rows), rated, unrated, price, cost, retail.currency)


# ----------------------------------------------------------------------------- plans, contracts


def plan_from_record(record: BillingPlan) -> Plan:
    """The pure `Plan` of a plan row (bundle presets are defined in `plans.py`)."""
    if record.bundle is None:
        return Plan(
            name=record.name,
            currency=record.currency,
            base_monthly_fee=Decimal(record.base_monthly_fee),
            initial_fee=Decimal(record.initial_fee),
            included_agents=record.included_agents,
            included_admins=record.included_admins,
            extra_seat_fee=Decimal(record.extra_seat_fee),
            penalty_percent=Decimal(record.penalty_percent),
        )
    if record.bundle not in BUNDLE_PRESETS:
        raise ValidationFailed(f"unknown bundle preset {record.bundle!r}", error_id="bad-plan")
    preset = france_unlimited_plan(
        name=record.name,
        base_monthly_fee=Decimal(record.base_monthly_fee),
        extra_seat_fee=Decimal(record.extra_seat_fee),
        fixed_per_minute=Decimal(record.fixed_per_minute),
        mobile_per_minute=Decimal(record.mobile_per_minute),
    )
    bundles = tuple(
        Bundle(b.name, b.groups, record.fair_use_distinct_numbers) for b in preset.bundles
    )
    return replace(
        preset,
        currency=record.currency,
        initial_fee=Decimal(record.initial_fee),
        included_agents=record.included_agents,
        included_admins=record.included_admins,
        bundles=bundles,
        penalty_percent=Decimal(record.penalty_percent),
    )


async def create_plan(session: AsyncSession, **fields: object) -> BillingPlan:
    """Store a plan; its fields are checked by building the pure `Plan` (in the caller's
    transaction, so a bad plan is rolled back with everything else)."""
    record = BillingPlan(**fields)
    session.add(record)
    await session.flush()
    plan_from_record(record)
    return record


async def get_plan(session: AsyncSession, plan_id: int) -> BillingPlan:
    """A plan by id (NotFound if unknown)."""
    record = await session.get(BillingPlan, plan_id)
    if record is None:
        raise NotFound(f"plan {plan_id} not found", error_id="plan-not-found")
    return record


async def subscribe(
    scope: TenantScope, plan_id: int, starts_on: date, **fields: object
) -> TenantContract:
    """Put the tenant on a plan from `starts_on` with the given contract clauses."""
    await get_plan(scope.session, plan_id)
    contract = scope.add(TenantContract(plan_id=plan_id, starts_on=starts_on, **fields))
    await scope.session.flush()
    return contract


async def current_contract(scope: TenantScope, on: date) -> TenantContract:
    """The contract in force on `on` (the latest started), NotFound if none."""
    rows = await scope.list(
        TenantContract, TenantContract.starts_on <= on, order_by=TenantContract.starts_on.desc()
    )
    for row in rows:
        if row.ends_on is None or row.ends_on >= on:
            return row
    raise NotFound(f"tenant {scope.domain} has no contract on {on}", error_id="no-contract")


# ----------------------------------------------------------------------------- incidents, SLA


async def record_incident(
    scope: TenantScope,
    *,
    service: str,
    notified_at: datetime,
    restored_at: datetime | None = None,
    excuse: Excuse | None = None,
    description: str | None = None,
) -> IncidentRecord:
    """Log an outage (restoration may come later)."""
    if restored_at is not None and restored_at < notified_at:
        raise ValidationFailed("restoration precedes notification", error_id="invalid-incident")
    record = scope.add(
        IncidentRecord(
            service=service,
            notified_at=notified_at,
            restored_at=restored_at,
            excuse=excuse.value if excuse else None,
            description=description,
        )
    )
    await scope.session.flush()
    return record


async def period_sla_credits(
    scope: TenantScope, monthly_fee: Decimal, start: datetime, end: datetime, terms: SlaTerms
) -> list[ServiceCredit]:
    """SLA credit per service for incidents notified in [start, end) and already restored.

    An incident still open is not credited yet; recomputing the invoice of its notification
    period after restoration includes it.
    """
    rows = await scope.list(
        IncidentRecord,
        IncidentRecord.notified_at >= start,
        IncidentRecord.notified_at < end,
        IncidentRecord.restored_at.is_not(None),
    )
    by_service: dict[str, list[Incident]] = {}
    for r in rows:
        assert r.restored_at is not None
        excuse = Excuse(r.excuse) if r.excuse else None
        by_service.setdefault(r.service, []).append(
            Incident(r.service, r.notified_at, r.restored_at, excuse)
        )
    credits: list[ServiceCredit] = []
    for service in sorted(by_service):
        credit: SlaCredit = service_sla_credit(monthly_fee, by_service[service], terms)
        credits.append(ServiceCredit(service, credit))
    return credits


# ----------------------------------------------------------------------------- invoices


def midnight(day: date) -> datetime:
    """00:00 UTC of `day` (billing periods are whole UTC days)."""
    return datetime.combine(day, time(0), UTC)


async def compute_invoice(
    scope: TenantScope,
    *,
    period_start: date,
    period_end: date,
    issued_on: date,
    vat_rates: Mapping[str, Decimal] = VAT_RATES,
) -> tuple[InvoiceRecord, Invoice]:
    """Compute and store the tenant's invoice of [period_start, period_end), replacing any
    earlier computation of the same period.

    The monthly fee used for SLA credits is the contract's whole monthly fee (base + seats): a
    hosted PBX is one service to the customer. The early-termination fee applies when the
    contract's `ends_on` falls in the period before the end of its current contract period.
    """
    session = scope.session
    tenant = await session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    contract = await current_contract(scope, period_start)
    record_plan = await get_plan(session, contract.plan_id)
    plan = plan_from_record(record_plan)
    deck = None
    if record_plan.retail_deck_id is not None:
        deck_record = await session.get(RateDeckRecord, record_plan.retail_deck_id)
        deck = await _load(session, deck_record) if deck_record is not None else None
    start, end = midnight(period_start), midnight(period_end)
    cdrs = [to_pure_cdr(r) for r in await _period_cdrs(scope, start, end)]
    usage = rate_usage(plan, cdrs, flagged=contract.forbidden_use_flagged, deck=deck)
    monthly = plan.monthly_fee(contract.agents, contract.admins)
    terms = SlaTerms(
        support_hours_only=contract.sla_support_hours_only,
        support_hours=SupportHours(tz=tenant.timezone),
    )
    credits = await period_sla_credits(scope, monthly, start, end, terms)
    fee = ZERO
    active_until = None
    if contract.ends_on is not None:
        active_until = contract.ends_on + timedelta(days=1)
        clauses = ContractTerms(
            contract.starts_on,
            contract.initial_months,
            contract.renewal_months,
            contract.notice_months,
        )
        if period_start <= contract.ends_on < period_end and contract.ends_on < (
            clauses.period_end(contract.ends_on)
        ):
            fee = clauses.early_termination_fee(
                monthly, active_until, Decimal(contract.termination_fixed_fee)
            )
    invoice = compute_pure_invoice(
        InvoiceRequest(
            plan=plan,
            country=tenant.country,
            period_start=period_start,
            period_end=period_end,
            agents=contract.agents,
            admins=contract.admins,
            active_from=contract.starts_on,
            active_until=active_until,
            charge_initial_fee=period_start <= contract.starts_on < period_end,
            usage=usage,
            sla_credits=credits,
            termination_fee=fee,
        ),
        vat_rates,
    )
    await scope.delete(InvoiceRecord, InvoiceRecord.period_start == period_start)
    record = scope.add(
        InvoiceRecord(
            period_start=period_start,
            period_end=period_end,
            issued_on=issued_on,
            currency=invoice.currency,
            country=invoice.country,
            subtotal=invoice.subtotal,
            vat_rate=invoice.vat_rate,
            vat=invoice.vat,
            total=invoice.total,
        )
    )
    await session.flush()
    for position, line in enumerate(invoice.lines):
        scope.add(
            InvoiceLineRecord(
                invoice_id=record.id,
                position=position,
                kind=line.kind.value,
                description=line.description[:500],
                quantity=line.quantity.quantize(Decimal("0.0001")),
                unit_price=line.unit_price,
                amount=line.amount,
            )
        )
    await session.flush()
    return record, invoice
