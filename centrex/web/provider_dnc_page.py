"""Provider page for the national do-not-call lists (`/provider/national-dnc`, issue 21): the
lists (country, name, numbers, last import), importing a file as a list (replacing it, or
adding to it), deleting one.

The forms call `centrex.contact_center.national_dnc`, the service of `PUT` and `DELETE
/api/v1/national-dnc/{country}/{name}`: the file is read the same way (`dnc_files`: one number
per line or the first CSV column, each normalised for the country), so a file the API refuses
is refused here with the service's reason, in a savepoint that keeps the list as it was. The
import's report (imported, duplicates, the rejected lines) is shown after the import. A list
binds every tenant's campaigns, so only the platform admin sees this page, like the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from centrex.contact_center import national_dnc as service
from centrex.errors import CentrexError, ValidationFailed
from centrex.web.audio_common import upload_form
from centrex.web.portal import PageContext, check_csrf, page, render
from centrex.web.provider_forms import require_platform_admin, t_of, text_field

router = APIRouter(include_in_schema=False)

MAX_BODY = 256 * 1024 * 1024  # as the API's PUT (~15 million numbers)
MAX_REJECTED_SHOWN = 20  # the report lists this many rejected lines, then a count

# The service's error ids → a sentence for the page (`{detail}`: the service's message).
ERROR_KEYS = {
    "national-dnc-bad-country": "provider_dnc.error_country",
    "national-dnc-bad-name": "provider_dnc.error_name",
    "national-dnc-file-empty": "provider_dnc.error_file",
    "national-dnc-no-number": "provider_dnc.error_file",
    "national-dnc-file-too-large": "provider_dnc.error_file",
    "national-dnc-not-found": "provider_dnc.error_not_found",
}


async def _attempt(ctx: PageContext, work: Callable[[], Awaitable[str]]) -> tuple[str, str]:
    """Run a form's work in a savepoint: (message, "ok"), or (why, "error") with nothing kept."""
    try:
        async with ctx.session.begin_nested():
            return await work(), "ok"
    except CentrexError as exc:
        t = t_of(ctx)
        key = ERROR_KEYS.get(exc.error_id)
        reason = t(key, detail=exc.message) if key else exc.message
        return t("error.generic", message=reason), "error"


async def _render(
    ctx: PageContext,
    flash: str = "",
    kind: str = "ok",
    *,
    report: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        ctx.request,
        "provider_dnc.html",
        ctx.principal,
        lists=await service.list_national(ctx.session),
        report=report,
        shown=MAX_REJECTED_SHOWN,
        values=values or {},
        flash=flash,
        flash_kind=kind,
    )


@router.get("/provider/national-dnc")
async def national_dnc_page(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        return await _render(ctx)


@router.post("/provider/national-dnc")
async def import_list(request: Request) -> HTMLResponse:
    """Import the uploaded file as the list (country, name): replaced, or added to."""
    async with page(request) as ctx:
        require_platform_admin(ctx)
        async with upload_form(ctx) as form:
            item = (await request.form()).get("file")
            country, name = text_field(form, "country", 8), text_field(form, "name", 100)
            replace = form.get("mode", "replace") != "add"
            report: dict[str, Any] = {}

            async def work() -> str:
                if not isinstance(item, UploadFile):
                    raise ValidationFailed("choose the list's file", field="file",
                                           error_id="national-dnc-file-empty")  # fmt: skip
                data = await item.read(MAX_BODY + 1)
                if len(data) > MAX_BODY:
                    raise ValidationFailed(
                        f"the file is larger than {MAX_BODY // (1024 * 1024)} MB",
                        error_id="national-dnc-file-too-large", field="file",
                    )  # fmt: skip
                result = await service.import_national(ctx.session, country=country, name=name,
                                                       data=data, replace=replace,
                                                       now=ctx.services.clock.utcnow())  # fmt: skip
                report.update(result)
                key = "provider_dnc.replaced" if replace else "provider_dnc.added"
                return t_of(ctx)(key, name=result["list"], country=result["country"],
                                 imported=result["imported"], total=result["total"])  # fmt: skip

            flash, kind = await _attempt(ctx, work)
            values = {"country": country, "name": name, "mode": "replace" if replace else "add"}
            return await _render(ctx, flash, kind, report=report or None,
                                 values=values if kind == "error" else None)  # fmt: skip


@router.post("/provider/national-dnc/delete")
async def delete_list(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        require_platform_admin(ctx)
        form = await check_csrf(request, ctx.principal)
        country, name = text_field(form, "country", 8), text_field(form, "name", 100)

        async def work() -> str:
            gone = await service.delete_national(ctx.session, country, name)
            return t_of(ctx)("provider_dnc.deleted", name=gone["deleted"],
                             country=gone["country"], numbers=gone["numbers"])  # fmt: skip

        return await _render(ctx, *await _attempt(ctx, work))
