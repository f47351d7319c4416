"""BLF fan-out: NOTIFYs per second for 1 000 dialog subscriptions watching 100 busy extensions.

Run (numbers go to docs/performance.md, section "BLF fan-out"):

    .venv/bin/python bench/calls/blf_bench.py                      # ~1 minute, SQLite
    .venv/bin/python bench/calls/blf_bench.py --database postgresql --rates 50 100 200 400

Set-up (loopback only, fresh data dir; call_bench's Server reused for env, database and stop):
  * tenant `bench.test` with --extensions watched extensions (1000, 1001, ...) and --subscribers
    subscriber extensions (2000, 2001, ...), all with passwords (created in-process by the
    `_provision` step: 110 CLI runs would take two minutes);
  * `centrex serve` is the real server (`Server` of centrex.server, the same features and
    watchers as `centrex serve`), started by this script's `_serve` step, which adds one
    thing: a driver on a loopback control socket that writes dialog phases into the server's
    live state (`LiveState.set_dialog`) exactly as `features/live_dialogs.py` does for the
    callee of a real call: trying, early, confirmed, terminated, then the next call. So
    everything after the live-state change is the production path (BusyLamps, PresenceEvents,
    dialog-info bodies, NOTIFY client transactions over UDP); the calls themselves (INVITE
    handling, media, CDRs: "Call rate" in docs/performance.md) are not driven, because 100
    extensions cycling through calls at the rates below would need thousands of calls/s;
  * subscribers are asyncio UDP endpoints in this process (one socket per subscriber
    extension, like one phone each): each SUBSCRIBEs (Event: dialog, 401 digest MD5, retry
    with credentials, Expires 3600) to its share of the watched extensions, round robin, so
    every watched extension has --subscriptions / --extensions watchers. The default (10
    subscribers x 100) is a switchboard: ten attendant consoles (receptions, a hotel's front
    desks, a hospital's switchboard) each showing a lamp for every one of the 100 extensions.
    `--subscribers 100` gives the other common shape (every desk phone watching 10
    colleagues); the fan-out per change is the same (10 NOTIFYs), only the number of
    destinations differs;
  * every NOTIFY is answered 200 at once (a real phone must, else Centrex retransmits and
    drops the subscription) and checked: method NOTIFY, `Event: dialog`, content type
    `application/dialog-info+xml`, `entity` = the extension its subscription watches;
    a retransmission (same Call-ID and CSeq) is answered but counted once.

Per step (--rates, in live-state changes per second over all watched extensions, each for
--seconds): expected NOTIFYs = changes x watchers of the changed extension. Delivered = unique
checked NOTIFYs received by --drain seconds after the driver's last change; NOTIFYs/s =
delivered / (last NOTIFY - first change). Latency = receipt - the time the driver wrote the
change that produced the state shown (matched by the dialog's Call-ID and state in the body;
an empty body to the extension's latest `terminated` change); both processes read
CLOCK_MONOTONIC. Centrex CPU from /proc/PID/stat over the same interval, and this process's
CPU too (the subscribers' share of the machine). Centrex sends at most one NOTIFY in flight
per subscription and coalesces changes meanwhile into the next (full-state) one, so delivered
may be below expected by design; what must hold is that every lamp ends up right. A step
keeps up when no lamp is stale (every subscription's newest NOTIFY shows its extension's last
state by --drain seconds after the last change), none was wrong, and p95 latency <= 1 s (a
lamp later than that misleads a receptionist). UDP drops: the kernel's RcvbufErrors over the
step, machine-wide. The server's per-source message limit is off by default (--source-limit).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from call_bench import (  # noqa: E402
    DOMAIN,
    ROOT,
    SERVER_IP,
    Server,
    _free_udp_port,
    _pg_admin,
    _raise_nofile,
    cpu_pressure,
    cpu_seconds,
    rss_kib,
)

from tests.peers.raw import udp_options_ok  # noqa: E402

WATCHED_BASE, SUBSCRIBER_BASE = 1000, 2000
CALLER = "3000"  # the peer shown in the dialogs (never subscribed to)
PHASES = ("trying", "early", "confirmed", "terminated")
PERCENTILES = (50, 95, 99)


def password(number: str) -> str:
    return f"bench-{number}-secret"


# ---- in the server process: provisioning and the live-state driver ---------------------------
async def _provision(extensions: int, subscribers: int) -> int:
    """Tenant and extensions straight through the provisioning services; returns the tenant id."""
    from datetime import UTC, datetime

    from centrex.data.db import Database
    from centrex.provisioning import extensions as extension_service
    from centrex.provisioning import tenants as tenant_service
    from centrex.settings import load_settings

    database = Database(load_settings().effective_database_url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=datetime.now(UTC), name="Bench", domain=DOMAIN,
                extension_digits=4, max_calls=100_000,
            )  # fmt: skip
            scope = tenant_service.scope_of(session, tenant)
            numbers = [str(WATCHED_BASE + i) for i in range(extensions)]
            numbers += [str(SUBSCRIBER_BASE + i) for i in range(subscribers)]
            for number in numbers:
                await extension_service.create_extension(
                    scope, number=number, password=password(number), voicemail=False
                )
            return int(tenant.id)
    finally:
        await database.dispose()


class Driver(asyncio.DatagramProtocol):
    """Writes callee dialog phases into the live state at a given rate, on command (JSON over
    loopback UDP: rate, seconds, tenant, extensions, log path); answers when done."""

    def __init__(self, live: Any) -> None:
        self.live = live
        self.transport: asyncio.DatagramTransport | None = None
        self.calls: dict[str, tuple[str, int]] = {}  # extension -> (call id, phase index)
        self.serial = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self.run(json.loads(data), addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def change(self, tenant: int, extension: str) -> tuple[str, str, str, float]:
        from centrex.calls.live_state import DialogPhase, ExtensionDialog

        call_id, index = self.calls.get(extension, ("", len(PHASES) - 1))
        index = (index + 1) % len(PHASES)
        if index == 0:
            self.serial += 1
            call_id = f"blf-bench-{self.serial}-{secrets.token_hex(4)}"
        self.calls[extension] = (call_id, index)
        phase = DialogPhase(PHASES[index])
        now = time.monotonic()
        await self.live.set_dialog(tenant, extension,
                                   ExtensionDialog(call_id, phase, False, CALLER, now))  # fmt: skip
        return (extension, call_id, phase.value, now)

    async def run(self, command: dict[str, Any], addr: tuple[str, int]) -> None:
        rate, seconds = float(command["rate"]), float(command["seconds"])
        tenant, extensions = int(command["tenant"]), list(command["extensions"])
        total, done, changes = int(rate * seconds), 0, []
        start = time.monotonic()
        while done < total:
            due = min(total, int((time.monotonic() - start) * rate) + 1)
            while done < due:
                changes.append(await self.change(tenant, extensions[done % len(extensions)]))
                done += 1
            await asyncio.sleep(0.002)  # let the NOTIFY tasks run between bursts
        Path(command["log"]).write_text(json.dumps(changes))  # noqa: ASYNC240 - after the step
        reply = {"changes": done, "behind_s": time.monotonic() - start - seconds}
        assert self.transport is not None
        self.transport.sendto(json.dumps(reply).encode(), addr)


async def _serve_driven(args: argparse.Namespace) -> None:
    from centrex.cli.common import CliState
    from centrex.logs import configure_logging
    from centrex.server import Endpoint
    from centrex.server import Server as Centrex

    state = CliState()
    configure_logging(state.settings.log_level)
    server = Centrex(state.settings, sip=Endpoint.parse(args.sip, 5060),
                     http=Endpoint.parse(args.http, 8080), clock=state.clock,
                     sip_tls=Endpoint.parse(f"{SERVER_IP}:0", 5061),
                     sip_ws=Endpoint.parse(f"{SERVER_IP}:0", 5066))  # fmt: skip
    loop = asyncio.get_running_loop()
    driver = Driver(server.live_state)
    await loop.create_datagram_endpoint(lambda: driver, local_addr=(SERVER_IP, args.control))
    if args.rcvbuf:
        waiting = asyncio.ensure_future(_set_rcvbuf(server, args.rcvbuf))
    await server.run_until_stopped()
    if args.rcvbuf:
        await waiting


async def _set_rcvbuf(server: Any, size: int) -> None:
    """Experiment (--rcvbuf): a bigger kernel receive buffer on Centrex's SIP UDP socket, set
    from outside once it is bound (Centrex itself leaves the system default, 208 KiB here)."""
    import socket

    for _ in range(600):
        udp = server.sip_transports.udp
        if udp is not None and udp._transport is not None:
            sock = udp._transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            print(f"SIP UDP SO_RCVBUF {got}", flush=True)
            return
        await asyncio.sleep(0.1)


class DrivenServer(Server):
    """call_bench's Server, started through `_serve` (the real server plus the driver)."""

    def __init__(self, work: Path, database: str, rcvbuf: int = 0) -> None:
        super().__init__(work, database)
        self.control = _free_udp_port()
        self.tenant_id = 0
        self.rcvbuf = rcvbuf

    def provision_blf(self, extensions: int, subscribers: int) -> None:
        if self.pg_name:
            _pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        done = subprocess.run(
            [sys.executable, __file__, "_provision", "--extensions", str(extensions),
             "--subscribers", str(subscribers)],
            check=False, env=self.env, cwd=ROOT, timeout=600, capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"provisioning failed (a --keep dir used before?):\n{done.stderr}")
        self.tenant_id = int(done.stdout.split()[-1])

    def start(self) -> int:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "_serve", "--sip", f"{SERVER_IP}:{self.sip}",
                 "--http", f"{SERVER_IP}:{self.http}", "--control", str(self.control),
                 "--rcvbuf", str(self.rcvbuf)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        if not udp_options_ok((SERVER_IP, self.sip), timeout=60):
            self.stop()
            raise SystemExit(f"server did not answer OPTIONS:\n{self.log.read_text()[-3000:]}")
        return self.process.pid


# ---- in the bench process: the subscribers ---------------------------------------------------
COMPACT = {b"i": b"call-id", b"v": b"via", b"f": b"from", b"t": b"to", b"c": b"content-type",
           b"o": b"event", b"l": b"content-length"}  # fmt: skip
ENTITY = re.compile(rb'<dialog-info\b[^>]*?\sentity="([^"]*)"')
VERSION = re.compile(rb'<dialog-info\b[^>]*?\sversion="(\d+)"')
DIALOG = re.compile(rb'<dialog\b[^>]*?\scall-id="([^"]*)".*?<state>(\w+)</state>', re.S)


def split_message(data: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """First line, (lower-case name, value) headers in order, body: just enough SIP."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        headers.append((COMPACT.get(key, key), value.strip()))
    return lines[0], headers, body


def header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes:
    return next((v for k, v in headers if k == name), b"")


@dataclass(eq=False)
class Watch:
    target: str
    call_id: str
    initial: asyncio.Event = field(default_factory=asyncio.Event)
    shown: tuple[int, str, str] = (-1, "", "idle")  # newest (version, dialog call id, state)


class Subscriber(asyncio.DatagramProtocol):
    """One subscriber extension on its own socket: SUBSCRIBEs with digest, answers NOTIFYs."""

    def __init__(self, number: str, sink: Sink) -> None:
        self.number = number
        self.sink = sink
        self.transport: asyncio.DatagramTransport | None = None
        self.local = ("", 0)
        self.pending: dict[tuple[bytes, bytes], asyncio.Future[list[tuple[bytes, bytes]]]] = {}
        self.watches: dict[bytes, Watch] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # uvloop's is no subclass
        self.local = transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        first, headers, body = split_message(data)
        if first.startswith(b"SIP/2.0 "):
            key = (header(headers, b"call-id"), header(headers, b"cseq"))
            future = self.pending.pop(key, None)
            if future is not None and not future.done():
                headers.append((b":status", first.split(b" ", 2)[1]))
                future.set_result(headers)
            return
        ok = [b"SIP/2.0 200 OK"]
        ok += [k.title() + b": " + v for k, v in headers
               if k in (b"via", b"from", b"to", b"call-id", b"cseq")]  # fmt: skip
        assert self.transport is not None
        self.transport.sendto(b"\r\n".join([*ok, b"Content-Length: 0", b"", b""]), addr)
        if first.startswith(b"NOTIFY "):
            self.sink.notify(self, headers, body)

    async def request(self, text: str, call_id: str, cseq: str) -> list[tuple[bytes, bytes]]:
        """Send with retransmission (500 ms doubling, 5 tries); the response's headers."""
        assert self.transport is not None
        key = (call_id.encode(), cseq.encode())
        for attempt in range(5):
            future = asyncio.get_running_loop().create_future()
            self.pending[key] = future
            self.transport.sendto(text.encode(), self.sink.server)
            try:
                return await asyncio.wait_for(future, 0.5 * 2**attempt)
            except TimeoutError:
                continue
        raise RuntimeError(f"no answer to {cseq} {call_id}")

    def subscribe_text(self, target: str, call_id: str, tag: str, cseq: int, auth: str) -> str:
        ip, port = self.local
        uri = f"sip:{target}@{DOMAIN}"
        lines = [
            f"SUBSCRIBE {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport",
            f"From: <sip:{self.number}@{DOMAIN}>;tag={tag}", f"To: <{uri}>",
            f"Call-ID: {call_id}", f"CSeq: {cseq} SUBSCRIBE",
            f"Contact: <sip:{self.number}@{ip}:{port}>", "Event: dialog",
            "Accept: application/dialog-info+xml", "Expires: 3600", "Max-Forwards: 70",
        ]  # fmt: skip
        if auth:
            lines.append(f"Authorization: {auth}")
        return "\r\n".join([*lines, "Content-Length: 0", "", ""])

    async def subscribe(self, target: str) -> Watch:
        from centrex.sip.digest import answer_challenge, parse_challenge

        call_id, tag = f"{secrets.token_hex(8)}@blf-bench", secrets.token_hex(4)
        watch = Watch(target, call_id)
        self.watches[call_id.encode()] = watch
        text = self.subscribe_text(target, call_id, tag, 1, "")
        answer = await self.request(text, call_id, "1 SUBSCRIBE")
        if header(answer, b":status") == b"401":
            challenge = parse_challenge(header(answer, b"www-authenticate").decode())
            auth = answer_challenge(challenge, "SUBSCRIBE", f"sip:{target}@{DOMAIN}",
                                    self.number, password(self.number))  # fmt: skip
            text = self.subscribe_text(target, call_id, tag, 2, auth)
            answer = await self.request(text, call_id, "2 SUBSCRIBE")
        status = header(answer, b":status")
        if status != b"200":
            raise RuntimeError(f"SUBSCRIBE {self.number} -> {target}: {status.decode()}")
        return watch


# One received NOTIFY: (target, dialog call id or "", state or "idle", receipt time)
Seen = tuple[str, str, str, float]


class Sink:
    """What every subscriber received: checked NOTIFYs of the current step, duplicates, errors."""

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.seen: list[Seen] = []
        self.keys: set[tuple[bytes, bytes]] = set()
        self.duplicates = 0
        self.wrong: list[str] = []
        self.terminated = 0
        self.watches: list[Watch] = []

    def stale(self, final: dict[str, tuple[str, str]]) -> int:
        """Subscriptions whose newest NOTIFY does not show their extension's last state."""
        return sum(1 for w in self.watches if w.target in final and w.shown[1:] != final[w.target])

    def notify(self, sub: Subscriber, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        now = time.monotonic()
        call_id = header(headers, b"call-id")
        key = (call_id, header(headers, b"cseq"))
        if key in self.keys:
            self.duplicates += 1
            return
        self.keys.add(key)
        watch = sub.watches.get(call_id)
        entity = ENTITY.search(body)
        if (
            watch is None
            or not header(headers, b"event").lower().startswith(b"dialog")
            or header(headers, b"content-type").lower() != b"application/dialog-info+xml"
            or entity is None
            or entity.group(1).decode() != f"sip:{watch.target}@{DOMAIN}"
            or VERSION.search(body) is None
        ):
            self.wrong.append(body[:200].decode(errors="replace"))
            return
        if header(headers, b"subscription-state").lower().startswith(b"terminated"):
            self.terminated += 1
        dialog = DIALOG.search(body)
        call, state = (
            (dialog.group(1).decode(), dialog.group(2).decode()) if dialog else ("", "idle")
        )
        version = int(VERSION.search(body).group(1))  # type: ignore[union-attr]
        if version > watch.shown[0]:
            watch.shown = (version, call, state)
        if not watch.initial.is_set():
            watch.initial.set()  # the NOTIFY right after the 200 (RFC 6665 §4.2.1.2)
            return
        self.seen.append((watch.target, call, state, now))


def subscriber_ip(index: int) -> str:
    """Each subscriber its own loopback address, as each phone has its own IP (the server's
    per-source message limit applies per address)."""
    return f"127.0.{10 + index // 250}.{1 + index % 250}"


async def subscribe_all(sink: Sink, args: argparse.Namespace) -> dict[str, int]:
    """--subscribers sockets, --subscriptions SUBSCRIBEs round robin; watchers per target."""
    loop = asyncio.get_running_loop()
    subs = []
    for i in range(args.subscribers):
        number, address = str(SUBSCRIBER_BASE + i), subscriber_ip(i)
        _, proto = await loop.create_datagram_endpoint(partial(Subscriber, number, sink),
                                                       local_addr=(address, 0))  # fmt: skip
        subs.append(proto)
    targets = [str(WATCHED_BASE + i) for i in range(args.extensions)]
    per = -(-args.subscriptions // len(subs))  # subscriptions of one subscriber (ceil)
    pairs = [(subs[n % len(subs)], targets[(n // len(subs) + (n % len(subs)) * per) % len(targets)])
             for n in range(args.subscriptions)]  # fmt: skip
    watchers: dict[str, int] = dict.fromkeys(targets, 0)
    gate = asyncio.Semaphore(args.subscribe_window)

    async def one(sub: Subscriber, target: str) -> Watch:
        async with gate:
            return await sub.subscribe(target)

    watches = await asyncio.gather(*(one(s, t) for s, t in pairs))
    sink.watches = list(watches)
    for watch in watches:
        watchers[watch.target] += 1
    await asyncio.wait_for(asyncio.gather(*(w.initial.wait() for w in watches)), 60)
    return watchers


# ---- steps -----------------------------------------------------------------------------------
@dataclass
class Step:
    rate: float  # live-state changes per second (all watched extensions)
    seconds: float
    changes: int
    driver_behind_s: float
    expected: int  # one NOTIFY per change and watcher
    delivered: int
    coalesced: int  # expected - delivered: changes overtaken by a newer state before sending
    stale: int  # lamps not showing their extension's last state at the end of --drain
    wrong: int
    retransmitted: int
    udp_rcvbuf_errors: int  # machine-wide datagrams dropped, full receive buffers
    terminated: int
    notifies_per_s: float
    latency_ms: dict[str, float]
    unmatched: int
    ok: bool
    centrex_cpu_percent: float
    bench_cpu_percent: float
    rss_mib: float
    pressure: str


def udp_rcvbuf_errors() -> int:
    """Datagrams the kernel dropped for a full socket receive buffer (all sockets of the
    machine: /proc/net/snmp Udp RcvbufErrors)."""
    rows = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()
            if line.startswith("Udp:")]  # fmt: skip
    return int(dict(zip(rows[0], rows[1], strict=True))["RcvbufErrors"])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def latencies(changes: list[list[Any]], seen: list[Seen]) -> tuple[list[float], int]:
    """Receipt - time of the change whose state the NOTIFY shows (ms); and how many matched none."""
    exact = {(ext, call_id, phase): t for ext, call_id, phase, t in changes}
    ended: dict[str, list[float]] = {}
    for ext, _, phase, t in changes:
        if phase == "terminated":
            ended.setdefault(ext, []).append(t)
    out, unmatched = [], 0
    for target, call_id, state, received in seen:
        if call_id:
            at = exact.get((target, call_id, state))
        else:
            times = ended.get(target, [])
            i = bisect.bisect_right(times, received)
            at = times[i - 1] if i else None
        if at is None:
            unmatched += 1  # a state of the previous step (its NOTIFY arrived late)
            continue
        out.append((received - at) * 1000)
    return out, unmatched


async def control(server: DrivenServer, command: dict[str, Any], wait: float) -> Any:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[bytes] = loop.create_future()

    class Control(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            if not answer.done():
                answer.set_result(data)

    transport, _ = await loop.create_datagram_endpoint(Control, local_addr=(SERVER_IP, 0))
    try:
        transport.sendto(json.dumps(command).encode(), (SERVER_IP, server.control))
        return json.loads(await asyncio.wait_for(answer, wait))
    finally:
        transport.close()


async def step(server: DrivenServer, sink: Sink, watchers: dict[str, int], rate: float,
               args: argparse.Namespace, work: Path) -> Step:  # fmt: skip
    sink.seen, sink.wrong, sink.duplicates, sink.terminated = [], [], 0, 0
    log = work / f"changes-{rate:g}.json"
    targets = sorted(watchers)
    own0, cpu0, t0 = time.process_time(), cpu_seconds(server.pid), time.monotonic()
    drops0 = udp_rcvbuf_errors()
    reply = await control(server, {"rate": rate, "seconds": args.seconds, "tenant":
                                   server.tenant_id, "extensions": targets, "log": str(log)},
                          args.seconds * 10 + 60)  # fmt: skip
    changes = json.loads(log.read_text())
    expected = sum(watchers[ext] for ext, *_ in changes)
    final = {ext: ("", "idle") if phase == "terminated" else (call_id, phase)
             for ext, call_id, phase, _ in changes}  # fmt: skip
    deadline = time.monotonic() + args.drain
    while sink.stale(final) and time.monotonic() < deadline:  # noqa: ASYNC110 - polls lamps
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # stragglers of coalesced updates
    stale = sink.stale(final)
    last = max((s[3] for s in sink.seen), default=time.monotonic())
    own1, cpu1, t1 = time.process_time(), cpu_seconds(server.pid), time.monotonic()
    drops = udp_rcvbuf_errors() - drops0
    first = min((c[3] for c in changes), default=t0)
    values, unmatched = latencies(changes, sink.seen)
    latency = {f"p{p}": round(percentile(values, p), 1) for p in PERCENTILES}
    latency["max"] = round(max(values, default=0.0), 1)
    delivered = len(sink.seen)
    ok = stale == 0 and not sink.wrong and latency["p95"] <= 1000
    return Step(
        rate, args.seconds, len(changes), round(reply["behind_s"], 3), expected, delivered,
        expected - delivered, stale, len(sink.wrong), sink.duplicates, drops, sink.terminated,
        round(delivered / max(last - first, 1e-6), 1), latency, unmatched, ok,
        round(100 * (cpu1 - cpu0) / (t1 - t0), 1), round(100 * (own1 - own0) / (t1 - t0), 1),
        round(rss_kib(server.pid) / 1024, 1), cpu_pressure(),
    )  # fmt: skip


async def bench(args: argparse.Namespace, server: DrivenServer, work: Path) -> None:
    sink = Sink((SERVER_IP, server.sip))
    t0 = time.monotonic()
    watchers = await subscribe_all(sink, args)
    print(json.dumps({"subscriptions": sum(watchers.values()), "watched": len(watchers),
                      "subscribers": args.subscribers, "subscribe_s":
                      round(time.monotonic() - t0, 1), "wrong": len(sink.wrong)}),
          flush=True)  # fmt: skip
    for rate in args.rates:
        result = await step(server, sink, watchers, rate, args, work)
        print(json.dumps(asdict(result)), flush=True)
        if sink.wrong:
            print("wrong NOTIFYs, first:", sink.wrong[:3], flush=True)
        if not result.ok and not args.keep_going:
            break
        await asyncio.sleep(args.pause)


def _run(coro: Any) -> None:
    try:
        import uvloop

        uvloop.run(coro)
    except ImportError:
        asyncio.run(coro)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("_serve", "_provision"):
        inner = argparse.ArgumentParser()
        inner.add_argument("mode")
        for name in ("--sip", "--http"):
            inner.add_argument(name)
        for name in ("--control", "--extensions", "--subscribers", "--rcvbuf"):
            inner.add_argument(name, type=int)
        a = inner.parse_args()
        if a.mode == "_provision":
            print(asyncio.run(_provision(a.extensions, a.subscribers)))
        else:
            _run(_serve_driven(a))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--extensions", type=int, default=100, help="watched extensions")
    parser.add_argument("--subscribers", type=int, default=10, help="subscriber extensions")
    parser.add_argument("--rates", type=float, nargs="+", default=[25, 50, 100, 200],
                        help="live-state changes/s (all watched extensions) per step")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--drain", type=float, default=5.0, help="wait for late NOTIFYs")
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--subscribe-window", type=int, default=20, help="SUBSCRIBEs in flight")
    parser.add_argument("--source-limit", type=float, default=0.0,
                        help="CENTREX_MAX_MESSAGES_PER_SECOND (0: off; default 200)")  # fmt: skip
    parser.add_argument("--rcvbuf", type=int, default=0,
                        help="experiment: Centrex's SIP UDP SO_RCVBUF (0: as is)")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the work dir here (serve log, changes)")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at a failed step")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="postgresql: fresh database on 127.0.0.1:5432 (user postgres), "
                        "dropped at the end")  # fmt: skip
    args = parser.parse_args()
    if not 0 < args.extensions <= 1000 or not 0 < args.subscribers <= 1000:
        raise SystemExit("--extensions and --subscribers: 1 to 1000")
    if args.subscriptions > args.subscribers * args.extensions:
        raise SystemExit("--subscriptions: at most one per subscriber and watched extension")
    _raise_nofile()
    work = args.keep or Path(tempfile.mkdtemp(prefix="centrex-blfbench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; database {args.database}; {cpu_pressure()}; "
          f"load {os.getloadavg()}", flush=True)  # fmt: skip
    server = DrivenServer(work, args.database, args.rcvbuf)
    server.env["CENTREX_MAX_MESSAGES_PER_SECOND"] = str(args.source_limit)
    server.provision_blf(args.extensions, args.subscribers)
    server.start()
    print(f"centrex pid {server.pid}, idle RSS {rss_kib(server.pid) / 1024:.1f} MiB", flush=True)
    try:
        _run(bench(args, server, work))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
