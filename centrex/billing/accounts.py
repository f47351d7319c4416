"""Tenant billing accounts: plans, contracts, incidents, fair-use evidence and invoices.

The database side of `plans`, `usage`, `clauses`, `signals` and `invoices`. Plans belong to the
provider (session); contracts, incidents and invoices to a tenant (`TenantScope` first, so an
object of another tenant is simply not found). Nothing here commits: the caller's transaction
does. Computing an invoice again replaces the stored invoice of that period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
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
from centrex.billing.dunning import DunningPolicy, DunningStatus, dunning_status
from centrex.billing.invoices import VAT_RATES, Invoice, InvoiceRequest, ServiceCredit
from centrex.billing.invoices import compute_invoice as compute_pure_invoice
from centrex.billing.money import ISO_4217, ZERO
from centrex.billing.plans import (
    FR_FIXED,
    FR_MOBILE,
    Bundle,
    Plan,
    UsageRate,
    france_unlimited_plan,
)
from centrex.billing.rating import Cdr
from centrex.billing.service import (
    deck_from_record,
    deck_record,
    midnight,
    period_cdrs,
    to_pure_cdr,
)
from centrex.billing.signals import Thresholds, UserSignals
from centrex.billing.signals import fair_use_report as signals_report
from centrex.billing.usage import UsageSummary, rate_usage
from centrex.data.models.billing import (
    ISSUED,
    BillingPlan,
    IncidentRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    RateDeckRecord,
    TenantContract,
    invoice_immutable,
)
from centrex.data.models.tenancy import Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

BUNDLE_PRESETS = frozenset({"france_unlimited"})


# ----------------------------------------------------------------------------- plans, contracts


def plan_from_record(record: BillingPlan) -> Plan:
    """The pure `Plan` of a plan row (bundle presets are defined in `plans.py`)."""
    if record.bundle is None:
        # the per-minute prices given price France's groups; everything else the retail deck
        prices = ((FR_FIXED, record.fixed_per_minute), (FR_MOBILE, record.mobile_per_minute))
        given = [(group, Decimal(price)) for group, price in prices if price]
        return Plan(
            name=record.name,
            currency=record.currency,
            base_monthly_fee=Decimal(record.base_monthly_fee),
            initial_fee=Decimal(record.initial_fee),
            included_agents=record.included_agents,
            included_admins=record.included_admins,
            extra_seat_fee=Decimal(record.extra_seat_fee),
            groups=tuple(g for g, _ in given),
            usage_rates=tuple(UsageRate(g.name, price) for g, price in given),
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
    # a price of 0 is "no plan price": the group is priced by the retail deck (issue 20)
    priced = tuple(r for r in preset.usage_rates if r.price_per_minute != ZERO)
    return replace(
        preset,
        usage_rates=priced,
        currency=record.currency,
        initial_fee=Decimal(record.initial_fee),
        included_agents=record.included_agents,
        included_admins=record.included_admins,
        bundles=bundles,
        penalty_percent=Decimal(record.penalty_percent),
    )


def _check_amount(value: Decimal, name: str) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValidationFailed(f"{name} must be a non-negative amount", error_id="invalid-amount")
    return value


async def create_plan(
    session: AsyncSession,
    *,
    name: str,
    currency: str,
    base_monthly_fee: Decimal,
    initial_fee: Decimal = ZERO,
    included_agents: int = 0,
    included_admins: int = 0,
    extra_seat_fee: Decimal = ZERO,
    fixed_per_minute: Decimal = ZERO,
    mobile_per_minute: Decimal = ZERO,
    bundle: str | None = None,
    fair_use_distinct_numbers: int = 150,
    penalty_percent: Decimal = Decimal(400),
    retail_deck: str | None = None,
    cost_deck: str | None = None,
) -> BillingPlan:
    """Store a provider plan after checking it (the pure `Plan` must build from it)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed("plan name must be 1 to 100 characters", error_id="invalid-name")
    if await session.scalar(select(BillingPlan.id).where(BillingPlan.name == name)) is not None:
        raise Conflict(f"plan {name!r} already exists", error_id="plan-exists")
    if currency not in ISO_4217:
        raise ValidationFailed(f"unknown currency {currency!r}", error_id="invalid-currency")
    for value, label in (
        (base_monthly_fee, "base monthly fee"),
        (initial_fee, "initial fee"),
        (extra_seat_fee, "extra seat fee"),
        (fixed_per_minute, "fixed per-minute price"),
        (mobile_per_minute, "mobile per-minute price"),
        (penalty_percent, "penalty percent"),
    ):
        _check_amount(value, label)
    if min(included_agents, included_admins, fair_use_distinct_numbers) < 0:
        raise ValidationFailed("seat and fair-use counts must not be negative")
    decks: dict[str, int | None] = {"retail": None, "cost": None}
    for kind, deck_name in (("retail", retail_deck), ("cost", cost_deck)):
        if deck_name is not None:
            deck = await deck_record(session, deck_name)
            if deck.currency != currency:
                raise ValidationFailed(
                    f"{kind} deck {deck_name!r} is in {deck.currency}, the plan in {currency}",
                    error_id="currency-mismatch",
                )
            decks[kind] = deck.id
    record = BillingPlan(
        name=name,
        currency=currency,
        base_monthly_fee=base_monthly_fee,
        initial_fee=initial_fee,
        included_agents=included_agents,
        included_admins=included_admins,
        extra_seat_fee=extra_seat_fee,
        fixed_per_minute=fixed_per_minute,
        mobile_per_minute=mobile_per_minute,
        bundle=bundle,
        fair_use_distinct_numbers=fair_use_distinct_numbers,
        penalty_percent=penalty_percent,
        retail_deck_id=decks["retail"],
        cost_deck_id=decks["cost"],
    )
    plan_from_record(record)  # raises on an unknown bundle preset
    session.add(record)
    await session.flush()
    return record


async def list_plans(session: AsyncSession) -> Sequence[BillingPlan]:
    """Every plan, by name."""
    return (await session.scalars(select(BillingPlan).order_by(BillingPlan.name))).all()


async def get_plan(session: AsyncSession, plan_id: int) -> BillingPlan:
    """A plan by id (NotFound if unknown)."""
    record = await session.get(BillingPlan, plan_id)
    if record is None:
        raise NotFound(f"plan {plan_id} not found", error_id="plan-not-found")
    return record


async def plan_by_name(session: AsyncSession, name: str) -> BillingPlan:
    """A plan by name (NotFound if unknown)."""
    record = await session.scalar(select(BillingPlan).where(BillingPlan.name == name))
    if record is None:
        raise NotFound(f"unknown plan {name!r}", error_id="plan-not-found")
    return record


async def subscribe(
    scope: TenantScope,
    plan_id: int,
    starts_on: date,
    *,
    agents: int = 0,
    admins: int = 0,
    ends_on: date | None = None,
    initial_months: int = 12,
    renewal_months: int = 12,
    notice_months: int = 3,
    termination_fixed_fee: Decimal = ZERO,
    sla_support_hours_only: bool = False,
    forbidden_use_flagged: bool = False,
    low_balance_threshold: Decimal | None = None,
) -> TenantContract:
    """Put the tenant on a plan from `starts_on` with the given contract clauses."""
    await get_plan(scope.session, plan_id)
    if min(agents, admins, notice_months) < 0 or min(initial_months, renewal_months) < 1:
        raise ValidationFailed("contract counts out of range", error_id="invalid-contract")
    if ends_on is not None and ends_on < starts_on:
        raise ValidationFailed("contract ends before it starts", error_id="invalid-contract")
    _check_amount(termination_fixed_fee, "termination fixed fee")
    contract = scope.add(
        TenantContract(
            plan_id=plan_id,
            starts_on=starts_on,
            ends_on=ends_on,
            agents=agents,
            admins=admins,
            initial_months=initial_months,
            renewal_months=renewal_months,
            notice_months=notice_months,
            termination_fixed_fee=termination_fixed_fee,
            sla_support_hours_only=sla_support_hours_only,
            forbidden_use_flagged=forbidden_use_flagged,
            low_balance_threshold=low_balance_threshold,
        )
    )
    await scope.session.flush()
    return contract


async def contract_for_period(scope: TenantScope, start: date, end: date) -> TenantContract:
    """The contract in force during [start, end): the latest one started before `end` and not
    ended before `start` (a contract starting mid-month is that month's contract)."""
    rows = await scope.list(
        TenantContract, TenantContract.starts_on < end, order_by=TenantContract.starts_on.desc()
    )
    for row in rows:
        if row.ends_on is None or row.ends_on >= start:
            return row
    raise NotFound(
        f"tenant {scope.domain} has no contract between {start} and {end}", error_id="no-contract"
    )


async def set_forbidden_use(
    scope: TenantScope, contract_id: int, *, flagged: bool, reason: str | None = None
) -> TenantContract:
    """Record an operator's decision that the tenant uses its bundle for a forbidden purpose
    (or clear it). Always a human decision, taken on `fair_use_report` evidence."""
    contract = await scope.get(TenantContract, contract_id)
    if flagged and not (reason and reason.strip()):
        raise ValidationFailed("flagging needs a reason", error_id="reason-required")
    contract.forbidden_use_flagged = flagged
    contract.flagged_reason = reason.strip()[:500] if flagged and reason else None
    await scope.session.flush()
    return contract


async def fair_use_report(
    scope: TenantScope, start: datetime, end: datetime, thresholds: Thresholds | None = None
) -> tuple[UserSignals, ...]:
    """Fair-use signals of the tenant's users over [start, end), most suspicious first."""
    cdrs = [to_pure_cdr(r) for r in await period_cdrs(scope, start, end)]
    return signals_report(cdrs, thresholds)


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


async def list_incidents(scope: TenantScope) -> Sequence[IncidentRecord]:
    """The tenant's incidents, newest first."""
    return await scope.list(IncidentRecord, order_by=IncidentRecord.notified_at.desc())


async def restore_incident(
    scope: TenantScope, incident_id: int, restored_at: datetime
) -> IncidentRecord:
    """Record the confirmed restoration of one of the tenant's incidents."""
    record = await scope.get(IncidentRecord, incident_id)
    if restored_at < record.notified_at:
        raise ValidationFailed("restoration precedes notification", error_id="invalid-incident")
    record.restored_at = restored_at
    await scope.session.flush()
    return record


async def delete_incident(scope: TenantScope, incident_id: int) -> None:
    """Remove an incident logged by mistake (NotFound for another tenant's)."""
    await scope.remove(await scope.get(IncidentRecord, incident_id))
    await scope.session.flush()


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


async def period_usage(
    scope: TenantScope, period_start: date, period_end: date
) -> tuple[TenantContract, Plan, list[Cdr], UsageSummary]:
    """The contract, plan, CDRs and plan rating of a period: what an invoice's usage lines and
    its call detail (CSV/XLSX) are both made of, computed in one place."""
    session = scope.session
    contract = await contract_for_period(scope, period_start, period_end)
    record_plan = await get_plan(session, contract.plan_id)
    plan = plan_from_record(record_plan)
    deck = None
    if record_plan.retail_deck_id is not None:
        deck_row = await session.get(RateDeckRecord, record_plan.retail_deck_id)
        deck = await deck_from_record(session, deck_row) if deck_row is not None else None
    start, end = midnight(period_start), midnight(period_end)
    cdrs = [to_pure_cdr(r) for r in await period_cdrs(scope, start, end)]
    usage = rate_usage(plan, cdrs, flagged=contract.forbidden_use_flagged, deck=deck)
    return contract, plan, cdrs, usage


async def compute_invoice(
    scope: TenantScope,
    *,
    period_start: date,
    period_end: date,
    issued_on: date,
    vat_rates: Mapping[str, Decimal] = VAT_RATES,
) -> tuple[InvoiceRecord, Invoice]:
    """Compute and store the tenant's invoice of [period_start, period_end), replacing any
    earlier *draft* of the same period (an issued one raises `invoice-immutable`).

    The monthly fee used for SLA credits is the contract's whole monthly fee (base + seats): a
    hosted PBX is one service to the customer. The early-termination fee applies when the
    contract's `ends_on` falls in the period before the end of its current contract period.
    """
    session = scope.session
    tenant = await session.get(Tenant, scope.tenant_id)
    assert tenant is not None
    previous = await scope.first(InvoiceRecord, InvoiceRecord.period_start == period_start)
    if previous is not None and previous.status == ISSUED:
        raise invoice_immutable(f"invoice {previous.number} of {period_start}")
    contract, plan, _, usage = await period_usage(scope, period_start, period_end)
    start, end = midnight(period_start), midnight(period_end)
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
    if previous is not None:
        # ORM deletes (not bulk ones) so no stale line objects stay in the session's identity map
        for old_line in await scope.list(
            InvoiceLineRecord, InvoiceLineRecord.invoice_id == previous.id
        ):
            await scope.remove(old_line)
        await scope.remove(previous)
        await session.flush()
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


async def list_invoices(scope: TenantScope) -> Sequence[InvoiceRecord]:
    """The tenant's invoices, newest period first."""
    return await scope.list(InvoiceRecord, order_by=InvoiceRecord.period_start.desc())


async def get_invoice(
    scope: TenantScope, invoice_id: int
) -> tuple[InvoiceRecord, Sequence[InvoiceLineRecord]]:
    """One of the tenant's invoices with its lines in order (NotFound for another tenant's)."""
    record = await scope.get(InvoiceRecord, invoice_id)
    lines = await scope.list(
        InvoiceLineRecord,
        InvoiceLineRecord.invoice_id == record.id,
        order_by=InvoiceLineRecord.position,
    )
    return record, lines


async def mark_paid(scope: TenantScope, invoice_id: int, paid_on: date) -> InvoiceRecord:
    """Record the payment of one of the tenant's invoices (a second payment is refused)."""
    record = await scope.get(InvoiceRecord, invoice_id)
    if record.paid_on is not None:
        raise Conflict(f"invoice {invoice_id} was already paid on {record.paid_on}")
    record.paid_on = paid_on
    await scope.session.flush()
    return record


async def dunning_report(
    scope: TenantScope, today: date, policy: DunningPolicy | None = None
) -> list[tuple[InvoiceRecord, DunningStatus]]:
    """Dunning state of each of the tenant's invoices on `today` (pure replay of the dates:
    acting on it, e.g. suspending the tenant, is the caller's job)."""
    return [
        (record, dunning_status(record.issued_on, today, policy, record.paid_on))
        for record in await list_invoices(scope)
    ]
