"""`centrex demo-invoice`: a sample invoice for the demo tenant, without touching the database.

`centrex demo` shows a working PBX; this shows what its customer would be billed. The month of
calls is synthetic and deterministic (`centrex.billing.sample`), the invoice a preview (no
number), so it can run anywhere, even before `centrex db upgrade`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from centrex.billing.documents import details_csv, details_xlsx, render_pdf, text_table
from centrex.billing.sample import sample_month
from centrex.cli.common import CliState, emit, fail, json_option, pass_state
from centrex.cli.serve import DEMO_DOMAIN

_PATH = click.Path(dir_okay=False, writable=True, path_type=Path)


def _month_bounds(value: str | None, today: date) -> tuple[date, date]:
    if value is None:
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
        return start, end
    start = date.fromisoformat(f"{value}-01")
    return start, date(start.year + start.month // 12, start.month % 12 + 1, 1)


@click.command("demo-invoice")
@click.option("--month", help="Month of sample calls (YYYY-MM); default last month.")
@click.option("--pdf", "pdf_file", type=_PATH, help="Write the invoice PDF.")
@click.option("--xlsx", "xlsx_file", type=_PATH, help="Write the sample rated calls as XLSX.")
@click.option("--csv", "csv_file", type=_PATH, help="Write the sample rated calls as CSV.")
@json_option
@pass_state
def demo_invoice(
    state: CliState,
    month: str | None,
    pdf_file: Path | None,
    xlsx_file: Path | None,
    csv_file: Path | None,
    as_json: bool,
) -> None:
    """Print a sample invoice of the demo tenant (plan, a month of rated calls, preview)."""
    today = state.clock.utcnow().date()
    try:
        start, end = _month_bounds(month, today)
    except ValueError:
        fail(f"--month {month!r} is not YYYY-MM")
        return
    sample = sample_month(domain=DEMO_DOMAIN, period_start=start, period_end=end, issued_on=end)
    files: dict[str, str] = {}
    outputs: tuple[tuple[Path | None, Callable[[], bytes]], ...] = (
        (pdf_file, lambda: render_pdf(sample.document)),
        (xlsx_file, lambda: details_xlsx(sample.details)),
        (csv_file, lambda: details_csv(sample.details).encode("utf-8")),
    )
    for target, render in outputs:
        if target is not None:
            target.write_bytes(render())
            files[target.suffix.lstrip(".") or "file"] = str(target)
    doc = sample.document
    result: dict[str, Any] = {
        "tenant": DEMO_DOMAIN,
        "plan": sample.plan.name,
        "number": doc.number,
        "period_start": doc.period_start,
        "period_end": doc.period_end,
        "issued_on": doc.issued_on,
        "due_on": doc.due_on,
        "currency": doc.currency,
        "calls": len(sample.cdrs),
        "rated_calls": len(sample.details),
        "lines": [
            {"kind": line.kind, "description": line.description, "amount": line.amount}
            for line in doc.lines
        ],
        "subtotal": doc.subtotal,
        "vat_rate": doc.vat_rate,
        "vat": doc.vat,
        "total": doc.total,
        "files": files,
    }
    if as_json:
        emit(result, True)
        return
    click.echo(text_table(doc))
    for kind, path in files.items():
        click.echo(f"{kind}: {path}")
