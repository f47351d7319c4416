"""Reading call detail records of a tenant (the call layer writes them)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_

from centrex.data.models import Cdr, Direction, Disposition
from centrex.data.tenancy import TenantScope

CSV_FIELDS = [
    "id",
    "call_id",
    "caller",
    "callee",
    "direction",
    "started_at",
    "answered_at",
    "ended_at",
    "billsec",
    "disposition",
    "hangup_cause",
    "hangup_side",
    "price",
    "rated_at",
]


def _filters(
    since: datetime | None,
    until: datetime | None,
    direction: Direction | None,
    disposition: Disposition | None,
    extension: str | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(Cdr.started_at >= since)
    if until is not None:
        where.append(Cdr.started_at < until)
    if direction is not None:
        where.append(Cdr.direction == direction)
    if disposition is not None:
        where.append(Cdr.disposition == disposition)
    if extension is not None:
        where.append(
            or_(Cdr.extension == extension, Cdr.caller == extension, Cdr.callee == extension)
        )
    return where


async def list_cdrs(
    scope: TenantScope,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    direction: Direction | None = None,
    disposition: Disposition | None = None,
    extension: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, Sequence[Cdr]]:
    """(total, page) of the tenant's CDRs, newest first."""
    where = _filters(since, until, direction, disposition, extension)
    total = await scope.count(Cdr, *where)
    items = await scope.list(
        Cdr, *where, order_by=Cdr.started_at.desc(), limit=limit, offset=offset
    )
    return total, items


def cdr_row(cdr: Cdr) -> dict[str, Any]:
    """A CDR as plain JSON-ready values (also the CSV columns)."""
    return {
        "id": cdr.id,
        "call_id": cdr.call_id,
        "caller": cdr.caller,
        "callee": cdr.callee,
        "direction": cdr.direction.value,
        "started_at": cdr.started_at.isoformat(),
        "answered_at": cdr.answered_at.isoformat() if cdr.answered_at else None,
        "ended_at": cdr.ended_at.isoformat() if cdr.ended_at else None,
        "billsec": cdr.billsec,
        "disposition": cdr.disposition.value if cdr.disposition else None,
        "hangup_cause": cdr.hangup_cause,
        "hangup_side": cdr.hangup_side.value if cdr.hangup_side else None,
        "trunk_id": cdr.trunk_id,
        "price": str(cdr.price) if cdr.price is not None else None,
        # set once the live rater (or a re-rating) priced the call; price stays None if no deck did
        "rated_at": cdr.rated_at.isoformat() if cdr.rated_at else None,
    }


def cdrs_to_csv(cdrs: Sequence[Cdr]) -> str:
    """RFC 4180 CSV of CDRs with a header line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for cdr in cdrs:
        writer.writerow(cdr_row(cdr))
    return out.getvalue()
