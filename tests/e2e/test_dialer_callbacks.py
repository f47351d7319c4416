"""Scheduled callbacks in a real `centrex serve` (issue 15 item 5), sipp carrier, baresip agent.

Agent 101 promised a personal callback to a lead of campaign Spring (now a draft, its time has
come) and now works in campaign Summer, which has a new lead of its own. When Summer runs, the
callback goes first: the carrier's first INVITE is to the callback's number, a `campaign.call`
notice ("callback", campaign Spring, agent 101) is published before the call, and 101's INVITE
carries `X-Centrex-Lead` and `X-Centrex-Callback: Spring`. Answered, the callback is `done`
(counted in Spring's stats); only then is Summer's new lead dialled and handed to 101.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from centrex.contact_center import campaigns
from centrex.data.db import Database
from centrex.data.models import CallbackStatus, Extension, Lead, LeadBatch, ScheduledCallback
from centrex.provisioning import tenants as tenant_service
from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, sipp, wait_process
from tests.e2e.test_dialer import (
    DialerPbx,
    _window,
    admin_token,
    campaign_events,
    leads_file,
    subscribe,
    user_of,
    wait_log,
)
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

CALLBACK_LEAD, NEW_LEAD = "+33142685321", "+33142685322"


class CallbackPbx(DialerPbx):
    """DialerPbx plus campaign Summer (agent 101) and a Spring lead with 101's callback, due
    a minute ago (written directly: the API refuses a time in the past)."""

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                await campaigns.create_campaign(
                    scope, name="Summer", method="progressive", caller_id="local",
                    window=_window(-1, 3), agents=["101"], legal_rules=False,  # any real time
                )  # fmt: skip
                spring = await campaigns.get_campaign(scope, "Spring")
                batch = scope.add(LeadBatch(campaign_id=spring.id, filename="old.csv"))
                await session.flush()
                lead = scope.add(Lead(campaign_id=spring.id, batch_id=batch.id,
                                      number=CALLBACK_LEAD, name="Cléo Callback"))  # fmt: skip
                agent = await scope.first(Extension, Extension.number == "101")
                assert agent is not None
                await session.flush()
                due = datetime.now(UTC) - timedelta(minutes=1)
                scope.add(ScheduledCallback(
                    campaign_id=spring.id, lead_id=lead.id, extension_id=agent.id, due_at=due,
                    zone="Europe/Paris", local_time=f"{due:%Y-%m-%dT%H:%M}",
                    status=CallbackStatus.SCHEDULED, attempts=0, note="call me back",
                ))  # fmt: skip
        finally:
            await database.dispose()


def _established(agent: Any, count: int, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if agent.log().count("Call established") >= count:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def pbx(tmp_path: Path) -> Iterator[CallbackPbx]:
    server = CallbackPbx(tmp_path / "pbx")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_personal_callback_follows_its_agent_ahead_of_new_leads(
    pbx: CallbackPbx, tmp_path: Path
) -> None:
    pbx.cli("lead", "import", str(leads_file(tmp_path / "summer.csv", [(NEW_LEAD, "Nina New")])),
            "--tenant", ACME, "--campaign", "Summer")  # fmt: skip
    with phone(pbx, tmp_path, "101", ACME, 700, answer=True) as agent:
        registered(agent)
        with (
            SipCapture(frozenset({agent.sip_port, pbx.primary_port})) as wire,
            subscribe(pbx, admin_token(pbx, ACME)) as events,
        ):
            carrier = sipp(
                ["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                 "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "2"],
                tmp_path / "carrier",
            )  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Summer")
            assert agent.wait_log("Call established", timeout=40), pbx.log()[-4000:]
            time.sleep(1)
            agent.command("hangup")
            assert wait_log(pbx, r"callback \d+ of campaign Spring .*: done"), pbx.log()[-4000:]
            assert _established(agent, 2), pbx.log()[-4000:]
            time.sleep(1)
            agent.command("hangup")
            assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
            assert wait_log(pbx, r"campaign Summer: .*: answered \(lead now done\)"), (
                pbx.log()[-4000:])  # fmt: skip
            to_carrier = wire.requests("INVITE", to_port=pbx.primary_port)
            to_agent = [d for d in wire.requests("INVITE", to_port=agent.sip_port)
                        if d.header("X-Centrex-Lead")]  # fmt: skip
            seen = campaign_events(events)
    assert [user_of(d.first_line) for d in to_carrier] == [CALLBACK_LEAD, NEW_LEAD]
    assert [d.header("X-Centrex-Callback") for d in to_agent] == ["Spring", None]
    spring_lead = seen[0][2]
    assert seen[0] == ("callback", "Spring", spring_lead, CALLBACK_LEAD, "Cléo Callback", "101")
    assert [s[0] for s in seen] == ["callback", "offered", "connected", "offered", "connected"]
    assert to_agent[0].header("X-Centrex-Lead") == str(spring_lead)
    listed = pbx.cli("callback", "list", "--tenant", ACME)
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [(c["number"], c["status"], c["attempts"]) for c in items] == [
        (CALLBACK_LEAD, "done", 1)
    ]
    assert pbx.cli("campaign", "stats", "--tenant", ACME, "--name", "Spring")["callbacks_done"] == 1
