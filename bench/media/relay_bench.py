"""Concurrent bridged calls through the Centrex RTP relay, with a bounded load generator.

Run (numbers go to docs/performance.md, section "Concurrent bridged calls"):

    .venv/bin/python bench/media/relay_bench.py --calls 100 200 400 --seconds 10
    .venv/bin/python bench/media/relay_bench.py --calls 400 --transcode

Three processes on loopback only:
  * the relay: a `MediaEngine` on uvloop with the media ticker running (RTCP reports every
    ~5 s per leg), N bridged calls set up with the B2BUA's SDP steps (offer, rewritten offer,
    answer, answer, bridge);
  * the generator: 2N fake phones (one UDP socket each), each sending 50 packets/s of 172-byte
    G.711 RTP (20 ms, RFC 3551) to its leg, sends spread evenly over each 20 ms period, and
    receiving the other party's stream. Receive loss and RFC 3550 §A.8 jitter are measured per
    stream; the number of packets sent is bounded (calls x 2 x 50 x seconds);
  * this orchestrator: starts both, samples the relay's CPU time (/proc/PID/stat) over the
    sending window and its resident memory (/proc/PID/status), prints one table row per N.

Loss = 1 - packets received by all phones / packets sent by all phones (after a drain pause).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

_HDR = struct.Struct("!BBHII")


def _raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def _sdp(port: int, pt: int) -> bytes:
    name = {0: "PCMU", 8: "PCMA"}[pt]
    return (
        f"v=0\r\no=gen 1 1 IN IP4 {LOOPBACK}\r\ns=-\r\nc=IN IP4 {LOOPBACK}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {pt} 101\r\na=rtpmap:{pt} {name}/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n"
    ).encode()


# --- relay process ------------------------------------------------------------------------------


class _Bare(asyncio.DatagramProtocol):
    """Calibration: the cheapest possible asyncio forwarder (no latching, stats or rewrite)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.peer: asyncio.DatagramTransport | None = None
        self.count = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.peer is not None
        self.peer.sendto(data, self.target)
        self.count += 1


async def bare_main(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    rss_before = _rss_kib()
    legs: list[tuple[int, int]] = []
    protos: list[_Bare] = []
    transports: list[asyncio.DatagramTransport] = []
    for i in range(args.calls):
        pa, pb = args.phone_base + 4 * i, args.phone_base + 4 * i + 2
        ra, rb = args.port_base + 4 * i, args.port_base + 4 * i + 2
        to_b, to_a = _Bare((LOOPBACK, pb)), _Bare((LOOPBACK, pa))
        ta, _ = await loop.create_datagram_endpoint(lambda p=to_b: p, local_addr=(LOOPBACK, ra))
        tb, _ = await loop.create_datagram_endpoint(lambda p=to_a: p, local_addr=(LOOPBACK, rb))
        to_b.peer, to_a.peer = tb, ta
        protos += [to_b, to_a]
        transports += [ta, tb]
        legs.append((ra, rb))
    print(json.dumps({"legs": legs, "rss_before": rss_before, "rss_after": _rss_kib()}))
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.readline)
    print(json.dumps({"relayed": sum(p.count for p in protos), "ticks_skipped": 0}))
    for transport in transports:
        transport.close()


async def relay_main(args: argparse.Namespace) -> None:
    from centrex.clock import SystemClock
    from centrex.media.codecs import default_registry
    from centrex.media.engine import MediaEngine
    from centrex.media.ports import PortPool
    from centrex.media.ticker import Ticker

    clock = SystemClock()
    ticker = Ticker(clock)
    engine = MediaEngine(
        clock=clock,
        ticker=ticker,
        ports=PortPool(args.port_base, args.port_base + 4 * args.calls + 400),
        codecs=default_registry(),
        bind_address=LOOPBACK,
    )
    ticker.start()
    rss_before = _rss_kib()
    legs: list[tuple[int, int]] = []
    b_pt = 8 if args.transcode else 0
    for i in range(args.calls):
        pa, pb = args.phone_base + 4 * i, args.phone_base + 4 * i + 2
        a = await engine.allocate(f"a{i}")
        offer = _sdp(pa, 0)
        engine.set_remote(a, offer, signalling_host=LOOPBACK)
        b = await engine.allocate(f"b{i}")
        engine.offer_for(b, offer)
        engine.set_remote(b, _sdp(pb, b_pt))
        engine.answer_for(a, offer, peer=b)
        engine.bridge(a, b)
        legs.append((a.rtp_port, b.rtp_port))
    print(json.dumps({"legs": legs, "rss_before": rss_before, "rss_after": _rss_kib()}))
    sys.stdout.flush()
    lags: list[float] = []
    stop = asyncio.Event()

    async def lag_probe() -> None:
        """Event-loop lag: how late a 10 ms sleep wakes up (bounded by `stop`)."""
        for _ in range(100_000):
            if stop.is_set():
                return
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t0 - 0.01)

    probe = asyncio.create_task(lag_probe())
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    stop.set()
    await probe
    lags.sort()
    snaps = engine.snapshots()
    print(
        json.dumps(
            {
                "garbage": sum(s.garbage for s in snaps.values()),
                "dropped": sum(s.dropped for s in snaps.values()),
                "foreign": sum(s.foreign for s in snaps.values()),
                "relayed": sum(s.packets_out for s in snaps.values()),
                "ticks_skipped": ticker.skipped,
                "loop_lag_p99_ms": 1000 * lags[int(0.99 * (len(lags) - 1))] if lags else 0.0,
                "loop_lag_max_ms": 1000 * lags[-1] if lags else 0.0,
            }
        )
    )
    ticker.stop()
    await engine.close()


# --- generator process --------------------------------------------------------------------------


class GenPhone(asyncio.DatagramProtocol):
    def __init__(self, stats: object) -> None:
        from centrex.media.jitter import ReceiveStats

        assert isinstance(stats, ReceiveStats)
        self.stats = stats
        self.received = 0
        self.transport: asyncio.DatagramTransport | None = None
        self._now = time.monotonic

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= 12 and not 192 <= data[1] <= 223:  # RTP only, never RTCP
            self.received += 1
            _b0, _b1, seq, ts, ssrc = _HDR.unpack_from(data)
            stats = self.stats
            if ssrc != stats.ssrc:
                stats.ssrc = ssrc
            stats.update(seq, ts, self._now(), len(data) - 12)


async def generator_main(args: argparse.Namespace) -> None:
    from centrex.media.codecs import ulaw_encode
    from centrex.media.jitter import ReceiveStats
    from centrex.media.tones import SineGenerator

    legs = args.leg_ports
    loop = asyncio.get_running_loop()
    phones: list[GenPhone] = []
    targets: list[tuple[str, int]] = []
    for i, (a_port, b_port) in enumerate(legs):
        for j, target in enumerate((a_port, b_port)):
            phone = GenPhone(ReceiveStats(0))
            transport, _ = await loop.create_datagram_endpoint(
                lambda p=phone: p, local_addr=(LOOPBACK, args.phone_base + 4 * i + 2 * j)
            )
            phone.transport = transport
            phones.append(phone)
            targets.append((LOOPBACK, target))
    payload = ulaw_encode(SineGenerator((1000.0,)).next_frame())
    n = len(phones)
    ssrcs = [random.getrandbits(32) for _ in range(n)]
    packets = int(args.seconds * 50)
    slots = 20  # 1 ms slots per 20 ms period: sends spread evenly
    sent = 0
    start = loop.time() + 0.2
    late = 0.0
    for k in range(packets * slots):  # bounded: seconds x 50 x 20 iterations
        due = start + k * 0.001
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late = max(late, -delay)
        index, slot = divmod(k, slots)
        header_seq = index & 0xFFFF
        ts = (index * 160) & 0xFFFFFFFF
        for i in range(slot, n, slots):
            transport = phones[i].transport
            assert transport is not None
            transport.sendto(_HDR.pack(0x80, 0, header_seq, ts, ssrcs[i]) + payload, targets[i])
            sent += 1
    await asyncio.sleep(1.0)  # drain
    received = sum(p.received for p in phones)
    jitters = sorted(p.stats.jitter_ms for p in phones)
    print(
        json.dumps(
            {
                "sent": sent,
                "received": received,
                "jitter_mean_ms": sum(jitters) / len(jitters),
                "jitter_p99_ms": jitters[int(0.99 * (len(jitters) - 1))],
                "jitter_max_ms": jitters[-1],
                "generator_max_late_ms": late * 1000,
            }
        )
    )
    for phone in phones:
        if phone.transport is not None:
            phone.transport.close()


# --- orchestrator -------------------------------------------------------------------------------


def run_one(
    calls: int,
    seconds: float,
    transcode: bool,
    loop_name: str,
    priority: int,
    pin: bool,
    bare: bool = False,
) -> dict[str, float]:
    python = sys.executable
    script = str(Path(__file__).resolve())
    port_base = 10000  # below Centrex's default 20000-29999, which e2e tests may use
    phone_base = 15000  # phones on even ports 4 apart: the relay's RTCP goes to closed ports
    relay_cmd = [python, script, "relay", "--calls", str(calls), "--port-base", str(port_base)]
    relay_cmd += ["--phone-base", str(phone_base), "--loop", loop_name]
    relay_cmd += ["--priority", str(priority), "--cpu", "0" if pin else "-1"]
    if transcode:
        relay_cmd.append("--transcode")
    if bare:
        relay_cmd.append("--bare")
    relay = subprocess.Popen(relay_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert relay.stdout is not None
        assert relay.stdin is not None
        setup = json.loads(relay.stdout.readline())
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(setup["legs"], handle)
        gen_cmd = [python, script, "generate", "--legs", handle.name, "--seconds", str(seconds)]
        gen_cmd += ["--phone-base", str(phone_base), "--loop", loop_name]
        gen_cmd += ["--priority", str(priority), "--cpu", "1" if pin else "-1"]
        cpu0 = _cpu_seconds(relay.pid)
        t0 = time.monotonic()
        gen = subprocess.run(gen_cmd, capture_output=True, text=True, check=True, timeout=600)
        elapsed = time.monotonic() - t0 - 1.0  # minus the drain pause (idle relay)
        cpu = _cpu_seconds(relay.pid) - cpu0
        rss_end = _rss_kib(relay.pid)
        relay.stdin.write("\n")
        relay.stdin.flush()
        tail = json.loads(relay.stdout.readline())
        relay.wait(timeout=60)
        Path(handle.name).unlink()
    finally:
        if relay.poll() is None:
            relay.kill()
            relay.wait()
    result = json.loads(gen.stdout.strip().splitlines()[-1])
    loss = 1 - result["received"] / result["sent"]
    row = {
        "calls": calls,
        "sent": result["sent"],
        "received": result["received"],
        "loss_pct": 100 * loss,
        "jitter_mean_ms": result["jitter_mean_ms"],
        "jitter_p99_ms": result["jitter_p99_ms"],
        "jitter_max_ms": result["jitter_max_ms"],
        "relay_cpu_pct": 100 * cpu / elapsed,
        # CPU per packet through the relay (one read + one write), from the relay's own count.
        "cpu_us_per_packet": 1e6 * cpu / max(tail["relayed"], 1),
        "cpu_pct_per_call": 100 * cpu / elapsed / calls,
        "rss_mib": rss_end / 1024,
        "kib_per_call": (rss_end - setup["rss_before"]) / calls,
        "generator_max_late_ms": result["generator_max_late_ms"],
        **tail,
    }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "relay", "generate"])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--transcode", action="store_true", help="µ-law on A, A-law on B")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--port-base", type=int, default=10000)
    parser.add_argument("--phone-base", type=int, default=15000)
    parser.add_argument("--legs", default="")
    parser.add_argument("--bare", action="store_true", help="calibration: trivial forwarder")
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        help="nice value for the relay and generator (negative needs root): isolates the "
        "measurement from other work on a shared machine",
    )
    parser.add_argument(
        "--cpu", type=int, default=-1, help="pin to one CPU (-2 in run mode: relay 0, gen 1)"
    )
    args = parser.parse_args()
    _raise_nofile()
    if args.mode in ("relay", "generate"):
        if args.priority:
            os.setpriority(os.PRIO_PROCESS, 0, args.priority)
        if args.cpu >= 0:
            os.sched_setaffinity(0, {args.cpu})
        args.calls = args.calls[0]
        args.seconds = min(args.seconds, 120.0)
        factory = None
        if args.loop == "uvloop":
            import uvloop

            factory = uvloop.new_event_loop
        if args.mode == "generate":
            args.leg_ports = json.loads(Path(args.legs).read_text())
        coro = relay_main(args) if args.mode == "relay" else generator_main(args)
        if args.mode == "relay" and args.bare:
            coro.close()
            coro = bare_main(args)
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(coro)
        return
    print(
        f"# {args.loop}, {args.seconds:.0f} s per run, transcode={args.transcode}, "
        f"priority={args.priority}, pinned={args.cpu == -2}"
    )
    columns = [
        "calls",
        "loss_pct",
        "jitter_mean_ms",
        "jitter_p99_ms",
        "jitter_max_ms",
        "relay_cpu_pct",
        "cpu_us_per_packet",
        "cpu_pct_per_call",
        "rss_mib",
        "kib_per_call",
        "generator_max_late_ms",
        "ticks_skipped",
        "loop_lag_p99_ms",
        "loop_lag_max_ms",
    ]
    if args.bare:
        columns = columns[:-5]
    print(" | ".join(columns))
    if max(args.calls) > 1000:
        parser.error("at most 1000 calls: relay ports 10000-14399, phone ports 15000-18999")
    for calls in args.calls:
        row = run_one(calls, args.seconds, args.transcode, args.loop, args.priority, args.cpu == -2)
        print(
            " | ".join(
                f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c]) for c in columns
            )
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
