"""Portal page for a tenant's call recordings: search (period, extension, number, minimum
duration), play in the browser, download, delete, and the storage they take against the quota.

The search is `provisioning.recording_search`; reading, serving and deleting a recording are
`provisioning.recordings`, the service behind /api/v1/recordings. The filter form is a GET, so a
search is a link that can be shared or reloaded; days are whole UTC days like the CDR page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from centrex.errors import ValidationFailed
from centrex.provisioning import recordings as service
from centrex.provisioning.recording_search import RecordingFilter, RecordingHit, search_recordings
from centrex.web.audio_common import (
    attempt,
    duration_text,
    require_admin,
    size_text,
    storage_view,
    t_of,
    wav_response,
)
from centrex.web.portal import PageContext, check_csrf, page, render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 100
FIELDS = ("since", "until", "extension", "number", "min_seconds")


def _day(name: str, text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(f"{name} is not a date (YYYY-MM-DD)", field=name) from None


def _filter(raw: dict[str, str]) -> RecordingFilter:
    """The search form's values as a filter (the service checks what they mean)."""
    minimum = raw.get("min_seconds", "")
    try:
        min_seconds = int(minimum) if minimum else 0
    except ValueError:
        raise ValidationFailed("the minimum duration is a number of seconds",
                               field="min_seconds") from None  # fmt: skip
    return RecordingFilter(
        since=_day("since", raw["since"]) if raw.get("since") else None,
        until=_day("until", raw["until"]) + timedelta(days=1) if raw.get("until") else None,
        extension=raw.get("extension") or None,
        number=raw.get("number") or None,
        min_seconds=min_seconds,
    )


def _row(hit: RecordingHit) -> dict[str, Any]:
    r, cdr = hit.recording, hit.cdr
    when = r.started_at or r.created_at
    return {
        "id": r.id,
        "when": when.strftime("%Y-%m-%d %H:%M:%S"),
        "caller": cdr.caller if cdr else "",
        "callee": cdr.callee if cdr else "",
        "extension": (cdr.extension if cdr else None) or "",
        "party": r.party or "",
        "layout": r.layout.value,
        "duration": duration_text(r.duration_ms),
        "size": size_text(r.size_bytes),
    }


async def _recordings_page(
    ctx: PageContext, raw: dict[str, str], flash: str = "", kind: str = "ok"
) -> HTMLResponse:
    rows: list[dict[str, Any]] = []
    total = 0
    status = 200
    try:
        async with ctx.session.begin_nested():
            total, hits = await search_recordings(ctx.scope, _filter(raw), limit=PAGE_SIZE)
        rows = [_row(h) for h in hits]
    except ValidationFailed as exc:
        flash, kind, status = t_of(ctx)("error.generic", message=exc.message), "error", 422
    return render(
        ctx.request,
        "recordings.html",
        ctx.principal,
        status_code=status,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        recordings=rows,
        total=total,
        shown=len(rows),
        f=raw,
        storage=await storage_view(ctx),
        flash=flash,
        flash_kind=kind,
    )


def _raw(values: Any) -> dict[str, str]:
    return {name: str(values.get(name, "")).strip()[:40] for name in FIELDS}


@router.get("/tenant/recordings")
async def recordings_search(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _recordings_page(ctx, _raw(request.query_params))


@router.get("/tenant/recordings/{recording_id}/audio")
async def recording_audio(request: Request, recording_id: int) -> FileResponse:
    """The WAV inline for the page's `<audio>`, or as an attachment with `?download=1`."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        path = await service.recording_file(ctx.scope, ctx.services.media_store, recording_id)
        download = request.query_params.get("download") == "1"
        return wav_response(path, f"recording-{recording_id}.wav", download=download)


@router.post("/tenant/recordings/{recording_id}/delete")
async def recording_delete(request: Request, recording_id: int) -> HTMLResponse:
    """Delete one recording (file and row); the page comes back with the same search."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        recording = await service.get_recording(ctx.scope, recording_id)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            await service.delete_recording(ctx.scope, ctx.services.media_store, recording.id)
            return t_of(ctx)("recordings.deleted", id=recording_id)

        flash, kind = await attempt(ctx, work)
        return await _recordings_page(ctx, _raw(form), flash, kind)
