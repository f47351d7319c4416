"""Finding call recordings (tenant-scoped): by date, extension, number and minimum duration.

A recording row knows its call (call id, optionally its CDR) and, per-party, the party; who
called whom is on the CDR. So the extension and number filters match the tenant's CDRs of the
recording's call — joined by CDR id, or by call id for a recording whose CDR link was never set
— and, for the extension, also the recorded party. Both sub-queries are built through the
`TenantScope`, so another tenant's CDRs can never make a recording match. Paged in SQL, newest
first, as recordings grow without bound like CDRs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_

from centrex.data.models import CallRecording, Cdr
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

MAX_LIMIT = 1000


@dataclass(frozen=True)
class RecordingFilter:
    """What to look for; None (or 0) leaves a criterion out."""

    since: datetime | None = None  # started (or, without a start time, registered) at or after
    until: datetime | None = None  # ... before
    extension: str | None = None  # the call's extension, caller or callee, or the party
    number: str | None = None  # part of the caller's or callee's number
    min_seconds: int = 0


@dataclass(frozen=True)
class RecordingHit:
    recording: CallRecording
    cdr: Cdr | None


def _when() -> ColumnElement[datetime]:
    return func.coalesce(CallRecording.started_at, CallRecording.created_at)


def _matching_calls(scope: TenantScope, *where: ColumnElement[bool]) -> ColumnElement[bool]:
    """Recordings whose call has a CDR of this tenant matching `where`."""
    ids = scope.select(Cdr, *where).with_only_columns(Cdr.id)
    call_ids = scope.select(Cdr, *where).with_only_columns(Cdr.call_id)
    return or_(CallRecording.cdr_id.in_(ids), CallRecording.call_id.in_(call_ids))


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
        digits = "".join(ch for ch in wanted.number if ch.isdigit() or ch == "+")
        if not digits:
            raise ValidationFailed("a number has digits", field="number")
        pattern = f"%{digits}%"
        where.append(_matching_calls(scope, or_(Cdr.caller.like(pattern),
                                                Cdr.callee.like(pattern))))  # fmt: skip
    return where


async def search_recordings(
    scope: TenantScope, wanted: RecordingFilter, *, limit: int = 100, offset: int = 0
) -> tuple[int, list[RecordingHit]]:
    """(total, page) of the tenant's recordings matching `wanted`, newest first, each with its
    CDR when the recording is linked to one (by id, else by call id)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"a page has 1 to {MAX_LIMIT} recordings", field="limit")
    where = _conditions(scope, wanted)
    total = await scope.count(CallRecording, *where)
    stmt = scope.select(CallRecording, *where).order_by(_when().desc(), CallRecording.id.desc())
    rows = (await scope.session.scalars(stmt.limit(limit).offset(offset))).all()
    cdr_ids = {r.cdr_id for r in rows if r.cdr_id is not None}
    call_ids = {r.call_id for r in rows if r.cdr_id is None}
    cdrs: Sequence[Cdr] = []
    if cdr_ids or call_ids:
        cdrs = await scope.list(Cdr, or_(Cdr.id.in_(cdr_ids), Cdr.call_id.in_(call_ids)))
    by_id = {c.id: c for c in cdrs}
    by_call = {c.call_id: c for c in cdrs}
    hits = [
        RecordingHit(r, by_id.get(r.cdr_id) if r.cdr_id is not None else by_call.get(r.call_id))
        for r in rows
    ]
    return total, hits
