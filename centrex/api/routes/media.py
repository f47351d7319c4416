"""/api/v1/media: a tenant's own audio files — music on hold and IVR prompts (greetings are
uploaded per mailbox under /api/v1/voicemail). Uploads are WAV or MP3, converted to 8 kHz mono
with sox; broken, unsupported, too long or over-quota files are refused with a clear error_id.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.routes.voicemail import (
    AUDIO_RESPONSES,
    MAX_UPLOAD_BYTES,
    MediaOut,
    Store,
    media_view,
)
from centrex.api.schemas import IdPath, Name, Strict
from centrex.data.models import MediaKind
from centrex.errors import ValidationFailed
from centrex.provisioning import media_files as service

router = APIRouter(prefix="/api/v1/media", tags=["media"], responses=PROBLEM_RESPONSES)


class MediaPatch(Strict):
    name: Name


@router.get("", response_model=Page[MediaOut])
async def list_media(
    scope: Scope,
    caller: Caller,
    query: Listing,
    kind: Annotated[Literal["moh", "prompt", "greeting"] | None, Query()] = None,
) -> dict[str, Any]:
    require_tenant_admin(caller)
    items = await service.list_media(scope, MediaKind(kind) if kind else None)
    return paginate(
        [media_view(m) for m in items],
        query,
        orders=("id", "name", "kind", "duration_ms"),
        default="id",
        searchable=("name",),
    )


@router.post("", status_code=201, response_model=MediaOut, responses=AUDIO_RESPONSES)
async def upload_media(
    file: UploadFile,
    kind: Annotated[Literal["moh", "prompt"], Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    scope: Scope,
    caller: Caller,
    store: Store,
    response: Response,
) -> dict[str, Any]:
    """Upload music on hold (`moh`) or an IVR prompt (`prompt`, played with {"media": id})."""
    require_tenant_admin(caller)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ValidationFailed("the uploaded file is empty", error_id="audio-broken", field="file")
    media = await service.upload_media(scope, store, data, kind=MediaKind(kind), name=name)
    response.headers["Location"] = f"/api/v1/media/{media.id}"
    return media_view(media)


@router.get("/{media_id}", response_model=MediaOut)
async def get_media(media_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    return media_view(await service.get_media(scope, media_id))


@router.get(
    "/{media_id}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the file as WAV"}},
)
async def download_media(
    media_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> FileResponse:
    require_tenant_admin(caller)
    path = await service.media_path(scope, store, media_id)
    return FileResponse(path, media_type="audio/wav", filename=f"media-{media_id}.wav")


@router.patch("/{media_id}", response_model=MediaOut)
async def rename_media(
    media_id: IdPath, body: MediaPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    require_tenant_admin(caller)
    return media_view(await service.rename_media(scope, media_id, body.name))


@router.delete("/{media_id}", status_code=204)
async def delete_media(media_id: IdPath, scope: Scope, caller: Caller, store: Store) -> Response:
    require_tenant_admin(caller)
    await service.delete_media(scope, store, media_id)
    return Response(status_code=204)
