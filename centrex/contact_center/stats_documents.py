"""The agent statistics as a PDF (reportlab, with a bar chart per agent) and an XLSX workbook.

Both render a `StatsReport` (`agent_report.py`) and nothing else, so they can never disagree
with the JSON the API answers: the same integers, times printed as H:MM:SS in the PDF and as
whole seconds (numbers) in the workbook. The PDF is built in reportlab's invariant mode (no
creation timestamp, fixed document id, like the invoices of `billing/documents.py`) with the
standard Helvetica font, whose text pdftotext reads back.

Workbook sheets: `Agents` (one row per agent and a total row, a column per pause reason),
`Campaign` (the period, the dialer's figures when given, the totals), `Dispositions` (agent,
disposition, count). Text cells are written as strings, never formulas (`lead_export.py`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from centrex.contact_center.agent_report import StatsReport
from centrex.contact_center.agent_stats import AgentFigures

__all__ = ["hms", "render_stats_pdf", "render_stats_xlsx"]

PDF_TYPE = "application/pdf"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the chart's series: (label, figure), in the order of the stacked bars
SERIES = (("Talk", "talk"), ("Wrap-up", "wrap"), ("Ringing", "ring"), ("Pause", "pause_total"),
          ("Idle", "idle"))  # fmt: skip
HEADER = ("Agent", "Calls", "Contacts", "Talk", "Wrap-up", "Ringing", "Pause", "Idle",
          "Logged in", "Occupancy %", "Appointments")  # fmt: skip


def hms(seconds: int) -> str:
    """Whole seconds as H:MM:SS (the PDF's time format)."""
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _reasons(report: StatsReport) -> list[str]:
    return sorted({r for a in (*report.agents, report.total) for r in a.pause})


def _row(a: AgentFigures) -> list[str]:
    return [a.extension, str(a.calls), str(a.contacts), hms(a.talk), hms(a.wrap), hms(a.ring),
            hms(a.pause_total), hms(a.idle), hms(a.logged_in), _pct(a.occupancy),
            str(a.appointments)]  # fmt: skip


def _chart(report: StatsReport) -> Any:
    """Stacked bars, one per agent: minutes of talk, wrap-up, ringing, pause and idle."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    palette = (colors.HexColor("#1f3a5f"), colors.HexColor("#4f81bd"), colors.HexColor("#f2c14e"),
               colors.HexColor("#d1495b"), colors.HexColor("#9bbb59"))  # fmt: skip
    drawing = Drawing(480, 200)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 330, 150
    agents = report.agents or (report.total,)
    chart.data = [[getattr(a, attr) / 60 for a in agents] for _, attr in SERIES]
    chart.categoryAxis.categoryNames = [a.extension for a in agents]
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    for index, color in enumerate(palette):
        chart.bars[index].fillColor = color
    legend = Legend()
    legend.x, legend.y, legend.alignment, legend.columnMaximum = 390, 170, "right", len(SERIES)
    legend.colorNamePairs = [(palette[i], f"{label} (min)") for i, (label, _) in enumerate(SERIES)]
    drawing.add(chart)
    drawing.add(legend)
    return drawing


def render_stats_pdf(report: StatsReport, figures: Mapping[str, Any] | None = None) -> bytes:
    """Title and period, the chart, the agents' table with its total row, then the pause
    time per reason and the dispositions per agent; `figures`: the dialer's counts (optional)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=14 * mm,
                            rightMargin=14 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                            title=f"Statistics {report.title}", invariant=True)  # fmt: skip

    def para(text: str, style: str = "BodyText") -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, styles[style])

    grid = TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3a5f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey),
    ])  # fmt: skip
    story: list[Any] = [
        para(f"Statistics {report.title}", "Title"),
        para(f"Period: {report.since.isoformat()} to {report.until.isoformat()}"),
    ]
    if figures:
        story.append(para("  ".join(f"{k}: {v}" for k, v in figures.items())))
    story += [Spacer(1, 4 * mm), _chart(report), Spacer(1, 4 * mm)]
    rows = [list(HEADER), *(_row(a) for a in report.agents), _row(report.total)]
    table = Table(rows, repeatRows=1)
    table.setStyle(grid)
    table.setStyle(TableStyle([("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold")]))
    story += [table, Spacer(1, 4 * mm)]
    reasons = _reasons(report)
    if reasons:
        pauses = [["Agent", *(f"Pause {r}" for r in reasons)]]
        pauses += [[a.extension, *(hms(a.pause.get(r, 0)) for r in reasons)]
                   for a in (*report.agents, report.total)]  # fmt: skip
        story += [para("Pause time per reason", "Heading3"), _styled(Table(pauses), grid),
                  Spacer(1, 4 * mm)]  # fmt: skip
    codes = sorted({c for a in report.agents for c in a.dispositions})
    if codes:
        disp = [["Agent", *codes]]
        disp += [[a.extension, *(str(a.dispositions.get(c, 0)) for c in codes)]
                 for a in (*report.agents, report.total)]  # fmt: skip
        story += [para("Dispositions", "Heading3"), _styled(Table(disp), grid)]
    pdf.build(story)
    return out.getvalue()


def _styled(table: Any, style: Any) -> Any:
    table.setStyle(style)
    return table


def _sheet(book: Any, title: str, rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet = book.create_sheet(title=title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever an extension's name starts with
            cells.append(cell)
        sheet.append(cells)


def _agent_cells(a: AgentFigures, reasons: Sequence[str]) -> list[Any]:
    return [a.extension, a.calls, a.contacts, a.talk, a.wrap, a.ring, a.pause_total, a.idle,
            a.logged_in, a.occupancy, a.appointments,
            *(a.pause.get(r, 0) for r in reasons)]  # fmt: skip


def render_stats_xlsx(report: StatsReport, figures: Mapping[str, Any] | None = None) -> bytes:
    """Sheets Agents, Campaign and Dispositions (module docstring); times in seconds."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    reasons = _reasons(report)
    header = ["Agent", "Calls", "Contacts", "Talk s", "Wrap-up s", "Ringing s", "Pause s",
              "Idle s", "Logged in s", "Occupancy %", "Appointments",
              *(f"Pause {r} s" for r in reasons)]  # fmt: skip
    agents = [_agent_cells(a, reasons) for a in (*report.agents, report.total)]
    _sheet(book, "Agents", [header, *agents])
    t = report.total
    campaign: list[list[Any]] = [
        ["Campaign", report.title],
        ["Since", report.since.isoformat()],
        ["Until", report.until.isoformat()],
        *([str(k), v] for k, v in (figures or {}).items()),
        ["Calls", t.calls], ["Contacts", t.contacts], ["Talk s", t.talk], ["Wrap-up s", t.wrap],
        ["Ringing s", t.ring], ["Pause s", t.pause_total], ["Idle s", t.idle],
        ["Logged in s", t.logged_in], ["Occupancy %", t.occupancy],
        ["Appointments", t.appointments],
    ]  # fmt: skip
    _sheet(book, "Campaign", campaign)
    dispositions: list[list[Any]] = [["Agent", "Disposition", "Count"]]
    dispositions += [[a.extension, code, n] for a in report.agents
                     for code, n in sorted(a.dispositions.items())]  # fmt: skip
    _sheet(book, "Dispositions", dispositions)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
