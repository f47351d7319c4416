"""Importing leads into a campaign: one file, one batch, in one transaction.

The order of the checks on each line decides what a line is counted as, once:

1. the number does not parse or is not valid → `rejected` with its line number and reason
   (also a name or postal code longer than its column);
2. the number is on the tenant's or the campaign's DNC list, or on a national list of the
   provider (`national_dnc`: Bloctel, the TPS, ...) → `dnc_filtered`;
3. the number was already on an earlier line of the file, or is already a lead of the campaign
   → `duplicates` (the first occurrence wins; a lead keeps its history);
4. otherwise the line becomes a lead of the new batch (status `new`).

The national lists are far too big to read, so the file's numbers are normalised first and
only those are looked up (`blocked_numbers(..., candidates)`), before the lines are counted.
A file that cannot be read at all (encoding, format, no header or no line, a mapped column
missing) is refused before anything is written. The rows go in with bulk `INSERT`s of
`CHUNK` leads (SQLAlchemy's insertmanyvalues on both SQLite and PostgreSQL), inside the
caller's transaction, so an error anywhere leaves nothing half-imported. Every row is written
with the scope's `tenant_id`: the bulk path cannot carry another tenant's id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select

from centrex.contact_center.dnc import blocked_numbers, tenant_region
from centrex.contact_center.lead_files import Columns, read_table, resolve_columns
from centrex.contact_center.phone_numbers import BadNumber, normalise
from centrex.data.models import Campaign, Lead, LeadBatch, LeadStatus
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

CHUNK = 5000
# Core INSERT: the ORM's bulk path adds per-row work that buys nothing here
LEADS = cast(Table, Lead.__table__)
MAX_NAME, MAX_POSTAL, MAX_CUSTOM = 200, 20, 1000


@dataclass
class ImportResult:
    """What an import did: exactly the JSON of `centrex lead import`."""

    batch: int
    imported: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    dnc_filtered: int = 0
    duplicates: int = 0
    encoding: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "imported": self.imported,
            "rejected": self.rejected,
            "dnc_filtered": self.dnc_filtered,
            "duplicates": self.duplicates,
        }


def _get(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _number(cells: list[str], columns: Columns, region: str) -> str | BadNumber:
    """The line's number in E.164, or why it is refused."""
    try:
        return normalise(_get(cells, columns.number), region)
    except BadNumber as exc:
        return exc


def _lead_values(cells: list[str], columns: Columns) -> tuple[str, str, dict[str, str]] | str:
    """(name, postal code, custom fields) of a line, or the reason it is refused."""
    name, postal = _get(cells, columns.name), _get(cells, columns.postal_code)
    if len(name) > MAX_NAME:
        return f"name longer than {MAX_NAME} characters"
    if len(postal) > MAX_POSTAL:
        return f"postal code longer than {MAX_POSTAL} characters"
    custom: dict[str, str] = {}
    for key, index in columns.custom.items():
        value = _get(cells, index)
        if len(value) > MAX_CUSTOM:
            return f"field {key!r} longer than {MAX_CUSTOM} characters"
        if value:
            custom[key] = value
    return name, postal.upper(), custom


async def import_leads(
    scope: TenantScope,
    campaign: Campaign,
    data: bytes,
    *,
    now: datetime,
    filename: str = "",
    mapping: dict[str, str] | None = None,
) -> ImportResult:
    """Import a CSV or XLSX file into `campaign` as one new batch (see the module docstring)."""
    table = read_table(data, filename)
    columns = resolve_columns(table.headers, mapping or {})
    region = await tenant_region(scope)
    parsed = [(line, cells, _number(cells, columns, region)) for line, cells in table.lines]
    blocked = await blocked_numbers(
        scope, campaign, (n for _line, _cells, n in parsed if isinstance(n, str))
    )
    existing_stmt = select(Lead.number).where(
        Lead.tenant_id == scope.tenant_id, Lead.campaign_id == campaign.id
    )
    seen = set((await scope.session.scalars(existing_stmt)).all())
    batch = scope.add(LeadBatch(campaign_id=campaign.id, filename=filename[-255:],
                                encoding=table.encoding))  # fmt: skip
    await scope.session.flush()
    result = ImportResult(batch=batch.id, encoding=table.encoding)
    rows: list[dict[str, Any]] = []
    base = {"tenant_id": scope.tenant_id, "campaign_id": campaign.id, "batch_id": batch.id,
            "status": LeadStatus.NEW, "attempts": 0, "created_at": now}  # fmt: skip
    for line, cells, e164 in parsed:
        if isinstance(e164, BadNumber):
            result.rejected.append({"line": line, "error": str(e164)})
            continue
        values = _lead_values(cells, columns)
        if isinstance(values, str):
            result.rejected.append({"line": line, "error": values})
            continue
        if e164 in blocked:
            result.dnc_filtered += 1
            continue
        if e164 in seen:
            result.duplicates += 1
            continue
        seen.add(e164)
        name, postal, custom = values
        rows.append({**base, "number": e164, "name": name, "postal_code": postal,
                     "custom": custom})  # fmt: skip
        if len(rows) >= CHUNK:
            await scope.session.execute(insert(LEADS), rows)
            result.imported += len(rows)
            rows = []
    if rows:
        await scope.session.execute(insert(LEADS), rows)
        result.imported += len(rows)
    batch.imported, batch.rejected = result.imported, len(result.rejected)
    batch.dnc_filtered, batch.duplicates = result.dnc_filtered, result.duplicates
    await scope.session.flush()
    log.info(
        "lead import: tenant %s campaign %s batch %s: %d imported, %d rejected, %d DNC, "
        "%d duplicates (encoding %s)", scope.domain, campaign.name, batch.id, result.imported,
        len(result.rejected), result.dnc_filtered, result.duplicates, table.encoding or "xlsx",
    )  # fmt: skip
    return result
