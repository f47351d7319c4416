"""Portal pages for a tenant's voicemail boxes: the list, and one box with its settings, PIN,
greetings (upload, or record them by phone), and messages played in the browser.

Everything goes through `provisioning.voicemail` and `provisioning.media_files`, the services
behind /api/v1/voicemail: PIN rules, upload checks (size, WAV/MP3, decodable, duration, quota)
and their messages are theirs. A box, message or greeting is looked up through the tenant's
scope *before* any form work, so another tenant's id answers 404 and changes nothing. A PIN
exists in clear only in the answer to the form that set or generated it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from centrex.api.schemas import Email
from centrex.data.models import AttachmentFormat, GreetingKind, MediaFile, MediaKind, VoicemailBox
from centrex.errors import NotFound, ValidationFailed
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import feature_codes, media_files
from centrex.provisioning import voicemail as service
from centrex.web.audio_common import (
    attempt,
    duration_text,
    read_upload,
    require_admin,
    size_text,
    t_of,
    upload_form,
    wav_response,
)
from centrex.web.portal import PageContext, check_csrf, page, render

router = APIRouter(include_in_schema=False)

EMAIL = TypeAdapter(Email)  # the API's rule for an e-mail address, not a second one
GREETINGS = tuple(GreetingKind)
VOICEMAIL_FEATURE = "voicemail"  # the catalog name of the owner's mailbox code (*97)


def _greeting(kind: str) -> GreetingKind:
    try:
        return GreetingKind(kind)
    except ValueError:
        raise NotFound(f"no greeting {kind!r}", error_id="greeting-not-found") from None


def _flag(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def _int(form: dict[str, str], name: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(f"{name} must be a whole number", field=name) from None


def _format(text: str) -> AttachmentFormat:
    try:
        return AttachmentFormat(text)
    except ValueError:
        message = f"no attachment format {text!r}"
        raise ValidationFailed(message, field="attachment_format") from None


def _email(text: str) -> str:
    """'' (no address) or an address the API would accept too."""
    value = text.strip()
    if not value:
        return ""
    try:
        return EMAIL.validate_python(value)
    except PydanticError:
        raise ValidationFailed(f"{value!r} is not an e-mail address", field="email") from None


# ---------------------------------------------------------------- the list


async def _list_page(ctx: PageContext, flash: str = "", kind: str = "ok") -> HTMLResponse:
    extensions = {e.id: e for e in await extension_service.list_extensions(ctx.scope)}
    boxes = []
    for box in await service.list_mailboxes(ctx.scope):
        ext = extensions.get(box.extension_id)
        counts = await service.summary(ctx.scope, box)
        boxes.append({**service.mailbox_view(box, ext.number if ext else None),
                      "name": ext.display_name if ext else "", "email": ext.email if ext else None,
                      "new": counts.new, "old": counts.old})  # fmt: skip
    boxes.sort(key=lambda b: b["extension"] or "")
    with_box = {b["extension_id"] for b in boxes}
    free = [e.number for e in extensions.values() if e.id not in with_box]
    return render(
        ctx.request,
        "voicemail.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        boxes=boxes,
        free_extensions=sorted(free),
        formats=[f.value for f in AttachmentFormat],
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/voicemail")
async def voicemail_list(request: Request) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _list_page(ctx)


@router.post("/tenant/voicemail")
async def voicemail_create(request: Request) -> HTMLResponse:
    """A mailbox for an extension that has none; the PIN chosen, or generated and shown once."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            chosen = form.get("pin", "").strip()
            pin = chosen or service.generate_pin()
            box = await service.create_mailbox(
                ctx.scope,
                extension=form.get("extension", "").strip(),
                pin=pin,
                email_enabled=_flag(form, "email_enabled"),
                attachment_format=_format(form.get("attachment_format") or "wav"),
            )
            ext = await service.mailbox_extension(ctx.scope, box)
            t = t_of(ctx)
            done = t("voicemail.created", extension=ext.number)
            return done if chosen else f"{done} {t('voicemail.pin_shown', pin=pin)}"

        flash, kind = await attempt(ctx, work)
        return await _list_page(ctx, flash, kind)


# ---------------------------------------------------------------- one box


async def _greeting_rows(ctx: PageContext, box: VoicemailBox) -> list[dict[str, Any]]:
    rows = []
    for kind in GREETINGS:
        media = await ctx.scope.first(
            MediaFile, MediaFile.mailbox_id == box.id, MediaFile.greeting == kind
        )
        rows.append({"kind": kind.value, "media": None if media is None else {
            "id": media.id, "name": media.name, "duration": duration_text(media.duration_ms),
            "size": size_text(media.size_bytes)}})  # fmt: skip
    return rows


async def _box_page(
    ctx: PageContext, box: VoicemailBox, flash: str = "", kind: str = "ok"
) -> HTMLResponse:
    ext = await service.mailbox_extension(ctx.scope, box)
    messages = [
        {**service.message_view(m), "duration": duration_text(m.duration_ms)}
        for m in (await service.list_messages(ctx.scope, box.id)).items
    ]
    codes = {c["feature"]: c["code"] for c in await feature_codes.list_codes(ctx.scope)}
    return render(
        ctx.request,
        "voicemail_box.html",
        ctx.principal,
        tenant=ctx.tenant,
        tenant_query=ctx.tenant_query,
        box=service.mailbox_view(box, ext.number),
        ext={"number": ext.number, "name": ext.display_name, "email": ext.email or ""},
        greetings=await _greeting_rows(ctx, box),
        messages=messages,
        voicemail_code=codes.get(VOICEMAIL_FEATURE, ""),
        formats=[f.value for f in AttachmentFormat],
        max_upload_mb=media_files.MAX_UPLOAD_BYTES // (1024 * 1024),
        max_greeting_s=int(media_files.MAX_SECONDS[MediaKind.GREETING]),
        flash=flash,
        flash_kind=kind,
    )


@router.get("/tenant/voicemail/{box_id}")
async def voicemail_box(request: Request, box_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        return await _box_page(ctx, await service.get_mailbox(ctx.scope, box_id))


@router.post("/tenant/voicemail/{box_id}/settings")
async def voicemail_settings(request: Request, box_id: int) -> HTMLResponse:
    """The mailbox's e-mail (the extension's address: the box has none of its own), whether the
    message is attached and in which format, and its limits."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        box = await service.get_mailbox(ctx.scope, box_id)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            fmt = _format(form.get("attachment_format") or box.attachment_format.value)
            email = _email(form.get("email", ""))
            await service.update_mailbox(
                ctx.scope,
                box.id,
                enabled=_flag(form, "enabled"),
                email_enabled=_flag(form, "email_enabled"),
                attachment_format=fmt,
                max_message_seconds=_int(form, "max_message_seconds"),
                max_messages=_int(form, "max_messages"),
            )
            ext = await service.mailbox_extension(ctx.scope, box)
            await extension_service.update_extension(ctx.scope, ext, email=email)
            return t_of(ctx)("voicemail.saved", extension=ext.number)

        flash, kind = await attempt(ctx, work)
        return await _box_page(ctx, box, flash, kind)


@router.post("/tenant/voicemail/{box_id}/pin")
async def voicemail_pin(request: Request, box_id: int) -> HTMLResponse:
    """A new generated PIN (shown in this answer only), or the PIN the administrator typed."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        box = await service.get_mailbox(ctx.scope, box_id)
        form = await check_csrf(request, ctx.principal)

        async def work() -> str:
            t = t_of(ctx)
            if form.get("action") == "set":
                await service.update_mailbox(ctx.scope, box.id, pin=form.get("pin", "").strip())
                return t("voicemail.pin_set")
            pin = await service.reset_pin(ctx.scope, box.id)
            return t("voicemail.pin_reset", pin=pin)

        flash, kind = await attempt(ctx, work)
        return await _box_page(ctx, box, flash, kind)


@router.post("/tenant/voicemail/{box_id}/delete")
async def voicemail_delete(request: Request, box_id: int) -> HTMLResponse:
    """The mailbox with its messages and greetings, files included (the extension stays)."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        box = await service.get_mailbox(ctx.scope, box_id)
        await check_csrf(request, ctx.principal)
        number = (await service.mailbox_extension(ctx.scope, box)).number
        await service.delete_mailbox(ctx.scope, ctx.services.media_store, box.id)
        return await _list_page(ctx, t_of(ctx)("voicemail.deleted", extension=number))


# ---------------------------------------------------------------- greetings


@router.post("/tenant/voicemail/{box_id}/greetings/{kind}")
async def greeting_upload(request: Request, box_id: int, kind: str) -> HTMLResponse:
    """A WAV or MP3 greeting, checked and converted by the service; replaces the previous one."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        box = await service.get_mailbox(ctx.scope, box_id)
        greeting = _greeting(kind)

        async def work() -> str:
            filename, data = await read_upload(request)
            await media_files.upload_media(
                ctx.scope,
                ctx.services.media_store,
                data,
                kind=MediaKind.GREETING,
                name=filename or f"{greeting.value} greeting",
                mailbox_id=box.id,
                greeting=greeting,
            )
            t = t_of(ctx)
            return t("voicemail.greeting_saved", greeting=t(f"voicemail.greeting.{greeting.value}"))

        async with upload_form(ctx):
            flash, kind_ = await attempt(ctx, work)
        return await _box_page(ctx, box, flash, kind_)


async def _greeting_media(ctx: PageContext, box_id: int, kind: str) -> MediaFile:
    box = await service.get_mailbox(ctx.scope, box_id)
    greeting = _greeting(kind)
    media = await ctx.scope.first(
        MediaFile, MediaFile.mailbox_id == box.id, MediaFile.greeting == greeting
    )
    if media is None:
        raise NotFound(f"mailbox {box_id} has no {kind} greeting", error_id="greeting-not-found")
    return media


@router.get("/tenant/voicemail/{box_id}/greetings/{kind}/audio")
async def greeting_audio(request: Request, box_id: int, kind: str) -> FileResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        media = await _greeting_media(ctx, box_id, kind)
        path = ctx.services.media_store.resolve(media.path)
        return wav_response(path, f"greeting-{box_id}-{kind}.wav")


@router.post("/tenant/voicemail/{box_id}/greetings/{kind}/delete")
async def greeting_delete(request: Request, box_id: int, kind: str) -> HTMLResponse:
    """Back to the default greeting."""
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        media = await _greeting_media(ctx, box_id, kind)
        await check_csrf(request, ctx.principal)
        await media_files.delete_media(ctx.scope, ctx.services.media_store, media.id)
        box = await service.get_mailbox(ctx.scope, box_id)
        t = t_of(ctx)
        done = t("voicemail.greeting_deleted", greeting=t(f"voicemail.greeting.{kind}"))
        return await _box_page(ctx, box, done)


# ---------------------------------------------------------------- messages


async def _box_message(ctx: PageContext, box_id: int, message_id: int) -> Any:
    """The message if it is in this box of this tenant, else 404."""
    box = await service.get_mailbox(ctx.scope, box_id)
    message = await service.get_message(ctx.scope, message_id)
    if message.mailbox_id != box.id:
        raise NotFound(f"message {message_id} not found", error_id="message-not-found")
    return message


@router.get("/tenant/voicemail/{box_id}/messages/{message_id}/audio")
async def message_audio(request: Request, box_id: int, message_id: int) -> FileResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        message = await _box_message(ctx, box_id, message_id)
        path = ctx.services.media_store.resolve(message.path)
        download = request.query_params.get("download") == "1"
        return wav_response(path, f"voicemail-{message.id}.wav", download=download)


@router.post("/tenant/voicemail/{box_id}/messages/{message_id}/delete")
async def message_delete(request: Request, box_id: int, message_id: int) -> HTMLResponse:
    async with page(request, need_tenant=True) as ctx:
        require_admin(ctx)
        message = await _box_message(ctx, box_id, message_id)
        await check_csrf(request, ctx.principal)
        await service.delete_message(ctx.scope, ctx.services.media_store, message.id)
        box = await service.get_mailbox(ctx.scope, box_id)
        return await _box_page(ctx, box, t_of(ctx)("voicemail.message_deleted"))
