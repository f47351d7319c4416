"""Invoice computation: pro-rating, seats, usage lines, penalties, SLA credits, termination,
VAT per country, cent rounding."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from centrex.billing.clauses import sla_credit
from centrex.billing.invoices import (
    VAT_RATES,
    InvoiceRequest,
    LineKind,
    ServiceCredit,
    compute_invoice,
    prorate_factor,
)
from centrex.billing.plans import france_unlimited_plan
from centrex.billing.rating import Cdr
from centrex.billing.usage import rate_usage

D = Decimal
PLAN = france_unlimited_plan()
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def test_prorate_factor() -> None:
    assert prorate_factor(MARCH, APRIL, date.min, None) == 1
    assert prorate_factor(MARCH, APRIL, date(2026, 3, 10), None) == D(22) / D(31)
    assert prorate_factor(MARCH, APRIL, date(2026, 3, 10), date(2026, 3, 20)) == D(10) / D(31)
    assert prorate_factor(MARCH, date(2026, 5, 1), date.min, None) == 2
    assert prorate_factor(date(2026, 2, 15), date(2026, 3, 15), date.min, None) == (
        D(14) / D(28) + D(14) / D(31)
    )
    assert prorate_factor(MARCH, APRIL, date(2026, 4, 5), None) == 0


def test_full_month_french_tenant_with_extra_seat() -> None:
    invoice = compute_invoice(InvoiceRequest(PLAN, "FR", MARCH, APRIL, agents=3, admins=1))
    assert [(line.kind, line.amount) for line in invoice.lines] == [
        (LineKind.SUBSCRIPTION, D("180.00")),
        (LineKind.SEATS, D("40.00")),
    ]
    assert invoice.subtotal == D("220.00")
    assert invoice.vat_rate == 20
    assert invoice.vat == D("44.00")
    assert invoice.total == D("264.00")
    assert invoice.currency == "EUR"


def test_pro_rated_first_month_with_initial_fee_in_switzerland() -> None:
    plan = replace(PLAN, initial_fee=D(99))
    invoice = compute_invoice(
        InvoiceRequest(
            plan,
            "CH",
            MARCH,
            APRIL,
            agents=2,
            admins=1,
            active_from=date(2026, 3, 10),
            charge_initial_fee=True,
        )
    )
    amounts = {line.kind: line.amount for line in invoice.lines}
    assert amounts[LineKind.INITIAL_FEE] == D("99.00")
    assert amounts[LineKind.SUBSCRIPTION] == D("127.74")  # 180 x 22/31 = 127.7419...
    assert invoice.subtotal == D("226.74")
    assert invoice.vat == D("18.37")  # 8.1 % of 226.74 = 18.36594
    assert invoice.total == D("245.11")


@pytest.mark.parametrize(
    ("country", "vat"), [("CH", "8.10"), ("FR", "20.00"), ("DE", "19.00"), ("IT", "22.00")]
)
def test_vat_per_country(country: str, vat: str) -> None:
    plan = type(PLAN)("flat", "EUR", D(100))
    invoice = compute_invoice(InvoiceRequest(plan, country, MARCH, APRIL))
    assert invoice.vat == D(vat)
    assert invoice.total == D(100) + D(vat)


def test_vat_table_is_configurable_and_unknown_country_is_an_error() -> None:
    plan = type(PLAN)("flat", "EUR", D(100))
    invoice = compute_invoice(InvoiceRequest(plan, "AT", MARCH, APRIL), {**VAT_RATES, "AT": D(20)})
    assert invoice.total == D("120.00")
    with pytest.raises(ValueError, match="no VAT rate"):
        compute_invoice(InvoiceRequest(plan, "AT", MARCH, APRIL))
    with pytest.raises(ValueError, match="empty"):
        compute_invoice(InvoiceRequest(plan, "FR", APRIL, MARCH))


def _calls(n: int) -> list[Cdr]:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return [
        Cdr(f"c{i}", f"+336{10000000 + i}", start + timedelta(minutes=i), 60, user="u")
        for i in range(n)
    ]


def test_usage_bundle_fair_use_sla_and_termination_lines() -> None:
    usage = rate_usage(PLAN, _calls(152))
    credit = ServiceCredit("telephony", sla_credit(D(180), [D(11)]))
    invoice = compute_invoice(
        InvoiceRequest(
            PLAN,
            "FR",
            MARCH,
            APRIL,
            agents=2,
            admins=1,
            usage=usage,
            sla_credits=[credit],
            termination_fee=D("1197.00"),
        )
    )
    amounts = [(line.kind, line.amount) for line in invoice.lines]
    assert amounts == [
        (LineKind.SUBSCRIPTION, D("180.00")),
        (LineKind.BUNDLE, D("0.00")),
        (LineKind.FAIR_USE, D("0.16")),
        (LineKind.SLA_CREDIT, D("-9.00")),
        (LineKind.TERMINATION, D("1197.00")),
    ]
    assert "150 calls" in invoice.lines[1].description
    assert invoice.subtotal == D("1368.16")
    assert invoice.vat == D("273.63")  # 273.632
    assert invoice.total == D("1641.79")


def test_flagged_tenant_invoice_shows_usage_and_penalty() -> None:
    usage = rate_usage(PLAN, _calls(10), flagged=True)  # 10 min mobile = 0.80
    invoice = compute_invoice(InvoiceRequest(PLAN, "FR", MARCH, APRIL, usage=usage))
    amounts = {line.kind: line.amount for line in invoice.lines}
    assert amounts[LineKind.USAGE] == D("0.80")
    assert amounts[LineKind.PENALTY] == D("2.40")
    assert amounts[LineKind.USAGE] + amounts[LineKind.PENALTY] == 4 * D("0.80")


def test_lines_add_up_to_the_total() -> None:
    usage = rate_usage(PLAN, _calls(3), flagged=True)
    invoice = compute_invoice(
        InvoiceRequest(
            PLAN, "CH", MARCH, APRIL, agents=4, admins=3, active_from=date(2026, 3, 7), usage=usage
        )
    )
    assert sum(line.amount for line in invoice.lines) == invoice.subtotal
    assert invoice.subtotal + invoice.vat == invoice.total
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in invoice.lines)
