"""Call screening against a real `centrex serve`, configured through the real command line, with
sipp as the carrier and as a phone: a blocked caller from the trunk gets 603 with the Warning,
another caller is not screened (the unregistered extension's voicemail answers), an extension barred to national calls
dialling France gets 403 with the Warning and the carrier's socket receives nothing, and the
blocked calls' CDRs are closed as failed.

Ports of this module only: SIP 15450-15499, RTP 44400-44799, HTTP 18450-18499.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers.raw import udp_options_ok
from tests.peers.sipp import SippUser

pytestmark = pytest.mark.e2e

TENANT = "screen.e2e.test"
DID = "+41215550100"
SERVER_PORT, HTTP_PORT = 15450, 18450
CARRIER = ("127.0.0.61", 15451)  # the trunk's address: where Centrex sends outbound INVITEs
CARRIER_UAC_PORT = 15452  # sipp calling in from the carrier's address
PHONE_PORT = 15453
PASSWORD = "pw-101-screening"

SDP = """v=0
o=- 1 1 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 8
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
"""

INVITE_HEAD = """INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@{host}>;tag=[pid]s[call_number]
To: <sip:[service]@{host}>
Call-ID: [call_id]
CSeq: {cseq} INVITE
Contact: <sip:{user}@[local_ip]:[local_port]>
Max-Forwards: 70
{extra}Content-Type: application/sdp
Content-Length: [len]
"""

ACK = """ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:{user}@{host}>;tag=[pid]s[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: {cseq} ACK
Max-Forwards: 70
Content-Length: 0
"""


def _invite(user: str, host: str, cseq: int, extra: str = "") -> str:
    head = INVITE_HEAD.format(user=user, host=host, cseq=cseq, extra=extra)
    return f'  <send retrans="500"><![CDATA[\n{head}\n{SDP}\n  ]]></send>\n'


def _ack(user: str, host: str, cseq: int) -> str:
    return f"  <send><![CDATA[\n{ACK.format(user=user, host=host, cseq=cseq)}\n  ]]></send>\n"


def _final(status: int, warning: str | None) -> str:
    check = (
        f'<action><ereg regexp="{warning}" search_in="hdr" header="Warning:" check_it="true" '
        'assign_to="warning"/></action>'
        if warning
        else ""
    )
    return (
        '  <recv response="100" optional="true"/>\n'
        '  <recv response="180" optional="true"/>\n'
        f'  <recv response="{status}">{check}</recv>\n'
    )


def carrier_scenario(caller: str, status: int, warning: str | None) -> str:
    """The carrier calls the DID from `caller`, expecting `status` (and a Warning matching)."""
    body = (
        _invite(caller, "[local_ip]", 1) + _final(status, warning) + _ack(caller, "[local_ip]", 1)
    )
    refs = '  <Reference variables="warning"/>\n' if warning else ""
    return f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="carrier">\n{body}{refs}</scenario>\n'


ANSWERED = """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[local_ip]>;tag=[pid]s[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
[routes]
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[local_ip]>;tag=[pid]s[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
[routes]
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="200"/>
"""


def answered_scenario(caller: str) -> str:
    """The carrier calls the DID from `caller`: answered (the callee's voicemail), then BYE."""
    body = _invite(caller, "[local_ip]", 1) + ANSWERED.format(user=caller)
    return (
        '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="answered">\n'
        f"{body}</scenario>\n"
    )


def phone_scenario(status: int, warning: str) -> str:
    """Extension [field0] dials [service]: 407, the INVITE again with credentials, `status`."""
    body = (
        _invite("[field0]", "[field1]", 1)
        + '  <recv response="100" optional="true"/>\n'
        + '  <recv response="407" auth="true"/>\n'
        + _ack("[field0]", "[field1]", 1)
        + _invite("[field0]", "[field1]", 2, extra="[field2]\n")
        + _final(status, warning)
        + _ack("[field0]", "[field1]", 2)
        + '  <Reference variables="warning"/>\n'
    )
    return f'<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="phone">\n{body}</scenario>\n'


class ScreeningPbx:
    """`centrex serve` on this module's ports, provisioned with `centrex` commands."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = dict(os.environ)
        self.env.update(
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_DATABASE_URL="",
            CENTREX_SECRET_KEY="e2e-screening",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # sipp answers MD5 challenges only
            CENTREX_ROUTE_CACHE_SECONDS="0",
            CENTREX_RTP_PORT_MIN="44400",
            CENTREX_RTP_PORT_MAX="44699",
            CENTREX_LOG_LEVEL="INFO",
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.process: subprocess.Popen[str] | None = None

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", *args, "--json"],
            env=self.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, f"centrex {' '.join(args)}: {done.stderr}{done.stdout}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    def provision(self) -> None:
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        self.cli("db", "upgrade")
        self.cli("tenant", "create", "--name", "Screen", "--domain", TENANT,
                 "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        self.cli("extension", "create", "--tenant", TENANT, "--number", "101",
                 "--password", PASSWORD, "--no-voicemail")  # fmt: skip
        self.cli("number", "add", DID, "--tenant", TENANT, "--extension", "101")
        self.cli("trunk", "create", "--name", "carrier", "--host", CARRIER[0],
                 "--port", str(CARRIER[1]), "--priority", "1")  # fmt: skip
        self.cli("route", "create", "--name", "all", "--prefix", "", "--trunk", "carrier")
        self.cli("blocklist", "add", "--tenant", TENANT, "--pattern", "+41797770000",
                 "--direction", "inbound")  # fmt: skip
        self.cli("extension", "update", "--tenant", TENANT, "--number", "101",
                 "--outbound", "national")  # fmt: skip

    def start(self) -> None:
        self.provision()
        with (self.directory / "serve.log").open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "centrex", "serve", "--sip", f"127.0.0.1:{SERVER_PORT}",
                 "--http", f"127.0.0.1:{HTTP_PORT}", "--sip-tls", "127.0.0.1:0",
                 "--sip-ws", "127.0.0.1:0"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        if not udp_options_ok(("127.0.0.1", SERVER_PORT), timeout=30):
            self.stop()
            pytest.fail(f"server did not start: {self.log()[-3000:]}")

    def log(self) -> str:
        return (self.directory / "serve.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def wait_cdrs(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            items = [c for c in self.cli("cdr", "list", "--tenant", TENANT)["items"]
                     if c["ended_at"] is not None]  # fmt: skip
            if len(items) >= count or time.monotonic() > deadline:
                return items
            time.sleep(0.3)


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScreeningPbx]:
    server = ScreeningPbx(tmp_path_factory.mktemp("screening"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_sipp(directory: Path, scenario: str, service: str, local: tuple[str, int],
             media_port: int, inf: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scenario.xml"
    path.write_text(scenario, encoding="ascii")
    command = [
        "sipp", f"127.0.0.1:{SERVER_PORT}", "-sf", str(path), "-s", service, "-m", "1",
        "-i", local[0], "-p", str(local[1]), "-mi", local[0], "-mp", str(media_port),
        "-timeout", "30s", "-timeout_error", "-trace_err", "-error_file",
        str(directory / "errors.log"), "-nostdin",
    ]  # fmt: skip
    if inf is not None:
        command += ["-inf", str(inf)]
    return subprocess.run(command, cwd=directory, capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip


def errors_of(directory: Path) -> str:
    path = directory / "errors.log"
    return path.read_text(errors="replace") if path.exists() else ""


def test_a_blocked_caller_from_the_trunk_gets_603(pbx: ScreeningPbx, tmp_path: Path) -> None:
    blocked = run_sipp(tmp_path / "blocked", carrier_scenario("+41797770000", 603, "blocklist"),
                       DID, (CARRIER[0], CARRIER_UAC_PORT), 44700)  # fmt: skip
    assert blocked.returncode == 0, errors_of(tmp_path / "blocked") + pbx.log()[-2000:]
    other = run_sipp(tmp_path / "other", answered_scenario("+41797770001"),
                     DID, (CARRIER[0], CARRIER_UAC_PORT), 44710)  # fmt: skip
    assert other.returncode == 0, errors_of(tmp_path / "other") + pbx.log()[-2000:]
    assert "inbound caller refused: +41797770000 is on the blocklist" in pbx.log()


def test_a_barred_extension_gets_403_and_nothing_reaches_the_carrier(
    pbx: ScreeningPbx, tmp_path: Path
) -> None:
    directory = tmp_path / "barred"
    directory.mkdir()
    users = directory / "users.csv"
    user = SippUser("101", TENANT, PASSWORD)
    users.write_text("SEQUENTIAL\n" + user.csv_line() + "\n", encoding="ascii")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as carrier:
        carrier.bind(CARRIER)
        carrier.setblocking(False)
        done = run_sipp(directory, phone_scenario(403, "barred"), "0033140000000",
                        ("127.0.0.1", PHONE_PORT), 44720, users)  # fmt: skip
        assert done.returncode == 0, errors_of(directory) + pbx.log()[-2000:]
        with pytest.raises(BlockingIOError):
            carrier.recvfrom(65535)  # the 403 came after the decision: no INVITE was sent
    cdrs = pbx.wait_cdrs(3)
    barred = [c for c in cdrs if c["caller"] == "101"]
    assert len(barred) == 1
    assert (barred[0]["direction"], barred[0]["disposition"]) == ("outbound", "failed")
    inbound = sorted(c["disposition"] for c in cdrs if c["direction"] == "inbound")
    assert inbound == ["answered", "failed"]
