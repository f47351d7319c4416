"""Portal page for a tenant's own audio: music on hold and IVR prompts (greetings belong to their
mailbox and live on the voicemail pages).

Uploads go through `provisioning.media_files.upload_media`, the service behind /api/v1/media:
its checks (size, WAV/MP3 by content, decodable by sox, duration per kind, storage quota) and
their messages are shown as they are, and a refused file leaves nothing behind. Deleting goes
through the service too, so whatever it refuses is refused here with its message.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from centrex.data.models import MediaKind
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import media_files as service
from centrex.web.audio_common import (
    attempt,
    duration_text,
    read_upload,
    require_admin,
    size_text,
    storage_view,
    t_of,
    upload_form,
    wav_response,
)
from centrex.web.portal import PageContext, check_csrf, page, render

router = APIRouter(include_in_schema=False)

# What this page manages, in the order shown (greetings are per mailbox: voicemail pages).
KINDS = (MediaKind.MOH, MediaKind.PROMPT)


def _kind(text: str) -> MediaKind:
    if text not in {k.value for k in KINDS}:
        raise ValidationFailed("choose music on hold or a prompt", field="kind")
    return MediaKind(text)


async def _own_media(ctx: PageContext, media_id: int) -> Any:
    """One of the tenant's MOH or prompt files, else 404 (a greeting is its mailbox's)."""
    media = await service.get_media(ctx.scope, media_id)
    if media.kind not in KINDS:
        raise NotFound(f"media file {media_id} not found", error_id="media-not-found")
    return media


async def _media_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    sections = []
    for media_kind in KINDS:
        files = [
            {
                "id": m.id,
                "name": m.name,
                "duration": duration_text(m.duration_ms),
                "size": size_text(m.size_bytes),
            }
            for m in await service.list_media(ctx.scope, media_kind)
        ]
        sections.append({"kind": media_kind.value, "files": files,
                         "max_seconds": int(service.MAX_SECONDS[media_kind])})  # fmt: skip
    return render(
        ctx.request,
        "media.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        sections=sections,
        max_upload_mb=service.MAX_UPLOAD_BYTES // (1024 * 1024),
        storage=await storage_view(ctx),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/media")
async def media_list(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _media_page(ctx)


@router.post("/tenant/media")
async def media_upload(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        async with upload_form(ctx) as form:

            async def work() -> str:
                media_kind = _kind(form.get("kind", ""))
                filename, data = await read_upload(request)
                name = form.get("name", "").strip() or filename
                media = await service.upload_media(
                    ctx.scope, ctx.services.media_store, data, kind=media_kind, name=name
                )
                return t_of(ctx)("media.uploaded", name=media.name)

            flash, kind = await attempt(ctx, work)
        return await _media_page(ctx, flash, kind)


@router.get("/tenant/media/{media_id}/audio")
async def media_audio(request: Request, media_id: int) -> FileResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        media = await _own_media(ctx, media_id)
        path = ctx.services.media_store.resolve(media.path)
        download = request.query_params.get("download") == "1"
        return wav_response(path, f"media-{media.id}.wav", download=download)


@router.post("/tenant/media/{media_id}/rename")
async def media_rename(request: Request, media_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        media = await _own_media(ctx, media_id)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            renamed = await service.rename_media(ctx.scope, media.id, form.get("name", ""))
            return t_of(ctx)("media.renamed", name=renamed.name)

        flash, kind = await attempt(ctx, work)
        return await _media_page(ctx, flash, kind)


@router.post("/tenant/media/{media_id}/delete")
async def media_delete(request: Request, media_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        media = await _own_media(ctx, media_id)
        await check_csrf(request, ctx.principal)
        name = media.name

        async def work() -> str:
            await service.delete_media(ctx.scope, ctx.services.media_store, media.id)
            return t_of(ctx)("media.deleted", name=name)

        flash, kind = await attempt(ctx, work)
        return await _media_page(ctx, flash, kind)
