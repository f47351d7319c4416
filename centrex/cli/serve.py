"""`centrex serve` and `centrex demo`: run the platform in this process."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from centrex.cli.common import CliState, dumps, fail, json_option, pass_state
from centrex.cli.demo_credentials import (
    DemoCredentialsError,
    PasswordSource,
    credentials_path,
    resolve,
)
from centrex.cli.demo_seed import (
    DEMO_ADMIN_EMAIL,
    DEMO_AGENT_EMAIL,
    DEMO_CONFERENCE,
    DEMO_DOMAIN,
    DEMO_EXTENSIONS,
    DEMO_QUEUE,
    DEMO_QUEUE_AGENTS,
    DEMO_RING_GROUP,
    DEMO_SOFTPHONE_EMAIL,
    DEMO_SUPERVISOR_EMAIL,
    DEMO_VOICEMAIL_PIN,
    DemoLine,
    _demo_objects,
    _prepare_demo,
)
from centrex.logs import configure_logging

if TYPE_CHECKING:  # the platform is imported when a command runs, not for `--help`
    from centrex.server import Endpoint, Server
    from centrex.settings import Settings

__all__ = [  # the demo's names stay importable from here (tests, `centrex demo-invoice`)
    "DEMO_ADMIN_EMAIL",
    "DEMO_CONFERENCE",
    "DEMO_DOMAIN",
    "DEMO_EXTENSIONS",
    "DEMO_QUEUE",
    "DEMO_QUEUE_AGENTS",
    "DEMO_RING_GROUP",
    "DEMO_SOFTPHONE_EMAIL",
    "DEMO_VOICEMAIL_PIN",
    "DemoLine",
    "_demo_objects",
    "demo",
    "serve",
]

log = logging.getLogger(__name__)

# Loggers the demo sets to WARNING unless --verbose: the migrations and the seeding.
_QUIET_UNLESS_VERBOSE = ("alembic", "centrex.contact_center.lead_import")
_PASSWORD_NOTES = {
    PasswordSource.KEPT: "Passwords: the same as on the last start (kept in {file}, readable only"
    " by you; --reset makes new ones).",
    PasswordSource.NEW: "Passwords: kept in {file} (readable only by you) and the same after a"
    " restart; --reset makes new ones.",
    PasswordSource.RESET: "Passwords: NEW ones (--reset); phones configured before need them."
    " Kept in {file} for the next starts.",
    PasswordSource.GIVEN: "Passwords: every phone has the SIP password given with --password"
    " (kept in {file} for the next starts).",
}


def _run_loop(coro: Coroutine[Any, Any, None]) -> None:
    """Run with uvloop when it is installed (5x the packet rate of stock asyncio here)."""
    try:
        import uvloop

        uvloop.run(coro)
    except ImportError:
        asyncio.run(coro)


def _serve(server: Server) -> None:
    from centrex.data.db import DatabaseNotMigrated

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


def _local_host(http: Endpoint) -> str:
    """Where a browser on this machine reaches the portal."""
    return "127.0.0.1" if http.host in ("0.0.0.0", "::") else http.host  # noqa: S104


def _wss_url(wss: Endpoint) -> str:
    host = "127.0.0.1" if wss.host in ("0.0.0.0", "::") else wss.host  # noqa: S104
    return f"wss://{host}:{wss.port}" if ":" not in host else f"wss://[{host}]:{wss.port}"


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
@click.option(
    "--password",
    default=None,
    help="The SIP password of every demo phone (at least 8 characters); kept for later starts.",
)
@click.option(
    "--reset", is_flag=True, help="New passwords instead of the ones kept from the last start."
)
@click.option("--verbose", is_flag=True, help="Also log the database migrations and the seeding.")
@json_option
@pass_state
def demo(
    state: CliState,
    sip_addr: str | None,
    http_addr: str | None,
    password: str | None,
    reset: bool,
    verbose: bool,
    as_json: bool,
) -> None:
    """Create (or reuse) a demo tenant with three extensions, print what a phone needs, serve.

    The passwords printed are kept in <data dir>/demo-credentials.json (readable only by you), so
    a phone configured once keeps registering after a restart; --reset makes new ones.
    """
    from centrex.server import Endpoint, Server, outward_address

    settings = state.settings
    configure_logging(settings.log_level)
    if not verbose:  # a newcomer needs the table, not a line per migration and seeded batch
        for noisy in _QUIET_UNLESS_VERBOSE:
            logging.getLogger(noisy).setLevel(logging.WARNING)
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
    store = credentials_path(settings.data_dir)
    try:
        numbers = [number for number, _name in DEMO_EXTENSIONS]
        credentials, source = resolve(store, numbers, reset=reset, password=password)
    except DemoCredentialsError as exc:
        fail(str(exc))
        return
    lines, admin_password = asyncio.run(_prepare_demo(state, credentials))
    out = _DemoOutput(
        settings=settings,
        lines=lines,
        admin_password=admin_password,
        server_address=outward_address() if sip.host in ("0.0.0.0", "::") else sip.host,  # noqa: S104
        sip_port=sip.port,
        portal=f"http://{_local_host(http)}:{http.port}/",
        wss=wss,
        store=store,
        source=source,
        supervisor_password=credentials.supervisor_password,
    )
    if as_json:
        _echo_json(out)
    else:
        _echo_text(out)
    sys.stdout.flush()
    _serve(Server(settings, sip=sip, http=http, clock=state.clock, sip_wss=wss))


@dataclass(frozen=True)
class _DemoOutput:
    """What the demo prints, as a table or as one JSON object."""

    settings: Settings
    lines: list[DemoLine]
    admin_password: str
    server_address: str
    sip_port: int
    portal: str
    wss: Endpoint
    store: Path
    source: PasswordSource
    supervisor_password: str = ""  # the agent's login is 102's portal login (its line)


def _echo_json(out: _DemoOutput) -> None:
    from centrex.data.db import Database

    settings = out.settings
    click.echo(
        dumps(
            {
                "domain": DEMO_DOMAIN,
                "sip_server": out.server_address,
                "sip_port": out.sip_port,
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
                    for x in out.lines
                ],
                "portal": out.portal,
                "wss_url": _wss_url(out.wss) if out.wss.port else None,
                "admin_email": DEMO_ADMIN_EMAIL,
                "admin_password": out.admin_password,
                "agent_email": DEMO_AGENT_EMAIL,
                "agent_password": out.lines[1].portal_password,
                "supervisor_email": DEMO_SUPERVISOR_EMAIL,
                "supervisor_password": out.supervisor_password,
                "credentials_file": str(out.store),
                "passwords": out.source.value,
            }
        )
    )


def _echo_text(out: _DemoOutput) -> None:
    click.echo("")
    click.echo("Centrex demo is ready.")
    click.echo(f"  data:   {out.settings.data_dir}")
    click.echo(f"  tenant: Demo Company ({DEMO_DOMAIN})")
    click.echo("")
    click.echo("Configure a SIP phone (UDP or TCP) with:")
    click.echo(f"  {'SERVER':<16}{'PORT':<7}{'DOMAIN':<20}{'USERNAME':<10}{'PASSWORD':<22}NAME")
    for x in out.lines:
        click.echo(
            f"  {out.server_address:<16}{out.sip_port:<7}{DEMO_DOMAIN:<20}{x.number:<10}"
            f"{x.password:<22}{x.name}"
        )
    click.echo("")
    click.echo(f"Portal: {out.portal}   login {DEMO_ADMIN_EMAIL} / {out.admin_password}")
    user = out.lines[0]
    click.echo(
        f"Softphone: log in to the portal as {user.portal_email} / {user.portal_password}"
        f" to call and answer as {user.number} from the browser ({out.portal}phone)."
    )
    if out.wss.port:
        click.echo(
            f"Browser softphones: SIP over secure WebSocket at {_wss_url(out.wss)} (self-signed"
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
        f"Agent desktop: log in as {DEMO_AGENT_EMAIL} / {out.lines[1].portal_password}"
        f' ({out.lines[1].number}, an agent of "Demo outbound": {out.portal}agent);'
        f" supervisor: {DEMO_SUPERVISOR_EMAIL} / {out.supervisor_password}"
    )
    click.echo(
        "Phone features: transfer with your phone's transfer key; park by transferring to"
        " 700 (dial 701-709 to take the call back); *8 / **101 pick up; *80101 intercom;"
        " *78/*79 do not disturb; *72<number>/*73 forward. All codes: centrex feature-code"
        f" list --tenant {DEMO_DOMAIN}"
    )
    click.echo(
        f"Switchboard: {out.portal}tenant/switchboard (lamps, answer, transfer, park, hold);"
        ' click-to-call: POST /api/v1/calls {"from_extension": "101", "to": "102"}'
    )
    outbox = out.settings.data_dir / "outbox"
    if not out.settings.smtp_url:
        click.echo(f"No CENTREX_SMTP_URL: voicemail e-mails are written to {outbox}")
    click.echo(_PASSWORD_NOTES[out.source].format(file=out.store))
    click.echo("Press Ctrl-C to stop.")
    click.echo("")
