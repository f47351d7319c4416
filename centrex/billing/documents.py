"""Invoice documents: the PDF a customer receives, the call detail (CSV, XLSX) and a text table.

Rendering takes a plain `InvoiceDocument` (no database row), so the same code prints an issued
invoice, a draft preview (`centrex demo-invoice`) and a credit note. The numbers come already
rounded from `invoices.compute_invoice`; nothing here computes money, it only formats it, so
the PDF can never disagree with the stored invoice.

The PDF is rendered with reportlab in invariant mode (no creation timestamp, fixed document id)
so the same invoice always gives the same bytes: an archived copy can be checked by hash.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from centrex.billing.invoices import Invoice, InvoiceLine
from centrex.billing.rating import Cdr
from centrex.billing.usage import UsageSummary


@dataclass(frozen=True, slots=True)
class Party:
    """Who sends or receives the invoice, as printed in the header."""

    name: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One printed line (same fields as `invoices.InvoiceLine`, kind as text)."""

    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything printed on an invoice or a credit note.

    `number` is None for a draft (printed as DRAFT: a preview is never a valid invoice).
    """

    title: str
    provider: Party
    customer: Party
    number: str | None
    issued_on: date
    period_start: date
    period_end: date
    due_on: date | None
    currency: str
    lines: tuple[DocumentLine, ...]
    subtotal: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    notes: tuple[str, ...] = field(default=())


def document_lines(lines: Iterable[InvoiceLine]) -> tuple[DocumentLine, ...]:
    """Printed lines of a pure invoice."""
    return tuple(
        DocumentLine(line.kind.value, line.description, line.quantity, line.unit_price, line.amount)
        for line in lines
    )


def invoice_document(
    invoice: Invoice,
    *,
    provider: Party,
    customer: Party,
    number: str | None,
    issued_on: date,
    due_on: date | None,
    title: str = "Invoice",
    notes: Sequence[str] = (),
) -> InvoiceDocument:
    """The document of a pure computed invoice (a preview or one being issued)."""
    return InvoiceDocument(
        title=title,
        provider=provider,
        customer=customer,
        number=number,
        issued_on=issued_on,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        due_on=due_on,
        currency=invoice.currency,
        lines=document_lines(invoice.lines),
        subtotal=invoice.subtotal,
        vat_rate=invoice.vat_rate,
        vat=invoice.vat,
        total=invoice.total,
        notes=tuple(notes),
    )


# ----------------------------------------------------------------------------- call detail


@dataclass(frozen=True, slots=True)
class CallDetail:
    """One rated outbound call of the period as the customer sees it in the detail."""

    started_at: datetime
    user: str
    called: str
    destination: str
    billed_seconds: int
    amount: Decimal
    note: str


DETAIL_HEADER = (
    "started_at",
    "user",
    "called",
    "destination",
    "billed_seconds",
    "amount",
    "note",
)


def call_details(cdrs: Sequence[Cdr], usage: UsageSummary) -> list[CallDetail]:
    """Pair each answered outbound call with its plan rating.

    `usage.rate_usage` returns one rated call per CDR in (start, call_id) order, so sorting the
    CDRs the same way pairs them without a second rating pass.
    """
    ordered = sorted(cdrs, key=lambda c: (c.start, c.call_id))
    details: list[CallDetail] = []
    for cdr, rated in zip(ordered, usage.calls, strict=True):
        if not cdr.outbound or not cdr.answered:
            continue
        if not rated.rated:
            note = "unrated"
        elif rated.in_bundle:
            note = "bundle"
        elif rated.fair_use_exceeded:
            note = "fair use exceeded"
        else:
            note = ""
        details.append(
            CallDetail(
                cdr.start,
                rated.user,
                rated.called,
                rated.group or "other",
                rated.billed_seconds,
                rated.amount,
                note,
            )
        )
    return details


def _detail_row(d: CallDetail) -> list[str]:
    return [
        d.started_at.isoformat(),
        d.user,
        d.called,
        d.destination,
        str(d.billed_seconds),
        str(d.amount),
        d.note,
    ]


def details_csv(details: Iterable[CallDetail]) -> str:
    """The call detail as CSV (amounts as decimal text, never floats)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DETAIL_HEADER)
    writer.writerows(_detail_row(d) for d in details)
    return out.getvalue()


def details_xlsx(details: Iterable[CallDetail], title: str = "Calls") -> bytes:
    """The call detail as an XLSX workbook (write-only mode: a month of calls stays small)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(DETAIL_HEADER))
    for d in details:
        # a spreadsheet wants numbers; the amount keeps its 4 decimals as a Decimal
        sheet.append(
            [
                d.started_at.replace(tzinfo=None),
                d.user,
                d.called,
                d.destination,
                d.billed_seconds,
                d.amount,
                d.note,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------- text and PDF


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}".replace(",", "'")


def _number(value: Decimal) -> str:
    """At least 2 decimals, more only when the value has them (0.0123/min stays exact)."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:.2f}"
    return f"{value.normalize():f}"


def _period(doc: InvoiceDocument) -> str:
    """The period as printed: last day inclusive, as customers read it."""
    return f"{doc.period_start.isoformat()} to {(doc.period_end - timedelta(days=1)).isoformat()}"


def text_table(doc: InvoiceDocument) -> str:
    """A plain-text rendering for terminals (`centrex demo-invoice`)."""
    width = 78
    out = [
        f"{doc.title} {doc.number or 'DRAFT'}".ljust(width - 30) + doc.provider.name.rjust(30),
        f"Customer: {doc.customer.name}",
        *(f"          {line}" for line in doc.customer.lines),
        f"Period: {_period(doc)}   Issued: {doc.issued_on}"
        + (f"   Due: {doc.due_on}" if doc.due_on else ""),
        "-" * width,
    ]
    for line in doc.lines:
        desc = line.description if len(line.description) <= 62 else line.description[:59] + "..."
        out.append(f"{desc:<62}{_money(line.amount):>16}")
    out.append("-" * width)
    out.append(f"{'Subtotal':<62}{_money(doc.subtotal):>16}")
    out.append(f"{f'VAT {doc.vat_rate} %':<62}{_money(doc.vat):>16}")
    out.append(f"{f'Total {doc.currency}':<62}{_money(doc.total):>16}")
    out.extend(doc.notes)
    return "\n".join(out)


def render_pdf(doc: InvoiceDocument) -> bytes:
    """The customer's PDF: header, parties, dates, lines, subtotal, VAT, total, due date."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["Normal"]
    out = io.BytesIO()
    number = doc.number or "DRAFT"
    pdf = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{doc.title} {number}",
        author=doc.provider.name,
        invariant=True,
    )

    def para(text: str, style: object = body) -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, style)

    parties = Table(
        [
            [
                para(doc.provider.name, styles["Heading2"]),
                para(doc.customer.name, styles["Heading3"]),
            ],
            [
                [para(line, small) for line in doc.provider.lines],
                [para(line, small) for line in doc.customer.lines],
            ],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    dates = [
        [f"{doc.title} number", number],
        ["Issue date", doc.issued_on.isoformat()],
        ["Period", _period(doc)],
    ]
    if doc.due_on is not None:
        dates.append(["Payment due", doc.due_on.isoformat()])
    facts = Table(dates, colWidths=[40 * mm, 134 * mm])
    facts.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]))
    rows: list[list[object]] = [["Description", "Quantity", "Unit price", f"Amount {doc.currency}"]]
    for line in doc.lines:
        rows.append(
            [
                para(line.description, small),
                _number(line.quantity) if line.quantity else "",
                _number(line.unit_price) if line.unit_price else "",
                _money(line.amount),
            ]
        )
    first_total = len(rows)
    rows.append(["Subtotal", "", "", _money(doc.subtotal)])
    rows.append([f"VAT {doc.vat_rate} %", "", "", _money(doc.vat)])
    rows.append([f"Total {doc.currency}", "", "", _money(doc.total)])
    table = Table(rows, colWidths=[104 * mm, 22 * mm, 22 * mm, 26 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, first_total - 1), 0.25, colors.grey),
                ("LINEABOVE", (0, first_total), (-1, first_total), 1, colors.black),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
            ]
        )
    )
    story: list[object] = [
        parties,
        Spacer(1, 6 * mm),
        para(f"{doc.title} {number}", styles["Title"]),
        facts,
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 6 * mm),
    ]
    if doc.due_on is not None:
        story.append(para(f"Please pay {_money(doc.total)} {doc.currency} by {doc.due_on}."))
    story.extend(para(note, small) for note in doc.notes)
    pdf.build(story)
    return out.getvalue()
