"""What the portal's audio pages share (voicemail, media, recordings): the admin check, a form's
work in a savepoint, reading an uploaded file, and answering a stored WAV to an `<audio>` element.

Audio is served by portal routes rather than the API's download routes: the page's session
cookie is what the browser sends with an `<audio src>`, and each route looks the file up through
the tenant's scope first, so another tenant's id is a 404 like everywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile

from centrex.errors import CentrexError, Forbidden, ValidationFailed
from centrex.provisioning.media_files import MAX_UPLOAD_BYTES
from centrex.provisioning.storage import MIB, usage
from centrex.web.i18n import Translate, translator
from centrex.web.portal import PageContext, check_csrf, language_for


def require_admin(ctx: PageContext) -> None:
    if not ctx.principal.is_tenant_admin:
        raise Forbidden("tenant administrators only")


def t_of(ctx: PageContext) -> Translate:
    return translator(language_for(ctx.request, ctx.principal))


async def attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok") or (the service's error, "error").

    A refused form changes nothing: the savepoint is rolled back with whatever it wrote.
    """
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        return t_of(ctx)("error.generic", message=exc.message), "error"


@asynccontextmanager
async def upload_form(ctx: PageContext) -> AsyncIterator[dict[str, str]]:
    """The posted multipart form's text fields after the CSRF check; its spooled files are
    closed when the block ends, whatever happened inside."""
    form = await ctx.request.form()
    try:
        yield await check_csrf(ctx.request, ctx.principal)
    finally:
        await form.close()


async def read_upload(request: Request, field: str = "file") -> tuple[str, bytes]:
    """(file name, bytes) of a posted file, read up to one byte over the service's limit so the
    service's size check can still say "too large" (as the API routes do)."""
    form = await request.form()
    item = form.get(field)
    if not isinstance(item, UploadFile):
        raise ValidationFailed("choose a WAV or MP3 file", error_id="audio-broken", field=field)
    data = await item.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ValidationFailed("the uploaded file is empty", error_id="audio-broken", field=field)
    return (item.filename or "").strip()[:200], data


def wav_response(path: Path, filename: str, *, download: bool = False) -> FileResponse:
    """A stored telephone WAV for an `<audio>` element (inline) or a download (attachment).

    FileResponse answers Range requests, which is how a browser seeks in a long recording.
    """
    response = FileResponse(
        path,
        media_type="audio/wav",
        filename=filename,
        content_disposition_type="attachment" if download else "inline",
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def duration_text(milliseconds: int) -> str:
    """'m:ss' (or 'h:mm:ss') for a table cell."""
    seconds = max(0, round(milliseconds / 1000))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def size_text(size_bytes: int) -> str:
    """Bytes as kB or MB with one decimal (the quota is set in MB)."""
    if size_bytes < MIB:
        return f"{size_bytes / 1024:.1f} kB"
    return f"{size_bytes / MIB:.1f} MB"


async def storage_view(ctx: PageContext) -> dict[str, object]:
    """The tenant's storage use against its quota, for a meter on the page."""
    values = await usage(ctx.scope)
    used, quota = values["used_bytes"], values["quota_bytes"]
    return {
        "used_bytes": used,
        "quota_bytes": quota,
        "used": size_text(used),
        "quota": size_text(quota),
        "percent": min(100, round(100 * used / quota)) if quota else 100,
    }
