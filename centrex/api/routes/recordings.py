"""/api/v1/recordings: call recordings of a tenant (list, read, download, delete).

Recordings are registered by the call layer when a recorded call ends (not through the API).
`before` lists recordings older than a time, which is what a retention clean-up pages through.
The supervisor's search (issue 16): `lead`, `number` (part of the caller's, callee's or lead's
number), `name` (part of the lead's name), `campaign`, `disposition` (the code the agent gave
the call) and `since`/`until` (when the recording started), matched through the dialer's lead
attempts (`provisioning.recording_search`); another tenant's lead or campaign id finds nothing,
like another tenant's CDR id. Tenant administrators and supervisors read; only administrators
delete.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import AwareDatetime, BaseModel, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Page
from centrex.api.routes.voicemail import Store
from centrex.api.schemas import NO_CONTROL, IdPath, RefId
from centrex.api.supervision import require_supervisor
from centrex.provisioning import recordings as service
from centrex.provisioning.recording_search import RecordingFilter, RecordingHit, search_recordings

router = APIRouter(prefix="/api/v1/recordings", tags=["recordings"], responses=PROBLEM_RESPONSES)

SearchText = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
NumberText = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9 +().-]+$")
]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)]


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
    caller: str | None = None  # from the call's CDR
    callee: str | None = None
    lead_id: int | None = None  # a dialer call: its lead attempt and lead
    lead_name: str | None = None
    lead_number: str | None = None
    campaign_id: int | None = None
    disposition: str | None = None


def _view(hit: RecordingHit) -> dict[str, Any]:
    view = service.recording_view(hit.recording)
    if hit.cdr is not None:
        view.update(caller=hit.cdr.caller, callee=hit.cdr.callee)
    if hit.attempt is not None:
        view.update(campaign_id=hit.attempt.campaign_id, disposition=hit.attempt.disposition,
                    lead_id=hit.attempt.lead_id)  # fmt: skip
    if hit.lead is not None:
        view.update(lead_name=hit.lead.name, lead_number=hit.lead.number)
    return view


@router.get("", response_model=Page[RecordingOut])
async def list_recordings(
    scope: Scope,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    call_id: Annotated[str | None, Query(max_length=255)] = None,
    cdr_id: Annotated[RefId | None, Query()] = None,
    before: Annotated[AwareDatetime | None, Query()] = None,
    lead: Annotated[RefId | None, Query()] = None,
    number: Annotated[NumberText | None, Query()] = None,
    name: Annotated[SearchText | None, Query()] = None,
    campaign: Annotated[RefId | None, Query()] = None,
    disposition: Annotated[Code | None, Query()] = None,
    since: Annotated[AwareDatetime | None, Query()] = None,
    until: Annotated[AwareDatetime | None, Query()] = None,
) -> dict[str, Any]:
    """Oldest first, paged in SQL (recordings grow without bound, like CDRs)."""
    require_supervisor(caller)
    wanted = RecordingFilter(
        since=since, until=until, number=number, lead_id=lead, name=name, campaign_id=campaign,
        disposition=disposition, call_id=call_id, cdr_id=cdr_id, before=before,
    )  # fmt: skip
    total, hits = await search_recordings(
        scope, wanted, limit=limit, offset=offset, oldest_first=True
    )
    return {"total": total, "items": [_view(h) for h in hits]}


@router.get("/{recording_id}", response_model=RecordingOut)
async def get_recording(recording_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_supervisor(caller)
    return service.recording_view(await service.get_recording(scope, recording_id))


@router.get(
    "/{recording_id}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the recording as WAV"}},
)
async def download_recording(
    recording_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> FileResponse:
    require_supervisor(caller)
    path = await service.recording_file(scope, store, recording_id)
    return FileResponse(path, media_type="audio/wav", filename=f"recording-{recording_id}.wav")


@router.delete("/{recording_id}", status_code=204)
async def delete_recording(
    recording_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    require_tenant_admin(caller)
    await service.delete_recording(scope, store, recording_id)
    return Response(status_code=204)
