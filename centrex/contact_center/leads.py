"""Leads of a tenant: search, read, batches, rollback, and the rows of an export.

Rollback removes *exactly* one batch: its leads and their attempt history, nothing of another
batch (a number imported twice is one lead, owned by the first batch: the second counted it as
a duplicate), then the batch row itself. It is three scoped `DELETE`s rather than a reliance on
`ON DELETE CASCADE`, so the count of what went is reported and the behaviour does not hang on
SQLite's foreign-key pragma.

Search filters in SQL (a campaign has up to hundreds of thousands of leads): campaign, status,
disposition, postal-code prefix, and free text over name, number and the custom fields. Custom
fields are JSON; the text search runs over their serialised form, which JSON writes with
`\\uXXXX` escapes for non-ASCII, so the needle is searched in both spellings.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select

from centrex.data.models import Campaign, Lead, LeadAttempt, LeadBatch, LeadStatus
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed

MAX_PAGE = 1000


def lead_dict(lead: Lead, campaign_name: str | None = None) -> dict[str, Any]:
    return {
        "id": lead.id,
        "campaign_id": lead.campaign_id,
        "campaign": campaign_name,
        "batch": lead.batch_id,
        "number": lead.number,
        "name": lead.name,
        "postal_code": lead.postal_code,
        "status": lead.status.value,
        "attempts": lead.attempts,
        "last_outcome": lead.last_outcome,
        "disposition": lead.disposition,
        "next_attempt_at": lead.next_attempt_at,
        "custom": dict(lead.custom),
    }


def batch_dict(batch: LeadBatch, campaign_name: str | None = None) -> dict[str, Any]:
    return {
        "id": batch.id,
        "campaign_id": batch.campaign_id,
        "campaign": campaign_name,
        "filename": batch.filename,
        "encoding": batch.encoding,
        "imported": batch.imported,
        "rejected": batch.rejected,
        "dnc_filtered": batch.dnc_filtered,
        "duplicates": batch.duplicates,
        "created_at": batch.created_at,
    }


def check_status(status: str) -> LeadStatus:
    try:
        return LeadStatus(status.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in LeadStatus)
        raise ValidationFailed(f"a lead status is one of {names}, not {status!r}",
                               error_id="lead-bad-status", field="status") from None  # fmt: skip


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_clause(query: str) -> ColumnElement[bool]:
    needle = query.strip().lower()
    json_needle = json.dumps(needle)[1:-1]  # how JSON stored it (non-ASCII as \uXXXX)
    custom = func.lower(cast(Lead.custom, String))
    clauses = [
        func.lower(Lead.name).like(_like(needle), escape="\\"),
        func.lower(Lead.postal_code).like(_like(needle), escape="\\"),
        custom.like(_like(needle), escape="\\"),
        custom.like(_like(json_needle.lower()), escape="\\"),
    ]
    digits = "".join(c for c in needle if c.isdigit())
    if digits and len(digits) >= len(needle.replace(" ", "").lstrip("+")) - 1:
        clauses.append(Lead.number.like(_like(digits), escape="\\"))
    return or_(*clauses)


def search_clauses(
    *,
    campaign: Campaign | None = None,
    postal_code: str | None = None,
    status: str | None = None,
    disposition: str | None = None,
    query: str | None = None,
    batch_id: int | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE of a lead search (the tenant filter is the scope's)."""
    where: list[ColumnElement[bool]] = []
    if campaign is not None:
        where.append(Lead.campaign_id == campaign.id)
    if batch_id is not None:
        where.append(Lead.batch_id == batch_id)
    if postal_code:
        where.append(Lead.postal_code.like(f"{postal_code.strip().upper()}%"))
    if status:
        where.append(Lead.status == check_status(status))
    if disposition:
        where.append(Lead.disposition == disposition.strip())
    if query and query.strip():
        where.append(_text_clause(query))
    return where


async def search_leads(
    scope: TenantScope,
    *,
    limit: int = 100,
    offset: int = 0,
    **filters: Any,
) -> dict[str, Any]:
    """`{"total": N, "items": [...]}` of the matching leads, by id, one page."""
    where = search_clauses(**filters)
    total = await scope.count(Lead, *where)
    leads = await scope.list(Lead, *where, order_by=Lead.id, limit=min(limit, MAX_PAGE),
                             offset=offset)  # fmt: skip
    names = await campaign_names(scope)
    return {"total": total, "items": [lead_dict(x, names.get(x.campaign_id)) for x in leads]}


async def campaign_names(scope: TenantScope) -> dict[int, str]:
    return {c.id: c.name for c in await scope.list(Campaign)}


async def get_lead(scope: TenantScope, lead_id: int) -> Lead:
    lead = await scope.first(Lead, Lead.id == lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} not found", error_id="lead-not-found")
    return lead


async def lead_history(scope: TenantScope, lead: Lead) -> list[dict[str, Any]]:
    attempts = await scope.list(LeadAttempt, LeadAttempt.lead_id == lead.id,
                                order_by=LeadAttempt.started_at)  # fmt: skip
    return [
        {"started_at": a.started_at, "ended_at": a.ended_at, "outcome": a.outcome,
         "disposition": a.disposition, "caller_id": a.caller_id, "talk_seconds": a.talk_seconds}
        for a in attempts
    ]  # fmt: skip


async def get_batch(scope: TenantScope, batch_id: int) -> LeadBatch:
    batch = await scope.first(LeadBatch, LeadBatch.id == batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id} not found", error_id="batch-not-found")
    return batch


async def list_batches(scope: TenantScope, campaign: Campaign | None = None) -> list[LeadBatch]:
    where = (LeadBatch.campaign_id == campaign.id,) if campaign is not None else ()
    return list(await scope.list(LeadBatch, *where, order_by=LeadBatch.id))


async def rollback_batch(scope: TenantScope, batch: LeadBatch) -> dict[str, Any]:
    """Delete exactly the batch's leads and their history, then the batch."""
    in_batch = select(Lead.id).where(Lead.tenant_id == scope.tenant_id, Lead.batch_id == batch.id)
    attempts = await scope.delete(LeadAttempt, LeadAttempt.lead_id.in_(in_batch))
    leads = await scope.delete(Lead, Lead.batch_id == batch.id)
    await scope.remove(batch)
    await scope.session.flush()
    return {"batch": batch.id, "leads": leads, "attempts": attempts}


async def export_rows(scope: TenantScope, campaign: Campaign) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a campaign's export: each lead with its status, attempts, last
    outcome, disposition, every disposition of its history, and its custom fields."""
    leads = await scope.list(Lead, Lead.campaign_id == campaign.id, order_by=Lead.id)
    stmt = (
        select(LeadAttempt.lead_id, LeadAttempt.disposition)
        .where(LeadAttempt.tenant_id == scope.tenant_id, LeadAttempt.campaign_id == campaign.id,
               LeadAttempt.disposition.is_not(None))
        .order_by(LeadAttempt.started_at, LeadAttempt.id)
    )  # fmt: skip
    history: dict[int, list[str]] = {}
    for lead_id, disposition in (await scope.session.execute(stmt)).all():
        history.setdefault(lead_id, []).append(disposition or "")
    keys = sorted({key for lead in leads for key in lead.custom})
    headers = ["number", "name", "postal_code", "status", "attempts", "last_outcome",
               "disposition", "dispositions", "next_attempt_at", "batch", *keys]  # fmt: skip
    rows: list[list[Any]] = []
    for lead in leads:
        rows.append([
            lead.number, lead.name, lead.postal_code, lead.status.value, lead.attempts,
            lead.last_outcome or "", lead.disposition or "",
            ";".join(history.get(lead.id, [])), _when(lead.next_attempt_at), lead.batch_id,
            *(lead.custom.get(key, "") for key in keys),
        ])  # fmt: skip
    return headers, rows


def _when(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""
