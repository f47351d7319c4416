"""Invoice computation (pure): plan + period + usage + incidents + termination -> lines and totals.

Rules:

* Subscriptions are pro-rated by days: for each calendar month the period touches, the monthly
  fee x active days / days in that month. A tenant active 10..31 March pays 22/31 of March.
* Usage lines are grouped by destination group (`usage.UsageSummary`); the bundle appears as an
  informative zero line with its calls and minutes; fair-use overflow and the forbidden-use
  penalty (the 300 % on top of normal usage that makes it 400 %) are separate lines, so the
  customer sees why the invoice is high.
* SLA credits are negative lines; a termination fee is a positive line.
* Each line is rounded to cents (ROUND_HALF_UP); subtotal = sum of the rounded lines; VAT =
  subtotal x rate of the tenant's country, rounded to cents; total = subtotal + VAT. So the
  printed numbers always add up.
* VAT rates come from a table passed in (default `VAT_RATES`: CH 8.1 %, FR 20 %, DE 19 %,
  IT 22 %); an unknown country is an error, never a silent 0 %.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType

from centrex.billing.clauses import SlaCredit
from centrex.billing.money import ZERO, round_cents
from centrex.billing.plans import Plan
from centrex.billing.usage import UsageSummary

VAT_RATES: Mapping[str, Decimal] = MappingProxyType(
    {"CH": Decimal("8.1"), "FR": Decimal(20), "DE": Decimal(19), "IT": Decimal(22)}
)


class LineKind(enum.Enum):
    """Kinds of invoice lines, in the order they are printed."""

    INITIAL_FEE = "initial_fee"
    SUBSCRIPTION = "subscription"
    SEATS = "seats"
    USAGE = "usage"
    BUNDLE = "bundle"
    FAIR_USE = "fair_use"
    PENALTY = "penalty"
    SLA_CREDIT = "sla_credit"
    TERMINATION = "termination"


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One printed line; `amount` is rounded to cents (negative for credits)."""

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Invoice:
    """A computed invoice for [period_start, period_end) (end exclusive)."""

    currency: str
    country: str
    period_start: date
    period_end: date
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class ServiceCredit:
    """An SLA credit of one service in the period (from `clauses.service_sla_credit`)."""

    service: str
    credit: SlaCredit


def prorate_factor(
    period_start: date, period_end: date, active_from: date, active_until: date | None
) -> Decimal:
    """Months' worth of service in [period_start, period_end) while active [from, until).

    Summed per calendar month as active days / days in that month, so a full month is exactly 1
    whatever its length and a period of two full months is exactly 2.
    """
    start = max(period_start, active_from)
    end = period_end if active_until is None else min(period_end, active_until)
    factor = ZERO
    day = start
    while day < end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = date(day.year, day.month, days_in_month) + timedelta(days=1)
        chunk_end = min(end, month_end)
        factor += Decimal((chunk_end - day).days) / Decimal(days_in_month)
        day = chunk_end
    return factor


def _line(
    kind: LineKind, description: str, quantity: Decimal, unit_price: Decimal, amount: Decimal
) -> InvoiceLine:
    return InvoiceLine(kind, description, quantity, unit_price, round_cents(amount))


def _minutes(seconds: int) -> Decimal:
    return round_cents(Decimal(seconds) / 60)


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """Everything the pure computation needs; the service layer fills it from the database.

    `active_until` is exclusive (first day without service, e.g. the day after termination).
    """

    plan: Plan
    country: str
    period_start: date
    period_end: date
    agents: int = 0
    admins: int = 0
    active_from: date = date.min
    active_until: date | None = None
    charge_initial_fee: bool = False
    usage: UsageSummary | None = None
    sla_credits: Sequence[ServiceCredit] = ()
    termination_fee: Decimal = ZERO


def _usage_lines(usage: UsageSummary, plan: Plan) -> list[InvoiceLine]:
    lines = [
        _line(
            LineKind.USAGE,
            f"{g.label}: {g.calls} calls, {_minutes(g.billed_seconds)} min",
            _minutes(g.billed_seconds),
            ZERO,
            g.amount,
        )
        for g in usage.groups
    ]
    if usage.bundle_calls:
        lines.append(
            _line(
                LineKind.BUNDLE,
                f"Unlimited bundle: {usage.bundle_calls} calls, "
                f"{_minutes(usage.bundle_seconds)} min included",
                _minutes(usage.bundle_seconds),
                ZERO,
                ZERO,
            )
        )
    if usage.fair_use_calls:
        lines.append(
            _line(
                LineKind.FAIR_USE,
                f"Fair use exceeded: {usage.fair_use_calls} calls to numbers beyond the "
                "monthly distinct-number limit, at the normal per-minute price",
                Decimal(usage.fair_use_calls),
                ZERO,
                usage.fair_use_amount,
            )
        )
    if usage.flagged:
        lines.append(
            _line(
                LineKind.PENALTY,
                f"Forbidden use (PBX/gateway or call center): usage charged at "
                f"{plan.penalty_percent} % of the per-minute price",
                Decimal(1),
                usage.penalty_amount,
                usage.penalty_amount,
            )
        )
    return lines


def compute_invoice(
    request: InvoiceRequest, vat_rates: Mapping[str, Decimal] = VAT_RATES
) -> Invoice:
    """Compute the lines and totals of one tenant's invoice (rules in the module docstring)."""
    plan = request.plan
    if request.period_end <= request.period_start:
        raise ValueError("empty invoice period")
    if request.country not in vat_rates:
        raise ValueError(f"no VAT rate for country {request.country!r}")
    lines: list[InvoiceLine] = []
    if request.charge_initial_fee and plan.initial_fee:
        lines.append(
            _line(
                LineKind.INITIAL_FEE, "Initial fee", Decimal(1), plan.initial_fee, plan.initial_fee
            )
        )
    factor = prorate_factor(
        request.period_start, request.period_end, request.active_from, request.active_until
    )
    if factor:
        lines.append(
            _line(
                LineKind.SUBSCRIPTION,
                f"{plan.name}: monthly fee",
                factor,
                plan.base_monthly_fee,
                plan.base_monthly_fee * factor,
            )
        )
        seats = plan.extra_seats(request.agents, request.admins)
        if seats and plan.extra_seat_fee:
            lines.append(
                _line(
                    LineKind.SEATS,
                    f"Extra seats (agents/admins beyond those included): {seats}",
                    factor * seats,
                    plan.extra_seat_fee,
                    plan.extra_seat_fee * seats * factor,
                )
            )
    if request.usage is not None:
        lines.extend(_usage_lines(request.usage, plan))
    for sc in request.sla_credits:
        if sc.credit.credit:
            capped = " (capped)" if sc.credit.capped else ""
            lines.append(
                _line(
                    LineKind.SLA_CREDIT,
                    f"SLA credit {sc.service}: {sc.credit.percent} %{capped}",
                    Decimal(1),
                    -sc.credit.credit,
                    -sc.credit.credit,
                )
            )
    if request.termination_fee:
        lines.append(
            _line(
                LineKind.TERMINATION,
                "Early termination fee",
                Decimal(1),
                request.termination_fee,
                request.termination_fee,
            )
        )
    subtotal = sum((line.amount for line in lines), ZERO)
    rate = vat_rates[request.country]
    vat = round_cents(subtotal * rate / 100)
    return Invoice(
        currency=plan.currency,
        country=request.country,
        period_start=request.period_start,
        period_end=request.period_end,
        lines=tuple(lines),
        subtotal=subtotal,
        vat_rate=rate,
        vat=vat,
        total=subtotal + vat,
    )
