"""The only wiring module: builds every service, passes dependencies by constructor, and starts
and stops them in order (shared/DESIGN.md §3, habit 8)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import secrets
import signal
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from centrex.api.app import create_app
from centrex.api.ban_list import TrackerBans
from centrex.apps.call_media import NOTICE_PROMPT, CallMediaServices
from centrex.apps.conference import conference_apps, live_conferences
from centrex.apps.launcher import AppLauncher, standard_apps
from centrex.apps.mail import Mailer, OutboxWorker
from centrex.apps.prompts.library import PromptLibrary
from centrex.apps.queue import QueueApp
from centrex.apps.voicemail.services import VoicemailServices
from centrex.billing.live_rating import LiveRater
from centrex.billing.prepaid_calls import PrepaidGuard
from centrex.calls.b2bua import B2BUA, CallDeps, CallSettings
from centrex.calls.cdr import CdrWriter
from centrex.calls.features.queue import QueueFeature
from centrex.calls.features.standard import standard_features
from centrex.calls.limits import CallLimits
from centrex.calls.live import LiveCallView
from centrex.calls.live_state import InProcessLiveState
from centrex.calls.mwi import MwiNotifier
from centrex.calls.presence import PresenceEvents, PresenceView
from centrex.calls.signalling import LocalAddress
from centrex.calls.trunks import TrunkDirectory
from centrex.clock import Clock, SystemClock
from centrex.contact_center.agent_sessions import SessionFollower
from centrex.contact_center.caldav_sync import CalendarSync
from centrex.contact_center.dialer import Dialer
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.events import EventBus
from centrex.media.codecs import default_registry
from centrex.media.engine import MediaEngine
from centrex.media.ports import PortPool
from centrex.media.session import LatchPolicy
from centrex.media.ticker import Ticker
from centrex.ops.health import DatabaseCheck, HealthChecks, SipListenerCheck
from centrex.ops.metrics import Metrics, MetricSources
from centrex.provisioning.storage import MediaStore
from centrex.registrar import (
    AuthFailureTracker,
    BindingStore,
    BindingWriter,
    Directory,
    ExpiryPolicy,
    Location,
    Registrar,
    RegistrationView,
)
from centrex.registrar.phone_secrets import PhoneSecretLookup
from centrex.settings import Settings
from centrex.sip.digest import DigestServer
from centrex.sip.endpoint import SipEndpoint
from centrex.transport import (
    EndpointDriver,
    ListenAddress,
    RequestDispatcher,
    SourceGuard,
    TransportKind,
    Transports,
)
from centrex.transport.certs import ensure_self_signed, server_context
from centrex.transport.connections import Flow

log = logging.getLogger(__name__)

# Prompts played the moment a call is answered (no menu to hide their generation behind):
# generated in the background at start instead of on first use.
PROMPTS_HEARD_AT_ONCE = (NOTICE_PROMPT,)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, value: str, default_port: int) -> Endpoint:
        """`HOST:PORT`, `HOST`, `:PORT` or `[v6]:PORT`."""
        text = value.strip()
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port_text = rest.lstrip(":")
        elif text.count(":") == 1:
            host, port_text = text.split(":")
        else:
            host, port_text = text, ""
        port = int(port_text) if port_text else default_port
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} out of range")
        return cls(host or "0.0.0.0", port)  # noqa: S104 - explicit ':PORT' means all interfaces

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def outward_address() -> str:
    """The address other machines reach us at (a UDP connect sends no packet)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: a routing lookup only
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


class _EmbeddedUvicorn(uvicorn.Server):
    """Uvicorn without its own signal handling: the Centrex server owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Server:
    """One Centrex process: database, event bus, SIP, HTTP."""

    def __init__(
        self,
        settings: Settings,
        *,
        sip: Endpoint,
        http: Endpoint,
        clock: Clock | None = None,
        sip_tls: Endpoint | None = None,
        sip_ws: Endpoint | None = None,
        sip_wss: Endpoint | None = None,
    ) -> None:
        self.settings = settings
        self.sip_endpoint = sip
        self.sip_tls_endpoint = sip_tls
        self.sip_ws_endpoint = sip_ws
        self.sip_wss_endpoint = sip_wss
        self.sip_wss_port: int | None = None  # bound WSS port (the softphone's credential)
        self.http_endpoint = http
        self.clock = clock or SystemClock()
        self.database = Database(settings.effective_database_url)
        self.events = EventBus()
        self.secret_box = SecretBox.from_settings(settings.secret_key, settings.data_dir)
        self._build_sip()
        self._build_calls()
        self.registrations = RegistrationView(self.registrar)
        self.live_calls = LiveCallView(self.b2bua)
        self.metrics = Metrics(
            self.events,
            MetricSources(
                registrar=self.registrar,
                sip=self.sip,
                guard=self.sip_transports.guard,
                media=self.media,
            ),
            clock=self.clock,
        )
        self.health = HealthChecks(
            {"database": DatabaseCheck(self.database), "sip": SipListenerCheck(self.sip_transports)}
        )
        self._http: _EmbeddedUvicorn | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def _build_sip(self) -> None:
        """SIP stack: transports -> driver -> endpoint -> dispatcher -> registrar (and later
        the call layer, which registers its methods on `self.sip_requests`)."""
        settings = self.settings
        monotonic = self.clock.monotonic

        def wall() -> float:
            return self.clock.utcnow().timestamp()

        self.sip = SipEndpoint()
        self.sip_driver = EndpointDriver(self.sip, monotonic)
        self.auth_failures = AuthFailureTracker(
            settings.auth_failures_to_ban, settings.auth_failure_window_s, settings.ban_seconds
        )
        guard = SourceGuard(
            settings.max_messages_per_second,
            monotonic,
            is_banned=lambda host, _now: self.auth_failures.is_banned(host, wall()),
        )
        self.sip_transports = Transports(
            self.sip_driver.receive,
            guard,
            monotonic,
            on_send_failed=self.sip_driver.transport_failed,  # RFC 3261 §17.1.4
            on_flow_closed=self._flow_closed,
        )
        store = BindingStore(self.database)
        self.registrar = Registrar(
            location=Location(
                ExpiryPolicy(
                    default=settings.registrar_default_expires,
                    minimum=settings.registrar_min_expires,
                    maximum=settings.registrar_max_expires,
                )
            ),
            directory=Directory(self.database, monotonic),
            store=store,
            writer=BindingWriter(store),
            digest=DigestServer(
                secrets.token_bytes(32),
                algorithms=tuple(
                    a.strip().upper()
                    for a in settings.sip_digest_algorithms.split(",")
                    if a.strip()
                ),
            ),
            failures=self.auth_failures,
            clock=wall,
            publish=self.events.publish,
            respond=self.sip_driver.send_response,
            extra_secrets=PhoneSecretLookup(self.database),  # browsers' phone credentials
        )
        self.sip_requests = RequestDispatcher(self.sip_driver.send_response)
        self.sip_requests.register("REGISTER", self.registrar.handle_register)
        self.sip_driver.attach(self.sip_transports, self.sip_requests)

    def _flow_closed(self, flow: Flow) -> None:
        """A browser's WebSocket closed: its bindings go (RFC 5626 §5.3, see the registrar)."""
        self.registrar.flow_closed(flow.kind.value, flow.remote)

    def _advertised_host(self) -> str:
        """The address peers must use for our SIP and RTP (Via, Contact, SDP c=)."""
        if self.settings.public_address:
            return self.settings.public_address
        host = self.sip_endpoint.host
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - comparing, not binding
            return outward_address()
        return host

    def _build_calls(self) -> None:
        """Media engine and B2BUA; the B2BUA registers its SIP methods on the dispatcher."""
        settings = self.settings
        advertised = self._advertised_host()
        self.ticker = Ticker(self.clock)
        self.media = MediaEngine(
            clock=self.clock,
            ticker=self.ticker,
            ports=PortPool(settings.rtp_port_min, settings.rtp_port_max),
            codecs=default_registry(),
            bind_address=self.sip_endpoint.host or "0.0.0.0",  # noqa: S104
            media_address=advertised,
            latch_policy=LatchPolicy.ANY
            if settings.rtp_latch == "any"
            else LatchPolicy.EXPECTED_HOSTS,
        )
        self.call_limits = CallLimits()
        self.live_state = InProcessLiveState()  # shared (Redis/NATS) for scale-out
        self.presence = PresenceView(self.live_state, self.registrar, self.database)
        local = LocalAddress(advertised, self.sip_endpoint.port)
        self.mwi = MwiNotifier(self.registrar, self.sip_driver, local)
        self.mailer = Mailer(
            self.database,
            smtp_url=settings.smtp_url,
            outbox_dir=settings.data_dir / "outbox",
            clock=self.clock,
        )
        self.media_store = MediaStore(settings.data_dir)
        self.voicemail = VoicemailServices(
            self.database,
            store=self.media_store,
            prompts=PromptLibrary(settings.data_dir / "prompts"),
            mailer=self.mailer,
            mwi=self.mwi,
            clock=self.clock,
            work_dir=settings.data_dir / "tmp",
        )
        # conference rooms: mixers on this engine, read and acted on by the API (same process)
        self.conferences = live_conferences(
            self.voicemail, mixing_room=self.media.mixing_room, publish=self.events.publish
        )
        self._outbox_stop = asyncio.Event()
        self._outbox_task: asyncio.Task[None] | None = None
        self._warm_task: asyncio.Task[int] | None = None
        # ACD queues: the call layer's board of agents and the app a waiting caller runs
        self.queues = QueueFeature(self.database, self.clock.monotonic, self.clock.utcnow)
        queue_app = functools.partial(QueueApp, board=self.queues, data_dir=settings.data_dir)
        deps = CallDeps(
            driver=self.sip_driver,
            database=self.database,
            directory=self.registrar.directory,
            registrar=self.registrar,
            gate=self.registrar.gate,
            engine=self.media,
            trunks=TrunkDirectory(self.database, self.secret_box, self.clock.monotonic),
            cdrs=CdrWriter(self.database),
            limits=self.call_limits,
            clock=self.clock,
            publish=self.events.publish,
            apps=AppLauncher(
                self.voicemail,
                {**standard_apps(), "queue": queue_app, **conference_apps(self.conferences)},
            ),
            call_media=CallMediaServices(
                self.voicemail, settings.data_dir, cache_seconds=settings.route_cache_seconds
            ),
            live=self.live_state,
        )
        self.b2bua = B2BUA(
            deps,
            local,
            CallSettings(
                ring_timeout=settings.ring_timeout,
                trunk_setup_timeout=settings.trunk_setup_timeout,
                plan_ttl=settings.route_cache_seconds,
            ),
            (
                *standard_features(
                    self.database,
                    self.clock,
                    mailboxes=self.voicemail,
                    cache_seconds=settings.route_cache_seconds,
                ),
                PresenceEvents(cache_seconds=settings.route_cache_seconds),
                self.queues,
                # prepaid/trial tenants' outbound calls: authorised against the credit
                PrepaidGuard(self.database, self.clock, cache_seconds=settings.route_cache_seconds),
            ),
        )
        self.b2bua.register(self.sip_requests)
        # outbound campaigns: places calls through this B2BUA while a campaign is running
        self.dialer = Dialer(self.database, lambda: self.b2bua.actions, self.voicemail.prompts,
                             self.clock, self.events.publish)  # fmt: skip
        # agent desktop sessions follow the dialer's connected leads and their calls' ends
        self.agent_sessions = SessionFollower(self.database, self.events, self.clock)
        self.live_rating = LiveRater(self.database, self.clock)  # CDRs rated at hang-up
        # campaigns' appointments <-> their CalDAV calendars, every caldav_sync_seconds
        self.calendar_sync = CalendarSync(self.database, self.secret_box, self.clock)

    async def _start_sip(self) -> None:
        """UDP and TCP on the SIP address (fatal if busy); TLS and WS when configured (a busy
        optional port is logged, not fatal, so a second instance on one host still starts)."""
        sip = self.sip_endpoint
        address = ListenAddress(sip.host, sip.port)
        udp = await self.sip_transports.listen_udp(
            address, receive_buffer=self.settings.sip_udp_receive_buffer
        )
        await self.sip_transports.listen_stream(TransportKind.TCP, ListenAddress(sip.host, udp[1]))
        log.info("SIP listening on %s:%s (UDP, TCP)", udp[0], udp[1])
        self.b2bua.local = LocalAddress(self.b2bua.local.host, udp[1])
        self.mwi.local = self.b2bua.local
        tls = self.sip_tls_endpoint
        if tls is not None and tls.port > 0:
            try:
                await self.sip_transports.listen_stream(
                    TransportKind.TLS, ListenAddress(tls.host, tls.port), self._tls_context()
                )
                log.info("SIP listening on %s (TLS)", tls)
            except OSError as exc:
                log.error("SIP TLS listener on %s not started: %s", tls, exc)
        ws = self.sip_ws_endpoint
        if ws is not None and ws.port > 0:
            try:
                await self.sip_transports.listen_websocket(ListenAddress(ws.host, ws.port))
                log.info("SIP listening on %s (WebSocket)", ws)
            except OSError as exc:
                log.error("SIP WebSocket listener on %s not started: %s", ws, exc)
        wss = self.sip_wss_endpoint
        if wss is not None and wss.port > 0:
            try:
                bound = await self.sip_transports.listen_websocket(
                    ListenAddress(wss.host, wss.port), self._tls_context()
                )
                self.sip_wss_port = bound[1]
                log.info("SIP listening on %s (secure WebSocket)", wss)
            except OSError as exc:
                log.error("SIP secure WebSocket listener on %s not started: %s", wss, exc)

    def _tls_context(self) -> ssl.SSLContext:
        if self.settings.sip_tls_cert and self.settings.sip_tls_key:
            cert, key = Path(self.settings.sip_tls_cert), Path(self.settings.sip_tls_key)
        else:
            cert, key = ensure_self_signed(self.settings.data_dir / "tls")
        return server_context(cert, key)

    async def start(self) -> None:
        """Start in dependency order; fails early (database behind) before opening any port."""
        await self.database.require_migrated()
        await self.registrar.start()
        recovered = await CdrWriter(self.database).recover_open_cdrs(self.clock.utcnow())
        if recovered:
            log.warning("closed %d CDRs left open by a previous run", recovered)
        await self._start_sip()
        self.ticker.start()
        self.metrics.start()
        self.agent_sessions.start()
        self.live_rating.start()
        self.calendar_sync.start(self.settings.caldav_sync_seconds)
        await self.dialer.start()
        self._outbox_task = asyncio.create_task(OutboxWorker(self.mailer).run(self._outbox_stop))
        self._warm_task = asyncio.create_task(self.voicemail.prompts.warm(PROMPTS_HEARD_AT_ONCE))
        app = create_app(
            self.database,
            clock=self.clock,
            events_bus=self.events,
            registrations=self.registrations,
            calls=self.live_calls,
            presence=self.presence,
            secret_box=self.secret_box,
            health=self.health,
            metrics=self.metrics,
            media_store=self.media_store,
            conferences=self.conferences,
            phone_ws_port=self.sip_wss_port,
            bans=TrackerBans(self.auth_failures, lambda: self.clock.utcnow().timestamp()),
            mailer=self.mailer,
        )
        config = uvicorn.Config(
            app,
            host=self.http_endpoint.host,
            port=self.http_endpoint.port,
            log_level="warning",
            lifespan="off",
        )
        self._http = _EmbeddedUvicorn(config)
        self._http_task = asyncio.create_task(self._http.serve())
        while not self._http.started:
            if self._http_task.done():
                self._http_task.result()
                raise RuntimeError(f"HTTP server could not start on {self.http_endpoint}")
            await asyncio.sleep(0.02)
        log.info("HTTP listening on %s", self.http_endpoint)
        # Everything built so far (modules, routes, caches, the database layer) lives as long as
        # the process: move it out of the collector's reach, so that a full (generation 2)
        # collection walks only what calls created since, instead of pausing the event loop,
        # and with it every call's audio, for 100-200 ms (measured with the queue benchmark).
        gc.freeze()

    async def stop(self) -> None:
        """Stop in reverse order; safe to call twice."""
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._http_task
            self._http = None
        await self.metrics.stop()
        if self._warm_task is not None:
            self._warm_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warm_task
            self._warm_task = None
        await self.dialer.stop()
        await self.agent_sessions.stop()
        await self.live_rating.stop()
        await self.calendar_sync.stop()
        await self.b2bua.close()
        self._outbox_stop.set()
        if self._outbox_task is not None:
            await self._outbox_task
            self._outbox_task = None
        await self.sip_transports.close()
        await self.sip_requests.drain()
        self.ticker.stop()
        await self.media.close()
        await self.registrar.stop()
        self.sip_driver.close()
        await self.database.dispose()
        log.info("stopped")

    def request_stop(self) -> None:
        self._stopping.set()

    async def run_until_stopped(self) -> None:
        """Start, wait for SIGINT/SIGTERM (or `request_stop`), then stop cleanly."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.request_stop)
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()
