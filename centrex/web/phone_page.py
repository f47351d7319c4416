"""The browser softphone (issue 14 item 5): `/phone`, and the same panel on the user's own page.

The page registers the logged-in user's extension over SIP on WebSocket (RFC 7118) with SIP.js
(installed from npm by `make install`, served from `node_modules` under `/static/vendor/sip.js/`,
never a CDN) and talks with WebRTC media. Why the page holds no SIP secret: the HTML and the
scripts are the same for everyone and may be cached or copied; `static/phone.js` asks
`POST /api/v1/me/phone-credential` (the portal session and its CSRF token) for a short-lived
password when it starts, and again before that password expires.

A user without an extension (or a staff account, which has none) gets the page with an
explanation and status 403 instead of a dial pad that could only fail.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from centrex.data.models import Extension, Tenant
from centrex.web.portal import PageContext, page, render

router = APIRouter(include_in_schema=False)

# The repository's node_modules (make install runs `npm ci` next to package.json).
SIPJS_DIR = Path(__file__).resolve().parents[2] / "node_modules" / "sip.js" / "lib"
SIPJS_URL = "/static/vendor/sip.js"


async def own_extensions(ctx: PageContext) -> list[str]:
    """The numbers of the logged-in user's extensions (shortest, then lowest first)."""
    if ctx.principal.user_id is None or ctx.tenant is None:
        return []
    rows = await ctx.scope.list(Extension, Extension.user_id == ctx.principal.user_id)
    return sorted((row.number for row in rows), key=lambda number: (len(number), number))


def sipjs_installed() -> bool:
    """False when `npm ci` has not run: the page then says so instead of failing in the script."""
    return (SIPJS_DIR / "index.js").is_file()


@router.get("/phone")
async def phone(request: Request) -> HTMLResponse:
    async with page(request) as ctx:
        if ctx.principal.tenant_id is not None:
            ctx.tenant = await ctx.session.get(Tenant, ctx.principal.tenant_id)
        numbers = await own_extensions(ctx)
        return render(
            request,
            "phone.html",
            ctx.principal,
            status_code=200 if numbers else 403,
            tenant=ctx.tenant,
            phone_extensions=numbers,
            phone_library=sipjs_installed(),
        )


def install_phone_library(app: FastAPI) -> None:
    """Serve SIP.js's ES modules (they import each other by relative path) under the portal's
    static route. Mounted before `/static` so it wins; a server without node_modules still
    starts (the page then explains that the library is missing)."""
    if sipjs_installed():
        app.mount(SIPJS_URL, StaticFiles(directory=str(SIPJS_DIR)), name="sipjs")
