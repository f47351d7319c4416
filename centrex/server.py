"""The only wiring module: builds every service, passes dependencies by constructor, and starts
and stops them in order (shared/DESIGN.md §3, habit 8)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.clock import Clock, SystemClock
from centrex.data.db import Database
from centrex.events import EventBus
from centrex.provisioning.secrets_box import SecretBox
from centrex.settings import Settings

log = logging.getLogger(__name__)


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
    ) -> None:
        self.settings = settings
        self.sip_endpoint = sip
        self.http_endpoint = http
        self.clock = clock or SystemClock()
        self.database = Database(settings.effective_database_url)
        self.events = EventBus()
        # Until the registrar offers its own RegistrationSource, registrations are followed
        # from its RegistrationChanged events; the call layer will pass a LiveCalls here.
        self.registrations = RegistrationsFromEvents(self.events, self.clock)
        self._http: _EmbeddedUvicorn | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Start in dependency order; fails early (database behind) before opening any port."""
        await self.database.require_migrated()
        self.registrations.start()
        app = create_app(
            self.database,
            clock=self.clock,
            events_bus=self.events,
            registrations=self.registrations,
            secret_box=SecretBox.from_settings(self.settings.secret_key, self.settings.data_dir),
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

    async def stop(self) -> None:
        """Stop in reverse order; safe to call twice."""
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._http_task
            self._http = None
        await self.registrations.stop()
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
