"""The outbound dialer inside a real `centrex serve`, with a sipp carrier and baresip agents.

ACME runs a `ratio` campaign at 2 lines per agent with one agent (101, baresip answering): the
dialer places two calls at once through the trunk, the sipp carrier answers both, one is
handed to 101 (its INVITE carries `X-Centrex-Lead: <lead id>`), the other finds no ready
agent and hears the safe-harbour message (speech reaches the carrier), then is hung up and counted `dropped`. On the wire:

* the carrier sees the local-presence caller ID (a Paris number for a Paris lead, a Marseille
  number for a Marseille lead), and never the number put on the DNC list after the import;
* a second ACME campaign whose window is closed in the callee's zone places nothing;
* SMALL's ready agent 201 is never offered an ACME lead, and SMALL has no CDR of these calls.

`campaign stats` counts placed 2, answered 2, dropped 1 (drop_pct 50).

A `progressive` campaign with three agents, one of them paused (`*52`): the two ready agents
get one lead each (each INVITE with its own lead id), the paused one none; a carrier answering
only a share (busy for Marseille numbers) leaves those leads to retry; a fixed caller ID is
shown on every call; a `preview` campaign dials nothing.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from websockets.sync.client import ClientConnection, connect

from centrex.contact_center import campaigns
from centrex.data.db import Database
from centrex.data.models import Number, NumberState
from centrex.provisioning import tenants as tenant_service
from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import (
    ACME,
    PRIMARY_HOST,
    SMALL,
    CallPbx,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.e2e.test_queue import feature_code
from tests.helpers import free_port
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e

PARIS_NUMBER, MARSEILLE_NUMBER = "+33142685300", "+33491000000"
PARIS_LEAD, MARSEILLE_LEAD = "+33142685301", "+33491000001"
DNC_LEAD = "+33142685302"  # put on the tenant's DNC list after the import
CLOSED_LEAD = "+33142685309"  # in the campaign whose window is closed


def _window(start_hours: float, end_hours: float) -> str:
    """A window around now in Paris time (the leads' zone)."""
    now = datetime.now(ZoneInfo("Europe/Paris"))
    start, end = now + timedelta(hours=start_hours), now + timedelta(hours=end_hours)
    return f"{start:%H:%M}-{end:%H:%M}"


class DialerPbx(CallPbx):
    """The calls test server plus ACME's two French numbers and two campaigns (drafts)."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                for e164 in (PARIS_NUMBER, MARSEILLE_NUMBER):
                    scope.add(Number(e164=e164, state=NumberState.ASSIGNED))
                await session.flush()
                # legal rules off: the test runs at any real time, weekends and evenings included
                await campaigns.create_campaign(
                    scope, name="Spring", method="ratio", ratio=2.0, caller_id="local",
                    window=_window(-1, 3), agents=["101"], legal_rules=False,
                )  # fmt: skip
                await campaigns.create_campaign(
                    scope, name="Closed", method="progressive", caller_id="local",
                    window=_window(4, 5), agents=["102"], legal_rules=False,
                )  # fmt: skip
        finally:
            await database.dispose()


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[DialerPbx]:
    server = DialerPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def leads_file(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "name"])
        writer.writerows(rows)
    return path


def admin_token(pbx: DialerPbx, domain: str) -> str:
    return str(pbx.cli("token", "create", "--role", "tenant-admin", "--tenant", domain)["token"])


@contextlib.contextmanager
def subscribe(pbx: DialerPbx, token: str) -> Iterator[ClientConnection]:
    with connect(f"ws://127.0.0.1:{pbx.http}/api/v1/events?token={token}") as ws:
        assert json.loads(ws.recv(timeout=10)) == {"kind": "ready"}
        yield ws


def campaign_events(ws: ClientConnection) -> list[tuple[Any, ...]]:
    """The `campaign.call` events received so far (state, campaign, lead, number, name, agent)."""
    seen: list[tuple[Any, ...]] = []
    while True:
        try:
            event = json.loads(ws.recv(timeout=1.0))
        except TimeoutError:
            return seen
        if event.get("kind") == "campaign.call":
            seen.append((event["state"], event["campaign"], event["lead_id"], event["number"],
                         event["name"], event["extension"]))  # fmt: skip


def wait_log(pbx: DialerPbx, pattern: str, count: int = 1, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(re.findall(pattern, pbx.log())) >= count:
            return True
        time.sleep(0.2)
    return False


def user_of(header: str | None) -> str:
    match = re.search(r"sip:([^@;>]+)@", header or "")
    return match.group(1) if match else ""


def test_ratio_campaign_hands_off_drops_and_follows_the_rules(
    pbx: DialerPbx, tmp_path: Path
) -> None:
    imported = pbx.cli("lead", "import", str(leads_file(tmp_path / "spring.csv", [
        (PARIS_LEAD, "Anne Paris"), (MARSEILLE_LEAD, "Marc Marseille"), (DNC_LEAD, "Dora Dnc"),
    ])), "--tenant", ACME, "--campaign", "Spring")  # fmt: skip
    assert imported["imported"] == 3, imported
    pbx.cli("lead", "import", str(leads_file(tmp_path / "closed.csv", [(CLOSED_LEAD, "Cloe")])),
            "--tenant", ACME, "--campaign", "Closed")  # fmt: skip
    pbx.cli("dnc", "add", "--tenant", ACME, "--number", DNC_LEAD)  # after the import
    with (
        # 101 sends silence (a 0 Hz "tone"), so what the carrier hears is the prompt alone
        phone(pbx, tmp_path, "101", ACME, 0, answer=True) as agent,
        phone(pbx, tmp_path, "102", ACME, 800, answer=True) as closed_agent,
        phone(pbx, tmp_path, "201", SMALL, 900, answer=True) as foreign,
    ):
        registered(agent)
        registered(closed_agent)
        registered(foreign)
        ports = {agent.sip_port, closed_agent.sip_port, foreign.sip_port, pbx.primary_port}
        carrier_media = free_port(host=PRIMARY_HOST)
        with (
            SipCapture(frozenset(ports)) as wire,
            subscribe(pbx, admin_token(pbx, ACME)) as acme_events,
            subscribe(pbx, admin_token(pbx, SMALL)) as small_events,
            RtpCapture(carrier_media, carrier_media) as heard_by_carrier,
        ):
            carrier = sipp(
                ["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                 "-mp", str(carrier_media), "-m", "2"],
                tmp_path / "carrier",
            )  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Closed")
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Spring")
            assert agent.wait_log("Call established", timeout=40), pbx.log()[-4000:]
            assert wait_log(pbx, r"no agent: safe-harbour message"), pbx.log()[-4000:]
            assert wait_log(pbx, r": dropped \(lead now retry\)", timeout=60), pbx.log()[-4000:]
            time.sleep(2)
            agent.command("hangup")
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]  # both got a BYE
            assert wait_log(pbx, r": answered \(lead now done\)"), pbx.log()[-4000:]
            time.sleep(2)  # a tick or two more: nothing else may be dialled
            to_carrier = wire.requests("INVITE", to_port=pbx.primary_port)
            to_agent = wire.requests("INVITE", to_port=agent.sip_port)
            to_others = wire.requests("INVITE", to_port=foreign.sip_port) + wire.requests(
                "INVITE", to_port=closed_agent.sip_port
            )
            acme_seen = campaign_events(acme_events)
            small_seen = campaign_events(small_events)
    dialled = {user_of(d.first_line): user_of(d.header("From")) for d in to_carrier}
    assert dialled == {PARIS_LEAD: PARIS_NUMBER, MARSEILLE_LEAD: MARSEILLE_NUMBER}, dialled
    assert len(to_carrier) == 2  # never the DNC number, never the closed campaign's lead
    assert len(to_agent) == 1
    lead_header = to_agent[0].header("X-Centrex-Lead")
    leads = pbx.cli("lead", "search", "--tenant", ACME, "--campaign", "Spring")["items"]
    by_number = {lead["number"]: lead for lead in leads}
    assert lead_header in {str(by_number[PARIS_LEAD]["id"]), str(by_number[MARSEILLE_LEAD]["id"])}
    assert by_number[DNC_LEAD]["status"] == "dnc"
    # the desktop's events: the lead offered to 101 and connected, the other one dropped
    handed = next(n for n in (PARIS_LEAD, MARSEILLE_LEAD) if str(by_number[n]["id"]) == lead_header)
    other = MARSEILLE_LEAD if handed == PARIS_LEAD else PARIS_LEAD
    assert sorted(acme_seen) == sorted([
        ("offered", "Spring", int(lead_header or 0), handed, by_number[handed]["name"], "101"),
        ("connected", "Spring", int(lead_header or 0), handed, by_number[handed]["name"], "101"),
        ("dropped", "Spring", by_number[other]["id"], other, by_number[other]["name"], ""),
    ])  # fmt: skip
    assert small_seen == []  # SMALL's admin sees nothing of ACME's campaign
    # the dropped lead heard the safe-harbour message (speech, seconds of it), not silence
    heard = heard_by_carrier.audio()
    assert len(heard) > 3 * 8000, len(heard)
    assert np.abs(heard).max() > 2000
    statuses = sorted(by_number[n]["status"] for n in (PARIS_LEAD, MARSEILLE_LEAD))
    assert statuses == ["done", "retry"]
    assert to_others == []  # SMALL's agent and the closed campaign's agent never rang
    body = pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Spring")
    assert (body["placed"], body["answered"], body["dropped"], body["drop_pct"]) == (
        2, 2, 1, 50.0)  # fmt: skip
    closed = pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Closed")
    assert closed["placed"] == 0
    assert not [c for c in pbx.cdrs(SMALL) if c["callee"] in (PARIS_LEAD, MARSEILLE_LEAD)]
    acme_cdrs = [c for c in pbx.wait_cdr(ACME, 2) if c["caller"] in (PARIS_NUMBER,
                                                                     MARSEILLE_NUMBER)]  # fmt: skip
    assert len(acme_cdrs) == 2, acme_cdrs
    assert {c["direction"] for c in acme_cdrs} == {"outbound"}


_REPLY = """SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]c[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port]>
"""
# answers Paris numbers (after a ring), is busy (486) for Marseille numbers (+33 4 9…)
SHARE_CARRIER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier answering a share of calls">
  <recv request="INVITE">
    <action>
      <ereg regexp="INVITE sip:\\+3349" search_in="msg" check_it="false" assign_to="busy"/>
    </action>
  </recv>
  <nop test="busy" next="busy"/>
  <send><![CDATA[
{_REPLY.format(status="180 Ringing")}Content-Length: 0

  ]]></send>
  <pause milliseconds="1500"/>
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
  <send next="end"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

  ]]></send>
  <label id="busy"/>
  <send><![CDATA[
{_REPLY.format(status="486 Busy Here")}Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
  <label id="end"/>
</scenario>
"""


def test_progressive_campaign_two_ready_agents_a_paused_one_and_a_preview(
    pbx: DialerPbx, tmp_path: Path
) -> None:
    pbx.cli("campaign", "create", "--tenant", ACME, "--name", "Duo", "--method", "progressive",
            "--caller-id", PARIS_NUMBER, "--window", _window(-1, 3),
            "--no-legal-rules")  # fmt: skip
    pbx.cli("campaign", "agents", "--tenant", ACME, "--name", "Duo", "--agent", "101",
            "--agent", "102", "--agent", "103")  # fmt: skip
    pbx.cli("campaign", "create", "--tenant", ACME, "--name", "Look", "--method", "preview",
            "--window", _window(-1, 3), "--no-legal-rules")  # fmt: skip
    pbx.cli("campaign", "agents", "--tenant", ACME, "--name", "Look", "--agent", "103")
    rows = [("+33142685311", "P1"), ("+33142685312", "P2"), ("+33491000011", "M1"),
            ("+33491000012", "M2")]  # fmt: skip
    pbx.cli("lead", "import", str(leads_file(tmp_path / "duo.csv", rows)), "--tenant", ACME,
            "--campaign", "Duo")  # fmt: skip
    pbx.cli("lead", "import", str(leads_file(tmp_path / "look.csv", [("+33142685399", "L")])),
            "--tenant", ACME, "--campaign", "Look")  # fmt: skip
    with (
        phone(pbx, tmp_path, "101", ACME, 700, answer=True) as one,
        phone(pbx, tmp_path, "102", ACME, 800, answer=True) as two,
        phone(pbx, tmp_path, "103", ACME, 900, answer=True) as paused,
    ):
        for p in (one, two, paused):
            registered(p)
        feature_code(paused, "*52")  # paused with the default reason: never offered a lead
        ports = {one.sip_port, two.sip_port, paused.sip_port, pbx.primary_port}
        with SipCapture(frozenset(ports)) as wire:
            carrier = sipp(
                ["-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                 "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "4"],
                tmp_path / "carrier", SHARE_CARRIER,
            )  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Look")
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Duo")
            assert one.wait_log("Call established", timeout=40), pbx.log()[-4000:]
            assert two.wait_log("Call established", timeout=40), pbx.log()[-4000:]
            time.sleep(1)
            one.command("hangup")
            two.command("hangup")
            # after the wrap-up the two ready agents cover the two busy Marseille leads
            assert wait_log(pbx, r"campaign Duo: .*: busy \(lead now retry\)", count=2,
                            timeout=60), pbx.log()[-4000:]  # fmt: skip
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
            time.sleep(2)
            to_carrier = wire.requests("INVITE", to_port=pbx.primary_port)
            offers = [d.header("X-Centrex-Lead") for port in (one.sip_port, two.sip_port)
                      for d in wire.requests("INVITE", to_port=port)
                      if d.header("X-Centrex-Lead")]  # fmt: skip
            to_paused = [d for d in wire.requests("INVITE", to_port=paused.sip_port)
                         if d.header("X-Centrex-Lead")]  # fmt: skip
    assert sorted(user_of(d.first_line) for d in to_carrier) == sorted(n for n, _ in rows)
    assert {user_of(d.header("From")) for d in to_carrier} == {PARIS_NUMBER}  # a fixed ID
    leads = {lead["number"]: lead for lead in pbx.cli("lead", "search", "--tenant", ACME,
                                                      "--campaign", "Duo")["items"]}  # fmt: skip
    assert sorted(offers) == sorted(str(leads[n]["id"]) for n in ("+33142685311", "+33142685312"))
    assert to_paused == []
    assert [leads[n]["status"] for n, _ in rows] == ["done", "done", "retry", "retry"]
    body = pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Duo")
    assert (body["placed"], body["answered"], body["dropped"]) == (4, 2, 0)
    assert body["outcomes"] == {"answered": 2, "busy": 2}
    assert pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Look")["placed"] == 0
