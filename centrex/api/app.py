"""The FastAPI application factory: REST API under /api/v1, events WebSocket, and the portal.

Everything the routes need arrives as arguments (habit 8: wiring happens in `server.py`). The
live sources default to empty ones, so the API works before the registrar and call layers are
plugged in; see `centrex.api.sources` for the two Protocols they implement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from centrex import __version__
from centrex.api.ban_list import BanList, NoBans
from centrex.api.errors import install_error_handlers
from centrex.api.middleware import ApiMiddleware
from centrex.api.route_cache import include_routers
from centrex.api.routes import (
    agent_sessions,
    agent_stats,
    agents,
    appointments,
    call_control,
    callbacks,
    caller_id_rules,
    campaign_insights,
    campaigns,
    cdrs,
    dispositions,
    dnc,
    events,
    extensions,
    feature_codes,
    flows,
    leads,
    live,
    mail_templates,
    me,
    media,
    monitor,
    national_dnc,
    numbers,
    ops,
    partners,
    phone_credential,
    queues,
    recordings,
    ring_groups,
    screening,
    scripts,
    tenants,
    tokens,
    trunks,
    users,
    voicemail,
)
from centrex.api.routes import balance as balance_routes
from centrex.api.routes import (
    conferences as conference_routes,
)
from centrex.api.services import ApiServices, LoginLimiter
from centrex.api.sources import (
    CallControlSource,
    ConferenceSource,
    LiveCalls,
    NoCallControl,
    NoConferences,
    NoLiveCalls,
    NoPresence,
    NoRegistrations,
    PresenceSource,
    RegistrationSource,
)
from centrex.clock import Clock, SystemClock
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.events import EventBus
from centrex.ops.health import DatabaseCheck, HealthChecks
from centrex.ops.metrics import Metrics
from centrex.provisioning.storage import MediaStore

if TYPE_CHECKING:
    from centrex.apps.mail import Mailer

ROUTERS = (
    ops,
    me,
    partners,
    tenants,
    users,
    extensions,
    numbers,
    trunks,
    cdrs,
    live,
    call_control,
    monitor,
    tokens,
    events,
    flows,
    voicemail,
    recordings,
    media,
    ring_groups,
    queues,
    agent_sessions,
    agent_stats,
    agents,
    conference_routes,
    screening,
    feature_codes,
    caller_id_rules,
    phone_credential,
    campaigns,
    campaign_insights,
    leads,
    dnc,
    national_dnc,
    dispositions,
    mail_templates,
    callbacks,
    scripts,
    appointments,
    balance_routes,
)


def create_app(
    database: Database | None = None,
    *,
    clock: Clock | None = None,
    events_bus: EventBus | None = None,
    registrations: RegistrationSource | None = None,
    calls: LiveCalls | None = None,
    presence: PresenceSource | None = None,
    secret_box: SecretBox | None = None,
    secure_cookies: bool = False,
    portal: bool = True,
    media_store: MediaStore | None = None,
    health: HealthChecks | None = None,
    metrics: Metrics | None = None,
    conferences: ConferenceSource | None = None,
    phone_ws_port: int | None = None,
    bans: BanList | None = None,
    mailer: Mailer | None = None,
) -> FastAPI:
    """Build the HTTP application.

    `database` is required for everything but /api/v1/health (a bare `create_app()` serves only
    health, which keeps old callers working); with it, `secret_box` and `media_store` are
    required too: the process's one key and file store, built by `server.py` (a default here
    would silently encrypt with another key or write to another directory). `secure_cookies`
    marks the portal's cookies Secure: set it when the portal is served over https.
    `phone_ws_port` is this process's SIP-over-WSS port, which the softphone's credential
    (`/api/v1/me/phone-credential`) names; None: that route answers 503. `mailer` is the
    process's mail outbox, through which agents mail leads; None: those routes answer 503.
    """
    app = FastAPI(
        title="Centrex",
        version=__version__,
        description="Multi-tenant hosted PBX: REST API (problem+json errors, `{total, items}` "
        "lists, Idempotency-Key on POST). Authenticate with `Authorization: Bearer TOKEN`; "
        "staff pick a tenant with `Centrex-Tenant: DOMAIN`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    # /api/v1/health runs `health` (by default: the database, when there is one); /metrics
    # serves `metrics` (404 without). server.py passes both, with the SIP listener check.
    if health is None and database is not None:
        health = HealthChecks({"database": DatabaseCheck(database)})
    app.state.health = health or HealthChecks()
    app.state.metrics = metrics
    app.state.phone_ws_port = phone_ws_port
    app.state.mailer = mailer
    if database is None:
        app.include_router(ops.router)
        return app
    if secret_box is None or media_store is None:
        raise TypeError("create_app(database, ...) needs secret_box and media_store")
    clock = clock or SystemClock()
    services = ApiServices(
        database=database,
        clock=clock,
        events=events_bus or EventBus(),
        registrations=registrations or NoRegistrations(),
        calls=calls or NoLiveCalls(),
        presence=presence or NoPresence(),
        # the live calls' view acts on them too when it can (the B2BUA's `LiveCallView`)
        control=calls if isinstance(calls, CallControlSource) else NoCallControl(),
        secret_box=secret_box,
        media_store=media_store,
        limiter=LoginLimiter(clock),
        secure_cookies=secure_cookies,
        conferences=conferences or NoConferences(),
        bans=bans or NoBans(),
    )
    app.state.services = services
    include_routers(app, *(module.router for module in ROUTERS))
    if portal:
        from centrex.web.portal import install_portal

        install_portal(app)
    app.add_middleware(ApiMiddleware, services=services)
    return app
