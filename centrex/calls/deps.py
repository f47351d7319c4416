"""Everything the call layer is built from, grouped in one object that only `server.py` builds.

The B2BUA needs about fifteen collaborators (the SIP driver, the database, the registrar's
directory and bindings, digest authentication, the media engine, trunks, CDRs, licences, the
clock, the event bus, and the two protocols through which the layers above serve it: apps and
call media). Passing them one by one made every module of the call layer take a long argument
list; `CallDeps` is the one bundle, frozen so no part swaps a dependency under another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from centrex.calls.app_host import AppHost
from centrex.calls.call_media import CallMediaHost
from centrex.calls.cdr import CdrWriter
from centrex.calls.limits import CallLimits
from centrex.calls.live_state import InProcessLiveState, LiveState
from centrex.calls.trunks import TrunkDirectory
from centrex.clock import Clock
from centrex.data.db import Database
from centrex.events import Event
from centrex.media.engine import MediaEngine
from centrex.registrar import DigestGate, Directory, Registrar
from centrex.sip.events import Event as SipEvent
from centrex.sip.events import RequestReceived
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response
from centrex.sip.timers import TimerConfig

RequestHandler = Callable[[RequestReceived], Awaitable[None] | None]


class SipDriver(Protocol):
    """The transport driver as the call layer sees it (calls sit above transports)."""

    def send_response(self, response: Response, transaction: ServerKey | None = None) -> None: ...

    def send_request(
        self, request: Request, target: tuple[str, int], transport: str = "UDP"
    ) -> ClientKey | None: ...


class MethodRouter(Protocol):
    """Where the call layer registers the SIP methods it serves (the request dispatcher)."""

    def register(self, method: str, handler: RequestHandler) -> None: ...

    def set_other(self, handler: Callable[[SipEvent], None]) -> None: ...

    def support(self, *tags: str) -> None:
        """Option tags the server supports (`Supported:` of its OPTIONS answer)."""
        ...


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Timers and limits of the call layer."""

    ring_timeout: float = 60.0
    trunk_setup_timeout: float = 8.0
    plan_ttl: float = 2.0
    timers: TimerConfig = field(default_factory=TimerConfig)  # T1/T2 of RFC 3261 §17
    max_duration: float | None = None  # seconds an answered call may last (None: no cap)


@dataclass(frozen=True, slots=True)
class CallDeps:
    """The collaborators of the call layer (built by `server.py`, or by a test harness)."""

    driver: SipDriver
    database: Database
    directory: Directory
    registrar: Registrar
    gate: DigestGate
    engine: MediaEngine
    trunks: TrunkDirectory
    cdrs: CdrWriter
    limits: CallLimits
    clock: Clock
    publish: Callable[[Event], None]
    apps: AppHost | None = None
    call_media: CallMediaHost | None = None
    live: LiveState = field(default_factory=InProcessLiveState)
