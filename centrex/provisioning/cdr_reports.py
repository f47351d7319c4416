"""CDR queries for the API and portal: filters, either order, a user's own calls, XLSX export.

Builds on `cdrs.py` (same filters and columns) without changing its signatures.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_

from centrex.data.models import Cdr, CdrLeg, Direction, Disposition
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning.cdrs import CSV_FIELDS, _filters, cdr_row

MAX_EXPORT_ROWS = 100_000


async def query_cdrs(
    scope: TenantScope,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    direction: Direction | None = None,
    disposition: Disposition | None = None,
    extension: str | None = None,
    search: str | None = None,
    only_extensions: Collection[str] | None = None,
    ascending: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, Sequence[Cdr]]:
    """(total, page) of CDRs; `only_extensions` limits a plain user to calls of its lines."""
    where = _filters(since, until, direction, disposition, extension)
    if search:
        pattern = f"%{search.lower()}%"
        where.append(
            or_(func.lower(Cdr.caller).like(pattern), func.lower(Cdr.callee).like(pattern))
        )
    if only_extensions is not None:
        numbers = list(only_extensions) or ["\x01none"]
        clause: ColumnElement[bool] = or_(
            Cdr.extension.in_(numbers), Cdr.caller.in_(numbers), Cdr.callee.in_(numbers)
        )
        where.append(clause)
    total = await scope.count(Cdr, *where)
    order = Cdr.started_at.asc() if ascending else Cdr.started_at.desc()
    items = await scope.list(Cdr, *where, order_by=order, limit=limit, offset=offset)
    return total, items


async def get_cdr(scope: TenantScope, cdr_id: int) -> Cdr:
    cdr = await scope.first(Cdr, Cdr.id == cdr_id)
    if cdr is None:
        raise NotFound(f"CDR {cdr_id} not found", error_id="cdr-not-found")
    return cdr


async def cdr_legs(scope: TenantScope, cdr_id: int) -> Sequence[CdrLeg]:
    """The legs of one of the tenant's CDRs in call order: the inbound leg, each outbound attempt
    and, after a transfer, each new party with the extension that transferred to it."""
    await get_cdr(scope, cdr_id)  # 404 for another tenant's or a missing CDR
    legs = await scope.list(CdrLeg, CdrLeg.cdr_id == cdr_id)  # by id: the order written
    return sorted(legs, key=lambda leg: leg.leg_index)


def leg_row(leg: CdrLeg) -> dict[str, object]:
    """A CDR leg as JSON-ready values."""
    return {
        "leg_index": leg.leg_index,
        "peer": leg.peer,
        "started_at": leg.started_at.isoformat(),
        "answered_at": leg.answered_at.isoformat() if leg.answered_at else None,
        "ended_at": leg.ended_at.isoformat() if leg.ended_at else None,
        "disposition": leg.disposition.value if leg.disposition else None,
        "hangup_cause": leg.hangup_cause,
        "trunk_id": leg.trunk_id,
        "transferred_by": leg.transferred_by,
    }


def cdrs_to_xlsx(cdrs: Sequence[Cdr]) -> bytes:
    """An Excel workbook with one sheet of CDRs (same columns as the CSV export)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("CDRs")
    sheet.append(CSV_FIELDS)
    for cdr in cdrs:
        row = cdr_row(cdr)
        sheet.append([row.get(field) for field in CSV_FIELDS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
