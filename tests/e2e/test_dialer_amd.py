"""Answering-machine detection in a real `centrex serve`: a sipp carrier answers two leads of
a progressive campaign with `--amd`; for one it plays a long recorded greeting (4 s of
speech), for the other a short "hello" then silence (both real RTP from a pcap).

* the machine is hung up by Centrex (a BYE to the carrier), never offered to the agent, and
  counted `machine` (lead due again: `retry`);
* the person is offered to agent 101 (baresip) with `X-Centrex-Lead`, answered, and counted
  `answered` once the agent hangs up;
* the log says why (`answered by machine (LONGGREETING…)`, `answered by human (HUMAN…)`).
"""

from __future__ import annotations

import math
import re
import struct
import time
from pathlib import Path

import pytest

from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, sipp, wait_process
from tests.e2e.test_dialer import (
    _REPLY,
    PARIS_NUMBER,
    DialerPbx,
    _window,
    leads_file,
    pbx,  # noqa: F401 - the fixture
    user_of,
    wait_log,
)
from tests.helpers import free_port
from tests.peers.pcap import write_rtp_pcap

pytestmark = pytest.mark.e2e

MACHINE_LEAD, HUMAN_LEAD = "+33142685321", "+33142685322"


def speech(seconds: float) -> bytes:
    """A speech-like signal: a 300 Hz tone whose level swings with a 4 Hz syllable rhythm but
    never falls silent (a recorded greeting reads on without pauses)."""
    n = int(seconds * 8000)
    return struct.pack(f"<{n}h", *(
        round(6000 * (0.6 + 0.4 * math.sin(2 * math.pi * 4 * i / 8000))
              * math.sin(2 * math.pi * 300 * i / 8000)) for i in range(n)
    ))  # fmt: skip


def quiet(seconds: float) -> bytes:
    return bytes(2 * int(seconds * 8000))


def _answer(pcap: Path) -> str:
    return f"""  <send><![CDATA[
{_REPLY.format(status="180 Ringing")}Content-Length: 0

  ]]></send>
  <pause milliseconds="500"/>
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
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <recv request="BYE" timeout="40000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>"""


def carrier_scenario(machine: Path, human: Path) -> str:
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier: a machine and a person answer">
  <recv request="INVITE">
    <action>
      <ereg regexp="INVITE sip:\\{MACHINE_LEAD}" search_in="msg" check_it="false"
            assign_to="machine"/>
    </action>
  </recv>
  <nop test="machine" next="machine"/>
{_answer(human)}
  <nop next="end"/>
  <label id="machine"/>
{_answer(machine)}
  <label id="end"/>
</scenario>
"""


def test_a_machine_is_hung_up_and_a_person_reaches_the_agent(
    pbx: DialerPbx,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    machine = write_rtp_pcap(tmp_path / "machine.pcap", speech(4.0) + quiet(1.0))
    human = write_rtp_pcap(tmp_path / "human.pcap", speech(0.5) + quiet(2.5))
    made = pbx.cli("campaign", "create", "--tenant", ACME, "--name", "Robots", "--method",
                   "progressive", "--caller-id", PARIS_NUMBER, "--window", _window(-1, 3),
                   "--no-legal-rules", "--amd")  # fmt: skip
    assert made["amd"] is True
    pbx.cli("campaign", "agents", "--tenant", ACME, "--name", "Robots", "--agent", "101")
    rows = [(MACHINE_LEAD, "Répondeur"), (HUMAN_LEAD, "Personne")]
    pbx.cli("lead", "import", str(leads_file(tmp_path / "robots.csv", rows)), "--tenant", ACME,
            "--campaign", "Robots")  # fmt: skip
    with phone(pbx, tmp_path, "101", ACME, 700, answer=True) as agent:
        registered(agent)
        with SipCapture(frozenset({agent.sip_port, pbx.primary_port})) as wire:
            carrier = sipp(
                ["-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                 "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "2"],
                tmp_path / "carrier", carrier_scenario(machine, human),
            )  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Robots")
            assert wait_log(pbx, r"campaign Robots: lead \d+ answered by machine \(LONGGREETING",
                            count=1, timeout=60), pbx.log()[-4000:]  # fmt: skip
            assert agent.wait_log("Call established", timeout=60), pbx.log()[-4000:]
            time.sleep(1)
            agent.command("hangup")
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
            time.sleep(1)
            to_carrier = wire.requests("INVITE", to_port=pbx.primary_port)
            byes = wire.requests("BYE", to_port=pbx.primary_port)
            offers = [d.header("X-Centrex-Lead") for d in wire.requests("INVITE",
                                                                        to_port=agent.sip_port)
                      if d.header("X-Centrex-Lead")]  # fmt: skip
    assert sorted(user_of(d.first_line) for d in to_carrier) == [MACHINE_LEAD, HUMAN_LEAD]
    leads = {lead["number"]: lead for lead in pbx.cli("lead", "search", "--tenant", ACME,
                                                      "--campaign", "Robots")["items"]}  # fmt: skip
    assert offers == [str(leads[HUMAN_LEAD]["id"])]  # the machine was never offered
    machine_call = next(d.header("Call-ID") for d in to_carrier
                        if user_of(d.first_line) == MACHINE_LEAD)  # fmt: skip
    assert machine_call in {d.header("Call-ID") for d in byes}  # Centrex hung the machine up
    assert re.search(r"answered by human \(HUMAN", pbx.log()), pbx.log()[-4000:]
    assert (leads[MACHINE_LEAD]["status"], leads[HUMAN_LEAD]["status"]) == ("retry", "done")
    body = pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Robots")
    assert body["outcomes"] == {"answered": 1, "machine": 1}
    assert (body["answered"], body["dropped"]) == (1, 0)  # a machine is not a drop
