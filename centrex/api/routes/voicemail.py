"""/api/v1/voicemail: mailboxes, their messages (list, download, mark, delete) and greetings.

A plain user reaches only the mailboxes of its own extensions; an administrator reaches every
mailbox of the tenant. Audio is served as `audio/wav` downloads. The PIN is write-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Principal, Scope, own_extension_ids, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import IdPath, Strict
from centrex.api.services import ApiServices
from centrex.data.models import AttachmentFormat, GreetingKind, MediaFile, MediaKind, VoicemailBox
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import media_files
from centrex.provisioning import voicemail as service
from centrex.provisioning.storage import MediaStore

router = APIRouter(prefix="/api/v1/voicemail", tags=["voicemail"], responses=PROBLEM_RESPONSES)

Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,10}$")]
ExtNumber = Annotated[str, StringConstraints(min_length=2, max_length=5, pattern=r"^[0-9]+$")]
MAX_UPLOAD_BYTES = media_files.MAX_UPLOAD_BYTES
# Upload and quota failures of audio files, documented like the shared problem responses.
AUDIO_RESPONSES: dict[int | str, dict[str, Any]] = {
    415: {**PROBLEM_RESPONSES[422], "description": "Not a WAV or MP3 file"},
    507: {**PROBLEM_RESPONSES[422], "description": "Storage quota of the tenant is full"},
}


def media_store(request: Request) -> MediaStore:
    """The file store `server.py` passed to `create_app(media_store=...)`."""
    services: ApiServices = request.app.state.services
    return services.media_store


Store = Annotated[MediaStore, Depends(media_store)]


class MailboxIn(Strict):
    extension: ExtNumber
    pin: Pin
    email_enabled: bool = True
    attachment_format: Literal["wav", "mp3"] = "wav"
    max_message_seconds: Annotated[int, Field(ge=10, le=900)] = 180
    max_messages: Annotated[int, Field(ge=1, le=1000)] = 100


class MailboxPatch(Strict):
    pin: Pin | None = None
    enabled: bool | None = None
    email_enabled: bool | None = None
    attachment_format: Literal["wav", "mp3"] | None = None
    max_message_seconds: Annotated[int, Field(ge=10, le=900)] | None = None
    max_messages: Annotated[int, Field(ge=1, le=1000)] | None = None


class MailboxOut(BaseModel):
    id: int
    extension_id: int
    extension: str | None
    enabled: bool
    email_enabled: bool
    attachment_format: str
    max_message_seconds: int
    max_messages: int


class MessagePatch(Strict):
    heard: bool | None = None
    saved: bool | None = None


class MessageOut(BaseModel):
    id: int
    mailbox_id: int
    caller: str
    caller_name: str
    duration_ms: int
    size_bytes: int
    heard: bool
    saved: bool
    urgent: bool
    created_at: str


class MediaOut(BaseModel):
    id: int
    kind: str
    name: str
    duration_ms: int
    size_bytes: int
    mailbox_id: int | None
    greeting: str | None


def media_view(media: MediaFile) -> dict[str, Any]:
    return {
        "id": media.id,
        "kind": media.kind.value,
        "name": media.name,
        "duration_ms": media.duration_ms,
        "size_bytes": media.size_bytes,
        "mailbox_id": media.mailbox_id,
        "greeting": media.greeting.value if media.greeting else None,
    }


async def _box(scope: TenantScope, caller: Principal, mailbox_id: int) -> VoicemailBox:
    """The mailbox if this caller may reach it; 404 otherwise (never 403)."""
    box = await service.get_mailbox(scope, mailbox_id)
    mine = await own_extension_ids(scope, caller)
    if mine is not None and box.extension_id not in mine:
        raise NotFound(f"mailbox {mailbox_id} not found", error_id="mailbox-not-found")
    return box


async def _view(scope: TenantScope, box: VoicemailBox) -> dict[str, Any]:
    extension = await service.mailbox_extension(scope, box)
    return service.mailbox_view(box, extension.number)


@router.get("/boxes", response_model=Page[MailboxOut])
async def list_mailboxes(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    mine = await own_extension_ids(scope, caller)
    views = [
        await _view(scope, box)
        for box in await service.list_mailboxes(scope)
        if mine is None or box.extension_id in mine
    ]
    return paginate(
        views, query, orders=("id", "extension"), default="extension", searchable=("extension",)
    )


@router.post("/boxes", status_code=201, response_model=MailboxOut)
async def create_mailbox(
    body: MailboxIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    box = await service.create_mailbox(
        scope,
        extension=body.extension,
        pin=body.pin,
        email_enabled=body.email_enabled,
        attachment_format=AttachmentFormat(body.attachment_format),
        max_message_seconds=body.max_message_seconds,
        max_messages=body.max_messages,
    )
    response.headers["Location"] = f"/api/v1/voicemail/boxes/{box.id}"
    return await _view(scope, box)


@router.get("/boxes/{mailbox_id}", response_model=MailboxOut)
async def get_mailbox(mailbox_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    return await _view(scope, await _box(scope, caller, mailbox_id))


@router.patch("/boxes/{mailbox_id}", response_model=MailboxOut)
async def update_mailbox(
    mailbox_id: IdPath, body: MailboxPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Owners may change their PIN and e-mail settings; limits need an administrator."""
    box = await _box(scope, caller, mailbox_id)
    if (
        body.max_messages is not None
        or body.max_message_seconds is not None
        or body.enabled is not None
    ):
        require_tenant_admin(caller)
    box = await service.update_mailbox(
        scope,
        box.id,
        pin=body.pin,
        enabled=body.enabled,
        email_enabled=body.email_enabled,
        attachment_format=AttachmentFormat(body.attachment_format)
        if body.attachment_format
        else None,
        max_message_seconds=body.max_message_seconds,
        max_messages=body.max_messages,
    )
    return await _view(scope, box)


@router.delete("/boxes/{mailbox_id}", status_code=204)
async def delete_mailbox(
    mailbox_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    require_tenant_admin(caller)
    box = await _box(scope, caller, mailbox_id)
    await service.delete_mailbox(scope, store, box.id)
    return Response(status_code=204)


@router.get("/boxes/{mailbox_id}/messages", response_model=Page[MessageOut])
async def list_messages(
    mailbox_id: IdPath,
    scope: Scope,
    caller: Caller,
    query: Listing,
    folder: Annotated[Literal["all", "new", "old"], Query()] = "all",
) -> dict[str, Any]:
    box = await _box(scope, caller, mailbox_id)
    page = await service.list_messages(scope, box.id, folder=folder)
    views = [service.message_view(m) for m in page.items]
    return paginate(
        views,
        query,
        orders=("id", "created_at", "caller", "duration_ms"),
        default="id",
        searchable=("caller", "caller_name"),
    )


async def _message(scope: TenantScope, caller: Principal, message_id: int) -> Any:
    message = await service.get_message(scope, message_id)
    try:
        await _box(scope, caller, message.mailbox_id)
    except NotFound:
        raise NotFound(f"message {message_id} not found", error_id="message-not-found") from None
    return message


@router.get("/messages/{message_id}", response_model=MessageOut)
async def get_message(message_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    return service.message_view(await _message(scope, caller, message_id))


@router.get(
    "/messages/{message_id}/audio",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "the message as WAV"}},
)
async def download_message(
    message_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> FileResponse:
    message = await _message(scope, caller, message_id)
    path: Path = store.resolve(message.path)
    return FileResponse(path, media_type="audio/wav", filename=f"voicemail-{message.id}.wav")


@router.patch("/messages/{message_id}", response_model=MessageOut)
async def update_message(
    message_id: IdPath, body: MessagePatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    message = await _message(scope, caller, message_id)
    updated = await service.update_message(scope, message.id, heard=body.heard, saved=body.saved)
    return service.message_view(updated)


@router.delete("/messages/{message_id}", status_code=204)
async def delete_message(
    message_id: IdPath, scope: Scope, caller: Caller, store: Store
) -> Response:
    message = await _message(scope, caller, message_id)
    await service.delete_message(scope, store, message.id)
    return Response(status_code=204)


@router.put(
    "/boxes/{mailbox_id}/greetings/{greeting}", response_model=MediaOut, responses=AUDIO_RESPONSES
)
async def upload_greeting(
    mailbox_id: IdPath,
    greeting: Literal["busy", "no-answer", "unavailable"],
    file: UploadFile,
    scope: Scope,
    caller: Caller,
    store: Store,
) -> dict[str, Any]:
    """Upload a WAV or MP3 greeting (converted to 8 kHz mono); replaces the previous one."""
    box = await _box(scope, caller, mailbox_id)
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ValidationFailed("the uploaded file is empty", error_id="audio-broken", field="file")
    media = await media_files.upload_media(
        scope,
        store,
        data,
        kind=MediaKind.GREETING,
        name=file.filename or f"{greeting} greeting",
        mailbox_id=box.id,
        greeting=GreetingKind(greeting),
    )
    return media_view(media)
