"""Finding call recordings (tenant-scoped): by date, extension, number, minimum duration, and,
for the contact center, by lead, client name, campaign and disposition.

A recording row knows its call (call id, optionally its CDR) and, per-party, the party; who
called whom is on the CDR. So the extension and number filters match the tenant's CDRs of the
recording's call — joined by CDR id, or by call id for a recording whose CDR link was never set
— and, for the extension, also the recorded party. A dialer call is also a lead attempt
(`lead_attempts.call_id` is the call's id), which is how a supervisor finds "the recording of
this client": the lead, name, campaign and disposition filters match the tenant's attempts of
the recording's call (the disposition is the attempt's, i.e. what the agent chose for that
call), and a number matches the lead's number as well as the CDR's parties. Every sub-query is
built through the `TenantScope`, so another tenant's CDRs, leads or campaigns can never make a
recording match: another tenant's lead or campaign id simply finds nothing, like a CDR id.
Paged in SQL, newest first (the search) or oldest first by registration (the API's listing,
which a retention job pages through with `before`), as recordings grow without bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_

from centrex.data.models import CallRecording, Cdr, Lead, LeadAttempt
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

MAX_LIMIT = 1000
MAX_TEXT = 100


@dataclass(frozen=True)
class RecordingFilter:
    """What to look for; None (or 0) leaves a criterion out."""

    since: datetime | None = None  # started (or, without a start time, registered) at or after
    until: datetime | None = None  # ... before
    extension: str | None = None  # the call's extension, caller or callee, or the party
    number: str | None = None  # part of the caller's, the callee's or the lead's number
    min_seconds: int = 0
    lead_id: int | None = None  # a dialer call to this lead
    name: str | None = None  # part of the called lead's name (any case)
    campaign_id: int | None = None  # a dialer call of this campaign
    disposition: str | None = None  # the disposition code the agent gave that call
    call_id: str | None = None
    cdr_id: int | None = None
    before: datetime | None = None  # registered before (retention)


@dataclass(frozen=True)
class RecordingHit:
    recording: CallRecording
    cdr: Cdr | None
    attempt: LeadAttempt | None = None  # the dialer call the recording is of, if any
    lead: Lead | None = None


def _when() -> ColumnElement[datetime]:
    return func.coalesce(CallRecording.started_at, CallRecording.created_at)


def _matching_calls(scope: TenantScope, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """Recordings whose call has a CDR of this tenant matching `where`."""
    ids = scope.select(Cdr, *where).with_only_columns(Cdr.id)
    call_ids = scope.select(Cdr, *where).with_only_columns(Cdr.call_id)
    return or_(CallRecording.cdr_id.in_(ids), CallRecording.call_id.in_(call_ids))


def _attempted_calls(scope: TenantScope, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """Recordings whose call is a lead attempt of this tenant matching `where`."""
    calls = scope.select(LeadAttempt, LeadAttempt.call_id.is_not(None), *where)
    return CallRecording.call_id.in_(calls.with_only_columns(LeadAttempt.call_id))


def _leads(scope: TenantScope, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """Attempts whose lead (of this tenant) matches `where`."""
    return LeadAttempt.lead_id.in_(scope.select(Lead, *where).with_only_columns(Lead.id))


def _text(value: str, field: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_TEXT:
        raise ValidationFailed(f"{field} has 1 to {MAX_TEXT} characters", field=field)
    return text


def _number(scope: TenantScope, number: str) -> ColumnElement[bool]:
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if not digits:
        raise ValidationFailed("a number has digits", field="number")
    pattern = f"%{digits}%"
    by_cdr = _matching_calls(scope, or_(Cdr.caller.like(pattern), Cdr.callee.like(pattern)))
    by_lead = _attempted_calls(scope, _leads(scope, Lead.number.like(pattern)))
    return or_(by_cdr, by_lead)


def _lead_conditions(scope: TenantScope, wanted: RecordingFilter) -> list[ColumnElement[bool]]:
    """The filters that go through the dialer's lead attempts."""
    where: list[ColumnElement[bool]] = []
    if wanted.lead_id is not None:
        where.append(_attempted_calls(scope, LeadAttempt.lead_id == wanted.lead_id))
    if wanted.campaign_id is not None:
        where.append(_attempted_calls(scope, LeadAttempt.campaign_id == wanted.campaign_id))
    if wanted.disposition is not None:
        code = _text(wanted.disposition, "disposition")
        where.append(_attempted_calls(scope, LeadAttempt.disposition == code))
    if wanted.name is not None:
        name = _text(wanted.name, "name")
        named = _leads(scope, Lead.name.icontains(name, autoescape=True))
        where.append(_attempted_calls(scope, named))
    return where


def _conditions(scope: TenantScope, wanted: RecordingFilter) -> list[ColumnElement[bool]]:
    if wanted.min_seconds < 0:
        raise ValidationFailed("a minimum duration is 0 seconds or more", field="min_seconds")
    if wanted.since and wanted.until and wanted.until <= wanted.since:
        raise ValidationFailed("the end of the period is before its start", field="until")
    where: list[ColumnElement[bool]] = []
    if wanted.since is not None:
        where.append(_when() >= wanted.since)
    if wanted.until is not None:
        where.append(_when() < wanted.until)
    if wanted.before is not None:
        where.append(CallRecording.created_at < wanted.before)
    if wanted.call_id is not None:
        where.append(CallRecording.call_id == wanted.call_id)
    if wanted.cdr_id is not None:
        where.append(CallRecording.cdr_id == wanted.cdr_id)
    if wanted.min_seconds:
        where.append(CallRecording.duration_ms >= wanted.min_seconds * 1000)
    if wanted.extension:
        ext = wanted.extension.strip()
        if not (ext.isascii() and ext.isdigit() and len(ext) <= 5):
            raise ValidationFailed("an extension has 2 to 5 digits", field="extension")
        party = CallRecording.party == ext
        call = _matching_calls(scope, or_(Cdr.extension == ext, Cdr.caller == ext,
                                          Cdr.callee == ext))  # fmt: skip
        where.append(or_(party, call))
    if wanted.number:
        where.append(_number(scope, wanted.number))
    return where + _lead_conditions(scope, wanted)


async def _hits(scope: TenantScope, rows: Sequence[CallRecording]) -> list[RecordingHit]:
    """Each recording with its CDR (by id, else by call id) and its lead attempt and lead."""
    cdr_ids = {r.cdr_id for r in rows if r.cdr_id is not None}
    call_ids = {r.call_id for r in rows if r.cdr_id is None}
    cdrs: Sequence[Cdr] = []
    if cdr_ids or call_ids:
        cdrs = await scope.list(Cdr, or_(Cdr.id.in_(cdr_ids), Cdr.call_id.in_(call_ids)))
    by_id = {c.id: c for c in cdrs}
    by_call = {c.call_id: c for c in cdrs}
    attempts: dict[str, LeadAttempt] = {}
    leads: dict[int, Lead] = {}
    if rows:
        found = await scope.list(
            LeadAttempt, LeadAttempt.call_id.in_({r.call_id for r in rows}), order_by=LeadAttempt.id
        )
        attempts = {a.call_id: a for a in found if a.call_id is not None}  # the latest wins
        lead_ids = {a.lead_id for a in attempts.values()}
        if lead_ids:
            leads = {lead.id: lead for lead in await scope.list(Lead, Lead.id.in_(lead_ids))}
    hits = []
    for r in rows:
        cdr = by_id.get(r.cdr_id) if r.cdr_id is not None else by_call.get(r.call_id)
        attempt = attempts.get(r.call_id)
        lead = leads.get(attempt.lead_id) if attempt is not None else None
        hits.append(RecordingHit(r, cdr, attempt, lead))
    return hits


async def search_recordings(
    scope: TenantScope,
    wanted: RecordingFilter,
    *,
    limit: int = 100,
    offset: int = 0,
    oldest_first: bool = False,
) -> tuple[int, list[RecordingHit]]:
    """(total, page) of the tenant's recordings matching `wanted`, newest first (or oldest
    registered first with `oldest_first`, the API listing's order), each with its CDR and, for
    a dialer call, its lead attempt and lead."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"a page has 1 to {MAX_LIMIT} recordings", field="limit")
    where = _conditions(scope, wanted)
    total = await scope.count(CallRecording, *where)
    stmt = scope.select(CallRecording, *where)
    if oldest_first:
        stmt = stmt.order_by(CallRecording.created_at, CallRecording.id)
    else:
        stmt = stmt.order_by(_when().desc(), CallRecording.id.desc())
    rows = (await scope.session.scalars(stmt.limit(limit).offset(offset))).all()
    return total, await _hits(scope, rows)
