"""Call rate through a 10-member simultaneous ring group: sipp UAC -> Centrex -> 10 forks.

Run (numbers go to docs/performance.md, section "Ring-group call rate"):

    .venv/bin/python bench/calls/ring_group_bench.py --rates 5 10 20 --seconds 30

Set-up (loopback only, fresh SQLite data dir, call_bench's Server/Peer/read_stat reused):
  * tenant `bench.test`, extensions 100 and 601-610, ring group 600 (simultaneous, members
    601-610). A DID can only be routed to an extension (`centrex number add --extension`) and
    `extension forward --always 600` is refused ("extension 600 does not exist"), so the caller
    is not a carrier but extension 100 itself: a sipp UAC on 127.0.0.70:5060 (not call_bench's
    127.0.0.50, so both can run) dialling 600 with digest auth (INVITE, 407, ACK, INVITE with
    credentials: scenarios/uac_auth.xml, MD5) -- each call costs one digest check more than
    call_bench's trunk calls;
  * member 601 is a sipp UAS on 127.0.0.71:5071 answering 200 at once (scenarios/uas.xml);
    members 602-610 are one sipp UAS on 127.0.0.72:5072 registered as all 9
    (scenarios/uas_ring_cancel.xml): 180, then CANCEL -> 200 + 487, ACK. So every call really
    forks 10 INVITEs and cancels 9.
A step passes when the UAC's exit code is 0, its FailedCall = 0 and SuccessfulCall = R x
seconds, and neither UAS failed a call. CPU of centrex from /proc/PID/stat over the step.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from call_bench import (  # noqa: E402
    DOMAIN,
    SERVER_IP,
    Peer,
    Server,
    SippStats,
    _raise_nofile,
    cpu_pressure,
    cpu_seconds,
    read_stat,
    rss_kib,
    scenario,
)

from tests.peers.sipp import SippUser, register  # noqa: E402

GROUP = "600"
MEMBERS = [str(n) for n in range(601, 611)]
FRONT = "100"  # the caller (an internal extension: a DID cannot target a ring group)
UAC = ("127.0.0.70", 5060, 6200)
WINNER = ("127.0.0.71", 5071, 6300)
LOSERS = ("127.0.0.72", 5072, 6400)


def password(number: str) -> str:
    return f"bench-{number}-secret"


def provision(server: Server) -> None:
    server.cli("db", "upgrade")
    server.cli("tenant", "create", "--name", "Bench", "--domain", DOMAIN,
               "--extension-digits", "3", "--max-calls", "100000")  # fmt: skip
    for number in [FRONT, *MEMBERS]:
        server.cli("extension", "create", "--tenant", DOMAIN, "--number", number,
                   "--password", password(number))  # fmt: skip
    members = [arg for m in MEMBERS for arg in ("--member", m)]
    server.cli("ring-group", "create", "--tenant", DOMAIN, "--number", GROUP,
               "--strategy", "simultaneous", *members)  # fmt: skip


def register_members(server: Server, work: Path) -> None:
    for where, numbers in ((WINNER, MEMBERS[:1]), (LOSERS, MEMBERS[1:])):
        users = [SippUser(n, DOMAIN, password(n), expires=7200) for n in numbers]
        done = register(work / f"register-{where[1]}", (SERVER_IP, server.sip), users,
                        local_ip=where[0], local_port=where[1], timeout=30)  # fmt: skip
        if not done.ok:
            raise SystemExit(f"member registration failed: {done.errors or done.stdout}")


def sipp(name: str, where: tuple[str, int, int], work: Path, xml: Path, calls: int,
         timeout: float, extra: list[str]) -> tuple[Peer, Path]:  # fmt: skip
    stat = work / f"{name}.csv"
    stat.unlink(missing_ok=True)
    args = [
        "sipp", "-sf", str(xml), "-i", where[0], "-p", str(where[1]),
        "-mi", where[0], "-mp", str(where[2]), "-m", str(calls), "-t", "u1",
        "-trace_stat", "-stf", str(stat), "-fd", "1",
        "-trace_err", "-error_file", str(work / f"{name}-errors.log"),
        "-timeout", f"{int(timeout)}s", "-timeout_error",
        "-max_recv_loops", "10000", "-max_sched_loops", "10000", *extra,
    ]  # fmt: skip
    with (work / f"{name}.out").open("wb") as log:
        process = subprocess.Popen(args, cwd=work, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=log)  # fmt: skip
    return Peer(process), stat


@dataclass
class Step:
    rate: int
    seconds: int
    attempted: int
    uac_exit: int | None
    uac: SippStats
    winner: SippStats
    losers: SippStats
    ok: bool
    cpu_percent: float
    rss_mib_max: float
    wall: float
    pressure: str


def step(server: Server, work: Path, rate: int, seconds: int, call_ms: int) -> Step:
    calls = rate * seconds
    timeout = seconds + call_ms / 1000 + 40
    win, win_stat = sipp("winner", WINNER, work, scenario(work, "uas.xml"), calls, timeout, [])
    lose, lose_stat = sipp("losers", LOSERS, work, scenario(work, "uas_ring_cancel.xml"),
                           calls * (len(MEMBERS) - 1), timeout, [])  # fmt: skip
    time.sleep(0.5)
    cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
    uac, uac_stat = sipp("uac", UAC, work, scenario(work, "uac_auth.xml"), calls, timeout, [
        f"{SERVER_IP}:{server.sip}", "-s", GROUP, "-au", FRONT, "-ap", password(FRONT),
        "-r", str(rate), "-rp", "1000",
        "-d", str(call_ms), "-recv_timeout", "15000", "-l", str(rate * 20),
    ])  # fmt: skip
    rss = 0
    deadline = time.monotonic() + timeout + 10
    while uac.alive() and time.monotonic() < deadline:
        rss = max(rss, rss_kib(server.pid))
        time.sleep(1.0)
    cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
    uac_exit = uac.stop()
    for peer in (win, lose):
        peer.wait(10)
        peer.stop()
    a, w, b = read_stat(uac_stat), read_stat(win_stat), read_stat(lose_stat)
    ok = uac_exit == 0 and a.failed == 0 and a.successful == calls and w.failed == b.failed == 0
    return Step(rate, seconds, calls, uac_exit, a, w, b, ok, 100 * (cpu1 - cpu0) / (t1 - t0),
                rss / 1024, t1 - t0, cpu_pressure())  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--call-ms", type=int, default=1000)
    parser.add_argument("--pause", type=float, default=8.0)
    parser.add_argument("--keep", type=Path, help="keep the work dir here (logs, stat CSVs)")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at a failed step")
    args = parser.parse_args()
    _raise_nofile()
    work = args.keep or Path(tempfile.mkdtemp(prefix="centrex-ringbench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir {work}; {cpu_pressure()}", flush=True)
    server = Server(work)
    provision(server)
    server.start()
    try:
        register_members(server, work)
        for rate in args.rates:
            result = step(server, work, rate, args.seconds, args.call_ms)
            print(json.dumps(asdict(result)), flush=True)
            if not result.ok and not args.keep_going:
                break
            time.sleep(args.pause)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
