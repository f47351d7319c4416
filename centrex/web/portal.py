"""The web portal: server-rendered pages over the same services as the API.

Login is e-mail + password (Argon2id) for staff and tenant users alike; the browser then holds
an HttpOnly, SameSite=Lax session cookie (Secure over https). Every form carries the session's
CSRF token; the login form, which has no session yet, uses a double-submit cookie. Failed logins
are rate-limited per client address and e-mail. Live views subscribe to /api/v1/events.
"""

from __future__ import annotations

import hmac
import importlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.api.auth import SESSION_COOKIE, Principal, principal_from_portal_session, tenant_for
from centrex.api.route_cache import include_routers
from centrex.api.services import ApiServices
from centrex.data.models import Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError
from centrex.provisioning import logins
from centrex.web.i18n import LANGUAGES, choose_language, translator

WEB_DIR = Path(__file__).resolve().parent
LANG_COOKIE = "centrex_lang"
LOGIN_CSRF_COOKIE = "centrex_login_csrf"

templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """Raised by a page that needs a session; answered with a redirect to /login."""


@dataclass
class PageContext:
    """What a page handler gets: the database session, who is logged in, and the tenant."""

    request: Request
    session: AsyncSession
    principal: Principal
    services: ApiServices
    tenant: Tenant | None = None

    @property
    def scope(self) -> TenantScope:
        assert self.tenant is not None
        return TenantScope(self.session, self.tenant.id, self.tenant.domain)

    @property
    def tenant_query(self) -> str:
        """`?tenant=DOMAIN` for staff links (a tenant user's tenant comes from its session)."""
        if self.tenant is not None and self.principal.is_staff:
            return f"?tenant={self.tenant.domain}"
        return ""


def services_of(request: Request) -> ApiServices:
    svc: ApiServices = request.app.state.services
    return svc


def language_for(request: Request, principal: Principal | None) -> str:
    explicit = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return choose_language(
        explicit, principal.language if principal else None, request.headers.get("accept-language")
    )


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    tenant: Tenant | None = None,
    tenant_query: str = "",
    **values: Any,
) -> HTMLResponse:
    """Render a page with the translator, the CSRF token and the navigation context."""
    lang = language_for(request, principal)
    context = {
        "t": translator(lang),
        "lang": lang,
        "languages": LANGUAGES,
        "principal": principal,
        "csrf": principal.csrf_token if principal else "",
        "tenant": tenant,
        "tq": tenant_query,
        **values,
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=31536000, samesite="lax", secure=_secure(request)
        )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'"
    )
    return response


def _secure(request: Request) -> bool:
    return services_of(request).secure_cookies or request.url.scheme == "https"


@asynccontextmanager
async def page(request: Request, *, need_tenant: bool = False) -> AsyncIterator[PageContext]:
    """One transaction for the page; LoginRequired when no valid session cookie is sent."""
    svc = services_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    async with svc.database.transaction() as session:
        row = await logins.find_session(session, cookie, now=svc.clock.utcnow()) if cookie else None
        principal = await principal_from_portal_session(session, row) if row else None
        if principal is None:
            raise LoginRequired
        ctx = PageContext(request, session, principal, svc)
        if need_tenant:
            ctx.tenant = await tenant_for(session, principal, request.query_params.get("tenant"))
        yield ctx


async def check_csrf(request: Request, principal: Principal) -> dict[str, str]:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    sent = values.get("csrf", "")
    if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
        raise CentrexError("the form expired, please try again", error_id="csrf-failed")
    return values


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/login")
async def login_form(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_csrf=token)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request)
    )
    return response


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    svc = services_of(request)
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    password = str(form.get("password", ""))[:200]
    sent = str(form.get("csrf", ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    t = translator(language_for(request, None))

    def again(message: str, status: int) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            None,
            status_code=status,
            login_csrf=token,
            email=email,
            flash=message,
            flash_kind="error",
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=_secure(request)
        )
        return response

    if not expected or not hmac.compare_digest(sent, expected):
        return again(t("error.csrf"), 403)
    address = client_address(request)
    if svc.limiter.blocked(address, email):
        return again(t("login.blocked"), 429)
    async with svc.database.transaction() as session:
        found = await logins.authenticate(session, email, password)
        if found is None:
            svc.limiter.failed(address, email)
            return again(t("login.failed"), 401)
        svc.limiter.succeeded(address, email)
        opened = await logins.open_session(session, found, now=svc.clock.utcnow())
    target = "/provider" if found.staff is not None else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=int(logins.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    async with page(request) as ctx:
        await check_csrf(request, ctx.principal)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        await logins.close_session(ctx.session, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
async def home(request: Request) -> RedirectResponse:
    async with page(request) as ctx:
        if ctx.principal.is_staff:
            return RedirectResponse("/provider", status_code=303)
        if ctx.principal.is_tenant_admin:
            return RedirectResponse("/tenant/extensions", status_code=303)
        if ctx.principal.role.value == "supervisor":
            return RedirectResponse("/supervisor", status_code=303)
        if ctx.principal.role.value == "agent":  # the agent desktop (agent_page.py)
            return RedirectResponse("/agent", status_code=303)
        return RedirectResponse("/me", status_code=303)


async def _login_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


# The page modules, each with a `router` (one line per page family: adding a page is adding it).
PAGE_MODULES = (
    "centrex.web.pages",
    "centrex.web.tokens_page",
    "centrex.web.conferences_page",
    "centrex.web.phone_page",
    "centrex.web.campaigns_page",
    "centrex.web.campaign_detail_page",
    "centrex.web.dnc_page",
    "centrex.web.telephony_page",
    "centrex.web.screening_page",
    "centrex.web.pause_reasons_page",
    "centrex.web.scripts_page",
    "centrex.web.mail_templates_page",
    "centrex.web.agent_page",
    "centrex.web.user_page",
    "centrex.web.flows_page",
    "centrex.web.provider_pages",
    "centrex.web.numbers_page",
    "centrex.web.extension_page",
    "centrex.web.settings_page",
    "centrex.web.ring_groups_page",
    "centrex.web.queues_page",
    "centrex.web.voicemail_page",
    "centrex.web.media_page",
    "centrex.web.recordings_page",
    "centrex.web.supervisor_page",
    "centrex.web.leads_page",
    "centrex.web.provider_dnc_page",
    "centrex.web.campaign_calendar_page",
)


def install_portal(app: FastAPI) -> None:
    """Mount the portal pages, their static files and the login redirect."""
    from centrex.web.phone_page import install_phone_library

    routers = [importlib.import_module(name).router for name in PAGE_MODULES]
    include_routers(app, router, *routers)
    install_phone_library(app)  # the softphone's SIP.js, before the /static mount below
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    app.add_exception_handler(LoginRequired, _login_required)
