"""Calls with real SIP and RTP through the whole B2BUA: sipp UAC -> Centrex -> sipp UAS.

Run (numbers go to docs/performance.md, sections "Call rate" and "Concurrent bridged calls"):

    .venv/bin/python bench/calls/call_bench.py rate --rates 20 50 100 200 --seconds 60
    .venv/bin/python bench/calls/call_bench.py media --calls 50 100 200 --hold 30

Set-up (loopback only, a fresh SQLite data dir per run):
  * tenant `bench.test` (licence high enough not to limit), extension 100 with a password,
    DID +41441234567 routed to it, a trunk `carrier` whose host is 127.0.0.50: the UAC sends
    from that address, so Centrex takes its INVITEs as inbound carrier calls (recognised by
    source IP, no digest auth) and routes the DID to extension 100;
  * the UAS (sipp on 127.0.0.60:5070) first REGISTERs as extension 100 (digest via an
    injection file, tests/peers/sipp.py), then answers with 200 at once (no 180: see
    shared/TESTING-NOTES.md) and, for the media benchmark, echoes RTP (`-rtp_echo`);
  * `centrex serve` with CENTREX_LOG_LEVEL=WARNING, MD5 digest, RTP ports 20000-29999 (sipp's
    media ports are 6000 on 127.0.0.50 and 6100 on 127.0.0.60).

rate: one sipp UAC run per rate (-r R for --seconds, calls of --call-ms), stopping at the first
rate with a failed call. A step passes when sipp's exit code is 0 and its final statistics
(-trace_stat) show FailedCall = 0 and SuccessfulCall = R x seconds, on both UAC and UAS. The
centrex process's CPU time (/proc/PID/stat) is taken over the step, its RSS sampled each second.

media: N calls set up at --setup-rate calls/s, each playing a DTMF-free PCMA pcap (g711_pcap.py)
from the UAC for --hold seconds after the last call is up; the UAS echoes each packet back, so
every packet crosses the relay twice (UAC -> leg A -> leg B -> UAS -> leg B -> leg A -> UAC).
dumpcap captures the UAC's RTP on lo; the window during which all N calls are up is cut out
(editcap) and analysed offline with `tshark -z rtp,streams` (loss from sequence gaps and
RFC 3550 jitter per stream). Loss = packets missing on the streams back to the UAC / expected.
CPU and RSS of centrex are sampled over the same window; memory per call is the RSS growth
from the idle server divided by N.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tests.peers.raw import udp_options_ok  # noqa: E402
from tests.peers.sipp import SippUser, register  # noqa: E402

sys.path.insert(0, str(HERE))
from g711_pcap import synth, write_pcap  # noqa: E402

DOMAIN = "bench.test"
EXTENSION = "100"
PASSWORD = "bench-100-secret"
DID = "+41441234567"
UAC_IP, UAC_PORT, UAC_MEDIA = "127.0.0.50", 5060, 6000
UAS_IP, UAS_PORT, UAS_MEDIA = "127.0.0.60", 5070, 6100
SERVER_IP = "127.0.0.1"
PG = "postgres@127.0.0.1:5432"
RTP_MIN, RTP_MAX = 20000, 29999
PLAY = '<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>'


def _raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _free_udp_port(host: str = SERVER_IP) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _free_tcp_port(host: str = SERVER_IP) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_pressure() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    return "n/a"


def _pg_admin(sql: str) -> None:
    """PostgreSQL of the test suite (tests/conftest.py: 127.0.0.1:5432, user postgres, trust)."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(f"postgresql://{PG}/postgres", timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


class Server:
    """A provisioned `centrex serve` subprocess (fresh SQLite data dir)."""

    def __init__(self, work: Path, database: str = "sqlite") -> None:
        self.work = work
        self.pg_name = f"centrex_bench_{secrets.token_hex(4)}" if database == "postgresql" else ""
        self.data = work / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.sip = _free_udp_port()
        self.http = _free_tcp_port()
        self.env = dict(os.environ)
        self.env.pop("CENTREX_CONFIG", None)
        self.env.update(
            CENTREX_DATA_DIR=str(self.data),
            CENTREX_DATABASE_URL=f"postgresql+asyncpg://{PG}/{self.pg_name}"
            if self.pg_name
            else "",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",
            CENTREX_LOG_LEVEL="WARNING",
            CENTREX_RTP_PORT_MIN=str(RTP_MIN),
            CENTREX_RTP_PORT_MAX=str(RTP_MAX),
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.log = work / "serve.log"

    def cli(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "centrex", *args],
            env=self.env,
            cwd=ROOT,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )

    def provision(self) -> None:
        if self.pg_name:
            _pg_admin(f'CREATE DATABASE "{self.pg_name}"')
        self.cli("db", "upgrade")
        self.cli(
            "tenant", "create", "--name", "Bench", "--domain", DOMAIN,
            "--extension-digits", "3", "--max-calls", "100000",
        )  # fmt: skip
        self.cli("extension", "create", "--tenant", DOMAIN, "--number", EXTENSION,
                 "--password", PASSWORD)  # fmt: skip
        self.cli("trunk", "create", "--name", "carrier", "--host", UAC_IP,
                 "--port", str(UAC_PORT), "--priority", "1")  # fmt: skip
        self.cli("number", "add", DID, "--tenant", DOMAIN, "--extension", EXTENSION)

    def start(self) -> int:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "centrex", "serve",
                    "--sip", f"{SERVER_IP}:{self.sip}",
                    "--sip-tls", f"{SERVER_IP}:0",
                    "--sip-ws", f"{SERVER_IP}:0",
                    "--http", f"{SERVER_IP}:{self.http}",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        if not udp_options_ok((SERVER_IP, self.sip), timeout=60):
            self.stop()
            raise SystemExit(f"server did not answer OPTIONS:\n{self.log.read_text()[-3000:]}")
        return self.process.pid

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        if self.pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}"')


def register_uas(server: Server, work: Path) -> None:
    user = SippUser(EXTENSION, DOMAIN, PASSWORD, expires=7200)
    done = register(
        work / "register",
        (SERVER_IP, server.sip),
        [user],
        local_ip=UAS_IP,
        local_port=UAS_PORT,
        timeout=20,
    )
    if not done.ok:
        raise SystemExit(f"UAS registration failed: {done.errors or done.stdout}")


def scenario(work: Path, name: str, pcap: Path | None = None) -> Path:
    text = (HERE / "scenarios" / name).read_text()
    text = text.replace("<!--PLAY-->", PLAY.format(pcap=pcap) if pcap else "")
    out = work / name
    out.write_text(text)
    return out


@dataclass
class SippStats:
    successful: int = 0
    failed: int = 0
    current: int = 0
    response_ms_max: float = 0.0  # worst per-period INVITE -> 200 average (ResponseTime1(P))
    response_ms_mean: float = 0.0  # ResponseTime1(C) of the whole run
    retransmissions: int = 0
    failed_causes: dict[str, int] = field(default_factory=dict)


def _ms(value: str | None) -> float:
    """sipp's HH:MM:SS:micro duration as milliseconds."""
    if not value or value.count(":") != 3:
        return 0.0
    h, m, sec, micro = (int(x) for x in value.split(":"))
    return (h * 3600 + m * 60 + sec) * 1000 + micro / 1000


def read_stat(path: Path) -> SippStats:
    """The last line of a sipp -trace_stat CSV (cumulative counters)."""
    if not path.exists():
        return SippStats()
    rows = list(csv.DictReader(path.read_text(errors="replace").splitlines(), delimiter=";"))
    if not rows:
        return SippStats()
    last = rows[-1]
    causes = {
        k.removesuffix("(C)"): int(v)
        for k, v in last.items()
        if k and k.startswith("Failed") and k.endswith("(C)") and v and v.isdigit() and int(v)
    }
    return SippStats(
        successful=int(last.get("SuccessfulCall(C)", 0) or 0),
        failed=int(last.get("FailedCall(C)", 0) or 0),
        current=int(last.get("CurrentCall", 0) or 0),
        response_ms_max=max((_ms(r.get("ResponseTime1(P)")) for r in rows), default=0.0),
        response_ms_mean=_ms(last.get("ResponseTime1(C)")),
        retransmissions=int(last.get("Retransmissions(C)", 0) or 0),
        failed_causes=causes,
    )


def sipp(
    role: str,
    server: Server,
    work: Path,
    scenario_file: Path,
    *,
    calls: int,
    rate: float = 0,
    limit: int = 0,
    duration_ms: int = 0,
    echo: bool = False,
    timeout: float,
) -> tuple[Peer, Path]:
    """Start a sipp UAC or UAS in the background; returns the process and its stat file."""
    uac = role == "uac"
    stat = work / f"{role}.csv"
    stat.unlink(missing_ok=True)
    args = [
        "sipp",
        "-sf", str(scenario_file),
        "-i", UAC_IP if uac else UAS_IP,
        "-p", str(UAC_PORT if uac else UAS_PORT),
        "-mi", UAC_IP if uac else UAS_IP,
        "-mp", str(UAC_MEDIA if uac else UAS_MEDIA),
        "-m", str(calls),
        "-t", "u1",
        "-trace_stat", "-stf", str(stat), "-fd", "1",
        "-trace_err", "-error_file", str(work / f"{role}-errors.log"),
        "-timeout", f"{int(timeout)}s", "-timeout_error",
        "-max_recv_loops", "10000", "-max_sched_loops", "10000",
    ]  # fmt: skip
    if uac:
        args += [f"{SERVER_IP}:{server.sip}", "-s", DID, "-r", str(rate), "-rp", "1000"]
        args += ["-d", str(duration_ms), "-recv_timeout", "15000"]
        if limit:
            args += ["-l", str(limit)]
    if echo:
        args.append("-rtp_echo")
    log = (work / f"{role}.out").open("wb")
    process = subprocess.Popen(args, cwd=work, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    return Peer(process), stat


class Peer:
    """A sipp child process: bounded waits, SIGUSR1 (dump statistics and quit) then SIGKILL."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> int | None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGUSR1)
            if not self.wait(5):
                self.process.kill()
                self.wait(5)
        return self.process.returncode


# ---- call rate ------------------------------------------------------------------------------
@dataclass
class RateStep:
    rate: int
    seconds: int
    attempted: int
    uac_exit: int | None
    uac: SippStats
    uas: SippStats
    ok: bool
    cpu_percent: float
    rss_mib_max: float
    wall: float
    pressure: str


def rate_step(server: Server, work: Path, rate: int, seconds: int, call_ms: int) -> RateStep:
    calls = rate * seconds
    timeout = seconds + call_ms / 1000 + 40
    uas, uas_stat = sipp("uas", server, work, scenario(work, "uas.xml"), calls=calls,
                         timeout=timeout)  # fmt: skip
    time.sleep(0.5)
    cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
    uac, uac_stat = sipp("uac", server, work, scenario(work, "uac.xml"), calls=calls, rate=rate,
                         duration_ms=call_ms, limit=rate * 20, timeout=timeout)  # fmt: skip
    rss = 0
    deadline = time.monotonic() + timeout + 10
    while uac.alive() and time.monotonic() < deadline:
        rss = max(rss, rss_kib(server.pid))
        time.sleep(1.0)
    cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
    uac_exit = uac.stop()
    uas.wait(10)
    uas.stop()
    a, b = read_stat(uac_stat), read_stat(uas_stat)
    ok = uac_exit == 0 and a.failed == 0 and a.successful == calls and b.failed == 0
    return RateStep(rate, seconds, calls, uac_exit, a, b, ok, 100 * (cpu1 - cpu0) / (t1 - t0),
                    rss / 1024, t1 - t0, cpu_pressure())  # fmt: skip


def run_rate(args: argparse.Namespace, work: Path) -> list[RateStep]:
    server = Server(work, args.database)
    server.provision()
    server.start()
    results: list[RateStep] = []
    try:
        register_uas(server, work)
        print(f"idle RSS {rss_kib(server.pid) / 1024:.1f} MiB", flush=True)
        for rate in args.rates:
            step = rate_step(server, work, rate, args.seconds, args.call_ms)
            results.append(step)
            print(json.dumps(asdict(step)), flush=True)
            if not step.ok and not args.keep_going:
                break
            time.sleep(args.pause)
    finally:
        server.stop()
    return results


# ---- concurrent bridged calls with RTP ----------------------------------------------------------
@dataclass
class MediaStep:
    calls: int
    window_s: float
    up_uac: int
    failed_uac: int
    failed_uas: int
    streams_back: int
    expected_back: int
    lost_back: int
    loss_percent: float
    jitter_mean_ms: float
    jitter_max_ms: float
    sent_fwd: int
    capture_dropped: str
    cpu_percent: float
    cpu_percent_per_call: float
    rss_mib: float
    idle_rss_mib: float
    kib_per_call: float
    pressure: str


IP = r"(\d+\.\d+\.\d+\.\d+)\s+(\d+)\s+"
NUM = r"\s+([\d.]+)"
STREAM_LINE = re.compile(
    IP + IP + r"(0x[0-9A-Fa-f]+)\s+(\S+)\s+(\d+)\s+(-?\d+)\s+\((-?[\d.]+)%\)" + NUM * 6
)


def _rtp_streams(capture: Path) -> list[dict[str, str | float | int]]:
    done = subprocess.run(
        ["tshark", "-n", "-r", str(capture), "-q", "-o", "rtp.heuristic_rtp:FALSE",
         "-d", f"udp.port=={UAC_MEDIA},rtp", "-z", "rtp,streams"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    streams: list[dict[str, str | float | int]] = []
    for line in done.stdout.splitlines():
        # [start end] src port dst port ssrc payload pkts lost (pct%) min/mean/max delta,
        # min/mean/max jitter [problem]
        match = STREAM_LINE.search(line)
        if match is None:
            continue
        g = match.groups()
        streams.append(
            {
                "src": f"{g[0]}:{g[1]}",
                "dst": f"{g[2]}:{g[3]}",
                "packets": int(g[6]),
                "lost": int(g[7]),
                "mean_jitter": float(g[13]),
                "max_jitter": float(g[14]),
            }
        )
    return streams


def media_step(server: Server, work: Path, calls: int, args: argparse.Namespace) -> MediaStep:
    ramp = calls / args.setup_rate
    hold_ms = int((ramp + args.hold + 2) * 1000)
    pcap = work / "pcma.pcap"
    timeout = ramp + args.hold + 60
    capture = work / f"rtp-{calls}.pcapng"
    idle = rss_kib(server.pid)
    dump = subprocess.Popen(
        ["dumpcap", "-q", "-i", "lo", "-s", "64", "-B", "64",
         "-f", f"udp and host {UAC_IP} and port {UAC_MEDIA}", "-w", str(capture),
         "-a", f"duration:{int(timeout)}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(2)
    uas, uas_stat = sipp("uas", server, work, scenario(work, "uas.xml"), calls=calls, echo=True,
                         timeout=timeout)  # fmt: skip
    time.sleep(0.5)
    start = time.monotonic()
    uac, uac_stat = sipp("uac", server, work, scenario(work, "uac.xml", pcap), calls=calls,
                         rate=args.setup_rate, duration_ms=hold_ms, limit=calls,
                         timeout=timeout)  # fmt: skip
    # Window: every call up (ramp + 2 s margin) until 1 s before the first BYE.
    window_start = ramp + 3
    window_end = hold_ms / 1000 - 1
    time.sleep(max(0.0, start + window_start - time.monotonic()))
    up = read_stat(uac_stat)
    cpu0, t0, rss = cpu_seconds(server.pid), time.monotonic(), rss_kib(server.pid)
    while time.monotonic() < start + window_end:
        rss = max(rss, rss_kib(server.pid))
        time.sleep(1.0)
    cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
    pressure = cpu_pressure()
    uac.wait(timeout)
    uac.stop()
    uas.wait(15)
    uas.stop()
    dump.send_signal(signal.SIGINT)
    try:
        _, err = dump.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        dump.kill()
        _, err = dump.communicate()
    dropped = " ".join(
        line for line in err.decode(errors="replace").splitlines() if "ropped" in line
    )
    # Cut the window out of the capture (times relative to the UAC's start).
    first = subprocess.run(
        ["tshark", "-n", "-r", str(capture), "-c", "1", "-T", "fields", "-e", "frame.time_epoch"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout.strip()  # fmt: skip
    epoch0 = float(first) if first else time.time()
    offset = time.time() - time.monotonic()
    cut = work / f"rtp-{calls}-window.pcapng"
    a_time = start + window_start + offset
    b_time = start + window_end + offset
    subprocess.run(
        ["editcap", "-A", f"{max(a_time, epoch0):.3f}", "-B", f"{b_time:.3f}", str(capture),
         str(cut)],
        check=True, timeout=300, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    streams = _rtp_streams(cut)
    back = [s for s in streams if str(s["dst"]).startswith(f"{UAC_IP}:")]
    fwd = [s for s in streams if str(s["src"]).startswith(f"{UAC_IP}:")]
    got = sum(int(s["packets"]) for s in back)
    lost = sum(max(0, int(s["lost"])) for s in back)
    expected = got + lost
    final_a, final_b = read_stat(uac_stat), read_stat(uas_stat)
    jitter_mean = sum(float(s["mean_jitter"]) for s in back) / len(back) if back else 0.0
    cpu_pct = 100 * (cpu1 - cpu0) / (t1 - t0)
    return MediaStep(
        calls=calls,
        window_s=round(t1 - t0, 1),
        up_uac=up.current,
        failed_uac=final_a.failed,
        failed_uas=final_b.failed,
        streams_back=len(back),
        expected_back=expected,
        lost_back=lost,
        loss_percent=100 * lost / expected if expected else 100.0,
        jitter_mean_ms=jitter_mean,
        jitter_max_ms=max((float(s["max_jitter"]) for s in back), default=0.0),
        sent_fwd=sum(int(s["packets"]) for s in fwd),
        capture_dropped=dropped,
        cpu_percent=cpu_pct,
        cpu_percent_per_call=cpu_pct / calls,
        rss_mib=rss / 1024,
        idle_rss_mib=idle / 1024,
        kib_per_call=(rss - idle) / calls,
        pressure=pressure,
    )


def run_media(args: argparse.Namespace, work: Path) -> list[MediaStep]:
    longest = max(args.calls) / args.setup_rate + args.hold + 10
    write_pcap(work / "pcma.pcap", synth(longest))
    server = Server(work, args.database)
    server.provision()
    server.start()
    results: list[MediaStep] = []
    try:
        register_uas(server, work)
        for calls in args.calls:
            step = media_step(server, work, calls, args)
            results.append(step)
            print(json.dumps(asdict(step)), flush=True)
            time.sleep(args.pause)
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rate = sub.add_parser("rate", help="highest calls/s with no failed call")
    rate.add_argument("--rates", type=int, nargs="+", default=[20, 50, 100, 200])
    rate.add_argument("--seconds", type=int, default=60)
    rate.add_argument("--call-ms", type=int, default=1000)
    rate.add_argument("--pause", type=float, default=8.0)
    rate.add_argument("--keep-going", action="store_true", help="do not stop at a failed step")
    media = sub.add_parser("media", help="concurrent bridged calls with RTP both ways")
    media.add_argument("--calls", type=int, nargs="+", default=[50, 100, 200])
    media.add_argument("--hold", type=float, default=30.0)
    media.add_argument("--setup-rate", type=float, default=20.0)
    media.add_argument("--pause", type=float, default=10.0)
    for p in (rate, media):
        p.add_argument("--keep", type=Path, help="keep the work dir here (logs, captures)")
        p.add_argument(
            "--database",
            choices=["sqlite", "postgresql"],
            default="sqlite",
            help="sqlite: fresh file in the work dir; postgresql: fresh database on the test "
            "suite's server (127.0.0.1:5432, user postgres), dropped at the end",
        )
    args = parser.parse_args()
    if os.geteuid() != 0 and args.command == "media":
        raise SystemExit("sipp needs root to play pcaps (play_pcap_audio)")
    for tool in ("sipp", "tshark", "dumpcap", "editcap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed")
    _raise_nofile()
    work = args.keep or Path(tempfile.mkdtemp(prefix="centrex-callbench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; database {args.database}; {cpu_pressure()}", flush=True)
    if args.command == "rate":
        run_rate(args, work)
    else:
        run_media(args, work)


if __name__ == "__main__":
    main()
