"""`centrex billing` commands for issued invoices: show/export, issue, monthly run, credit
notes, partner statements.

Attached to the `billing` group by `centrex.cli.billing`. Same contract as every command:
`--json`, amounts as decimal strings, bad input exits non-zero and writes nothing.

* ``invoice-show --tenant D --id N [--pdf F] [--xlsx F] [--csv F]`` -> the stored invoice
  (lines, totals, number, status, due date) and ``files`` written.
* ``invoice-issue --tenant D --id N [--issued-on DAY] [--due-days 15]`` -> ``{"number", ...}``.
* ``invoice-run --month YYYY-MM [--issue]`` -> ``{"total", "items": [{"tenant", "id",
  "number", "total", ...}]}``.
* ``credit-note --tenant D --invoice N --reason R [--amount NET] [--pdf F]`` ->
  ``{"number", "invoice", "subtotal", "vat", "total", ...}``.
* ``partner-statement --partner NAME --since DAY --until DAY`` -> ``{"items", "totals",
  "open_totals"}``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.billing import accounts, issuing
from centrex.billing.documents import render_pdf
from centrex.cli.billing_accounts import issue_view, parse_day, tenant_option
from centrex.cli.billing_files import InvoiceFiles, file_options, render_invoice_files
from centrex.cli.common import CliState, emit, json_option, listing, pass_state, read_db, write_db
from centrex.data.models.billing import CreditNoteRecord
from centrex.errors import ValidationFailed
from centrex.provisioning.tenants import scope_for


def _month(value: str) -> tuple[date, date]:
    try:
        start = date.fromisoformat(f"{value}-01")
    except ValueError:
        raise ValidationFailed(f"--month {value!r} is not YYYY-MM") from None
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def _echo_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit(result, True)
        return
    click.echo(f"{result.get('number') or 'DRAFT'}  {result['tenant']}")
    for line in result["lines"]:
        click.echo(f"{line['amount']:>12}  {line['description']}")
    for key in ("subtotal", "vat", "total"):
        click.echo(f"{result[key]:>12}  {key} {result['currency']}")
    for kind, path in result.get("files", {}).items():
        click.echo(f"{kind}: {path}")


@click.command("invoice-show")
@tenant_option
@click.option("--id", "invoice_id", type=int, required=True)
@file_options
@json_option
@pass_state
def invoice_show(
    state: CliState, /, domain: str, invoice_id: int, as_json: bool, **files: Any
) -> None:
    """Show a stored invoice; write its PDF and its rated calls (XLSX, CSV)."""

    async def work(session: AsyncSession) -> tuple[dict[str, Any], InvoiceFiles]:
        scope = await scope_for(session, domain)
        doc = await issuing.invoice_document(scope, invoice_id)
        record, _ = await accounts.get_invoice(scope, invoice_id)
        view: dict[str, Any] = {
            "id": record.id,
            "tenant": scope.domain,
            "period_start": doc.period_start,
            "period_end": doc.period_end,
            "currency": doc.currency,
            "country": record.country,
            "lines": [
                {
                    "kind": line.kind,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                }
                for line in doc.lines
            ],
            "subtotal": doc.subtotal,
            "vat_rate": doc.vat_rate,
            "vat": doc.vat,
            "total": doc.total,
            "credit_notes": [n.number for n in await issuing.list_credit_notes(scope, invoice_id)],
        }
        view.update(issue_view(record))
        return view, await render_invoice_files(scope, invoice_id, **files)

    result, rendered = read_db(state, work)
    if rendered.outputs:
        result["files"] = rendered.write()
    _echo_result(result, as_json)


@click.command("invoice-issue")
@tenant_option
@click.option("--id", "invoice_id", type=int, required=True)
@click.option("--issued-on", help="Issue date (YYYY-MM-DD); default today.")
@click.option("--due-days", type=click.IntRange(min=0), default=15, show_default=True)
@json_option
@pass_state
def invoice_issue(
    state: CliState,
    domain: str,
    invoice_id: int,
    issued_on: str | None,
    due_days: int,
    as_json: bool,
) -> None:
    """Issue a draft invoice: next number of the year, due date; immutable afterwards."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        scope = await scope_for(session, domain)
        day = parse_day(issued_on, "--issued-on") if issued_on else state.clock.utcnow().date()
        record = await issuing.issue_invoice(scope, invoice_id, issued_on=day, due_days=due_days)
        return {"id": record.id, "tenant": scope.domain, "total": record.total} | issue_view(record)

    emit(write_db(state, work), as_json)


@click.command("invoice-run")
@click.option("--month", required=True, help="The month to invoice (YYYY-MM).")
@click.option("--issued-on", help="Issue date (YYYY-MM-DD); default today.")
@click.option("--issue", is_flag=True, help="Issue the invoices (else drafts only).")
@click.option("--due-days", type=click.IntRange(min=0), default=15, show_default=True)
@json_option
@pass_state
def invoice_run(
    state: CliState, month: str, issued_on: str | None, issue: bool, due_days: int, as_json: bool
) -> None:
    """The monthly run: invoice every tenant with a contract in the month."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        start, end = _month(month)
        day = parse_day(issued_on, "--issued-on") if issued_on else state.clock.utcnow().date()
        done = await issuing.invoice_month(
            session,
            period_start=start,
            period_end=end,
            issued_on=day,
            issue=issue,
            due_days=due_days,
        )
        return listing(
            [
                {"tenant": tenant.domain, "id": record.id, "total": record.total}
                | issue_view(record)
                for tenant, record in done
            ]
        )

    emit(write_db(state, work), as_json, ["tenant", "id", "number", "status", "total"])


def _credit_note_view(note: CreditNoteRecord, invoice_number: str | None) -> dict[str, Any]:
    return {
        "id": note.id,
        "number": note.number,
        "invoice_id": note.invoice_id,
        "invoice": invoice_number,
        "issued_on": note.issued_on,
        "reason": note.reason,
        "currency": note.currency,
        "subtotal": note.subtotal,
        "vat_rate": note.vat_rate,
        "vat": note.vat,
        "total": note.total,
    }


@click.command("credit-note")
@tenant_option
@click.option("--invoice", "invoice_id", type=int, required=True, help="Issued invoice id.")
@click.option("--reason", required=True)
@click.option("--amount", help="Net amount to credit (before VAT); default what is left.")
@click.option("--issued-on", help="Issue date (YYYY-MM-DD); default today.")
@click.option(
    "--pdf", "pdf_file", type=click.Path(dir_okay=False, path_type=Path), help="Write its PDF."
)
@json_option
@pass_state
def credit_note(
    state: CliState,
    /,
    domain: str,
    invoice_id: int,
    reason: str,
    amount: str | None,
    issued_on: str | None,
    pdf_file: Path | None,
    as_json: bool,
) -> None:
    """Issue a credit note against an issued invoice (the correction of an issued invoice)."""

    async def work(session: AsyncSession) -> tuple[dict[str, Any], bytes | None]:
        scope = await scope_for(session, domain)
        day = parse_day(issued_on, "--issued-on") if issued_on else state.clock.utcnow().date()
        try:
            net = Decimal(amount) if amount is not None else None
        except ArithmeticError:
            raise ValidationFailed(f"--amount {amount!r} is not a decimal number") from None
        note = await issuing.issue_credit_note(
            scope, invoice_id, reason=reason, issued_on=day, amount=net
        )
        record, _ = await accounts.get_invoice(scope, invoice_id)
        pdf = None
        if pdf_file is not None:
            pdf = render_pdf(await issuing.credit_note_document(scope, note.id))
        return _credit_note_view(note, record.number) | {"tenant": scope.domain}, pdf

    result, pdf = write_db(state, work)
    if pdf_file is not None and pdf is not None:
        pdf_file.write_bytes(pdf)
        result["files"] = {"pdf": str(pdf_file)}
    emit(result, as_json)


@click.command("partner-statement")
@click.option("--partner", "partner_name", required=True)
@click.option("--since", required=True, help="First period start (YYYY-MM-DD).")
@click.option("--until", required=True, help="Day after the last period start (YYYY-MM-DD).")
@json_option
@pass_state
def partner_statement(
    state: CliState, partner_name: str, since: str, until: str, as_json: bool
) -> None:
    """A partner's statement: its tenants' issued invoices, credits deducted, per currency."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        statement = await issuing.partner_statement(
            session, partner_name, parse_day(since, "--since"), parse_day(until, "--until")
        )
        result = listing(
            [
                {
                    "tenant": i.tenant,
                    "number": i.number,
                    "period_start": i.period_start,
                    "currency": i.currency,
                    "subtotal": i.subtotal,
                    "vat": i.vat,
                    "total": i.total,
                    "credited": i.credited,
                    "paid_on": i.paid_on,
                }
                for i in statement.items
            ]
        )
        result["partner"] = statement.partner
        result["totals"] = statement.totals
        result["open_totals"] = statement.open_totals
        return result

    emit(read_db(state, work), as_json, ["tenant", "number", "period_start", "total", "credited"])


COMMANDS = (invoice_show, invoice_issue, invoice_run, credit_note, partner_statement)
