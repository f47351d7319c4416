"""A call to a DID follows the flow the visual builder made, and DTMF chooses its branch.

The graph is the one the builder page saves in tests/web/test_flow_builder.py (that test fails
if the page stops producing exactly `flow_builder_flow.json`): a time condition (open → the
menu; closed, holidays included → an announcement, then the menu) and a menu where key 1 goes
to extension 103 and key 2 to extension 102. Here it is saved and bound to the DID through the
REST API of a real `centrex serve`, and a sipp carrier on the backup trunk's address calls the
DID and presses a key with RFC 4733 events (sipp's own pcaps). Whatever the hour, the call
reaches the menu; the key decides which baresip phone rings and answers, and the CDR names it.
Without the flow the DID would ring 102 directly, so the call to 103 also shows that the
binding, not the number's own route, answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_calls import (
    ACME,
    BACKUP_HOST,
    DID,
    CallPbx,
    established,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

FLOW_FILE = Path(__file__).resolve().parent / "flow_builder_flow.json"
DTMF_PCAP = "/usr/share/sip-tester/dtmf_2833_{digit}.pcap"
CALLER = "+41449990011"
_FROM = f"<sip:{CALLER}@[local_ip]>;tag=[pid]fb[call_number]"


def carrier_pressing(digit: str) -> str:
    """An outside call to the DID: answered by the flow, `digit` pressed twice (the second in
    case the first fell into the announcement), then the caller hangs up."""
    pcap = DTMF_PCAP.format(digit=digit)
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier call pressing {digit}">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: {_FROM}
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{CALLER}@[local_ip]:[local_port]>
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
Contact: <sip:{CALLER}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <pause milliseconds="6000"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <pause milliseconds="6000"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <pause milliseconds="8000"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: {_FROM}
[last_To:]
Call-ID: [call_id]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""


class FlowBuilderPbx(CallPbx):
    """The calls test server (DID +41215550100 → 102, phones 101-103) on its own RTP range."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.env.update(CENTREX_RTP_PORT_MIN="45200", CENTREX_RTP_PORT_MAX="45399")


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowBuilderPbx]:
    server = FlowBuilderPbx(tmp_path_factory.mktemp("flow-builder-call"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bound_flow(pbx: FlowBuilderPbx) -> dict[str, Any]:
    """The builder's graph saved and bound to the DID through the API, as the page does."""
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    headers = {"Authorization": f"Bearer {token}", "Centrex-Tenant": ACME}
    graph = json.loads(FLOW_FILE.read_text())
    with httpx.Client(base_url=f"http://127.0.0.1:{pbx.http}", headers=headers, timeout=30) as api:
        created = api.post("/api/v1/flows", json={"name": "Reception", "graph": graph})
        assert created.status_code == 201, created.text
        flow: dict[str, Any] = created.json()
        bound = api.post(f"/api/v1/flows/{flow['id']}/bindings", json={"number": DID})
        assert bound.status_code == 201, bound.text
        assert bound.json()["number"] == DID
    return flow


@pytest.mark.parametrize(("digit", "callee", "other"), [("1", "103", "102"), ("2", "102", "103")])
def test_a_call_to_the_did_follows_the_flow_and_the_key_chooses(
    pbx: FlowBuilderPbx,
    bound_flow: dict[str, Any],
    tmp_path: Path,
    digit: str,
    callee: str,
    other: str,
) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with (
        phone(pbx, tmp_path, callee, ACME, 1500, answer=True) as chosen,
        phone(pbx, tmp_path, other, ACME, 1000, answer=True) as not_chosen,
    ):
        registered(chosen)
        registered(not_chosen)
        carrier = sipp(
            ["-s", DID, f"127.0.0.1:{pbx.sip}", "-i", BACKUP_HOST,
             "-p", str(free_port(host=BACKUP_HOST)), "-mp", str(free_port(host=BACKUP_HOST)),
             "-m", "1"],
            tmp_path / "carrier", carrier_pressing(digit),
        )  # fmt: skip
        established(chosen)  # the flow transferred the call here after the key
        assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
        assert chosen.wait_log("terminated", timeout=30), chosen.log()
        assert "Call established" not in not_chosen.log()
    cdr = pbx.wait_cdr(ACME, before + 1)[0]
    assert (cdr["callee"], cdr["direction"], cdr["disposition"]) == (callee, "inbound", "answered")
