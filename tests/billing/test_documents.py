"""Invoice documents: the PDF read back with poppler (pdftotext, pdftoppm), the call detail
read back as XLSX (openpyxl) and CSV, the text table; on the deterministic sample month."""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from centrex.billing.documents import (
    DETAIL_HEADER,
    details_csv,
    details_xlsx,
    render_pdf,
    text_table,
)
from centrex.billing.sample import SampleMonth, sample_month

D = Decimal


@pytest.fixture(scope="module")
def sample() -> SampleMonth:
    return sample_month(
        domain="demo.centrex.test",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        issued_on=date(2026, 4, 1),
        termination_fee=D("1234.50"),
    )


def _pdftotext(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def test_sample_month_has_every_kind_of_line(sample: SampleMonth) -> None:
    kinds = [line.kind for line in sample.document.lines]
    assert kinds == [
        "subscription",
        "seats",
        "usage",
        "bundle",
        "fair_use",
        "sla_credit",
        "termination",
    ]
    assert sum(line.amount for line in sample.document.lines) == sample.invoice.subtotal
    assert sample.invoice.vat == (sample.invoice.subtotal * D("0.20")).quantize(D("0.01"))
    assert sample.document.due_on == date(2026, 4, 16)


def test_pdf_text_and_page_image(sample: SampleMonth, tmp_path: Path) -> None:
    doc = replace(sample.document, number="2026-000123")
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(render_pdf(doc))
    assert render_pdf(doc) == pdf.read_bytes()  # invariant: same invoice, same bytes
    text = _pdftotext(pdf)
    for expected in (
        "Invoice 2026-000123",
        "Centrex demo provider",
        "Demo company",
        "demo.centrex.test",
        "Issue date",
        "2026-04-01",
        "2026-03-01 to 2026-03-31",
        "Payment due",
        "2026-04-16",
        "France unlimited: monthly fee",
        "Unlimited bundle",
        "Fair use exceeded",
        "SLA credit telephony: 5 %",
        "Early termination fee",
        "1'234.50",
        "VAT 20 %",
        f"{doc.subtotal:,.2f}".replace(",", "'"),
        f"{doc.vat:,.2f}".replace(",", "'"),
        f"Total {doc.currency}",
        f"{doc.total:,.2f}".replace(",", "'"),
    ):
        assert expected in text, expected
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # a rendered page with text and a table, not a blank image


def test_draft_pdf_says_draft(sample: SampleMonth, tmp_path: Path) -> None:
    pdf = tmp_path / "draft.pdf"
    pdf.write_bytes(render_pdf(sample.document))
    text = _pdftotext(pdf)
    assert "Invoice DRAFT" in text
    assert "Preview: sample calls" in text


def test_xlsx_and_csv_detail(sample: SampleMonth) -> None:
    details = sample.details
    assert len(details) > 500
    book = load_workbook(io.BytesIO(details_xlsx(details)))
    sheet = book["Calls"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == DETAIL_HEADER
    assert len(rows) == len(details) + 1
    first = details[0]
    assert rows[1][1:6] == (
        first.user,
        first.called,
        first.destination,
        first.billed_seconds,
        pytest.approx(float(first.amount)),
    )
    notes = {row[6] for row in rows[1:]}
    assert {"bundle", "fair use exceeded"} <= notes
    parsed = list(csv.reader(io.StringIO(details_csv(details))))
    assert tuple(parsed[0]) == DETAIL_HEADER
    assert len(parsed) == len(details) + 1
    charged = sum(D(row[5]) for row in parsed[1:])
    usage = sum(
        (line.amount for line in sample.document.lines if line.kind in {"usage", "fair_use"}),
        D(0),
    )
    assert charged.quantize(D("0.01")) == usage  # the detail adds up to the invoice lines


def test_text_table(sample: SampleMonth) -> None:
    table = text_table(sample.document)
    assert table.splitlines()[0].startswith("Invoice DRAFT")
    assert f"{sample.document.total:,.2f}".replace(",", "'") in table
    assert "Due: 2026-04-16" in table
