"""Cross-tenant attempts on phone features with real phones (issue 12; tenant isolation is a
security property): SMALL's phone tries to pick up (`**N`) a call ringing ACME's extension, to
retrieve a call parked in ACME's `701`, and ACME's phone tries to transfer (REFER) a call to
SMALL's extension — none reaches the other tenant, and the call under attack goes on (it is
then answered, retrieved or still talking, with audio checked by FFT of the captured RTP).

A SUBSCRIBE (`Event: dialog`) to another tenant's extension is in test_blf.py (403/404, never
a NOTIFY); the same attempts without sockets are in tests/calls (test_pickup, test_park,
test_transfer_refer). One server per module: test_calls.py's `CallPbx` (ACME 101-103, SMALL
201-203).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sipp_members import Member
from tests.e2e.test_calls import (
    ACME,
    SMALL,
    CallPbx,
    established,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.helpers import free_port
from tests.peers.phone import Phone
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("cross-tenant"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def refused(p: Phone, uri: str) -> int:
    """Dial `uri` and wait for its end; returns the final status (a 4xx: never an answer)."""
    closed = p.log().count("session closed:")
    p.command("dial", uri)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        endings = re.findall(r"session closed: (\d{3}) ", p.log())
        if len(endings) > closed:
            status = int(endings[-1])
            assert 400 <= status < 500, p.log()[-2000:]
            return status
        time.sleep(0.1)
    raise AssertionError(f"{uri} was not refused: {p.log()[-2000:]}")


def hears(capture: RtpCapture, hz: float) -> int:
    """How many whole seconds of what was captured carry the tone `hz`."""
    return sum(is_tone(w, hz) for w in spectrum_windows(capture.audio()))


def test_another_tenants_phone_cannot_pick_up_a_ringing_call(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as rung,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
        phone(pbx, tmp_path, "201", SMALL, 700) as intruder,
    ):
        for p in (rung, caller, intruder):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        assert rung.wait_log("Incoming call", timeout=20), rung.log()
        # in its own domain SMALL has no 102; ACME's domain is not the intruder's to dial
        refused(intruder, f"sip:**102@{SMALL}")
        refused(intruder, f"sip:**102@{ACME}")
        assert "Call established" not in intruder.log()
        assert "terminated" not in rung.log(), rung.log()[-2000:]  # still ringing
        rung.command("accept")
        established(caller, rung)
        with RtpCapture(*caller.rtp_ports) as to_caller:
            time.sleep(3)
        caller.command("hangup")
        assert rung.wait_hung_up(timeout=20), rung.log()
    assert hears(to_caller, 1500) >= 2  # the caller talked with 102, nobody else
    assert all(c["caller"] != "101" for c in pbx.cdrs(SMALL))


def test_another_tenants_phone_cannot_retrieve_a_parked_call(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as parker,
        phone(pbx, tmp_path, "101", ACME, 1000) as parked,
        phone(pbx, tmp_path, "103", ACME, 1300) as retriever,
        phone(pbx, tmp_path, "201", SMALL, 700) as intruder,
    ):
        for p in (parker, parked, retriever, intruder):
            registered(p)
        parked.command("dial", f"sip:102@{ACME}")
        established(parked, parker)
        time.sleep(1)
        parker.command("transfer", f"sip:700@{ACME}")
        assert parker.wait_hung_up(timeout=30), parker.log()  # 101 waits in ACME's 701
        # SMALL's own 701 is empty; ACME's 701 is not in the intruder's domain
        assert refused(intruder, f"sip:701@{SMALL}") == 404
        refused(intruder, f"sip:701@{ACME}")
        assert "Call established" not in intruder.log()
        assert "terminated" not in parked.log(), parked.log()[-2000:]
        retriever.command("dial", f"sip:701@{ACME}")  # ACME's own phone takes it
        established(retriever)
        with RtpCapture(*parked.rtp_ports) as to_parked:
            time.sleep(3)
        retriever.command("hangup")
        assert parked.wait_hung_up(timeout=20), parked.log()
    assert hears(to_parked, 1300) >= 2  # 103's tone: the parked call went to ACME's phone


TRANSFEROR = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="transferor referring to another tenant">
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="To:" assign_to="local"/>
    </action>
  </recv>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]x[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:102@[local_ip]:[local_port]>
Content-Type: application/sdp
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
  <pause milliseconds="1500"/>
{refers}
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
  <Reference variables="remote,local"/>
</scenario>
"""

REFER = """  <send retrans="500"><![CDATA[
REFER [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <[$local]>;tag=[pid]x[call_number]
To: [$remote]
Call-ID: [call_id]
CSeq: {cseq} REFER
[routes]
Contact: <sip:102@[local_ip]:[local_port]>
Refer-To: <{target}>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
"""

NOTIFY_OK = """  <recv request="NOTIFY"{check}/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>
"""


def transferor_scenario() -> str:
    """Answer 101's call, REFER it to SMALL's domain (refused: 403, no NOTIFY), then to 201 in
    ACME's domain (202, NOTIFY 100, NOTIFY 404: ACME has no 201), keep talking, take the BYE."""
    refers = (
        REFER.format(cseq=1, target=f"sip:201@{SMALL}")
        + '  <recv response="403"/>\n'
        + REFER.format(cseq=2, target=f"sip:201@{ACME}")
        + '  <recv response="202"/>\n'
        + NOTIFY_OK.format(check="")
        + NOTIFY_OK.format(check="")
    )
    return TRANSFEROR.replace("{refers}", refers)


def test_a_transfer_to_another_tenant_is_refused_and_the_call_goes_on(
    pbx: CallPbx, tmp_path: Path
) -> None:
    """The transferor is sipp (`-rtp_echo`: the caller hears its own tone back while the
    bridge holds): baresip hangs up by itself after a failed transfer, which would hide
    whether Centrex kept the call."""
    transferor = Member("102", ACME, "pw-102-secret", free_port(), free_port(),
                        tmp_path / "transferor")  # fmt: skip
    transferor.register(("127.0.0.1", pbx.sip))
    with (
        transferor.serving(
            transferor_scenario(), ("127.0.0.1", pbx.sip), "-m", "1", "-rtp_echo"
        ) as uas,  # fmt: skip
        phone(pbx, tmp_path, "201", SMALL, 700, answer=True) as foreign,
        phone(pbx, tmp_path, "101", ACME, 1000) as transferee,
    ):
        registered(foreign)
        registered(transferee)
        transferee.command("dial", f"sip:102@{ACME}")
        established(transferee)
        deadline = time.monotonic() + 30
        while "refers 101 to 201" not in pbx.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # the 404 NOTIFY: the transfer failed, 101 is bridged back
        with RtpCapture(*transferee.rtp_ports) as to_transferee:
            time.sleep(3)
        assert "terminated" not in transferee.log(), transferee.log()[-2000:]
        transferee.command("hangup")
        assert uas.wait(timeout=30) == 0, errors_of(transferor) + pbx.log()[-3000:]
    assert "Incoming call" not in foreign.log()
    assert "Call established" not in foreign.log()
    assert "transfer target small.calls.test is not in this tenant's domain" in pbx.log()
    assert hears(to_transferee, 1000) >= 2  # its own tone echoed by 102: still bridged
    assert all(c["caller"] != "101" for c in pbx.cdrs(SMALL))


def errors_of(member: Member) -> str:
    path = member.directory / "uas" / "errors.log"
    return path.read_text(errors="replace") if path.exists() else ""
