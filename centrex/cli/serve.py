"""`centrex serve` and `centrex demo`: run the platform in this process."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.cli.common import CliState, dumps, fail, json_option, pass_state
from centrex.data.db import Database, DatabaseNotMigrated
from centrex.data.models import Extension, Partner, RingGroup, Tenant, User, UserRole
from centrex.data.tenancy import TenantScope
from centrex.logs import configure_logging
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning.credentials import generate_password

if TYPE_CHECKING:
    from centrex.server import Endpoint, Server
    from centrex.settings import Settings

log = logging.getLogger(__name__)

DEMO_DOMAIN = "demo.centrex.test"
DEMO_EXTENSIONS = (("101", "Alice Demo"), ("102", "Bob Demo"), ("103", "Carol Demo"))
DEMO_ADMIN_EMAIL = "admin@demo.centrex.test"
DEMO_SOFTPHONE_EMAIL = "alice@demo.centrex.test"  # the portal user of 101 (browser softphone)
DEMO_VOICEMAIL_PIN = "1234"
DEMO_RING_GROUP = "600"  # rings 101-103 at once (issue 12: "a ring group 600 rings 101-103")
DEMO_CONFERENCE = "800"  # a conference room without PIN: 101-103 meet there (issue 13)
DEMO_QUEUE = "500"  # an ACD queue answered by 102 and 103, longest idle first (issue 13)
DEMO_QUEUE_AGENTS = ("102", "103")


def _run_loop(coro: Coroutine[Any, Any, None]) -> None:
    """Run with uvloop when it is installed (5x the packet rate of stock asyncio here)."""
    try:
        import uvloop

        uvloop.run(coro)
    except ImportError:
        asyncio.run(coro)


def _serve(server: Server) -> None:
    try:
        _run_loop(server.run_until_stopped())
    except DatabaseNotMigrated as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen: {exc}")


@click.command()
@click.option("--sip", "sip_addr", help="SIP HOST:PORT (UDP and TCP). Default from settings.")
@click.option("--http", "http_addr", help="HTTP HOST:PORT for the API and portal.")
@click.option("--sip-tls", "tls_addr", help="SIP over TLS HOST:PORT (port 0: off).")
@click.option("--sip-ws", "ws_addr", help="SIP over WebSocket HOST:PORT (port 0: off).")
@click.option("--sip-wss", "wss_addr",
              help="SIP over secure WebSocket HOST:PORT for browsers (port 0: off) [default: the "
              "HTTP host, CENTREX_SIP_WSS_PORT, else the HTTP port + 1].")  # fmt: skip
@pass_state
def serve(
    state: CliState,
    sip_addr: str | None,
    http_addr: str | None,
    tls_addr: str | None,
    ws_addr: str | None,
    wss_addr: str | None,
) -> None:
    """Run Centrex (SIP, media, API, portal) until Ctrl-C."""
    from centrex.server import Endpoint, Server

    settings = state.settings
    configure_logging(settings.log_level)
    try:
        sip = Endpoint.parse(sip_addr or f"{settings.sip_host}:{settings.sip_port}", 5060)
        http = Endpoint.parse(http_addr or f"{settings.http_host}:{settings.http_port}", 8080)
        tls = Endpoint.parse(tls_addr or f"{sip.host}:{settings.sip_tls_port}", 5061)
        ws = Endpoint.parse(ws_addr or f"{sip.host}:{settings.sip_ws_port}", 5066)
        wss = Endpoint.parse(wss_addr or _wss_default(settings, http), 0)
    except ValueError as exc:
        fail(f"bad address: {exc}")
        return
    _serve(
        Server(settings, sip=sip, http=http, clock=state.clock, sip_tls=tls, sip_ws=ws, sip_wss=wss)
    )


def _wss_default(settings: Settings, http: Endpoint) -> str:
    """SIP over WSS beside HTTP: the HTTP host (a browser connects where it loaded the page)
    and `sip_wss_port` (the HTTP port + 1 unless set; with --http, that port + 1)."""
    port = settings.sip_wss_port
    if settings.sip_wss_follows_http:
        port = http.port + 1 if 0 < http.port < 65535 else 0  # 0: off
    host = f"[{http.host}]" if ":" in http.host else http.host
    return f"{host}:{port}"


def _wss_url(wss: Endpoint) -> str:
    host = "127.0.0.1" if wss.host in ("0.0.0.0", "::") else wss.host  # noqa: S104
    return f"wss://{host}:{wss.port}" if ":" not in host else f"wss://[{host}]:{wss.port}"


@dataclass
class DemoLine:
    number: str
    name: str
    password: str
    portal_email: str | None = None  # the portal user who owns the line (the softphone's login)
    portal_password: str | None = None


async def _prepare_demo(state: CliState) -> tuple[list[DemoLine], str]:
    """Create or reuse the demo tenant; give its extensions and admin fresh passwords.

    Only hashes are stored, so the passwords printed are new on every run.
    """
    database = Database(state.settings.effective_database_url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            return await _demo_objects(state, session)
    finally:
        await database.dispose()


async def _demo_objects(state: CliState, session: AsyncSession) -> tuple[list[DemoLine], str]:
    from sqlalchemy import select

    from centrex.provisioning.passwords import hash_password

    now = state.clock.utcnow()
    partner = await session.scalar(select(Partner).where(Partner.name == "Demo Partner"))
    if partner is None:
        partner = await tenant_service.create_partner(
            session, name="Demo Partner", email="partner@demo.centrex.test"
        )
    tenant = await session.scalar(select(Tenant).where(Tenant.domain == DEMO_DOMAIN))
    if tenant is None:
        tenant = await tenant_service.create_tenant(
            session,
            now=now,
            name="Demo Company",
            domain=DEMO_DOMAIN,
            extension_digits=3,
            max_calls=10,
            language="en",
            partner_id=partner.id,
        )
    scope = tenant_service.scope_of(session, tenant)
    lines: list[DemoLine] = []
    for number, name in DEMO_EXTENSIONS:
        existing = await scope.first(Extension, Extension.number == number)
        if existing is None:
            # voicemail=False: the loop below gives every demo mailbox the PIN the demo prints
            created = await extension_service.create_extension(
                scope,
                number=number,
                name=name,
                email=f"{number}@demo.centrex.test",
                voicemail=False,
            )
            assert created.generated_password is not None
            lines.append(DemoLine(number, name, created.generated_password))
        else:
            password = await extension_service.set_sip_password(scope, existing)
            assert password is not None
            lines.append(DemoLine(number, name, password))
    from centrex.data.models.apps import VoicemailBox
    from centrex.provisioning import voicemail as voicemail_service

    for number, _name in DEMO_EXTENSIONS:
        ext = await scope.first(Extension, Extension.number == number)
        assert ext is not None
        if await scope.first(VoicemailBox, VoicemailBox.extension_id == ext.id) is None:
            await voicemail_service.create_mailbox(scope, extension=number, pin=DEMO_VOICEMAIL_PIN)
    from centrex.provisioning import ring_groups as ring_group_service

    group = await scope.first(RingGroup, RingGroup.number == DEMO_RING_GROUP)
    if group is None:
        await ring_group_service.create_ring_group(
            scope, number=DEMO_RING_GROUP, name="Everyone", strategy="simultaneous",
            members=[number for number, _name in DEMO_EXTENSIONS],
        )  # fmt: skip
    from centrex.provisioning import queues as queue_service

    if not any(v.queue.number == DEMO_QUEUE for v in await queue_service.list_queues(scope)):
        await queue_service.create_queue(
            scope, number=DEMO_QUEUE, name="Support", strategy="longest-idle",
            members=list(DEMO_QUEUE_AGENTS), wrap_up_seconds=5, callback=True,
        )  # fmt: skip
    from centrex.data.models import Conference
    from centrex.provisioning import conferences as conference_service

    if await scope.first(Conference, Conference.number == DEMO_CONFERENCE) is None:
        await conference_service.create_conference(scope, number=DEMO_CONFERENCE, name="Meeting")
    from centrex.contact_center.demo import seed_demo_campaign

    await seed_demo_campaign(scope, DEMO_QUEUE_AGENTS, now)  # "Demo outbound" (issue 15)
    await _demo_softphone_user(scope, lines[0])
    admin_password = generate_password(16)
    admin = await scope.first(User, User.email == DEMO_ADMIN_EMAIL)
    if admin is None:
        scope.add(
            User(
                name="Demo Admin",
                email=DEMO_ADMIN_EMAIL,
                role=UserRole.TENANT_ADMIN,
                password_hash=hash_password(admin_password),
            )
        )
    else:
        admin.password_hash = hash_password(admin_password)
    await session.flush()
    return lines, admin_password


async def _demo_softphone_user(scope: TenantScope, line: DemoLine) -> None:
    """A portal user owning the first demo line (101) with a fresh password: logging in as
    them opens their page with the browser softphone registered as that extension."""
    from centrex.provisioning.passwords import hash_password

    password = generate_password(16)
    user = await scope.first(User, User.email == DEMO_SOFTPHONE_EMAIL)
    if user is None:
        user = scope.add(
            User(
                name=line.name,
                email=DEMO_SOFTPHONE_EMAIL,
                role=UserRole.USER,
                password_hash=hash_password(password),
            )
        )
    else:
        user.password_hash = hash_password(password)
    await scope.session.flush()
    extension = await scope.first(Extension, Extension.number == line.number)
    assert extension is not None
    extension.user_id = user.id
    line.portal_email, line.portal_password = DEMO_SOFTPHONE_EMAIL, password


@click.command()
@click.option(
    "--sip",
    "sip_addr",
    default=None,
    help="SIP address [default: 0.0.0.0 (so phones on the LAN can register) and "
    "CENTREX_SIP_PORT (5060); CENTREX_SIP_HOST when set]",
)
@click.option(
    "--http",
    "http_addr",
    default=None,
    help="HTTP address [default: CENTREX_HTTP_HOST:CENTREX_HTTP_PORT, 127.0.0.1:8080]",
)
@json_option
@pass_state
def demo(state: CliState, sip_addr: str | None, http_addr: str | None, as_json: bool) -> None:
    """Create (or reuse) a demo tenant with three extensions, print what a phone needs, serve."""
    from centrex.server import Endpoint, Server, outward_address

    settings = state.settings
    configure_logging(settings.log_level)
    # The demo listens on every interface unless told otherwise: its point is that a real phone
    # registers. Ports (and an explicit host) follow the settings, as for `serve`.
    sip_host = settings.sip_host if "sip_host" in settings.model_fields_set else "0.0.0.0"  # noqa: S104
    try:
        sip = Endpoint.parse(sip_addr or f"{sip_host}:{settings.sip_port}", 5060)
        http = Endpoint.parse(http_addr or f"{settings.http_host}:{settings.http_port}", 8080)
        wss = Endpoint.parse(_wss_default(settings, http), 0)
    except ValueError as exc:
        fail(f"bad address: {exc}")
        return
    lines, admin_password = asyncio.run(_prepare_demo(state))
    server_address = outward_address() if sip.host in ("0.0.0.0", "::") else sip.host  # noqa: S104
    portal = f"http://{'127.0.0.1' if http.host in ('0.0.0.0', '::') else http.host}:{http.port}/"  # noqa: S104
    if as_json:
        click.echo(
            dumps(
                {
                    "domain": DEMO_DOMAIN,
                    "sip_server": server_address,
                    "sip_port": sip.port,
                    "database": Database(settings.effective_database_url).safe_url,
                    "data_dir": str(settings.data_dir),
                    "voicemail_pin": DEMO_VOICEMAIL_PIN,
                    "ring_group": {
                        "number": DEMO_RING_GROUP,
                        "strategy": "simultaneous",
                        "members": [number for number, _name in DEMO_EXTENSIONS],
                    },
                    "conference": {"number": DEMO_CONFERENCE, "pin": None},
                    "queue": {
                        "number": DEMO_QUEUE,
                        "strategy": "longest-idle",
                        "members": list(DEMO_QUEUE_AGENTS),
                    },
                    "mail_outbox": None if settings.smtp_url else str(settings.data_dir / "outbox"),
                    "extensions": [
                        {
                            "number": x.number,
                            "name": x.name,
                            "username": x.number,
                            "password": x.password,
                            "portal_email": x.portal_email,
                            "portal_password": x.portal_password,
                        }
                        for x in lines
                    ],
                    "portal": portal,
                    "wss_url": _wss_url(wss) if wss.port else None,
                    "admin_email": DEMO_ADMIN_EMAIL,
                    "admin_password": admin_password,
                }
            )
        )
    else:
        click.echo("")
        click.echo("Centrex demo is ready.")
        click.echo(f"  data:   {settings.data_dir}")
        click.echo(f"  tenant: Demo Company ({DEMO_DOMAIN})")
        click.echo("")
        click.echo("Configure a SIP phone (UDP or TCP) with:")
        click.echo(f"  {'SERVER':<16}{'PORT':<7}{'DOMAIN':<20}{'USERNAME':<10}{'PASSWORD':<22}NAME")
        for x in lines:
            click.echo(
                f"  {server_address:<16}{sip.port:<7}{DEMO_DOMAIN:<20}{x.number:<10}"
                f"{x.password:<22}{x.name}"
            )
        click.echo("")
        click.echo(f"Portal: {portal}   login {DEMO_ADMIN_EMAIL} / {admin_password}")
        user = lines[0]
        click.echo(
            f"Softphone: log in to the portal as {user.portal_email} / {user.portal_password}"
            f" to call and answer as {user.number} from the browser ({portal}phone)."
        )
        if wss.port:
            click.echo(
                f"Browser softphones: SIP over secure WebSocket at {_wss_url(wss)} (self-signed"
                " certificate unless CENTREX_SIP_TLS_CERT/KEY are set)."
            )
        click.echo(
            f"Voicemail: unanswered calls go to the mailbox; dial *97 (PIN {DEMO_VOICEMAIL_PIN})"
            " to listen. Echo test: *43. Speaking clock: *44."
        )
        members = "-".join((DEMO_EXTENSIONS[0][0], DEMO_EXTENSIONS[-1][0]))
        click.echo(f"Ring group: dial {DEMO_RING_GROUP} to ring {members} at once.")
        click.echo(
            f"Conference: dial {DEMO_CONFERENCE} from {members} to meet in one room (no PIN;"
            f" centrex conference list --tenant {DEMO_DOMAIN})."
        )
        agents = " and ".join(DEMO_QUEUE_AGENTS)
        click.echo(
            f"Queue: dial {DEMO_QUEUE} to wait with music until agent {agents} answers"
            " (longest idle first); agents: *50 log in, *51 log out, *52<reason> pause, *53"
            f" resume; stats: centrex queue stats --tenant {DEMO_DOMAIN} --number {DEMO_QUEUE}"
        )
        click.echo(
            'Outbound: campaign "Demo outbound" (progressive, agents'
            f" {agents}, 4 sample leads): centrex lead search --tenant {DEMO_DOMAIN} --campaign"
            ' "Demo outbound"; centrex campaign list --tenant ' + DEMO_DOMAIN
        )
        click.echo(
            "Phone features: transfer with your phone's transfer key; park by transferring to"
            " 700 (dial 701-709 to take the call back); *8 / **101 pick up; *80101 intercom;"
            " *78/*79 do not disturb; *72<number>/*73 forward. All codes: centrex feature-code"
            f" list --tenant {DEMO_DOMAIN}"
        )
        click.echo(
            f"Switchboard: {portal}tenant/switchboard (lamps, answer, transfer, park, hold);"
            ' click-to-call: POST /api/v1/calls {"from_extension": "101", "to": "102"}'
        )
        outbox = settings.data_dir / "outbox"
        if not settings.smtp_url:
            click.echo(f"No CENTREX_SMTP_URL: voicemail e-mails are written to {outbox}")
        click.echo("Passwords are new on every start (only their hashes are stored).")
        click.echo("Press Ctrl-C to stop.")
        click.echo("")
    sys.stdout.flush()
    _serve(Server(settings, sip=sip, http=http, clock=state.clock, sip_wss=wss))
