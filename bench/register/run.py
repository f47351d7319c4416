"""REGISTER benchmark: sipp with digest auth against `centrex serve` (and Kamailio, same run).

Every registration is REGISTER -> 401 -> REGISTER with credentials -> 200 (a fresh challenge
each time, new Call-ID), users drawn in order from an injection CSV of `--users` distinct
extensions. The tenant and its users are bulk-inserted into a fresh SQLite database with
precomputed HA1 values. Phases:

1. cold: every user registers once at `--cold-rate` (credential lookups hit the database);
   RSS is read before and after, giving memory per binding at `--users` bindings;
2. warm: the rate is stepped up (`--rates`), each step `--step-seconds` long; a step passes
   when sipp reports 0 failed calls and the achieved rate is within 10 % of the target;
3. the same warm steps against Kamailio 5.6 (registrar + auth_db on db_text, usrloc in memory,
   `-m 1024 -M 16`), unless `--no-kamailio`.

Only loopback addresses are used; every loop is bounded in count and time.
Usage: .venv/bin/python bench/register/run.py [--users 10000] [--rates 500,1000,...]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from centrex.data.db import Database  # noqa: E402
from centrex.data.models import Extension, SipCredential  # noqa: E402
from centrex.provisioning import tenants as tenant_service  # noqa: E402
from tests.peers.sipp import SippUser, write_register_files  # noqa: E402

DOMAIN = "bench.test"
PASSWORD = "bench-password-1"
FIRST = 10000


@dataclass
class Step:
    target: str
    rate: int
    calls: int
    successful: int
    failed: int
    elapsed: float
    achieved: float
    cpu_seconds: float

    @property
    def passed(self) -> bool:
        """Every registration succeeded (the achieved rate is what counts, see `saturated`)."""
        return self.failed == 0 and self.successful == self.calls

    @property
    def saturated(self) -> bool:
        """The server no longer keeps up with the offered rate: stepping further is pointless."""
        return self.achieved < 0.75 * self.rate


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ha1(user: str, algorithm: str) -> str:
    data = f"{user}:{DOMAIN}:{PASSWORD}".encode()
    if algorithm == "MD5":
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    return hashlib.sha256(data).hexdigest()


async def provision(url: str, users: int) -> None:
    """Migrate, create the tenant, bulk-insert `users` extensions with their credentials."""
    database = Database(url)
    try:
        await database.upgrade()
        now = datetime.now(UTC)
        async with database.transaction() as session:
            tenant = await tenant_service.create_tenant(
                session, now=now, name="Bench", domain=DOMAIN, extension_digits=5, max_calls=10
            )
            numbers = [str(FIRST + i) for i in range(users)]
            await session.execute(
                insert(Extension),
                [{"tenant_id": tenant.id, "number": n, "display_name": ""} for n in numbers],
            )
            rows = (
                await session.execute(
                    select(Extension.id, Extension.number).where(Extension.tenant_id == tenant.id)
                )
            ).all()
            await session.execute(
                insert(SipCredential),
                [
                    {
                        "tenant_id": tenant.id,
                        "extension_id": ext_id,
                        "username": number,
                        "realm": DOMAIN,
                        "ha1_md5": ha1(number, "MD5"),
                        "ha1_sha256": ha1(number, "SHA-256"),
                    }
                    for ext_id, number in rows
                ],
            )
    finally:
        await database.dispose()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children_of(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [pid, *(int(x) for x in out.split())]


def run_sipp(
    workdir: Path, target: tuple[str, int], rate: int, calls: int, local_port: int
) -> tuple[int, int, float]:
    """One sipp run; returns (successful, failed, elapsed seconds)."""
    stat = workdir / f"stat-{target[1]}-{rate}-{calls}.csv"
    args = [
        "sipp", f"{target[0]}:{target[1]}", "-sf", str(workdir / "register.xml"),
        "-inf", str(workdir / "users.csv"), "-r", str(rate), "-m", str(calls),
        "-i", "127.0.0.1", "-p", str(local_port), "-t", "u1",
        "-l", str(max(rate * 4, 100)),
        "-timeout", f"{calls // rate + 30}s", "-timeout_error",
        "-trace_stat", "-stf", str(stat), "-fd", "1",
        "-max_socket", "1000", "-buff_size", "4194304",
    ]  # fmt: skip
    started = time.monotonic()
    subprocess.run(
        args,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=calls / rate + 60,
        check=False,
    )
    elapsed = time.monotonic() - started
    with stat.open() as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header, last = rows[0], rows[-1]
    ok = int(last[header.index("SuccessfulCall(C)")])
    failed = int(last[header.index("FailedCall(C)")])
    return ok, failed, elapsed


def step(
    name: str, workdir: Path, target: tuple[str, int], pids: list[int], rate: int, calls: int,
    local_port: int,
) -> Step:  # fmt: skip
    cpu_before = cpu_seconds(pids)
    ok, failed, elapsed = run_sipp(workdir, target, rate, calls, local_port)
    cpu = cpu_seconds(pids) - cpu_before
    result = Step(name, rate, calls, ok, failed, round(elapsed, 2), round(ok / elapsed, 1), cpu)
    verdict = ("ok" if not result.saturated else "saturated") if result.passed else "FAIL"
    print(
        f"  {name:9} target {rate:5}/s: {ok}/{calls} ok, {failed} failed, "
        f"{result.achieved:7.1f}/s achieved, CPU {cpu:5.1f}s [{verdict}]",
        flush=True,
    )
    return result


def wait_udp(port: int, timeout: float = 30.0) -> None:
    """Wait until something answers an OPTIONS on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    message = (
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:{p};branch=z9hG4bKw{n};rport\r\n"
        "From: <sip:w@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: w{n}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.5)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            sock.sendto(message.format(p=sock.getsockname()[1], n=n).encode(), ("127.0.0.1", port))
            try:
                sock.recv(65536)
                return
            except TimeoutError:
                continue
    raise TimeoutError(f"nothing answers on UDP {port}")


KAMAILIO_CFG = """#!KAMAILIO
debug=0
log_stderror=yes
fork=yes
children={children}
auto_aliases=no
listen=udp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "use_domain", 0)
modparam("usrloc", "db_mode", 0)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("REGISTER")) {{
        if (!auth_check("$fd", "subscriber", "1")) {{ auth_challenge("$fd", "1"); exit; }}
        consume_credentials();
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
    sl_send_reply("404", "Not Found");
}}
"""


def start_kamailio(workdir: Path, users: int, children: int) -> tuple[subprocess.Popen[str], int]:
    db = workdir / "kamailio-db"
    db.mkdir()
    (db / "version").write_text(
        "id(int,auto) table_name(string) table_version(int) \n0:subscriber:7\n"
    )
    lines = [
        "id(int,auto) username(string) domain(string) password(string) ha1(string) ha1b(string) "
    ]
    for i in range(users):
        user = str(FIRST + i)
        lines.append(f"{i + 1}:{user}:{DOMAIN}:x:{ha1(user, 'MD5')}:x")
    (db / "subscriber").write_text("\n".join(lines) + "\n")
    port = free_port()
    cfg = workdir / "kamailio.cfg"
    cfg.write_text(KAMAILIO_CFG.format(children=children, port=port, db=db))
    log = (workdir / "kamailio.log").open("w")
    process = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-m", "1024", "-M", "16",
         "-Y", str(workdir), "-P", str(workdir / "kamailio.pid")],
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log.close()
    wait_udp(port)
    return process, port


def warm_steps(
    name: str, workdir: Path, port: int, pids: list[int], rates: list[int], seconds: int,
    local_port: int,
) -> list[Step]:  # fmt: skip
    steps: list[Step] = []
    for rate in rates:
        result = step(name, workdir, ("127.0.0.1", port), pids, rate, rate * seconds, local_port)
        steps.append(result)
        if not result.passed or result.saturated:
            break
    return steps


def best(steps: list[Step]) -> float:
    passed = [s.achieved for s in steps if s.passed]
    return max(passed) if passed else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--cold-rate", type=int, default=500)
    parser.add_argument("--rates", default="500,1000,1500,2000,2500,3000,4000,5000")
    parser.add_argument("--step-seconds", type=int, default=6)
    parser.add_argument("--kamailio-children", type=int, default=2)
    parser.add_argument("--no-kamailio", action="store_true")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="centrex-bench-register-"))
    data_dir = workdir / "data"
    data_dir.mkdir()
    print(f"work dir {workdir}; provisioning {args.users} users ...", flush=True)
    started = time.monotonic()
    asyncio.run(provision(f"sqlite+aiosqlite:///{data_dir / 'centrex.db'}", args.users))
    print(f"  provisioned in {time.monotonic() - started:.1f}s", flush=True)
    users = [SippUser(str(FIRST + i), DOMAIN, PASSWORD) for i in range(args.users)]
    write_register_files(workdir, users)
    sip = free_port()
    env = dict(os.environ)
    env.update(
        CENTREX_DATA_DIR=str(data_dir), CENTREX_DATABASE_URL="", CENTREX_LOG_LEVEL="WARNING",
        CENTREX_SIP_DIGEST_ALGORITHMS="MD5", CENTREX_MAX_MESSAGES_PER_SECOND="0",
    )  # fmt: skip
    log = (workdir / "centrex.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "centrex", "serve", "--sip", f"127.0.0.1:{sip}",
         "--http", f"127.0.0.1:{free_port()}", "--sip-tls", "127.0.0.1:0",
         "--sip-ws", "127.0.0.1:0"],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    log.close()
    results: dict[str, object] = {"users": args.users, "machine_cpus": os.cpu_count()}
    local_port = free_port()
    try:
        wait_udp(sip)
        time.sleep(1.0)
        rss_before = rss_kib(server.pid)
        print("centrex: cold pass (every user once, credentials from the database)", flush=True)
        cold = step("cold", workdir, ("127.0.0.1", sip), [server.pid], args.cold_rate,
                    args.users, local_port)  # fmt: skip
        time.sleep(1.0)
        rss_after = rss_kib(server.pid)
        per_binding = (rss_after - rss_before) * 1024 / args.users
        print(
            f"  RSS {rss_before / 1024:.1f} MiB -> {rss_after / 1024:.1f} MiB at "
            f"{args.users} bindings: {per_binding:.0f} bytes per binding",
            flush=True,
        )
        print("centrex: warm steps", flush=True)
        warm = warm_steps("centrex", workdir, sip, [server.pid], rates, args.step_seconds,
                          local_port)  # fmt: skip
        results.update(
            centrex_cold=asdict(cold),
            centrex_steps=[asdict(s) for s in warm],
            centrex_best_rate=best(warm),
            centrex_rss_before_kib=rss_before,
            centrex_rss_after_kib=rss_after,
            centrex_bytes_per_binding=round(per_binding),
            centrex_cpu_ms_per_registration=round(
                1000 * sum(s.cpu_seconds for s in warm) / max(1, sum(s.successful for s in warm)),
                3,
            ),
        )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    if not args.no_kamailio and shutil.which("kamailio"):
        kamailio, port = start_kamailio(workdir, args.users, args.kamailio_children)
        try:
            pids = children_of(kamailio.pid)
            print(f"kamailio: warm steps ({args.kamailio_children} UDP workers)", flush=True)
            step("kam-cold", workdir, ("127.0.0.1", port), pids, args.cold_rate, args.users,
                 local_port)  # fmt: skip
            ksteps = warm_steps("kamailio", workdir, port, pids, rates, args.step_seconds,
                                local_port)  # fmt: skip
            results.update(
                kamailio_steps=[asdict(s) for s in ksteps], kamailio_best_rate=best(ksteps)
            )
        finally:
            kamailio.send_signal(signal.SIGTERM)
            try:
                kamailio.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kamailio.kill()
    ours = float(results.get("centrex_best_rate", 0.0))  # type: ignore[arg-type]
    theirs = float(results.get("kamailio_best_rate", 0.0))  # type: ignore[arg-type]
    if theirs:
        results["ratio"] = round(ours / theirs, 3)
    print(json.dumps({k: v for k, v in results.items() if not k.endswith("steps")}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
