"""`centrex rates` (rate decks) and `centrex billing` (clauses, rating) commands.

Output contract (--json; amounts are decimal strings, never floats):

* ``rates import FILE --deck NAME`` ->
  ``{"imported": N, "rejected": [{"line": L, "error": "..."}]}``;
  any rejected line exits non-zero and imports nothing.
* ``rates quote --deck NAME --number E164 --seconds N`` -> ``{"prefix", "destination",
  "billed_seconds", "price", "currency", ...}``.
* ``billing sla-credit --monthly-fee A --restoration-hours H [...]`` -> ``{"credit", "capped"}``.
* ``billing termination-fee --monthly-fee A --months-left N`` -> ``{"fee"}``.
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import service
from centrex.billing.clauses import ContractTerms, sla_credit, termination_fee
from centrex.billing.credit import authorize_call
from centrex.billing.decks import DeckImportError, parse_deck_csv
from centrex.cli.billing_accounts import COMMANDS, parse_day
from centrex.cli.billing_invoices import COMMANDS as INVOICE_COMMANDS
from centrex.cli.common import (
    CliState,
    emit,
    fail,
    json_option,
    listing,
    pass_state,
    read_db,
    write_db,
)
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning.tenants import scope_for


class DecimalAmount(click.ParamType[Decimal, Any]):
    """A non-negative decimal written as text ("180", "0.05"); floats never touch money."""

    name = "amount"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(f"{value!r} is not a decimal number", param, ctx)
        if not amount.is_finite() or amount < 0:
            self.fail(f"{value!r} must be a non-negative number", param, ctx)
        return amount


AMOUNT = DecimalAmount()


@click.group()
def rates() -> None:
    """Rate decks: import carrier and retail prices, quote a call."""


@rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--deck", "deck_name", required=True, help="Deck name (replaced if it exists).")
@json_option
@pass_state
def rates_import(state: CliState, file: Path, deck_name: str, as_json: bool) -> None:
    """Import a rate CSV; any bad line rejects the whole file (nothing is imported)."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        fail(f"{file} is not UTF-8 text: {exc.reason} at byte {exc.start}")
        return
    try:
        deck = parse_deck_csv(text, deck_name.strip())
    except DeckImportError as exc:
        rejected = [e.as_dict() for e in exc.errors]
        if as_json:
            emit({"imported": 0, "rejected": rejected}, True)
        else:
            for e in exc.errors:
                click.echo(f"line {e.line}: {e.error}", err=True)
            click.echo(f"rejected: {len(rejected)} line(s), nothing imported", err=True)
        sys.exit(1)

    async def work(session: AsyncSession) -> dict[str, Any]:
        result = await service.store_deck(session, deck, now=state.clock.utcnow())
        return {
            "imported": result.imported,
            "rejected": [],
            "deck": result.deck,
            "currency": result.currency,
            "replaced": result.replaced,
        }

    emit(write_db(state, work), as_json)


@rates.command("quote")
@click.option("--deck", "deck_name", required=True)
@click.option("--number", required=True, help="E.164, e.g. +41441234567.")
@click.option("--seconds", type=click.IntRange(min=0), required=True)
@click.option("--date", "on", help="Price valid on this day (YYYY-MM-DD); default newest.")
@json_option
@pass_state
def rates_quote(
    state: CliState, deck_name: str, number: str, seconds: int, on: str | None, as_json: bool
) -> None:
    """Price an answered call of N seconds to a number."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        day = parse_day(on, "--date") if on else None
        q = await service.quote_number(session, deck_name, number, seconds, day)
        return {
            "deck": deck_name,
            "number": number,
            "prefix": q.prefix,
            "destination": q.destination,
            "seconds": seconds,
            "billed_seconds": q.billed_seconds,
            "price": q.price,
            "currency": q.currency,
            "price_per_minute": q.price_per_minute,
            "connection_fee": q.connection_fee,
            "increment": str(q.increment),
        }

    emit(read_db(state, work), as_json)


@rates.command("max-duration")
@click.option("--deck", "deck_name", required=True)
@click.option("--number", required=True, help="E.164, e.g. +41441234567.")
@click.option("--balance", type=AMOUNT, required=True, help="Prepaid balance.")
@json_option
@pass_state
def rates_max_duration(
    state: CliState, deck_name: str, number: str, balance: Decimal, as_json: bool
) -> None:
    """Longest call a prepaid balance pays for (connection fee and increments respected)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        e164 = service.check_e164(number)
        rate = (await service.deck_for_number(session, deck_name, e164)).lookup(e164)
        if rate is None:
            raise NotFound(f"no rate for {number} in deck {deck_name!r}", error_id="no-rate")
        auth = authorize_call(balance, rate)
        return {
            "prefix": rate.prefix,
            "allowed": auth.allowed,
            "max_seconds": auth.max_seconds,
            "refusal": auth.refusal.value if auth.refusal else None,
            "balance": balance,
        }

    emit(read_db(state, work), as_json)


@rates.command("list")
@json_option
@pass_state
def rates_list(state: CliState, as_json: bool) -> None:
    """List the rate decks."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        return listing(
            [
                {
                    "name": d.name,
                    "currency": d.currency,
                    "rates": d.rate_count,
                    "imported_at": d.imported_at,
                }
                for d in await service.list_decks(session)
            ]
        )

    emit(read_db(state, work), as_json, ["name", "currency", "rates", "imported_at"])


@click.group()
def billing() -> None:
    """Contract clauses and rating: SLA credits, termination fees, rating CDRs."""


@billing.command("sla-credit")
@click.option("--monthly-fee", type=AMOUNT, required=True, help="Monthly fee of the service.")
@click.option(
    "--restoration-hours",
    type=AMOUNT,
    multiple=True,
    help="Restoration time of one incident, in hours (repeat per incident).",
)
@json_option
def billing_sla_credit(
    monthly_fee: Decimal, restoration_hours: tuple[Decimal, ...], as_json: bool
) -> None:
    """SLA credit of a period: <4 h 0 %, 4-12 h 5 %, 12-24 h 10 %, >24 h 20 %, capped at 20 %."""
    result = sla_credit(monthly_fee, list(restoration_hours))
    emit(
        {
            "credit": result.credit,
            "capped": result.capped,
            "percent": result.percent,
            "uncapped_percent": result.uncapped_percent,
            "incidents": [
                {"hours": h, "percent": p}
                for h, p in zip(restoration_hours, result.incident_percents, strict=True)
            ],
        },
        as_json,
    )


@billing.command("termination-fee")
@click.option("--monthly-fee", type=AMOUNT, required=True, help="Monthly fees of ended services.")
@click.option("--months-left", type=click.IntRange(min=0), required=True)
@click.option("--fixed", type=AMOUNT, default="0", help="Fixed amount from the order form.")
@json_option
def billing_termination_fee(
    monthly_fee: Decimal, months_left: int, fixed: Decimal, as_json: bool
) -> None:
    """Early-termination fee: months left x 95 % x monthly fees (+ fixed amount)."""
    fee = termination_fee(monthly_fee, months_left, fixed)
    emit(
        {"fee": fee, "monthly_fee": monthly_fee, "months_left": months_left, "fixed": fixed},
        as_json,
    )


@billing.command("contract-terms")
@click.option("--start", required=True, help="Contract start (YYYY-MM-DD).")
@click.option("--on", "on", required=True, help="Reference day, e.g. today (YYYY-MM-DD).")
@click.option("--initial-months", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--renewal-months", type=click.IntRange(min=1), default=12, show_default=True)
@click.option("--notice-months", type=click.IntRange(min=0), default=3, show_default=True)
@json_option
def billing_contract_terms(
    start: str,
    on: str,
    initial_months: int,
    renewal_months: int,
    notice_months: int,
    as_json: bool,
) -> None:
    """Current period end, last day to give notice, and the end if notice is given that day."""
    try:
        terms = ContractTerms(
            parse_day(start, "--start"), initial_months, renewal_months, notice_months
        )
        day = parse_day(on, "--on")
    except ValidationFailed as exc:
        fail(exc.message)
        return
    emit(
        {
            "period_end": terms.period_end(day),
            "notice_deadline": terms.notice_deadline(day),
            "effective_end_if_notice_given": terms.effective_end(day),
            "months_left": terms.months_left(day),
        },
        as_json,
    )


@billing.command("rate")
@click.option("--tenant", "domain", required=True, help="The tenant's domain.")
@click.option("--deck", "deck_name", required=True, help="Retail (price) deck.")
@click.option("--cost-deck", help="Carrier (cost) deck, for the margin.")
@click.option("--since", required=True, help="First day (YYYY-MM-DD, UTC).")
@click.option("--until", required=True, help="Day after the last (YYYY-MM-DD, UTC).")
@json_option
@pass_state
def billing_rate(
    state: CliState,
    domain: str,
    deck_name: str,
    cost_deck: str | None,
    since: str,
    until: str,
    as_json: bool,
) -> None:
    """Rate (or re-rate) a tenant's CDRs of a period and store price, cost and prefix."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        start = service.midnight(parse_day(since, "--since"))
        end = service.midnight(parse_day(until, "--until"))
        scope = await scope_for(session, domain)
        report = await service.rate_period(
            scope, start=start, end=end, price_deck=deck_name, cost_deck=cost_deck
        )
        return {
            "tenant": scope.domain,
            "calls": report.calls,
            "rated": report.rated,
            "unrated": report.unrated,
            "price": report.price,
            "cost": report.cost,
            "margin": report.price - report.cost,
            "currency": report.currency,
        }

    emit(write_db(state, work), as_json)


for _command in (*COMMANDS, *INVOICE_COMMANDS):
    billing.add_command(_command)
