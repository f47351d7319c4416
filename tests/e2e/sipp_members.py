"""sipp as a registered desk phone that only answers: it registers once (tests/peers/sipp.py)
from the port its UAS will listen on, then a sipp UAS on that port declines (486) or answers
(180, 200, waits for the BYE) every INVITE Centrex sends it.

Why register from the UAS's own port: Centrex treats a Contact port other than the source port
as NAT and answers to the source (shared/TESTING-NOTES.md), so the REGISTER has to come from
the socket that will receive the calls; sipp's REGISTER run exits before the UAS binds it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.peers.sipp import SippUser, register

_REPLY = """SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]m[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
"""

DECLINE = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="member declining">
  <recv request="INVITE"/>
  <send><![CDATA[
{_REPLY.format(status="486 Busy Here")}Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
</scenario>
"""

ANSWER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="member answering">
  <recv request="INVITE"/>
  <send><![CDATA[
{_REPLY.format(status="180 Ringing")}Content-Length: 0

  ]]></send>
  <send><![CDATA[
{_REPLY.format(status="200 OK")}Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP4 [media_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0
a=rtpmap:0 PCMU/8000

  ]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>
</scenario>
"""


@dataclass(frozen=True)
class Member:
    """One extension served by sipp on 127.0.0.1:`port`."""

    user: str
    domain: str
    password: str
    port: int
    media_port: int
    directory: Path

    def register(self, server: tuple[str, int]) -> None:
        user = SippUser(self.user, self.domain, self.password)
        done = register(self.directory / "register", server, [user], local_port=self.port)
        assert done.ok, done.errors + done.stdout

    @contextmanager
    def serving(
        self, scenario: str, server: tuple[str, int], *extra: str
    ) -> Iterator[subprocess.Popen[str]]:
        """A sipp UAS running `scenario` for each INVITE until the block ends (then stopped:
        the process is this test's own); `extra`: more sipp options (`-m 1`, `-rtp_echo`)."""
        directory = self.directory / "uas"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "scenario.xml"
        path.write_text(scenario, encoding="ascii")
        process = subprocess.Popen(
            ["sipp", f"{server[0]}:{server[1]}", "-sf", str(path), "-i", "127.0.0.1",
             "-p", str(self.port), "-mi", "127.0.0.1", "-mp", str(self.media_port),
             "-nostdin", "-trace_err", "-error_file", str(directory / "errors.log"), *extra],
            cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
