"""A predictive campaign against a realistic carrier, in a real `centrex serve` (issue 15: "a sipp
carrier answering a share of calls after random ring times, two or three agents logged into a
predictive campaign").

ACME's agents come from an agent group only: `campaign create --group 800`, queue 800 having
101 and 102; 103 joins the queue after the campaign was made (`queue update`), without the
campaign being touched. None is assigned to the campaign directly; the three baresip phones
auto-answer and send silence. 20 Paris leads (imported in a shuffled order) fall in three
groups the sipp carrier tells apart by the called number; every call rings (180) for a
random 0.5-3 s (`<pause distribution="uniform">`), then

* +33 1 4268 1xxx (8 leads, 40 %): 200 OK; the call stays up 5 s and the carrier hangs up
  (or Centrex does first, after a drop's safe-harbour message);
* +33 1 4268 2xxx (4 leads): 486 Busy Here (retried after the campaign's 8 s busy delay, at
  most 2 attempts: each busy lead is dialled exactly twice, never at once again);
* +33 1 4268 3xxx (8 leads): 480 Temporarily Unavailable (no answer; retried after an hour).

The backup trunk is disabled so a 480 ends the attempt rather than failing over, and ACME's
licence is raised so pacing, not the licence, limits the calls in flight. Checked:

* on the wire, the carrier saw exactly 24 INVITEs (8 + 2×4 + 8) with the local-presence
  caller ID and answered 8; `campaign stats` says placed 24, answered 8;
* every call an agent answered carries `X-Centrex-Lead` naming a lead of the campaign whose
  number the carrier answered, each lead at most once; the handed-over calls plus the drops
  are the answered calls (`answered = handed + dropped`, no machine detection here);
* every drop is counted and logged as a safe-harbour message, and the carrier heard speech iff
  there was a drop (the agents are silent, so anything loud is the prompt);
* a busy lead's second INVITE comes at least the busy retry delay after its 486;
* the group's members took the calls: only 101, 102 and 103 were offered leads.

Set-up that is not under test (the queue, reading the leads back) goes straight to the
database: each `centrex` command is a process of its own, seconds on a busy CI machine.

Legal calling rules are off (`--no-legal-rules`: the test runs at any hour).
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from centrex.contact_center import campaigns
from centrex.data.db import Database
from centrex.data.models import Lead, Tenant, Trunk
from centrex.provisioning import queues
from centrex.provisioning import tenants as tenant_service
from tests.e2e.sip_capture import Datagram, SipCapture
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, wait_process
from tests.e2e.test_dialer import (
    _REPLY,
    PARIS_NUMBER,
    DialerPbx,
    _window,
    leads_file,
    user_of,
    wait_log,
)
from tests.helpers import free_port
from tests.peers.phone import Phone
from tests.peers.rtp_capture import RtpCapture, decode_g711

pytestmark = pytest.mark.e2e

RTP_MIN, RTP_MAX = 44600, 44799  # the server's media ports: no other e2e file uses them
BUSY_RETRY = 8  # seconds
ANSWER, BUSY, NO_ANSWER = "1", "2", "3"
LEADS = {
    kind: [f"+3314268{kind}{i:03d}" for i in range(count)]
    for kind, count in ((ANSWER, 8), (BUSY, 4), (NO_ANSWER, 8))
}
TALK_MS = 5000

_BYE = """BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:carrier@[local_ip]:[local_port]>;tag=[pid]c[call_number]
To:[$remote]
[last_Call-ID:]
CSeq: 1 BYE
Contact: <sip:[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
"""
_OK = """SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
"""
CARRIER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier: a share answered after a random ring, the others busy or no answer">
  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="INVITE sip:\\+3314268{BUSY}" search_in="msg" check_it="false"
            assign_to="busy"/>
      <ereg regexp="INVITE sip:\\+3314268{NO_ANSWER}" search_in="msg" check_it="false"
            assign_to="silent"/>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote"/>
    </action>
  </recv>
  <send><![CDATA[
{_REPLY.format(status="180 Ringing")}Content-Length: 0

  ]]></send>
  <pause distribution="uniform" min="500" max="3000"/>
  <nop test="busy" next="busy"/>
  <nop test="silent" next="silent"/>
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
  <recv request="BYE" timeout="{TALK_MS}" ontimeout="hangup"/>
  <send next="end"><![CDATA[
{_OK}
  ]]></send>
  <label id="hangup"/>
  <send><![CDATA[
{_BYE}
  ]]></send>
  <recv response="200" next="end"/>
  <label id="busy"/>
  <send><![CDATA[
{_REPLY.format(status="486 Busy Here")}Content-Length: 0

  ]]></send>
  <recv request="ACK" next="end"/>
  <label id="silent"/>
  <send><![CDATA[
{_REPLY.format(status="480 Temporarily Unavailable")}Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
  <label id="end"/>
</scenario>
"""


class PredictivePbx(DialerPbx):
    """DialerPbx with its own media ports, the backup trunk disabled (a 480 is the end of an
    attempt, not a failover to a trunk nobody listens on), room in ACME's licence and ACME's
    queue 800 (101, 102)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.env.update(CENTREX_RTP_PORT_MIN=str(RTP_MIN), CENTREX_RTP_PORT_MAX=str(RTP_MAX))

    def database(self) -> Database:
        return Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")

    def agents(self, campaign: str) -> list[str]:
        """Who takes the campaign's calls now, as the dialer resolves it each tick."""

        async def read() -> list[str]:
            database = self.database()
            try:
                async with database.session() as session:
                    scope = await tenant_service.scope_for(session, ACME)
                    found = await campaigns.get_campaign(scope, campaign)
                    return await campaigns.resolved_agents(scope, found)
            finally:
                await database.dispose()

        return asyncio.run(read())

    def leads(self, campaign: str) -> dict[int, Lead]:
        """The campaign's leads by id, read from the server's database."""

        async def read() -> dict[int, Lead]:
            database = self.database()
            try:
                async with database.session() as session:
                    scope = await tenant_service.scope_for(session, ACME)
                    found = await campaigns.get_campaign(scope, campaign)
                    rows = await scope.list(Lead, Lead.campaign_id == found.id)
                    return {lead.id: lead for lead in rows}
            finally:
                await database.dispose()

        return asyncio.run(read())

    async def provision(self) -> None:
        await super().provision()
        database = self.database()
        try:
            async with database.transaction() as session:
                await session.execute(update(Trunk).where(Trunk.name == "backup")
                                      .values(enabled=False))  # fmt: skip
                await session.execute(update(Tenant).where(Tenant.domain == ACME)
                                      .values(max_calls=60))  # fmt: skip
                scope = await tenant_service.scope_for(session, ACME)
                await queues.create_queue(scope, number="800", strategy="ring-all",
                                          members=["101", "102"])  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[PredictivePbx]:
    server = PredictivePbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def agent(pbx: PredictivePbx, tmp: Path, user: str) -> Phone:
    """A silent auto-answering phone whose RTP ports stay clear of the server's range."""
    made = phone(pbx, tmp, user, ACME, 0, answer=True)
    while made.rtp_ports[0] <= RTP_MAX and made.rtp_ports[1] >= RTP_MIN:
        made = phone(pbx, tmp, user, ACME, 0, answer=True)
    return made


def carrier(pbx: PredictivePbx, directory: Path, media: int, calls: int) -> subprocess.Popen[str]:
    """sipp as the carrier, exiting 0 once `calls` calls each followed the scenario."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "scenario.xml").write_text(CARRIER, encoding="ascii")
    return subprocess.Popen(
        ["sipp", "-sf", str(directory / "scenario.xml"), "-nostdin", "-timeout", "150s",
         "-trace_err", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-mp", str(media),
         "-m", str(calls)],
        cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def final_response(wire: SipCapture, invite: Datagram) -> Datagram | None:
    """The first final response to `invite` (same Call-ID, an INVITE CSeq)."""
    for d in wire.messages():
        if (d.first_line.startswith("SIP/2.0 ") and not d.first_line.startswith("SIP/2.0 1")
                and d.header("Call-ID") == invite.header("Call-ID")
                and (d.header("CSeq") or "").endswith("INVITE")):  # fmt: skip
            return d
    return None


def status_of(response: Datagram | None) -> int | None:
    return int(response.first_line.split()[1]) if response is not None else None


def test_predictive_campaign_with_an_agent_group_and_a_realistic_carrier(
    pbx: PredictivePbx, tmp_path: Path
) -> None:
    expected_calls = len(LEADS[ANSWER]) + 2 * len(LEADS[BUSY]) + len(LEADS[NO_ANSWER])
    media = free_port(host=PRIMARY_HOST)
    with (  # the phones register while the campaign is set up
        agent(pbx, tmp_path, "101") as one,
        agent(pbx, tmp_path, "102") as two,
        agent(pbx, tmp_path, "103") as three,
    ):
        agents = {p.sip_port: p.user for p in (one, two, three)}
        made = pbx.cli("campaign", "create", "--tenant", ACME, "--name", "Predict", "--method",
                       "predictive", "--group", "800", "--window", _window(-1, 3),
                       "--no-legal-rules", "--max-attempts", "2", "--retry",
                       f"busy={BUSY_RETRY}", "--retry", "no-answer=3600", "--retry",
                       "dropped=3600")  # fmt: skip
        assert (made["agents"], made["groups"]) == ([], ["800"])
        # 103 joins the queue afterwards: an agent of the campaign without touching it
        pbx.cli("queue", "update", "--tenant", ACME, "--number", "800", "--member", "101",
                "--member", "102", "--member", "103")  # fmt: skip
        assert pbx.agents("Predict") == ["101", "102", "103"]
        rows = [(n, f"Lead {n[-4:]}") for numbers in LEADS.values() for n in numbers]
        random.Random(15).shuffle(rows)  # the hopper takes leads in import order: mix them
        imported = pbx.cli("lead", "import", str(leads_file(tmp_path / "leads.csv", rows)),
                           "--tenant", ACME, "--campaign", "Predict")  # fmt: skip
        assert imported["imported"] == len(rows), imported
        for p in (one, two, three):
            registered(p)
        with (
            SipCapture(frozenset({*agents, pbx.primary_port})) as wire,
            RtpCapture(media, media) as heard_by_carrier,
        ):
            sipp = carrier(pbx, tmp_path / "carrier", media, expected_calls)
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Predict")
            assert wait_process(sipp, timeout=110) == 0, pbx.log()[-4000:]  # every call ended
            assert wait_log(pbx, r"campaign Predict: .* \(lead now [\w-]+\)", count=expected_calls,
                            timeout=20), pbx.log()[-4000:]  # fmt: skip
            time.sleep(2)  # a tick or two more: nothing else may be dialled
            to_carrier = wire.requests("INVITE", to_port=pbx.primary_port)
            offers = [(port, d) for port in agents for d in wire.requests("INVITE", to_port=port)
                      if d.header("X-Centrex-Lead")]  # fmt: skip
            finals = [status_of(final_response(wire, d)) for d in to_carrier]
            taken = [(port, d) for port, d in offers
                     if status_of(final_response(wire, d)) == 200]  # fmt: skip
    log = pbx.log()
    # what the carrier saw: each lead dialled as its kind says, with the local-presence caller
    # ID, and only the answering kind answered
    assert len(to_carrier) == expected_calls, sorted(user_of(d.first_line) for d in to_carrier)
    assert {user_of(d.header("From")) for d in to_carrier} == {PARIS_NUMBER}
    dialled = [user_of(d.first_line) for d in to_carrier]
    assert sorted(dialled) == sorted(LEADS[ANSWER] + 2 * LEADS[BUSY] + LEADS[NO_ANSWER])
    answered_on_wire = [d for d, status in zip(to_carrier, finals, strict=True) if status == 200]
    assert sorted(user_of(d.first_line) for d in answered_on_wire) == sorted(LEADS[ANSWER])
    stats = pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Predict")
    assert (stats["placed"], stats["answered"]) == (len(to_carrier), len(answered_on_wire))
    outcomes = stats["outcomes"]
    assert set(outcomes) <= {"answered", "dropped", "busy", "no-answer"}, outcomes
    assert (outcomes["busy"], outcomes["no-answer"]) == (2 * len(LEADS[BUSY]),
                                                          len(LEADS[NO_ANSWER]))  # fmt: skip
    # the answered leads reached the group's agents with their lead id, each at most once
    leads = pbx.leads("Predict")
    handed = [int(d.header("X-Centrex-Lead") or 0) for _, d in taken]
    assert len(handed) == len(set(handed)), handed
    assert {leads[i].number for i in handed} <= set(LEADS[ANSWER]), handed
    assert {agents[port] for port, _ in offers} <= {"101", "102", "103"}
    dropped = stats["dropped"]
    assert stats["answered"] == len(handed) + dropped  # no answering-machine detection here
    assert outcomes.get("answered", 0) == len(handed)
    assert outcomes.get("dropped", 0) == dropped
    assert len(handed) > 0
    # every drop heard the safe-harbour message; without a drop the carrier heard silence
    assert log.count("no agent: safe-harbour message") == dropped, log[-4000:]
    loud = sum(1 for pt, payload in heard_by_carrier.packets
               if pt == 0 and np.abs(decode_g711(payload, 0)).max() > 2000)  # fmt: skip
    assert len(heard_by_carrier.packets) > 50 * len(handed)  # media reached the carrier
    if dropped:
        assert loud >= 25 * dropped, (loud, dropped)  # at least half a second of speech each
    else:
        assert loud == 0, loud
    by_status = {lead.number: lead.status.value for lead in leads.values()}
    assert {by_status[n] for n in LEADS[BUSY]} == {"exhausted"}
    assert {by_status[n] for n in LEADS[NO_ANSWER]} == {"retry"}
    done = sorted(n for n in LEADS[ANSWER] if by_status[n] == "done")
    assert done == sorted(leads[i].number for i in handed)
    # a busy lead is retried after the retry delay, never at once
    for number in LEADS[BUSY]:
        first, second = [d for d in to_carrier if user_of(d.first_line) == number]
        busy = final_response(wire, first)
        assert status_of(busy) == 486, busy
        gap = second.seen - busy.seen if busy is not None else 0.0
        assert gap >= BUSY_RETRY - 1.0, (number, gap)
