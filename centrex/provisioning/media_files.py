"""A tenant's own audio: uploaded greetings, music on hold and IVR prompts (tenant-scoped).

Uploads go through one path whatever they are for: size check, sox conversion to telephone WAV
(8 kHz mono; WAV or MP3 in), duration limit per kind, quota check, then the row. A file that
fails any step is removed, so nothing half-stored remains.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from centrex.data.models import (
    CallFlow,
    CallQueue,
    GreetingKind,
    MediaFile,
    MediaKind,
    VoicemailBox,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError, Conflict, NotFound, ValidationFailed
from centrex.media.audio_files import AudioInfo, convert_upload, wav_info
from centrex.provisioning.flow_graph import media_references
from centrex.provisioning.storage import MediaStore, check_quota

MAX_SECONDS: Mapping[MediaKind, float] = {
    MediaKind.GREETING: 120.0,
    MediaKind.PROMPT: 300.0,
    MediaKind.MOH: 900.0,
}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise ValidationFailed("a name of 1 to 200 characters is needed", field="name")
    return clean


async def _store(
    scope: TenantScope,
    store: MediaStore,
    *,
    kind: MediaKind,
    name: str,
    info: AudioInfo,
    relative: str,
    mailbox_id: int | None = None,
    greeting: GreetingKind | None = None,
) -> MediaFile:
    try:
        await check_quota(scope, info.size_bytes)
    except Exception:
        store.remove(relative)
        raise
    media = scope.add(
        MediaFile(
            kind=kind,
            name=name,
            path=relative,
            duration_ms=info.duration_ms,
            size_bytes=info.size_bytes,
            mailbox_id=mailbox_id,
            greeting=greeting,
        )
    )
    await scope.session.flush()
    return media


async def upload_media(
    scope: TenantScope,
    store: MediaStore,
    data: bytes,
    *,
    kind: MediaKind,
    name: str,
    mailbox_id: int | None = None,
    greeting: GreetingKind | None = None,
) -> MediaFile:
    """Convert and keep an uploaded WAV/MP3. For a greeting, any previous one is replaced."""
    name = _name(name)
    if kind is MediaKind.GREETING:
        if mailbox_id is None or greeting is None:
            raise ValidationFailed(
                "a greeting needs a mailbox and a greeting kind", field="greeting"
            )
        await scope.get(VoicemailBox, mailbox_id)
    elif mailbox_id is not None or greeting is not None:
        raise ValidationFailed("only greetings belong to a mailbox", field="mailbox_id")
    relative, absolute = store.new_file(scope.tenant_id, "media")
    info = await convert_upload(
        data, absolute, max_bytes=MAX_UPLOAD_BYTES, max_seconds=MAX_SECONDS[kind]
    )
    if kind is MediaKind.GREETING:
        await _drop_greeting(scope, store, mailbox_id, greeting)
    return await _store(
        scope,
        store,
        kind=kind,
        name=name,
        info=info,
        relative=relative,
        mailbox_id=mailbox_id,
        greeting=greeting,
    )


async def store_recorded_greeting(
    scope: TenantScope,
    store: MediaStore,
    mailbox: VoicemailBox,
    greeting: GreetingKind,
    recorded: Path,
) -> MediaFile:
    """Keep a greeting the owner recorded on the phone (already telephone WAV)."""
    if mailbox.tenant_id != scope.tenant_id:
        raise NotFound("mailbox not found", error_id="mailbox-not-found")
    relative, absolute = store.new_file(scope.tenant_id, "media")
    shutil.move(recorded, absolute)
    info = wav_info(absolute)
    await _drop_greeting(scope, store, mailbox.id, greeting)
    return await _store(
        scope,
        store,
        kind=MediaKind.GREETING,
        name=f"{greeting.value} greeting",
        info=info,
        relative=relative,
        mailbox_id=mailbox.id,
        greeting=greeting,
    )


async def _drop_greeting(
    scope: TenantScope, store: MediaStore, mailbox_id: int | None, greeting: GreetingKind | None
) -> None:
    old = await scope.first(
        MediaFile, MediaFile.mailbox_id == mailbox_id, MediaFile.greeting == greeting
    )
    if old is not None:
        store.remove(old.path)
        await scope.remove(old)
        await scope.session.flush()


async def list_media(scope: TenantScope, kind: MediaKind | None = None) -> Sequence[MediaFile]:
    where = [] if kind is None else [MediaFile.kind == kind]
    return await scope.list(MediaFile, *where)


async def get_media(scope: TenantScope, media_id: int) -> MediaFile:
    media = await scope.first(MediaFile, MediaFile.id == media_id)
    if media is None:
        raise NotFound(f"media file {media_id} not found", error_id="media-not-found")
    return media


async def rename_media(scope: TenantScope, media_id: int, name: str) -> MediaFile:
    media = await get_media(scope, media_id)
    media.name = _name(name)
    await scope.session.flush()
    return media


async def delete_media(scope: TenantScope, store: MediaStore, media_id: int) -> None:
    """Delete a media file, unless one of the tenant's call flows plays it or a queue plays it
    as its music (409 `media-in-use`: a flow with a missing prompt would fail callers at run
    time, not the admin now; a queue would silently fall back to the default music)."""
    media = await get_media(scope, media_id)
    users = [flow.name for flow in await scope.list(CallFlow) if media.id in _played_by(flow.graph)]
    queues = await scope.list(CallQueue, CallQueue.moh_id == media.id)
    if queues:
        names = ", ".join(q.number for q in queues)
        raise MediaInUse(f"media {media.id} is the music on hold of queue(s): {names}")
    if users:
        raise MediaInUse(f"media {media.id} is played by call flow(s): {', '.join(users)}")
    store.remove(media.path)
    await scope.remove(media)
    await scope.session.flush()


class MediaInUse(Conflict):
    error_id = "media-in-use"


def _played_by(graph: Mapping[str, object]) -> set[int]:
    """Media ids a stored flow plays (a stored flow that no longer parses plays nothing known)."""
    try:
        return media_references(graph)
    except CentrexError:
        return set()


async def greeting_file(
    scope: TenantScope, store: MediaStore, mailbox_id: int, greeting: GreetingKind
) -> Path | None:
    """The mailbox's own greeting of this kind, or None (the caller gets the default)."""
    media = await scope.first(
        MediaFile, MediaFile.mailbox_id == mailbox_id, MediaFile.greeting == greeting
    )
    return None if media is None else store.resolve(media.path)


async def media_path(scope: TenantScope, store: MediaStore, media_id: int) -> Path:
    """The file of one of the tenant's media files (for playing or downloading)."""
    return store.resolve((await get_media(scope, media_id)).path)
