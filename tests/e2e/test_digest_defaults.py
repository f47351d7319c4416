"""The done criterion of issue 11's digest defect: a sipp UA with sipp's default behaviour (it
answers only the FIRST challenge and knows only MD5) registers and places a call through a
`centrex serve` running with the default settings (no CENTREX_SIP_DIGEST_ALGORITHMS).

Both phones are sipp 3.6: 102 registers, then a sipp UAS answers on that same socket; 101
registers, then calls 102 through the B2BUA (INVITE -> 407 -> ACK -> INVITE with
Proxy-Authorization -> 200 -> ACK -> BYE). The CDR shows the answered call. Fixed ports of
this file only: SIP 15160-15167; RTP 43100-43199.
"""

from __future__ import annotations

import asyncio
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

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.sip.digest import parse_challenge
from centrex.sip.message import Response, parse_message
from tests.peers import sipp
from tests.peers.raw import udp_options_ok

pytestmark = pytest.mark.e2e

DOMAIN = "digest.e2e.test"
PASSWORDS = {"101": "pw-101-digest", "102": "pw-102-digest"}
SERVER = ("127.0.0.1", 15160)
HTTP, TLS, WS = 15161, 15162, 15163
CALLEE = ("127.0.0.63", 15164)
CALLER = ("127.0.0.64", 15165)
PROBE = ("127.0.0.65", 15166)
CALLEE_MEDIA, CALLER_MEDIA = 15168, 15170  # sipp's -mp (it may also use +2 for video)

SDP = """v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000
a=sendrecv
"""

# 101 calls [field3]; the 407 is answered with [field2] = sipp's [authentication ...] keyword,
# which reads the first Proxy-Authenticate only and computes MD5.
CALLER_SCENARIO = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="call with proxy digest">
  <send retrans="500">
    <![CDATA[
INVITE sip:[field3]@[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[pid]caller[call_number]
To: <sip:[field3]@[field1]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: sipp-centrex-test
Content-Type: application/sdp
Content-Length: [len]

{SDP}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send>
    <![CDATA[
ACK sip:[field3]@[field1] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
INVITE sip:[field3]@[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[pid]caller[call_number]
To: <sip:[field3]@[field1]>
Call-ID: [call_id]
CSeq: 2 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
[field2]
Max-Forwards: 70
User-Agent: sipp-centrex-test
Content-Type: application/sdp
Content-Length: [len]

{SDP}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[pid]caller[call_number]
To: <sip:[field3]@[field1]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 ACK
[routes]
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="1500"/>
  <send retrans="500">
    <![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[field0]@[field1]>;tag=[pid]caller[call_number]
To: <sip:[field3]@[field1]>[peer_tag_param]
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

# 102's phone: answers 200 at once (no 180, shared/TESTING-NOTES.md), then ACK, BYE, 200.
CALLEE_SCENARIO = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answering phone">
  <recv request="INVITE" crlf="true"/>
  <send retrans="500">
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]callee[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:102@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

{SDP}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <timewait milliseconds="1000"/>
</scenario>
"""


class DefaultPbx:
    """`centrex serve` with nothing configured but its data dir and ports."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.env = dict(os.environ)
        for name in list(self.env):
            if name.startswith("CENTREX_"):
                del self.env[name]  # default settings: nothing inherited from the caller
        self.env.update(
            CENTREX_DATA_DIR=str(directory / "data"),
            CENTREX_RTP_PORT_MIN="43100",  # ports only, so parallel e2e files never collide
            CENTREX_RTP_PORT_MAX="43199",
        )
        self.process: subprocess.Popen[str] | None = None
        self.log_path = directory / "serve.log"

    async def provision(self) -> None:
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            await database.upgrade()
            async with database.transaction() as session:
                tenant = await tenant_service.create_tenant(
                    session, now=SystemClock().utcnow(), name="Digest E2E", domain=DOMAIN,
                    extension_digits=3, max_calls=5,
                )  # fmt: skip
                scope = tenant_service.scope_of(session, tenant)
                for number, password in PASSWORDS.items():
                    await extension_service.create_extension(
                        scope, number=number, password=password
                    )
        finally:
            await database.dispose()

    def start(self) -> None:
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "centrex", "serve",
                    "--sip", f"{SERVER[0]}:{SERVER[1]}",
                    "--sip-tls", f"127.0.0.1:{TLS}",
                    "--sip-ws", f"127.0.0.1:{WS}",
                    "--http", f"127.0.0.1:{HTTP}",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
        if not udp_options_ok(SERVER, timeout=30):
            self.stop()
            pytest.fail(f"server did not answer OPTIONS: {self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("server did not stop on SIGINT")
        assert self.process.returncode == 0, self.log()[-3000:]
        self.process = None

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DefaultPbx]:
    directory = tmp_path_factory.mktemp("digest-defaults")
    (directory / "data").mkdir()
    server = DefaultPbx(directory)
    asyncio.run(server.provision())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _first_challenge(pbx: DefaultPbx) -> str:
    """The algorithm of the first WWW-Authenticate of a plain REGISTER's 401."""
    request = (
        f"REGISTER sip:{DOMAIN} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {PROBE[0]}:{PROBE[1]};branch=z9hG4bKdigestprobe;rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:101@{DOMAIN}>;tag=probe\r\n"
        f"To: <sip:101@{DOMAIN}>\r\n"
        "Call-ID: digest-probe\r\n"
        "CSeq: 1 REGISTER\r\n"
        f"Contact: <sip:101@{PROBE[0]}:{PROBE[1]}>\r\n"
        "Expires: 0\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(PROBE)
        sock.settimeout(10)
        sock.sendto(request, SERVER)
        response = parse_message(sock.recv(65535))
    assert isinstance(response, Response)
    assert response.status == 401, pbx.log()[-2000:]
    return parse_challenge(response.headers.get_all("WWW-Authenticate")[0]).algorithm


def _sipp(directory: Path, scenario: str, local: tuple[str, int], media: int,
          *extra: str) -> subprocess.Popen[str]:  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scenario.xml"
    path.write_text(scenario, encoding="ascii")
    args = [
        "sipp", "-sf", str(path), "-i", local[0], "-p", str(local[1]),
        "-mi", local[0], "-mp", str(media), "-m", "1", "-t", "u1",
        "-timeout", "40s", "-timeout_error", "-recv_timeout", "20000",
        "-trace_err", "-error_file", str(directory / "errors.log"),
        "-max_recv_loops", "1000", *extra,
    ]  # fmt: skip
    log = (directory / "sipp.out").open("w")
    try:
        return subprocess.Popen(
            args, cwd=directory, stdin=subprocess.DEVNULL, stdout=log, stderr=log, text=True
        )
    finally:
        log.close()


def _wait(process: subprocess.Popen[str], directory: Path, timeout: float = 60) -> None:
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    errors = directory / "errors.log"
    text = errors.read_text(errors="replace") if errors.exists() else ""
    assert process.returncode == 0, (process.returncode, text[-3000:])


def _user(number: str) -> sipp.SippUser:
    return sipp.SippUser(number, DOMAIN, PASSWORDS[number], 600)


def test_default_server_challenges_md5_first(pbx: DefaultPbx) -> None:
    assert _first_challenge(pbx) == "MD5"


def test_sipp_with_defaults_registers_and_calls(pbx: DefaultPbx, tmp_path: Path) -> None:
    registered = sipp.register(tmp_path / "reg-102", SERVER, [_user("102")],
                               local_ip=CALLEE[0], local_port=CALLEE[1])  # fmt: skip
    assert registered.ok, registered.errors or registered.stdout
    callee = _sipp(tmp_path / "callee", CALLEE_SCENARIO, CALLEE, CALLEE_MEDIA)
    try:
        registered = sipp.register(tmp_path / "reg-101", SERVER, [_user("101")],
                                   local_ip=CALLER[0], local_port=CALLER[1])  # fmt: skip
        assert registered.ok, registered.errors or registered.stdout
        calls = pbx.cli("registrations", "--tenant", DOMAIN)
        assert sorted(i["aor"] for i in calls["items"]) == [
            f"sip:101@{DOMAIN}",
            f"sip:102@{DOMAIN}",
        ]
        csv = tmp_path / "caller" / "users.csv"
        csv.parent.mkdir(parents=True)
        auth = f"[authentication username=101 password={PASSWORDS['101']}]"
        csv.write_text(f"SEQUENTIAL\n101;{DOMAIN};{auth};102\n", "ascii")
        caller = _sipp(tmp_path / "caller", CALLER_SCENARIO, CALLER, CALLER_MEDIA,
                       f"{SERVER[0]}:{SERVER[1]}", "-inf", str(csv))  # fmt: skip
        _wait(caller, tmp_path / "caller")
        _wait(callee, tmp_path / "callee")
    finally:
        if callee.poll() is None:
            callee.kill()
            callee.wait()
    deadline = time.monotonic() + 20
    cdrs = pbx.cli("cdr", "list", "--tenant", DOMAIN)
    while not cdrs["items"] and time.monotonic() < deadline:
        time.sleep(0.3)
        cdrs = pbx.cli("cdr", "list", "--tenant", DOMAIN)
    (cdr,) = cdrs["items"]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("101", "102", "answered"), cdr
