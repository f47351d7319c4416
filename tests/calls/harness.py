"""The B2BUA on an in-memory SIP network, with a real database, registrar and media engine.

Why: the B2BUA is the code every coming feature lands in, and until now no test drove it. This
harness runs the *real* call path — `RequestDispatcher`, registrar (REGISTER with digest), the
B2BUA's handlers, CDRs in SQLite, RTP legs on loopback — with only the sockets and the clock
replaced: SIP datagrams move through `tests/calls/network.py`, time moves when the test says
(`ManualClock`), so every deadline can be asserted exactly (RFC 3261 §13.3.1.4, §17).

The world (`make_harness`):
- Centrex at 127.0.0.1:5060; tenant `acme.test` (3-digit extensions 101-103, DID +41215550100
  to 101, licence `max_calls`); tenant `beta.test` (extensions 102 and 201) to prove isolation.
- Phones 101 (:5071), 102 (:5072), 103 (:5073), a second device of 102 (:5074), beta's 102
  (:5081, SIP username beta102) and 201 (:5082, beta201); all of them register through real REGISTER + digest MD5 when a test asks.
- Two carriers, `carrier-a` at 127.0.0.2:5090 (priority 1) and `carrier-b` at 127.0.0.3:5090;
  route prefix 41 tries a then b. (Trunks get their own IPs: Centrex recognises a carrier by
  source IP alone, so a trunk on the phones' 127.0.0.1 would turn every phone into a carrier.)
- `FakeApps`, an `AppHost` that records what it was asked to run.

`make_b2bua` is the ONE place the B2BUA is constructed, so a constructor change touches only it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from centrex.calls.app_host import AppContext, AppHost, CallControl
from centrex.calls.b2bua import B2BUA, CallDeps, CallSettings
from centrex.calls.call_media import CallMediaHost
from centrex.calls.cdr import CdrWriter
from centrex.calls.features import CallFeature
from centrex.calls.limits import CallLimits
from centrex.calls.signalling import LocalAddress
from centrex.calls.trunks import TrunkDirectory
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Cdr, CdrLeg
from centrex.data.secrets_box import SecretBox
from centrex.events import Event
from centrex.media.channel import Channel
from centrex.media.codecs import default_registry
from centrex.media.engine import MediaEngine
from centrex.media.ports import PortPool
from centrex.media.ticker import Ticker
from centrex.provisioning import extensions, numbers, tenants, trunks
from centrex.registrar import (
    AuthFailureTracker,
    BindingStore,
    BindingWriter,
    Directory,
    Location,
    Registrar,
)
from centrex.sip.digest import DigestServer
from centrex.sip.endpoint import SipEndpoint
from centrex.transport.dispatch import RequestDispatcher
from tests.calls.network import MemoryDriver, Network
from tests.calls.uas import IncomingCall, OutgoingCall, Phone

CENTREX = ("127.0.0.1", 5060)
TENANT = "acme.test"
OTHER = "beta.test"
PASSWORD = "phone-secret-1"
OTHER_PASSWORD = "beta-secret-22"
DID = "+41215550100"
OUTSIDE = "0446681800"
OUTSIDE_E164 = "+41446681800"
CARRIER_A = ("127.0.0.2", 5090)
CARRIER_B = ("127.0.0.3", 5090)
RTP_PORTS = (42000, 42999)
SETTINGS = CallSettings(ring_timeout=20.0, trunk_setup_timeout=5.0, plan_ttl=2.0)
SAFETY_S = 10.0  # real seconds before a stuck settle() fails the test (never reached when green)


@dataclass
class AppRun:
    """One request to run an app."""

    app: str
    context: AppContext
    channel: Channel
    control: CallControl | None


class FakeApps:
    """An `AppHost` that records what it was asked: answers (200 to the caller) and returns at
    once (the B2BUA then hangs up), or stays until `release` when `stay` is set."""

    def __init__(self, available: tuple[str, ...] = ("voicemail",), *, stay: bool = False) -> None:
        self.available = available
        self.stay = stay
        self.runs: list[AppRun] = []
        self.release = asyncio.Event()
        self.parked: set[asyncio.Task[Any]] = set()
        self.on_park: Callable[[], None] | None = None  # settle() stops waiting for it

    def has(self, app: str) -> bool:
        return app in self.available

    async def run(
        self, app: str, channel: Channel, context: AppContext, control: CallControl | None = None
    ) -> None:
        self.runs.append(AppRun(app, context, channel, control))
        await channel.answer()
        if self.stay:
            task = asyncio.current_task()
            assert task is not None
            self.parked.add(task)  # waiting on the test, not on I/O: settle() ignores it
            if self.on_park is not None:
                self.on_park()
            try:
                await self.release.wait()
            finally:
                self.parked.discard(task)


class ErrorLog(logging.Handler):
    """Collects ERROR records of centrex.*: a task that failed is a bug the test must show."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def make_b2bua(
    *,
    driver: MemoryDriver,
    database: Database,
    registrar: Registrar,
    engine: MediaEngine,
    clock: ManualClock,
    publish: Callable[[Event], None],
    settings: CallSettings,
    apps: AppHost | None,
    box: SecretBox,
    limits: CallLimits,
    features: tuple[CallFeature, ...] = (),
    call_media: CallMediaHost | None = None,
) -> B2BUA:
    """The one construction of the B2BUA: its collaborators grouped in one `CallDeps`."""
    deps = CallDeps(
        driver=driver,
        database=database,
        directory=registrar.directory,
        registrar=registrar,
        gate=registrar.gate,
        engine=engine,
        trunks=TrunkDirectory(database, box, clock.monotonic),
        cdrs=CdrWriter(database),
        limits=limits,
        clock=clock,
        publish=publish,
        apps=apps,
        call_media=call_media,
    )
    return B2BUA(deps, LocalAddress(*CENTREX), settings, features)


@dataclass
class Harness:
    """Everything of one test's world; phones by name (`h.phones["102b"]`)."""

    clock: ManualClock
    network: Network
    database: Database
    driver: MemoryDriver
    registrar: Registrar
    engine: MediaEngine
    b2bua: B2BUA
    apps: FakeApps | None
    tenant_id: int
    other_tenant_id: int
    trunk_ids: dict[str, int]
    phones: dict[str, Phone]
    events: list[Event]
    errors: ErrorLog
    baseline: set[asyncio.Task[Any]] = field(default_factory=set)
    limits: CallLimits = field(default_factory=CallLimits)

    @property
    def carrier_a(self) -> Phone:
        return self.phones["carrier-a"]

    @property
    def carrier_b(self) -> Phone:
        return self.phones["carrier-b"]

    def __getitem__(self, name: str) -> Phone:
        return self.phones[name]

    # ---- running the loop -------------------------------------------------------------------
    def _busy(self) -> list[asyncio.Task[Any]]:
        current = asyncio.current_task()
        parked = self.apps.parked if self.apps is not None else set()
        return [
            t
            for t in asyncio.all_tasks()
            if t is not current and t not in self.baseline and t not in parked and not t.done()
        ]

    async def settle(self, until: Callable[[], bool] | None = None) -> None:
        """Deliver datagrams and wait for the dispatcher's and the B2BUA's tasks (they do DB
        I/O) until nothing moves any more — or, with `until`, until it holds (a task waiting
        for a phone's answer, like a relayed re-INVITE, never finishes on its own)."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + SAFETY_S
        while True:
            self.network.pump()
            if until is not None and until():
                return
            busy = self._busy()
            if not busy:
                await asyncio.sleep(0)  # done-callbacks and call_soon work run first
                if self.network.in_flight or self._busy():
                    continue
                if until is not None:
                    raise AssertionError("the network settled and the awaited condition is false")
                return
            # wake up when a task ends, sends a datagram (it may wait for the answer to it) or
            # parks in the fake app (it waits for the test)
            poked: asyncio.Future[None] = loop.create_future()

            def poke(poked: asyncio.Future[None] = poked) -> None:
                if not poked.done():
                    poked.set_result(None)

            self.network.on_send = poke
            if self.apps is not None:
                self.apps.on_park = poke
            try:
                left = max(give_up - loop.time(), 0)
                done, _ = await asyncio.wait(
                    [*busy, poked], timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                self.network.on_send = None
                if self.apps is not None:
                    self.apps.on_park = None
            if not done:
                raise AssertionError(f"not settled after {SAFETY_S} s; still running: {busy}")

    def timer_interface(self) -> tuple[Callable[[], float | None], Callable[[float], None]]:
        """`B2BUA.next_deadline()` / `handle_timers(now)`: the call timers on the one clock
        (issue 11); until the B2BUA has them, the timer tests fail here, by name."""
        next_deadline = getattr(self.b2bua, "next_deadline", None)
        handle_timers = getattr(self.b2bua, "handle_timers", None)
        if next_deadline is None or handle_timers is None:
            raise AssertionError(
                "B2BUA.next_deadline() / B2BUA.handle_timers(now) are not there yet: the call "
                "timers still run on loop.call_later, which the ManualClock cannot drive"
            )
        return next_deadline, handle_timers

    def _call_timers(self) -> tuple[Callable[[], float | None], Callable[[float], None]] | None:
        try:
            return self.timer_interface()
        except AssertionError:
            return None

    async def advance(self, seconds: float) -> None:
        """Move the clock by `seconds`, stopping at every deadline on the way (transaction
        timers of every node, and the B2BUA's call timers) and settling after each, so each
        timer fires at its exact deadline."""
        target = self.clock.monotonic() + seconds
        timers = self._call_timers()
        same_instant = 0
        while True:
            deadlines = [self.network.next_deadline()]
            if timers is not None:
                deadlines.append(timers[0]())
            due = [d for d in deadlines if d is not None and d <= target]
            if not due:
                break
            when = min(due)
            now = self.clock.monotonic()
            if when > now:
                self.clock.advance(when - now)
                same_instant = 0
            else:
                same_instant += 1
                assert same_instant < 1000, f"a timer due at {when} keeps firing"
            self.network.fire_timers(self.clock.monotonic())
            if timers is not None:
                timers[1](self.clock.monotonic())
            await self.settle()
        self.clock.advance(target - self.clock.monotonic())
        await self.settle()

    # ---- reading the records ----------------------------------------------------------------
    async def cdr(self, call_id: str) -> Cdr:
        """The CDR of the call the caller placed with `call_id`."""
        async with self.database.session() as session:
            rows = (await session.scalars(select(Cdr).where(Cdr.call_id == call_id))).all()
        assert len(rows) == 1, f"{len(rows)} CDRs for {call_id}"
        return rows[0]

    async def cdr_count(self) -> int:
        async with self.database.session() as session:
            return len((await session.scalars(select(Cdr))).all())

    async def legs(self, cdr_id: int) -> list[CdrLeg]:
        async with self.database.session() as session:
            stmt = select(CdrLeg).where(CdrLeg.cdr_id == cdr_id).order_by(CdrLeg.leg_index)
            return list((await session.scalars(stmt)).all())

    async def register(self, *names: str) -> None:
        """REGISTER the named phones (digest MD5); every one must end 200."""
        sent = [self.phones[name].register() for name in names]
        await self.settle()
        for name, first in zip(names, sent, strict=True):
            final = self.phones[name].registrations[-1]
            assert first.status == 401, f"{name}: {first.statuses}"
            assert final.status == 200, f"{name}: {final.statuses}"

    async def call(
        self, caller: str, dialled: str, callee: str | None = None
    ) -> tuple[OutgoingCall, IncomingCall]:
        """Place a call and have `callee` (default: the phone named `dialled`) ring and answer
        it; returns both ends once the caller's 200 is ACKed."""
        outgoing = self.phones[caller].invite(dialled)
        phone = self.phones[callee or dialled]
        before = len(phone.incoming)
        await self.settle(until=lambda: len(phone.incoming) > before)
        await self.settle()
        incoming = phone.incoming[-1]
        incoming.ring()
        await self.settle()
        incoming.answer()
        await self.settle()
        assert outgoing.status == 200, outgoing.statuses
        return outgoing, incoming

    def live_calls(self) -> int:
        return len(self.b2bua.live_calls(self.tenant_id))


async def _provision(
    database: Database, clock: ManualClock, max_calls: int
) -> tuple[int, int, dict[str, int]]:
    box = SecretBox("k")
    async with database.transaction() as session:
        acme = await tenants.create_tenant(
            session, now=clock.utcnow(), name="Acme", domain=TENANT, extension_digits=3,
            max_calls=max_calls,
        )  # fmt: skip
        scope = tenants.scope_of(session, acme)
        for number in ("101", "102", "103"):
            await extensions.create_extension(
                scope, number=number, name=f"Ext {number}", password=PASSWORD
            )
        await numbers.assign_number(scope, DID, now=clock.utcnow(), extension_number="101")
        beta = await tenants.create_tenant(
            session, now=clock.utcnow(), name="Beta", domain=OTHER, extension_digits=3, max_calls=4
        )
        other = tenants.scope_of(session, beta)
        for number in ("102", "201"):
            await extensions.create_extension(
                other, number=number, username=f"beta{number}", password=OTHER_PASSWORD
            )
        ids = {}
        for name, (host, port), priority in (
            ("carrier-a", CARRIER_A, 1),
            ("carrier-b", CARRIER_B, 2),
        ):
            trunk = await trunks.create_trunk(
                session, box, name=name, host=host, port=port, priority=priority
            )
            ids[name] = trunk.id
        await trunks.create_route(
            session, name="switzerland", prefix="41", trunk_names=["carrier-a", "carrier-b"]
        )
        return acme.id, beta.id, ids


def _phones(network: Network) -> dict[str, Phone]:
    phones = {}
    for name, user, port, domain, password in (
        ("101", "101", 5071, TENANT, PASSWORD),
        ("102", "102", 5072, TENANT, PASSWORD),
        ("103", "103", 5073, TENANT, PASSWORD),
        ("102b", "102", 5074, TENANT, PASSWORD),
        ("beta-102", "beta102", 5081, OTHER, OTHER_PASSWORD),
        ("beta-201", "beta201", 5082, OTHER, OTHER_PASSWORD),
    ):
        phones[name] = Phone(
            network, ("127.0.0.1", port), user=user, domain=domain, password=password,
            centrex=CENTREX, name=name,
        )  # fmt: skip
    for name, address in (("carrier-a", CARRIER_A), ("carrier-b", CARRIER_B)):
        phones[name] = Phone(
            network, address, user=None, domain=address[0], centrex=CENTREX, name=name
        )
    return phones


@contextlib.asynccontextmanager
async def make_harness(
    url: str,
    *,
    max_calls: int = 4,
    apps: FakeApps | None = None,
    settings: CallSettings = SETTINGS,
    algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
    features: tuple[CallFeature, ...] = (),
    call_media: CallMediaHost | None = None,
) -> AsyncIterator[Harness]:
    """Provision the world, build Centrex on the in-memory network, tear it all down after."""
    clock = ManualClock()
    database = Database(url)
    tenant_id, other_id, trunk_ids = await _provision(database, clock, max_calls)
    network = Network(clock)
    endpoint = SipEndpoint()
    driver = MemoryDriver(endpoint, network, CENTREX, clock)
    network.attach(driver)
    events: list[Event] = []
    store = BindingStore(database)
    registrar = Registrar(
        location=Location(),
        directory=Directory(database, clock.monotonic),
        store=store,
        writer=BindingWriter(store),
        digest=DigestServer(b"d" * 32, algorithms=algorithms),
        failures=AuthFailureTracker(5, 60.0, 600.0),
        clock=lambda: clock.utcnow().timestamp(),
        publish=events.append,
        respond=driver.send_response,
    )
    dispatcher = RequestDispatcher(driver.send_response)
    dispatcher.register("REGISTER", registrar.handle_register)
    driver.handler = dispatcher
    engine = MediaEngine(
        clock=clock, ticker=Ticker(clock), ports=PortPool(*RTP_PORTS), codecs=default_registry(),
        bind_address="127.0.0.1",
    )  # fmt: skip
    limits = CallLimits()
    b2bua = make_b2bua(
        driver=driver, database=database, registrar=registrar, engine=engine, clock=clock,
        publish=events.append, settings=settings, apps=apps, box=SecretBox("k"), limits=limits,
        features=features, call_media=call_media,
    )  # fmt: skip
    b2bua.register(dispatcher)
    errors = ErrorLog()
    logger = logging.getLogger("centrex")
    logger.addHandler(errors)
    h = Harness(
        clock, network, database, driver, registrar, engine, b2bua, apps, tenant_id, other_id,
        trunk_ids, _phones(network), events, errors, set(asyncio.all_tasks()), limits,
    )  # fmt: skip
    failed = False
    try:
        yield h
    except BaseException:
        failed = True
        raise
    finally:
        try:
            if apps is not None:
                apps.release.set()
            for task in h._busy():
                task.cancel()
            await asyncio.gather(*h._busy(), return_exceptions=True)
            await engine.close()
        finally:
            logger.removeHandler(errors)
            await database.dispose()
        if not failed:
            messages = [r.getMessage() for r in errors.records]
            assert not messages, f"errors logged during the test: {messages}"
            assert not network.undeliverable, f"datagrams to nowhere: {network.undeliverable}"
