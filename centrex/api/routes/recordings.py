"""/api/v1/recordings: call recordings of a tenant (list, read, download, delete).

Recordings are registered by the call layer when a recorded call ends (not through the API).
`before` lists recordings older than a time, which is what a retention clean-up pages through.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import AwareDatetime, BaseModel

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Page
from centrex.api.routes.voicemail import Store
from centrex.api.schemas import IdPath, RefId
from centrex.provisioning import recordings as service

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"], responses=PROBLEM_RESPONSES)


class RecordingOut(BaseModel):
    id: int
    call_id: str
    cdr_id: int | None
    layout: str
    party: str | None
    duration_ms: int
    size_bytes: int
    started_at: str | None
    created_at: str


@router.get("", response_model=Page[RecordingOut])
async def list_recordings(
    scope: Scope,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    call_id: Annotated[str | None, Query(max_length=255)] = None,
    cdr_id: Annotated[RefId | None, Query()] = None,
    before: Annotated[AwareDatetime | None, Query()] = None,
) -> dict[str, Any]:
    """Oldest first, paged in SQL (recordings grow without bound, like CDRs)."""
    require_tenant_admin(caller)
    total, items = await service.list_recordings(
        scope, call_id=call_id, cdr_id=cdr_id, before=before, limit=limit, offset=offset
    )
    return {"total": total, "items": [service.recording_view(r) for r in items]}


@router.get("/{recording_id}", response_model=RecordingOut)
async def get_recording(recording_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return service.recording_view(await service.get_recording(scope, recording_id))


@router.get(
    "/{recording_id}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the recording as WAV"}},
)
async def download_recording(
    recording_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> FileResponse:
    require_tenant_admin(caller)
    path = await service.recording_file(scope, store, recording_id)
    return FileResponse(path, media_type="audio/wav", filename=f"recording-{recording_id}.wav")


@router.delete("/{recording_id}", status_code=204)
async def delete_recording(
    recording_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    require_tenant_admin(caller)
    await service.delete_recording(scope, store, recording_id)
    return Response(status_code=204)
