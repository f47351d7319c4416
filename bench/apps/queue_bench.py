"""N callers waiting in ACD queue 500 with music on hold and position announcements (issue 13).

Run (numbers go to docs/performance.md, section "Queue: callers waiting with music on hold"):

    .venv/bin/python bench/apps/queue_bench.py --callers 50 100 200 --seconds 30

Set-up (loopback only, a fresh SQLite data dir, call_bench's Server/Peer/read_stat reused):
  * tenant `bench.test`, extension 100 (the callers) and 101 (the only agent), queue 500
    (`queue create --strategy longest-idle --member 101 --announce-position --max-wait 3600`);
    agent 101 is paused through `PUT /api/v1/agents/101/state` (tenant-admin token): it counts
    as logged in (no immediate overflow) but is never offered, so every caller waits with music
    on hold, hears "you are caller number N ..." 3 s after entry and every 30 s after, and
    never reaches an agent or the fallback;
  * the prompts the announcements need (queue sentences, numbers 1..N and the minutes) are
    generated into the data dir's prompt cache before the server starts, as an installed server
    would have them (`--cold-prompts`: leave the cache empty, espeak-ng runs during the calls);
  * the callers: one sipp UAC on 127.0.0.80 placing N calls to 500 at --setup-rate calls/s
    with digest MD5 (INVITE, 407, ACK, INVITE with credentials from an injection file:
    shared/TESTING-NOTES.md), each held until the window is over, then BYE. Each call's SDP
    names its own media port (field 3 of the injection file), bound by a receiver process;
  * the receiver (uvloop, one UDP socket per caller): per caller, packets per second, RTP loss
    from sequence numbers, the largest inter-arrival gap and RFC 3550 jitter, counted only over
    the window; like a phone it also sends 50 packets/s of PCMA silence back to the address it
    receives from (`--silent-callers`: send nothing). Loss counts packets sent and lost; the
    shortfall (received against 50/s per caller) also counts those the server never sent (its
    ticker late); the receiver's own worst loop lag is reported, since a receiver that runs late
    sees gaps the server did not make. `--no-announce` is the control run: music only.

Window: from 3 s after the last call was set up (N / setup-rate) for --seconds; the server's
CPU time (/proc/PID/stat) is taken over the window and its RSS sampled each second. Then the
calls end and `centrex queue stats --since <step start> --json` must show offered = abandoned
= N (every caller waited and hung up), answered = 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE.parent / "calls"))

from call_bench import (  # noqa: E402
    DOMAIN,
    SERVER_IP,
    Peer,
    Server,
    SippStats,
    _free_udp_port,
    _raise_nofile,
    cpu_pressure,
    cpu_seconds,
    read_stat,
    rss_kib,
)

QUEUE, CALLER, AGENT = "500", "100", "101"
CALLER_IP = "127.0.0.80"  # not call_bench's .50/.60 nor ring_group_bench's .70-.72
RTP = struct.Struct("!BBHII")
SILENCE = bytes([0xD5]) * 160  # PCMA silence, 20 ms
LANGUAGE = "en"
LATE_S = 0.030  # 20 ms packets: a gap over 30 ms means a frame's time passed with no packet


def password(number: str) -> str:
    return f"bench-{number}-secret"


# INVITE, 407, ACK, INVITE with [field2] (the whole [authentication ...] keyword from the
# injection file), 200 (rrs for [next_url]/[routes]), ACK, hold -d ms, BYE. SDP port: [field3].
UAC_XML = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="centrex queue bench caller">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[field1]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 53655765 2353687637 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [field3] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=ptime:20
a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[field1]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[field1]>
Call-ID: [call_id]
CSeq: 2 INVITE
[field2]
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 53655765 2353687637 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [field3] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=ptime:20
a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[field1]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
[routes]
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <pause/>
  <send retrans="500">
    <![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[field1]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 BYE
[routes]
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""


# ---- the receiver (a child process: one UDP socket per caller) ------------------------------
class CallerMedia(asyncio.DatagramProtocol):
    """One caller's media port: what the server sends, counted while `counting` is set."""

    def __init__(self) -> None:
        from centrex.media.jitter import ReceiveStats

        self._stats_type = ReceiveStats
        self.transport: asyncio.DatagramTransport | None = None
        self.peer: tuple[str, int] | None = None  # where the server's RTP comes from (latch)
        self.counting = False
        self.reset()

    def reset(self) -> None:
        self.stats = self._stats_type(0)
        self.prior_expected = self.prior_lost = 0  # of earlier SSRCs in the window
        self.ssrcs = 0
        self.received = 0
        self.first = self.last = 0.0
        self.max_gap = 0.0
        self.late = 0  # inter-arrival gaps over LATE_S: a 20 ms frame (or more) missing

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12 or 192 <= data[1] <= 223:  # RTP only (not RTCP)
            return
        if self.peer is None:
            self.peer = addr
        if not self.counting:
            return
        now = time.monotonic()
        if self.received:
            gap = now - self.last
            self.max_gap = max(self.max_gap, gap)
            self.late += gap > LATE_S
        else:
            self.first = now
        self.last = now
        self.received += 1
        _b0, _b1, seq, ts, ssrc = RTP.unpack_from(data)
        if ssrc != self.stats.ssrc or not self.ssrcs:
            if self.ssrcs:
                self.prior_expected += self.stats.expected
                self.prior_lost += max(0, self.stats.lost)
            self.stats = self._stats_type(ssrc)
            self.ssrcs += 1
        self.stats.update(seq, ts, now, len(data) - 12)

    def summary(self, window: float) -> dict[str, float]:
        expected = self.prior_expected + self.stats.expected
        lost = self.prior_lost + max(0, self.stats.lost)
        return {
            "received": self.received,
            "pps": self.received / window if window > 0 else 0.0,
            "expected": expected,
            "lost": lost,
            "max_gap_ms": 1000 * self.max_gap,
            "late": self.late,
            "jitter_ms": self.stats.jitter_ms,
            "ssrcs": self.ssrcs,
        }


def _apply(command: str, legs: list[CallerMedia]) -> float:
    """'start' resets and starts the counters, 'stop' ends them; returns when it happened."""
    for leg in legs:
        if command == "start":
            leg.reset()
        leg.counting = command == "start"  # anything else stops counting
    return time.monotonic()


def _send_silence(legs: list[CallerMedia], ssrcs: list[int], tick: int) -> None:
    """One 20 ms packet of PCMA silence from each caller that has heard the server."""
    for leg, ssrc in zip(legs, ssrcs, strict=True):
        if leg.peer is not None and leg.transport is not None:
            header = RTP.pack(0x80, 8, tick & 0xFFFF, (tick * 160) & 0xFFFFFFFF, ssrc)
            leg.transport.sendto(header + SILENCE, leg.peer)


async def receiver_main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    legs: list[CallerMedia] = []
    ports: list[int] = []
    for _ in range(args.count):
        leg = CallerMedia()
        transport, _ = await loop.create_datagram_endpoint(
            lambda p=leg: p, local_addr=(CALLER_IP, 0)
        )
        leg.transport = transport
        legs.append(leg)
        ports.append(int(transport.get_extra_info("sockname")[1]))
    print(json.dumps({"ports": ports}), flush=True)
    commands: asyncio.Queue[str] = asyncio.Queue()

    def read_commands() -> None:
        for line in sys.stdin:  # "start", "stop"
            loop.call_soon_threadsafe(commands.put_nowait, line.strip())
            if line.strip() == "stop":
                return
        loop.call_soon_threadsafe(commands.put_nowait, "stop")  # the orchestrator is gone

    reader = loop.run_in_executor(None, read_commands)
    ssrcs = [random.getrandbits(32) for _ in legs]
    begin = loop.time()
    when: dict[str, float] = {}  # "start"/"stop" -> monotonic time
    lag = 0.0  # the receiver's own worst lateness in the window: a late loop looks like a gap
    for tick in range(int(args.max_seconds * 50)):  # bounded: max_seconds of 20 ms ticks
        if "start" in when:
            lag = max(lag, loop.time() - (begin + tick * 0.02))
        while not commands.empty():
            command = commands.get_nowait()
            when[command] = _apply(command, legs)
        if "stop" in when:
            break
        if args.send:
            _send_silence(legs, ssrcs, tick)
        await asyncio.sleep(max(0.0, begin + (tick + 1) * 0.02 - loop.time()))
    started = when.get("start", 0.0)
    window = when.get("stop", time.monotonic()) - started if started else 0.0
    print(json.dumps({"window": window, "receiver_lag_ms": 1000 * lag,
                      "legs": [leg.summary(window) for leg in legs]}), flush=True)  # fmt: skip
    for leg in legs:
        if leg.transport is not None:
            leg.transport.close()
    reader.cancel()


# ---- the orchestrator -----------------------------------------------------------------------
def cli_json(server: Server, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "centrex", *args, "--json"], env=server.env, cwd=ROOT,
        check=True, timeout=120, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def warm_prompts(server: Server, callers: int) -> int:
    """Generate what the announcements say to `callers` callers (the position, the wait)."""
    from centrex.apps.prompts.library import PromptLibrary
    from centrex.apps.queue.app import DEFAULT_HANDLE_SECONDS
    from centrex.apps.queue.machine import estimated_wait
    from centrex.provisioning.prompt_catalog import number_key

    numbers = set(range(1, callers + 1))
    numbers |= {max(1, round(estimated_wait(p, DEFAULT_HANDLE_SECONDS, 1) / 60)) for p in numbers}
    keys = ["queue.position", "queue.wait", "clock.minutes", *map(number_key, sorted(numbers))]
    library = PromptLibrary(server.data / "prompts")
    return asyncio.run(library.warm(keys, [LANGUAGE]))


def provision(server: Server, announce: bool) -> None:
    server.cli("db", "upgrade")
    server.cli("tenant", "create", "--name", "Bench", "--domain", DOMAIN, "--language", LANGUAGE,
               "--extension-digits", "3", "--max-calls", "100000")  # fmt: skip
    for number in (CALLER, AGENT):
        server.cli("extension", "create", "--tenant", DOMAIN, "--number", number,
                   "--password", password(number))  # fmt: skip
    server.cli("queue", "create", "--tenant", DOMAIN, "--number", QUEUE, "--strategy",
               "longest-idle", "--member", AGENT, "--max-wait", "3600", "--wrap-up", "0",
               *(["--announce-position"] if announce else []))  # fmt: skip


def api(server: Server, token: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"http://{SERVER_IP}:{server.http}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def pause_agent(server: Server) -> dict[str, Any]:
    token = cli_json(server, "token", "create", "--role", "tenant-admin", "--tenant", DOMAIN)
    reasons = api(server, token["token"], "GET", "/api/v1/agents/pause-reasons")["items"]
    api(server, token["token"], "PUT", f"/api/v1/agents/{AGENT}/state",
        {"state": "paused", "reason": reasons[0]["label"]})  # fmt: skip
    state: dict[str, Any] = api(server, token["token"], "GET", f"/api/v1/agents/{AGENT}/state")
    if state.get("state") != "paused":
        raise SystemExit(f"agent {AGENT} not paused: {state}")
    return state


@dataclass
class Step:
    callers: int
    seconds: float
    window_s: float
    up_at_window: int  # sipp's CurrentCall when the window opened
    streams: int  # callers that received RTP in the window
    pps_min: float
    pps_median: float
    lost: int
    expected: int
    loss_percent: float  # from sequence numbers: packets sent and lost
    shortfall_percent: float  # packets short of 50/s per caller: also those never sent
    max_gap_ms: float
    gap_p99_ms: float
    gap_median_ms: float
    jitter_p99_ms: float
    jitter_max_ms: float
    gaps_over_30ms: int  # all callers together
    receiver_lag_ms: float  # the receiver's worst loop lateness (its own share of the gaps)
    announce: bool
    uac_exit: int | None
    uac: SippStats
    queue_offered: int
    queue_abandoned: int
    queue_answered: int
    queue_ok: bool
    cpu_percent: float
    cpu_percent_per_caller: float
    rss_mib: float
    idle_rss_mib: float
    kib_per_caller: float
    receiver_cpu_percent: float
    pressure: str


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else 0.0


def queue_stats(server: Server, since: str, callers: int, timeout: float) -> dict[str, Any]:
    """The queue's statistics once every caller's row is closed (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = cli_json(server, "queue", "stats", "--tenant", DOMAIN,
                                        "--number", QUEUE, "--since", since)  # fmt: skip
        closed = body["abandoned"] + body["answered"] + body.get("overflowed", 0)
        if closed >= callers or time.monotonic() > deadline:
            return body
        time.sleep(1.0)


def step(server: Server, work: Path, callers: int, args: argparse.Namespace, base_rss: int) -> Step:
    """One step of `callers` waiting callers. `base_rss`: the server's RSS before any call
    (CPython rarely gives memory back, so a later step's own start would hide the growth)."""
    ramp = callers / args.setup_rate
    window_start = ramp + 3.0
    hold_ms = int((window_start + args.seconds + 3) * 1000)
    timeout = ramp + hold_ms / 1000 + 60
    since = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    time.sleep(1.0)  # entered_at strictly after `since`
    idle = base_rss
    receiver = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "receive", "--count", str(callers),
         "--max-seconds", str(int(timeout + 30)), *([] if args.silent_callers else ["--send"])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    uac: Peer | None = None
    try:
        assert receiver.stdout is not None
        assert receiver.stdin is not None
        ports = json.loads(receiver.stdout.readline())["ports"]
        users = work / f"callers-{callers}.csv"
        auth = f"[authentication username={CALLER} password={password(CALLER)}]"
        users.write_text("SEQUENTIAL\n" + "".join(f"{CALLER};{DOMAIN};{auth};{port}\n"
                                                  for port in ports))  # fmt: skip
        xml = work / "queue_uac.xml"
        xml.write_text(UAC_XML)
        stat = work / f"uac-{callers}.csv"
        stat.unlink(missing_ok=True)
        sipp_args = [
            "sipp", "-sf", str(xml), "-inf", str(users),
            "-i", CALLER_IP, "-p", str(_free_udp_port(CALLER_IP)),
            "-mi", CALLER_IP, "-mp", str(_free_udp_port(CALLER_IP)),
            "-m", str(callers), "-l", str(callers), "-r", str(args.setup_rate), "-rp", "1000",
            "-d", str(hold_ms), "-t", "u1", "-s", QUEUE, f"{SERVER_IP}:{server.sip}",
            "-trace_stat", "-stf", str(stat), "-fd", "1",
            "-trace_err", "-error_file", str(work / f"uac-{callers}-errors.log"),
            "-timeout", f"{int(timeout)}s", "-timeout_error", "-recv_timeout", "20000",
            "-max_recv_loops", "10000", "-max_sched_loops", "10000", *args.sipp_arg,
        ]  # fmt: skip
        with (work / f"uac-{callers}.out").open("wb") as log:
            uac = Peer(subprocess.Popen(sipp_args, cwd=work, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log))  # fmt: skip
        start = time.monotonic()
        time.sleep(max(0.0, start + window_start - time.monotonic()))
        up = read_stat(stat).current
        receiver.stdin.write("start\n")
        receiver.stdin.flush()
        cpu0, rcpu0, t0 = cpu_seconds(server.pid), cpu_seconds(receiver.pid), time.monotonic()
        rss = rss_kib(server.pid)
        while time.monotonic() < t0 + args.seconds:  # bounded by --seconds
            time.sleep(min(1.0, max(0.0, t0 + args.seconds - time.monotonic())))
            rss = max(rss, rss_kib(server.pid))
        cpu1, rcpu1, t1 = cpu_seconds(server.pid), cpu_seconds(receiver.pid), time.monotonic()
        pressure = cpu_pressure()
        receiver.stdin.write("stop\n")
        receiver.stdin.flush()
        media = json.loads(receiver.stdout.readline())
        uac.wait(timeout)
        uac_exit = uac.stop()
        receiver.wait(30)
    finally:
        if uac is not None:
            uac.stop()
        if receiver.poll() is None:
            receiver.kill()
            receiver.wait(10)
    final = read_stat(stat)
    legs = [leg for leg in media["legs"] if leg["received"] > 0]
    expected = sum(leg["expected"] for leg in legs)
    lost = sum(leg["lost"] for leg in legs)
    gaps = [leg["max_gap_ms"] for leg in legs]
    jitters = [leg["jitter_ms"] for leg in legs]
    rates = [leg["pps"] for leg in media["legs"]]
    body = queue_stats(server, since, callers, timeout=60)
    cpu_pct = 100 * (cpu1 - cpu0) / (t1 - t0)
    return Step(
        callers=callers, seconds=args.seconds, window_s=round(media["window"], 2),
        up_at_window=up, streams=len(legs),
        pps_min=min(rates, default=0.0), pps_median=statistics.median(rates) if rates else 0.0,
        lost=lost, expected=expected, loss_percent=100 * lost / expected if expected else 100.0,
        shortfall_percent=100 * (1 - sum(leg["received"] for leg in media["legs"])
                                 / (50 * media["window"] * callers)) if media["window"] else 100.0,
        max_gap_ms=max(gaps, default=0.0), gap_p99_ms=_pct(gaps, 0.99),
        gap_median_ms=_pct(gaps, 0.5), jitter_p99_ms=_pct(jitters, 0.99),
        jitter_max_ms=max(jitters, default=0.0),
        gaps_over_30ms=sum(leg["late"] for leg in legs),
        receiver_lag_ms=media["receiver_lag_ms"], announce=not args.no_announce,
        uac_exit=uac_exit, uac=final,
        queue_offered=body["offered"], queue_abandoned=body["abandoned"],
        queue_answered=body["answered"],
        queue_ok=body["offered"] == body["abandoned"] == callers and body["answered"] == 0,
        cpu_percent=cpu_pct, cpu_percent_per_caller=cpu_pct / callers, rss_mib=rss / 1024,
        idle_rss_mib=idle / 1024, kib_per_caller=(rss - idle) / callers,
        receiver_cpu_percent=100 * (rcpu1 - rcpu0) / (t1 - t0), pressure=pressure,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "receive"])
    parser.add_argument("--callers", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window per step")
    parser.add_argument("--setup-rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--pause", type=float, default=8.0, help="seconds between steps")
    parser.add_argument(
        "--cold-prompts",
        action="store_true",
        help="leave the prompt cache empty (espeak-ng runs during the calls)",
    )
    parser.add_argument(
        "--no-announce",
        action="store_true",
        help="a control run: the queue plays music only (no position announcements)",
    )
    parser.add_argument(
        "--silent-callers",
        action="store_true",
        help="callers send no RTP (by default 50 packets/s of silence each)",
    )
    parser.add_argument(
        "--sipp-arg",
        action="append",
        default=[],
        help="one more argument for the callers' sipp (repeat), e.g. -trace_msg",
    )
    parser.add_argument("--keep", type=Path, help="keep the work dir here (logs, stat CSVs)")
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--send", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _raise_nofile()
    if args.mode == "receive":
        import uvloop

        args.max_seconds = min(args.max_seconds, 900.0)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(receiver_main(args))
        return
    if any(n < 1 or n > 1000 for n in args.callers) or not 1 <= args.seconds <= 600:
        raise SystemExit("--callers from 1 to 1000, --seconds from 1 to 600")
    work = args.keep or Path(tempfile.mkdtemp(prefix="centrex-queuebench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; {cpu_pressure()}", flush=True)
    server = Server(work)
    provision(server, announce=not args.no_announce)
    if not args.cold_prompts:
        t = time.monotonic()
        made = warm_prompts(server, max(args.callers))
        print(f"prompts generated: {made} in {time.monotonic() - t:.1f} s", flush=True)
    server.start()
    try:
        print(f"agent {AGENT}: {json.dumps(pause_agent(server))}", flush=True)
        time.sleep(2.0)
        base_rss = rss_kib(server.pid)
        for callers in args.callers:
            print(json.dumps(asdict(step(server, work, callers, args, base_rss))), flush=True)
            time.sleep(args.pause)
    finally:
        with contextlib.suppress(Exception):
            server.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
