"""Queue callback against a real server and real phones (baresip, RFC 4733 DTMF): "press 1 to
be called back, you keep your place in the queue".

* A caller of a callback queue whose only agent is paused presses 1: it is told the number it
  will be called back on and hung up; the agent resumes; the caller's phone rings (the agent's
  does not yet: it is reserved), answers, and is then connected to the agent; the statistics
  count one callback requested and answered, and the callback's CDR is the tenant's own.
* A callback the caller does not answer is retried after the retry delay, then counted
  failed; the reserved agent's phone never rang.
* Pressing 1 in a queue without callback changes nothing: the caller keeps waiting.
* An outside caller (a sipp carrier on a DID whose IVR flow sends it to the queue, pressing 1
  as RFC 4733 from sipp's stock DTMF capture) is called back through the tenant's trunk (a
  sipp carrier answering) and connected to the agent; the callback is the tenant's outbound
  call on its trunk, and the other tenant has no trace of it.
* An anonymous outside caller pressing 1 hears that callback is not available and stays in
  the queue (it hangs up itself later: an abandoned call, no callback requested).

Each test gets its own server (`test_queue.QueuePbx`: ACME's 101-106, SMALL's 201-203).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import flows as flow_service
from centrex.provisioning import numbers as number_service
from centrex.provisioning import queues as queue_service
from centrex.provisioning import tenants as tenant_service
from tests.e2e.test_calls import (
    ACME,
    BACKUP_HOST,
    PRIMARY_HOST,
    SMALL,
    established,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.e2e.test_queue import (
    AGENT_HZ,
    QueuePbx,
    count,
    create_queue,
    feature_code,
    offered,
    stats,
    wait_count,
    wait_stats,
)
from tests.helpers import free_port
from tests.peers.phone import Phone

pytestmark = pytest.mark.e2e


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[QueuePbx]:
    server = QueuePbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_pbx_log(pbx: QueuePbx, text: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in pbx.log():
            return True
        time.sleep(0.2)
    return False


def ask_for_callback(pbx: QueuePbx, caller: Phone, queue: str) -> None:
    """Dial the queue, hear the callback offer (3 s in), press 1, get hung up."""
    caller.command("dial", f"sip:{queue}@{ACME}")
    established(caller)
    assert wait_pbx_log(pbx, f"queue {queue}: caller 101 is number 1"), pbx.log()[-3000:]
    time.sleep(1)
    caller.command("sndcode", "1")
    assert wait_pbx_log(pbx, f"queue {queue}: caller 101 will be called back at 101"), pbx.log()[
        -3000:
    ]
    assert caller.wait_hung_up(timeout=30), caller.log()[-2000:]


def test_caller_presses_1_is_called_back_and_connected_to_the_agent(
    pbx: QueuePbx, tmp_path: Path
) -> None:
    create_queue(pbx, "510", "--strategy", "longest-idle", "--member", "102", "--callback",
                 "--ring-seconds", "15")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as agent,
        phone(pbx, tmp_path, "101", ACME, 1000, answer=True) as caller,
    ):
        registered(agent)
        registered(caller)
        feature_code(agent, "*52")  # paused: the caller waits
        ask_for_callback(pbx, caller, "510")
        board = pbx.cli("queue", "list", "--tenant", ACME)["items"][0]
        assert board["callback"] is True
        assert offered(agent) == 0
        established_before = count(caller, "Call established")
        feature_code(agent, "*53")  # ready: the entry at the head is served
        assert wait_count(caller, "Call established", established_before + 1), caller.log()
        assert wait_count(agent, "Call established", 3), agent.log()  # *52, *53, the caller
        assert wait_pbx_log(pbx, "queue 510: 102 reserved, calling 101 back (attempt 1 of 3)")
        time.sleep(2)
        caller.command("hangup")
        assert agent.wait_hung_up(), agent.log()
    body = wait_stats(pbx, "510", "answered", 1)
    assert (body["offered"], body["answered"], body["abandoned"]) == (1, 1, 0)
    assert (body["callbacks_requested"], body["callbacks_answered"],
            body["callbacks_failed"]) == (1, 1, 0)  # fmt: skip
    assert body["max_wait_seconds"] > 0  # waited from entry until connected
    assert next(a for a in body["agents"] if a["extension"] == "102")["calls"] == 1
    callback_cdrs = [c for c in pbx.wait_cdr(ACME, 4) if c["caller"] == "510"]
    assert [(c["callee"], c["caller"]) for c in callback_cdrs] == [("102", "510")]
    assert not [c for c in pbx.cdrs(SMALL) if c["caller"] == "510"]  # never the other tenant


def test_an_unanswered_callback_is_retried_then_counted_failed(
    pbx: QueuePbx, tmp_path: Path
) -> None:
    create_queue(pbx, "511", "--strategy", "longest-idle", "--member", "102", "--callback",
                 "--ring-seconds", "5", "--callback-attempts", "2",
                 "--callback-retry", "5")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as agent,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(agent)
        registered(caller)
        feature_code(agent, "*52")
        ask_for_callback(pbx, caller, "511")
        offered_before = offered(agent)
        feature_code(agent, "*53")
        assert caller.wait_log("Incoming call", timeout=20), caller.log()  # not answered
        assert wait_count(caller, "Incoming call", 2, timeout=40), caller.log()  # the retry
        assert wait_pbx_log(pbx, "queue 511: callback to 101 failed", timeout=40), pbx.log()
        assert offered(agent) == offered_before, agent.log()  # reserved, never rung
        assert count(caller, "Incoming call") == 2
    body = wait_stats(pbx, "511", "abandoned", 1)
    assert (body["offered"], body["answered"], body["abandoned"]) == (1, 0, 1)
    assert (body["callbacks_requested"], body["callbacks_answered"],
            body["callbacks_failed"]) == (1, 0, 1)  # fmt: skip
    assert next(a for a in body["agents"] if a["extension"] == "102")["ring_seconds"] == 0.0


def test_pressing_1_without_callback_changes_nothing(pbx: QueuePbx, tmp_path: Path) -> None:
    create_queue(pbx, "512", "--strategy", "longest-idle", "--member", "102",
                 "--announce-position")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, AGENT_HZ["102"], answer=True) as agent,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(agent)
        registered(caller)
        feature_code(agent, "*52")
        caller.command("dial", f"sip:512@{ACME}")
        established(caller)
        assert wait_pbx_log(pbx, "queue 512: caller 101 is number 1"), pbx.log()[-3000:]
        caller.command("sndcode", "1")
        time.sleep(4)
        assert "will be called back" not in pbx.log()
        ended = count(caller, "terminated") + count(caller, "session closed")
        assert count(caller, "terminated") + count(caller, "session closed") == ended
        assert stats(pbx, "512")["waiting"] == 1  # still in the queue
        caller.command("hangup")
        assert caller.wait_hung_up(), caller.log()
    body = wait_stats(pbx, "512", "abandoned", 1)
    assert body["callbacks_requested"] == 0


OUTSIDE_CALLER = "+41449990000"
QUEUE_DID = "+41215550199"
TO_QUEUE: dict[str, Any] = {
    "start": "queue",
    "nodes": [{"id": "queue", "type": "transfer", "target": {"kind": "queue", "value": "513"}}],
}
DTMF_1 = "/usr/share/sip-tester/dtmf_2833_1.pcap"
_FROM = f"<sip:{OUTSIDE_CALLER}@[local_ip]>;tag=[pid]cb[call_number]"
_ANONYMOUS = '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=[pid]an[call_number]'
_HANGS_UP_ITSELF = """  <pause milliseconds="8000"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: FROM
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""
OUTSIDE_CALLER_PRESSING_1 = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="outside caller asking for a callback">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: {_FROM}
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{OUTSIDE_CALLER}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=- 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: {_FROM}
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:{OUTSIDE_CALLER}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <pause milliseconds="7000"/>
  <nop><action><exec play_pcap_audio="{DTMF_1}"/></action></nop>
  <recv request="BYE" timeout="40000"/>
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


def anonymous_caller_pressing_1() -> str:
    """The same caller, anonymous (RFC 3323 From), hanging up itself 8 s after the 1."""
    head = OUTSIDE_CALLER_PRESSING_1.replace(_FROM, _ANONYMOUS)
    head = head.replace(f"<sip:{OUTSIDE_CALLER}@[local_ip]:[local_port]>",
                        "<sip:anonymous@[local_ip]:[local_port]>")  # fmt: skip
    head = head[: head.index('  <recv request="BYE"')]
    return head + _HANGS_UP_ITSELF.replace("FROM", _ANONYMOUS)


class TrunkCallbackPbx(QueuePbx):
    """QueuePbx plus queue 513 (callback, agent 103) reached from DID +41215550199 through
    the IVR flow of extension 100."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        now = SystemClock().utcnow()
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await queue_service.create_queue(scope, number="513", strategy="longest-idle",
                                                 members=["103"], callback=True,
                                                 ring_seconds=20)  # fmt: skip
                await extension_service.create_extension(scope, number="100", voicemail=False)
                flow = await flow_service.create_flow(scope, name="to-queue", graph=TO_QUEUE,
                                                      now=now)  # fmt: skip
                await flow_service.bind_extension(scope, flow.id, "100")
                await number_service.assign_number(scope, QUEUE_DID, now=now,
                                                   extension_number="100")  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture
def trunk_pbx(tmp_path: Path) -> Iterator[TrunkCallbackPbx]:
    server = TrunkCallbackPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_outside_caller_is_called_back_through_the_tenants_trunk(
    trunk_pbx: TrunkCallbackPbx, tmp_path: Path
) -> None:
    pbx = trunk_pbx
    with phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as agent:
        registered(agent)
        feature_code(agent, "*52")  # paused: the caller waits
        caller = sipp(
            ["-s", QUEUE_DID, f"127.0.0.1:{pbx.sip}", "-i", BACKUP_HOST,
             "-p", str(free_port(host=BACKUP_HOST)), "-mp", str(free_port(host=BACKUP_HOST)),
             "-m", "1"],
            tmp_path / "outside-caller", OUTSIDE_CALLER_PRESSING_1,
        )  # fmt: skip
        assert wait_process(caller, timeout=60) == 0, pbx.log()[-4000:]  # hung up after 1
        assert f"will be called back at {OUTSIDE_CALLER}" in pbx.log(), pbx.log()[-4000:]
        carrier = sipp(
            ["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
             "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "1"],
            tmp_path / "carrier",
        )  # fmt: skip
        time.sleep(0.5)
        feature_code(agent, "*53")  # ready: the caller is called back through the trunk
        assert wait_count(agent, "Call established", 3, timeout=40), pbx.log()[-4000:]
        time.sleep(2)
        agent.command("hangup")
        assert wait_process(carrier) == 0, pbx.log()[-4000:]  # answered, then got the BYE
    body = wait_stats(pbx, "513", "answered", 1)
    assert (body["callbacks_requested"], body["callbacks_answered"]) == (1, 1)
    cdrs = [c for c in pbx.wait_cdr(ACME, 4) if c["caller"] == "513"]
    assert len(cdrs) == 1, cdrs
    trunks = {t["id"]: t["name"] for t in pbx.cli("trunk", "list")["items"]}
    assert (cdrs[0]["direction"], trunks[cdrs[0]["trunk_id"]]) == ("outbound", "primary")
    assert not [c for c in pbx.cdrs(SMALL) if c["caller"] == "513"]


def test_an_anonymous_caller_hears_callback_is_not_available_and_stays(
    trunk_pbx: TrunkCallbackPbx, tmp_path: Path
) -> None:
    pbx = trunk_pbx
    with phone(pbx, tmp_path, "103", ACME, AGENT_HZ["103"], answer=True) as agent:
        registered(agent)
        feature_code(agent, "*52")
        caller = sipp(
            ["-s", QUEUE_DID, f"127.0.0.1:{pbx.sip}", "-i", BACKUP_HOST,
             "-p", str(free_port(host=BACKUP_HOST)), "-mp", str(free_port(host=BACKUP_HOST)),
             "-m", "1"],
            tmp_path / "anonymous-caller", anonymous_caller_pressing_1(),
        )  # fmt: skip
        assert wait_process(caller, timeout=60) == 0, pbx.log()[-4000:]  # it hung up itself
    assert "asked for a callback: no usable number" in pbx.log(), pbx.log()[-4000:]
    assert "will be called back" not in pbx.log()
    body = wait_stats(pbx, "513", "abandoned", 1)
    assert (body["offered"], body["abandoned"], body["callbacks_requested"]) == (1, 1, 0)
