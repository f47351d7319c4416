"""A campaign's data in one Excel workbook: its leads with their custom fields and script
answers, and its appointments (issue 16: "export of all script answers, lead data and
appointments of a campaign to Excel").

Sheet `Leads`: one row per lead, the fixed fields, then one column per custom field key any
lead of the campaign has (`custom <key>`) and one per script question answered for any of them
(`answer <question>`), sorted, empty where a lead has none. Sheet `Appointments`: the
campaign's appointments (deleted ones are tombstones for the CalDAV sync, not appointments).
Every read is filtered by the tenant (`TenantScope`); text cells are strings, never formulas
(`lead_export.py`: an answer typed as "=1+1" stays text). Times are UTC, written without a
zone (a spreadsheet has none).
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from centrex.data.models import Campaign, Extension, Lead
from centrex.data.models.appointments import Appointment
from centrex.data.models.scripts import LeadAnswer
from centrex.data.tenancy import TenantScope

__all__ = ["LEAD_COLUMNS", "campaign_workbook"]

LEAD_COLUMNS = ("id", "number", "name", "postal_code", "status", "attempts", "last_outcome",
                "disposition")  # fmt: skip
APPOINTMENT_COLUMNS = ("id", "lead_id", "lead_number", "agent", "title", "starts_at", "ends_at",
                       "notes", "sync_state")  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)  # an enum, a list or a dict in a custom field: its text


def _write(book: Any, title: str, rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.cell import WriteOnlyCell

    sheet = book.create_sheet(title=title)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)


async def campaign_workbook(scope: TenantScope, campaign: Campaign) -> bytes:
    """The XLSX bytes of the campaign's leads (with custom fields and answers) and appointments."""
    from openpyxl import Workbook

    leads = await scope.list(Lead, Lead.campaign_id == campaign.id, order_by=Lead.id)
    ids = [lead.id for lead in leads]
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    if ids:
        for answer in await scope.list(LeadAnswer, LeadAnswer.lead_id.in_(ids)):
            answers[answer.lead_id][answer.question] = answer.value
    custom_keys = sorted({key for lead in leads for key in (lead.custom or {})})
    questions = sorted({q for given in answers.values() for q in given})
    header = [*LEAD_COLUMNS, *(f"custom {k}" for k in custom_keys),
              *(f"answer {q}" for q in questions)]  # fmt: skip
    rows: list[list[Any]] = [header]
    for lead in leads:
        rows.append([lead.id, lead.number, lead.name, lead.postal_code, lead.status.value,
                     lead.attempts, lead.last_outcome, lead.disposition,
                     *((lead.custom or {}).get(k) for k in custom_keys),
                     *(answers[lead.id].get(q) for q in questions)])  # fmt: skip
    book = Workbook(write_only=True)
    _write(book, "Leads", rows)
    booked = await scope.list(Appointment, Appointment.campaign_id == campaign.id,
                              Appointment.deleted.is_(False),
                              order_by=Appointment.starts_at)  # fmt: skip
    numbers = {lead.id: lead.number for lead in leads}
    agents = {e.id: e.number for e in await scope.list(Extension)} if booked else {}
    appointments: list[list[Any]] = [list(APPOINTMENT_COLUMNS)]
    for a in booked:
        lead_number, agent = numbers.get(a.lead_id or 0), agents.get(a.extension_id or 0)
        appointments.append([a.id, a.lead_id, lead_number, agent, a.title, a.starts_at, a.ends_at,
                             a.notes, a.sync_state])  # fmt: skip
    _write(book, "Appointments", appointments)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
