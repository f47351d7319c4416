"""Driving sipp (sip-tester 3.6) from tests and benchmarks.

sipp expands `[authentication username=... password=...]` only when the whole keyword comes
from an injection-file field (shared/TESTING-NOTES.md), so the credentials travel in field 2
of the CSV and the scenario writes `[field2]` where the Authorization header goes.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

# REGISTER -> 401 -> REGISTER with credentials -> 200 (RFC 3261 §10.2, §22.2).
REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500">
    <![CDATA[
REGISTER sip:[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[call_number]
To: <sip:[field0]@[field1]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
Expires: [field3]
Max-Forwards: 70
User-Agent: sipp-centrex-test
Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
REGISTER sip:[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[call_number]
To: <sip:[field0]@[field1]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
[field2]
Expires: [field3]
Max-Forwards: 70
User-Agent: sipp-centrex-test
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""


@dataclass(frozen=True)
class SippUser:
    """One line of the injection file."""

    user: str
    domain: str
    password: str
    expires: int = 3600

    def csv_line(self) -> str:
        auth = f"[authentication username={self.user} password={self.password}]"
        return f"{self.user};{self.domain};{auth};{self.expires}"


@dataclass(frozen=True)
class SippResult:
    returncode: int
    stdout: str
    stderr: str
    errors: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def write_register_files(directory: Path, users: list[SippUser]) -> tuple[Path, Path]:
    """The scenario and the injection CSV (SEQUENTIAL: one user per call, in order)."""
    directory.mkdir(parents=True, exist_ok=True)
    scenario = directory / "register.xml"
    scenario.write_text(REGISTER_SCENARIO, encoding="ascii")
    csv = directory / "users.csv"
    csv.write_text("SEQUENTIAL\n" + "\n".join(u.csv_line() for u in users) + "\n", "ascii")
    return scenario, csv


def register(
    directory: Path,
    server: tuple[str, int],
    users: list[SippUser],
    *,
    transport: str = "udp",
    local_ip: str = "127.0.0.1",
    local_port: int = 0,
    timeout: float = 30.0,
) -> SippResult:
    """Run one REGISTER call per user through sipp; returncode 0 means every call got 200."""
    scenario, csv = write_register_files(directory, users)
    errors = directory / "errors.log"
    args = [
        "sipp",
        f"{server[0]}:{server[1]}",
        "-sf",
        str(scenario),
        "-inf",
        str(csv),
        "-m",
        str(len(users)),
        "-r",
        "50",
        "-i",
        local_ip,
        "-p",
        str(local_port),
        "-t",
        "t1" if transport == "tcp" else "u1",
        "-timeout",
        f"{int(timeout)}s",
        "-timeout_error",
        "-trace_err",
        "-error_file",
        str(errors),
        "-max_recv_loops",
        "1000",
    ]
    done = subprocess.run(
        args,
        cwd=directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout + 15,
        check=False,
    )
    text = errors.read_text(errors="replace") if errors.exists() else ""
    return SippResult(done.returncode, done.stdout[-3000:], done.stderr[-3000:], text[-3000:])
