"""The demo's agent desktop logins (issue 16; SQLite and PostgreSQL): an agent owning 102, one
of the sample campaign's agents, and a supervisor, with the passwords the credentials file
keeps (a file written before issue 16 gets new ones, its other passwords kept); each can log
in, and a restart with the kept passwords leaves their rows as they were."""

from __future__ import annotations

import json
from pathlib import Path

from centrex.cli.common import CliState
from centrex.cli.demo_credentials import PasswordSource, credentials_path, resolve
from centrex.cli.demo_seed import DEMO_AGENT_EMAIL, DEMO_SUPERVISOR_EMAIL
from centrex.cli.serve import DEMO_EXTENSIONS, _demo_objects
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.demo import DEMO_CAMPAIGN
from centrex.data.db import Database
from centrex.data.models import Campaign, Extension, User
from centrex.provisioning import logins
from centrex.provisioning.tenants import scope_for

NUMBERS = [number for number, _name in DEMO_EXTENSIONS]


async def test_the_agent_and_the_supervisor_logins(db: Database, tmp_path: Path) -> None:
    store = credentials_path(tmp_path)
    # a file of an earlier demo: no agent or supervisor password yet
    store.write_text(json.dumps({"version": 1, "extensions": {n: f"sip-pw-{n}-x" for n in NUMBERS},
                                 "admin_password": "admin-pw-12345",
                                 "softphone_password": "soft-pw-12345"}))  # fmt: skip
    store.chmod(0o600)
    credentials, source = resolve(store, NUMBERS)
    assert source is PasswordSource.KEPT
    assert credentials.admin_password == "admin-pw-12345"
    assert len(credentials.agent_password) >= 16
    assert len(credentials.supervisor_password) >= 16
    assert credentials.agent_password != credentials.supervisor_password
    async with db.transaction() as session:
        lines, _ = await _demo_objects(CliState(), session, credentials)
    assert (lines[1].number, lines[1].portal_email, lines[1].portal_password) == (
        "102", DEMO_AGENT_EMAIL, credentials.agent_password)  # fmt: skip
    async with db.transaction() as session:
        scope = await scope_for(session, "demo.centrex.test")
        agent = await scope.first(User, User.email == DEMO_AGENT_EMAIL)
        boss = await scope.first(User, User.email == DEMO_SUPERVISOR_EMAIL)
        assert agent is not None
        assert boss is not None
        assert (agent.role.value, boss.role.value) == ("agent", "supervisor")
        ext = await scope.first(Extension, Extension.number == "102")
        assert ext is not None
        assert ext.user_id == agent.id
        campaign = await scope.first(Campaign, Campaign.name == DEMO_CAMPAIGN)
        assert campaign is not None
        members = await campaign_agents(session, scope.tenant_id, campaign.id)
        assert ext.id in {m.extension_id for m in members}  # an agent of the sample campaign
        for email, password in ((DEMO_AGENT_EMAIL, credentials.agent_password),
                                (DEMO_SUPERVISOR_EMAIL, credentials.supervisor_password)):  # fmt: skip
            found = await logins.authenticate(session, email, password)
            assert found is not None, email
            assert await logins.authenticate(session, email, "wrong-password-1") is None
        hashes = (agent.password_hash, boss.password_hash)
    again, source = resolve(store, NUMBERS)
    assert source is PasswordSource.KEPT
    assert (again.agent_password, again.supervisor_password) == (
        credentials.agent_password, credentials.supervisor_password)  # fmt: skip
    async with db.transaction() as session:
        await _demo_objects(CliState(), session, again)
    async with db.session() as session:
        scope = await scope_for(session, "demo.centrex.test")
        rows = [await scope.first(User, User.email == e)
                for e in (DEMO_AGENT_EMAIL, DEMO_SUPERVISOR_EMAIL)]  # fmt: skip
        assert tuple(r.password_hash for r in rows if r is not None) == hashes
