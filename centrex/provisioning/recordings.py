"""Call recordings (tenant-scoped): the recorder (media layer) writes the file, the call layer
registers it here when the call ends; the portal, the API and retention list, fetch and delete.

Registration counts the file against the tenant's storage quota; when the quota is full the
file is deleted and `QuotaExceeded` raised, so a full tenant cannot grow without bound. Listing
is retention-friendly: ordered by creation time with an optional `before` cut-off, so a
retention job can page through "older than N days" and delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement

from centrex.data.models import CallRecording, Cdr, RecordingLayout
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from centrex.media.audio_files import discard, wav_info
from centrex.provisioning.storage import MediaStore, QuotaExceeded, check_quota


async def register_recording(
    scope: TenantScope,
    store: MediaStore,
    *,
    call_id: str,
    path: Path,
    now: datetime,
    layout: RecordingLayout = RecordingLayout.MIXED,
    party: str | None = None,
    cdr_id: int | None = None,
    started_at: datetime | None = None,
) -> CallRecording:
    """Record that a finished recording file exists (duration and size read from the WAV)."""
    if not call_id:
        raise ValidationFailed("a recording needs the call id", field="call_id")
    if layout is RecordingLayout.PER_PARTY and not party:
        raise ValidationFailed("a per-party recording names its party", field="party")
    if cdr_id is not None and await scope.first(Cdr, Cdr.id == cdr_id) is None:
        raise NotFound(f"CDR {cdr_id} not found", error_id="cdr-not-found")
    try:
        info = wav_info(path)
    except (OSError, EOFError) as exc:
        raise ValidationFailed(f"recording file unreadable: {exc}", field="path") from exc
    try:
        await check_quota(scope, info.size_bytes)
    except QuotaExceeded:
        discard(path)
        raise
    recording = scope.add(
        CallRecording(
            call_id=call_id,
            cdr_id=cdr_id,
            layout=layout,
            party=party,
            path=store.relative(path),
            duration_ms=info.duration_ms,
            size_bytes=info.size_bytes,
            started_at=started_at,
            created_at=now,
        )
    )
    await scope.session.flush()
    return recording


async def list_recordings(
    scope: TenantScope,
    *,
    call_id: str | None = None,
    cdr_id: int | None = None,
    before: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, Sequence[CallRecording]]:
    """(total, page) oldest first; `before` selects recordings created earlier (retention)."""
    where: list[ColumnElement[bool]] = []
    if call_id is not None:
        where.append(CallRecording.call_id == call_id)
    if cdr_id is not None:
        where.append(CallRecording.cdr_id == cdr_id)
    if before is not None:
        where.append(CallRecording.created_at < before)
    total = await scope.count(CallRecording, *where)
    items = await scope.list(
        CallRecording, *where, order_by=CallRecording.created_at, limit=limit, offset=offset
    )
    return total, items


async def get_recording(scope: TenantScope, recording_id: int) -> CallRecording:
    recording = await scope.first(CallRecording, CallRecording.id == recording_id)
    if recording is None:
        raise NotFound(f"recording {recording_id} not found", error_id="recording-not-found")
    return recording


async def recording_file(scope: TenantScope, store: MediaStore, recording_id: int) -> Path:
    return store.resolve((await get_recording(scope, recording_id)).path)


async def update_recording(
    scope: TenantScope, recording_id: int, *, cdr_id: int | None = None
) -> CallRecording:
    """Attach a recording to its CDR once the CDR is written (the only editable link)."""
    recording = await get_recording(scope, recording_id)
    if cdr_id is not None:
        if await scope.first(Cdr, Cdr.id == cdr_id) is None:
            raise NotFound(f"CDR {cdr_id} not found", error_id="cdr-not-found")
        recording.cdr_id = cdr_id
    await scope.session.flush()
    return recording


async def delete_recording(scope: TenantScope, store: MediaStore, recording_id: int) -> None:
    recording = await get_recording(scope, recording_id)
    store.remove(recording.path)
    await scope.remove(recording)
    await scope.session.flush()


def recording_view(recording: CallRecording) -> dict[str, Any]:
    return {
        "id": recording.id,
        "call_id": recording.call_id,
        "cdr_id": recording.cdr_id,
        "layout": recording.layout.value,
        "party": recording.party,
        "duration_ms": recording.duration_ms,
        "size_bytes": recording.size_bytes,
        "started_at": recording.started_at.isoformat() if recording.started_at else None,
        "created_at": recording.created_at.isoformat(),
    }
