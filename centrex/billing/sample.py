"""A sample month for the demo tenant: plan, rated calls and a preview invoice (pure).

`centrex demo-invoice` prints it so an operator sees what an invoice looks like before any real
traffic exists; tests use it as a realistic fixture. Everything is deterministic (a seeded
`random.Random`, dates passed in), so the same month always gives the same invoice.

The month exercises every kind of line a customer can see: the pro-rated subscription, extra
seats, the unlimited bundle (France and international fixed), a user over the fair-use limit of
distinct numbers (billed at the normal per-minute price), destinations outside the plan priced
by a retail deck (Swiss and UK mobiles), an SLA credit for an 11-hour outage and, optionally,
an early-termination fee.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from centrex.billing.clauses import sla_credit
from centrex.billing.decks import RateDeck, parse_deck_csv
from centrex.billing.documents import (
    CallDetail,
    InvoiceDocument,
    Party,
    call_details,
    invoice_document,
)
from centrex.billing.invoices import Invoice, InvoiceRequest, ServiceCredit, compute_invoice
from centrex.billing.plans import Plan, france_unlimited_plan
from centrex.billing.rating import Cdr
from centrex.billing.usage import rate_usage

SAMPLE_DECK_CSV = (
    "prefix,destination,price_per_minute,connection_fee,increment,currency\n"
    "4179,Switzerland mobile Swisscom,0.2900,0,60/60,EUR\n"
    "417,Switzerland mobile,0.2500,0,60/60,EUR\n"
    "447,United Kingdom mobile,0.1500,0,60/60,EUR\n"
)
_USERS = ("101", "102", "103")


@dataclass(frozen=True, slots=True)
class SampleMonth:
    """The inputs and results of the sample invoice."""

    plan: Plan
    cdrs: tuple[Cdr, ...]
    invoice: Invoice
    document: InvoiceDocument
    details: tuple[CallDetail, ...]


def sample_deck() -> RateDeck:
    """The retail deck pricing the sample's destinations outside the plan groups."""
    return parse_deck_csv(SAMPLE_DECK_CSV, "sample retail")


def sample_cdrs(period_start: date, days: int, seed: int = 2026) -> list[Cdr]:
    """About 40 calls a working day plus one user who calls 160 distinct French numbers."""
    rng = random.Random(seed)
    cdrs: list[Cdr] = []
    destinations = (
        ("+3314{:07d}", 0.45),  # France fixed (bundle)
        ("+336{:08d}", 0.30),  # France mobile (bundle)
        ("+1212{:07d}", 0.10),  # USA fixed (bundle, international fixed)
        ("+4179{:07d}", 0.08),  # Swiss mobile (deck)
        ("+447{:09d}", 0.07),  # UK mobile (deck)
    )
    for day in range(days):
        start = datetime(period_start.year, period_start.month, period_start.day, tzinfo=UTC)
        start += timedelta(days=day)
        if start.weekday() >= 5:
            continue
        for n in range(40):
            pattern = rng.choices([d[0] for d in destinations], [d[1] for d in destinations])[0]
            answered = rng.random() > 0.15
            cdrs.append(
                Cdr(
                    call_id=f"demo-{day:02d}-{n:02d}",
                    called=pattern.format(rng.randrange(10**6)),
                    start=start + timedelta(hours=8, minutes=rng.randrange(600)),
                    billable_seconds=rng.randrange(20, 900) if answered else 0,
                    answered=answered,
                    outbound=rng.random() > 0.3,
                    user=rng.choice(_USERS),
                )
            )
    first = datetime(period_start.year, period_start.month, period_start.day, 9, tzinfo=UTC)
    for n in range(160):  # fair use: 150 distinct numbers a month are in the bundle
        cdrs.append(
            Cdr(
                call_id=f"demo-fu-{n:03d}",
                called=f"+3315{n:07d}",
                start=first + timedelta(minutes=3 * n),
                billable_seconds=45,
                user="103",
            )
        )
    return cdrs


def sample_month(
    *,
    domain: str,
    period_start: date,
    period_end: date,
    issued_on: date,
    due_days: int = 15,
    termination_fee: Decimal = Decimal(0),
) -> SampleMonth:
    """Plan, calls and preview invoice of the demo tenant for [period_start, period_end)."""
    plan = france_unlimited_plan()
    cdrs = sample_cdrs(period_start, (period_end - period_start).days)
    usage = rate_usage(plan, cdrs, deck=sample_deck())
    agents, admins = 3, 1
    credit = sla_credit(plan.monthly_fee(agents, admins), [Decimal(11)])
    invoice = compute_invoice(
        InvoiceRequest(
            plan=plan,
            country="FR",
            period_start=period_start,
            period_end=period_end,
            agents=agents,
            admins=admins,
            usage=usage,
            sla_credits=(ServiceCredit("telephony", credit),),
            termination_fee=termination_fee,
        )
    )
    document = invoice_document(
        invoice,
        provider=Party("Centrex demo provider", ("1 rue de l'Exemple", "75001 Paris, France")),
        customer=Party("Demo company", (domain, "Customer no. 100000", "Country: FR")),
        number=None,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=due_days),
        title="Invoice",
        notes=("Preview: sample calls, not a real invoice.",),
    )
    return SampleMonth(plan, tuple(cdrs), invoice, document, tuple(call_details(cdrs, usage)))
