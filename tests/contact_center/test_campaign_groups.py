"""Agent groups of a campaign (SQLite and PostgreSQL): a group is one of the tenant's queues
and its members are the campaign's agents too, resolved live — a member added to the queue
later is an agent at the next look, a member removed is not — united with the direct agents
without repeats, by the one function the dialer, `simulate` and `explain` use.

Isolation: another tenant's queue is unknown (`campaign-group-unknown`, nothing written), a
queue number both tenants use resolves to the campaign tenant's own queue, and even a link
row forced to point at another tenant's queue yields none of its members. A campaign with
neither agents nor groups cannot start; one whose group is an empty queue can, dials nothing,
and `explain` says "no agents"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from centrex.calls.features import agent_state
from centrex.clock import ManualClock
from centrex.contact_center import campaigns
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.dialer import CampaignRunner, Dialer
from centrex.contact_center.dialer_state import CampaignConfig
from centrex.contact_center.explain import explain_campaign, explain_number
from centrex.contact_center.pacing import make_pacer
from centrex.contact_center.simulate_campaign import load_plan
from centrex.data.db import Database
from centrex.data.models import (
    CallQueue,
    Campaign,
    CampaignAgentGroup,
    CampaignStatus,
    QueueMember,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning import extensions, queues
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    """A: extensions 101-104, queues 700 (101, 103) and 710 (104); B: 700 (201), 800 (103)."""
    await make_world(db, clock)

    async def a_side(scope: TenantScope) -> None:
        for number in ("103", "104"):
            await extensions.create_extension(scope, number=number, voicemail=False)
        await queues.create_queue(scope, number="700", strategy="ring-all", members=["101", "103"])
        await queues.create_queue(scope, number="710", strategy="ring-all", members=["104"])

    async def b_side(scope: TenantScope) -> None:  # B's 103 has the number of an A extension
        await extensions.create_extension(scope, number="103", voicemail=False)
        await queues.create_queue(scope, number="700", strategy="ring-all", members=["201"])
        await queues.create_queue(scope, number="800", strategy="ring-all", members=["103"])

    await in_tenant(db, A, a_side)
    await in_tenant(db, B, b_side)
    return db


async def _resolved(db: Database, domain: str = A, name: str = "Spring") -> list[str]:
    async def work(scope: TenantScope) -> list[str]:
        return await campaigns.resolved_agents(scope, await campaign_of(scope, name))

    return await in_tenant(db, domain, work)


async def _shown(db: Database, domain: str = A, name: str = "Spring") -> dict[str, object]:
    async def work(scope: TenantScope) -> dict[str, object]:
        return await campaigns.campaign_dict(scope, await campaign_of(scope, name))

    return await in_tenant(db, domain, work)


async def test_groups_are_shown_and_their_members_resolved_with_the_agents(
    world: Database,
) -> None:
    await new_campaign(world, agents=["102", "101"], groups=["700", "700"])
    shown = await _shown(world)
    assert (shown["agents"], shown["groups"]) == (["101", "102"], ["700"])
    # 101 is both an agent and a member of 700: once; 103 comes from the group
    assert await _resolved(world) == ["101", "102", "103"]


async def test_members_are_resolved_live(world: Database) -> None:
    await new_campaign(world, agents=[], groups=["700"])
    assert await _resolved(world) == ["101", "103"]

    async def change(scope: TenantScope) -> None:
        view = await queues.get_queue(scope, "700")
        await queues.update_queue(scope, view, members=["103", "104"])  # 101 leaves, 104 joins
        await agent_state.join_queue(scope, "102", "700")  # a dynamic member (*50 style)

    await in_tenant(world, A, change)
    assert await _resolved(world) == ["102", "103", "104"]
    shown = await _shown(world)
    assert (shown["agents"], shown["groups"]) == ([], ["700"])  # the campaign never changed


async def test_update_replaces_groups_and_keeps_what_is_not_given(world: Database) -> None:
    await new_campaign(world, agents=["102"], groups=["700"])

    async def update(scope: TenantScope, changes: dict[str, object]) -> None:
        await campaigns.update_campaign(scope, await campaign_of(scope), changes)

    await in_tenant(world, A, lambda scope: update(scope, {"groups": ["710"]}))
    assert (await _shown(world))["groups"] == ["710"]
    assert await _resolved(world) == ["102", "104"]
    await in_tenant(world, A, lambda scope: update(scope, {"agents": []}))  # groups untouched
    assert await _resolved(world) == ["104"]
    await in_tenant(world, A, lambda scope: update(scope, {"groups": [], "agents": ["101"]}))
    assert ((await _shown(world))["groups"], await _resolved(world)) == ([], ["101"])


async def test_another_tenants_queue_is_unknown_and_nothing_is_written(world: Database) -> None:
    with pytest.raises(ValidationFailed) as created:
        await new_campaign(world, agents=["101"], groups=["800"])  # 800 is B's only
    assert (created.value.error_id, created.value.field) == ("campaign-group-unknown", "groups")
    with pytest.raises(ValidationFailed) as unknown:
        await new_campaign(world, agents=["101"], groups=["799"])
    assert unknown.value.error_id == "campaign-group-unknown"

    async def names(scope: TenantScope) -> list[str]:
        return [c.name for c in await campaigns.list_campaigns(scope)]

    assert await in_tenant(world, A, names) == []
    await new_campaign(world, agents=["101"], groups=["700"])

    async def point_at_b(scope: TenantScope) -> None:
        campaign = await campaign_of(scope)
        await campaigns.update_campaign(scope, campaign, {"name": "Moved", "groups": ["800"]})

    with pytest.raises(ValidationFailed) as updated:
        await in_tenant(world, A, point_at_b)
    assert updated.value.error_id == "campaign-group-unknown"
    shown = await _shown(world)  # refused before writing: name and groups as they were
    assert (shown["name"], shown["groups"]) == ("Spring", ["700"])
    # both tenants have a queue 700: A's campaign gets A's members, never B's 201
    assert await _resolved(world) == ["101", "103"]


async def test_a_link_forced_to_another_tenants_queue_yields_nobody(world: Database) -> None:
    """Defence in depth: the resolution joins members of the campaign's tenant only."""
    campaign_id = await new_campaign(world, agents=[], groups=["710"])

    async def b_queue(scope: TenantScope) -> int:
        found = await scope.first(CallQueue, CallQueue.number == "800")
        assert found is not None
        return found.id

    queue_b = await in_tenant(world, B, b_queue)

    async def force(scope: TenantScope) -> None:  # bypasses the checks on purpose
        scope.add(CampaignAgentGroup(campaign_id=campaign_id, queue_id=queue_b))

    await in_tenant(world, A, force)
    assert await _resolved(world) == ["104"]  # never A's 103 for B's member "103"
    assert (await _shown(world))["groups"] == ["710"]  # B's queue number is not shown either


async def test_deleting_the_queue_or_the_campaign_removes_the_link(world: Database) -> None:
    await new_campaign(world, agents=["102"], groups=["700", "710"])

    async def drop_queue(scope: TenantScope) -> None:
        await queues.delete_queue(scope, await queues.get_queue(scope, "700"))

    await in_tenant(world, A, drop_queue)
    assert (await _shown(world))["groups"] == ["710"]
    assert await _resolved(world) == ["102", "104"]

    async def drop_campaign(scope: TenantScope) -> None:
        await campaigns.delete_campaign(scope, await campaign_of(scope))

    await in_tenant(world, A, drop_campaign)
    async with world.session() as session:
        assert (await session.scalars(select(CampaignAgentGroup))).all() == []


async def test_start_needs_agents_or_groups_and_an_empty_group_says_no_agents(
    world: Database,
) -> None:
    await new_campaign(world, agents=[])
    await new_campaign(world, "Empty", agents=[], groups=["710"])

    async def start(scope: TenantScope, name: str) -> Campaign:
        return await campaigns.change_status(scope, await campaign_of(scope, name), "start")

    with pytest.raises(ValidationFailed) as nobody:
        await in_tenant(world, A, lambda scope: start(scope, "Spring"))
    assert nobody.value.error_id == "campaign-without-agents"

    async def empty_710(scope: TenantScope) -> None:  # 104, its only member, leaves
        await scope.delete(QueueMember, QueueMember.extension == "104")

    await in_tenant(world, A, empty_710)
    started = await in_tenant(world, A, lambda scope: start(scope, "Empty"))
    assert started.status is CampaignStatus.RUNNING
    assert await _resolved(world, name="Empty") == []

    async def explain(scope: TenantScope) -> tuple[dict[str, Any], dict[str, Any]]:
        campaign = await campaign_of(scope, "Empty")
        return (await explain_campaign(scope, campaign, NOW),
                await explain_number(scope, campaign, "+33142685301", NOW))  # fmt: skip

    whole, one = await in_tenant(world, A, explain)
    assert (whole["agents"], whole["assigned_agents"], whole["groups"]) == ([], [], ["710"])
    hint = next(h for h in whole["hints"] if h.startswith("no agents"))
    assert "710" in hint
    assert "no members" in hint
    assert one["no_agents"] == hint
    # with a member again the hint goes
    await in_tenant(world, A, lambda scope: agent_state.join_queue(scope, "102", "710"))
    whole, one = await in_tenant(world, A, explain)
    assert whole["agents"] == ["102"]
    assert not [h for h in whole["hints"] if h.startswith("no agents")]
    assert one["no_agents"] is None


class _Actions:
    """What the runner asks the call layer about agents: who is registered, live calls."""

    def __init__(self, registered: set[str]) -> None:
        self.phones = registered

    def registered(self, tenant_id: int, number: str) -> bool:
        return number in self.phones

    def calls_of(self, tenant_id: int) -> list[object]:
        return []


async def test_the_dialer_sees_group_members_at_every_tick(
    world: Database, clock: ManualClock
) -> None:
    """The runner's agents (its snapshot, hence pacing, occupancy, callbacks and hand-off) are
    the union, re-read each tick: a member who joins the queue counts at the next tick."""
    campaign_id = await new_campaign(world, agents=["102"], groups=["710"])
    campaign = await in_tenant(world, A, campaign_of)
    actions = _Actions({"101", "102", "104", "201"})
    dialer = Dialer(world, actions=lambda: actions,  # type: ignore[arg-type,return-value]
                    prompts=None, clock=clock, publish=lambda event: None)  # type: ignore[arg-type]  # fmt: skip
    config = CampaignConfig(campaign_id, campaign.tenant_id, campaign.name,
                            CampaignStatus.PAUSED, "progressive", 1.0, 0.03, 3, {})  # fmt: skip
    runner = CampaignRunner(dialer, config, make_pacer("progressive"))
    await runner.tick()  # paused: it only reads its agents
    assert [(a.extension, a.registered) for a in runner.agents] == [("102", True), ("104", True)]
    assert runner.snapshot().agents_logged_in == 2
    await in_tenant(world, A, lambda scope: agent_state.join_queue(scope, "101", "710"))
    await runner.tick()
    assert [a.extension for a in runner.ready_agents()] == ["101", "102", "104"]
    async with world.session() as session:
        rows = await campaign_agents(session, campaign.tenant_id, campaign_id)
    assert [r.number for r in rows] == ["101", "102", "104"]
    assert len({r.extension_id for r in rows}) == 3


async def test_simulate_counts_the_group_members_as_the_team(world: Database) -> None:
    await new_campaign(world, agents=["102"], groups=["700"])

    async def plan(scope: TenantScope) -> int:
        return (await load_plan(scope, await campaign_of(scope), None, NOW)).agents

    assert await in_tenant(world, A, plan) == 3  # 102 + 101, 103 of queue 700
