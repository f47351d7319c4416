"""Who takes a campaign's calls: its agents (extensions) and its agent groups (ACD queues).

Issue 15 item 1 assigns a campaign "agents and agent groups". An agent is an extension of the
campaign's tenant (`CampaignAgent`); a group is one of the tenant's queues
(`CampaignAgentGroup`), and every *current* member of the queue is an agent of the campaign
too. Only the link to the queue is stored: the members are resolved live, so a member added
to (or removed from) the queue later takes (or stops taking) campaign calls without anyone
touching the campaign.

`campaign_agents` is the one answer to "the campaign's agents" — the dialer's snapshot and
hand-off (hence occupancy and callbacks), `campaign simulate`'s team size, `campaign
explain` — the union of direct agents and group members, de-duplicated, in number order. It
is one indexed query, cheap enough for every dialer tick.

Tenant isolation: the checks look numbers up through `TenantScope` (another tenant's extension
or queue is simply unknown: `campaign-agent-unknown`, `campaign-group-unknown`), and the
resolution joins queue members to extensions *of the campaign's tenant* only, so a row that
somehow pointed elsewhere still yields nobody of another tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.data.models import CallQueue, CampaignAgent, CampaignAgentGroup, Extension, QueueMember
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

MAX_GROUPS = 50


@dataclass(frozen=True, slots=True)
class CampaignAgentRow:
    """One resolved agent: the extension's id and number."""

    extension_id: int
    number: str


async def check_agents(scope: TenantScope, numbers: Sequence[str]) -> list[int]:
    """Extension ids of `numbers` (repeats dropped); unknown in this tenant is refused."""
    ids: list[int] = []
    for number in numbers:
        ext = await scope.first(Extension, Extension.number == number.strip())
        if ext is None:
            raise ValidationFailed(f"extension {number} is not an extension of {scope.domain}",
                                   error_id="campaign-agent-unknown", field="agents")  # fmt: skip
        if ext.id not in ids:
            ids.append(ext.id)
    return ids


async def check_groups(scope: TenantScope, numbers: Sequence[str]) -> list[int]:
    """Queue ids of the queue `numbers` (repeats dropped); unknown in this tenant is refused."""
    ids: list[int] = []
    for number in numbers:
        queue = await scope.first(CallQueue, CallQueue.number == number.strip())
        if queue is None:
            raise ValidationFailed(f"queue {number} is not a queue of {scope.domain}",
                                   error_id="campaign-group-unknown", field="groups")  # fmt: skip
        if queue.id not in ids:
            ids.append(queue.id)
    if len(ids) > MAX_GROUPS:
        raise ValidationFailed(f"a campaign has at most {MAX_GROUPS} agent groups",
                               error_id="campaign-too-many-groups", field="groups")  # fmt: skip
    return ids


async def set_agents(scope: TenantScope, campaign_id: int, extension_ids: Sequence[int]) -> None:
    """Replace the campaign's direct agents (ids from `check_agents`)."""
    await scope.delete(CampaignAgent, CampaignAgent.campaign_id == campaign_id)
    for extension_id in extension_ids:
        scope.add(CampaignAgent(campaign_id=campaign_id, extension_id=extension_id))
    await scope.session.flush()


async def set_groups(scope: TenantScope, campaign_id: int, queue_ids: Sequence[int]) -> None:
    """Replace the campaign's agent groups (ids from `check_groups`)."""
    await scope.delete(CampaignAgentGroup, CampaignAgentGroup.campaign_id == campaign_id)
    for queue_id in queue_ids:
        scope.add(CampaignAgentGroup(campaign_id=campaign_id, queue_id=queue_id))
    await scope.session.flush()


async def agent_numbers(scope: TenantScope, campaign_id: int) -> list[str]:
    """The directly assigned extensions, by number (the `agents` field)."""
    stmt = (
        select(Extension.number)
        .join(CampaignAgent, CampaignAgent.extension_id == Extension.id)
        .where(CampaignAgent.tenant_id == scope.tenant_id, CampaignAgent.campaign_id == campaign_id)
        .order_by(Extension.number)
    )
    return list((await scope.session.scalars(stmt)).all())


async def group_numbers(scope: TenantScope, campaign_id: int) -> list[str]:
    """The assigned queues, by queue number (the `groups` field)."""
    stmt = (
        select(CallQueue.number)
        .join(CampaignAgentGroup, CampaignAgentGroup.queue_id == CallQueue.id)
        .where(
            CampaignAgentGroup.tenant_id == scope.tenant_id,
            CampaignAgentGroup.campaign_id == campaign_id,
            CallQueue.tenant_id == scope.tenant_id,
        )
        .order_by(CallQueue.number)
    )
    return list((await scope.session.scalars(stmt)).all())


async def has_assignment(scope: TenantScope, campaign_id: int) -> bool:
    """Agents or groups are assigned (groups whose queues are empty included)."""
    return bool(
        await scope.count(CampaignAgent, CampaignAgent.campaign_id == campaign_id)
        or await scope.count(CampaignAgentGroup, CampaignAgentGroup.campaign_id == campaign_id)
    )


async def campaign_agents(
    session: AsyncSession, tenant_id: int, campaign_id: int
) -> list[CampaignAgentRow]:
    """The campaign's agents now: direct agents plus the current members of its groups, each
    extension once, by number (module docstring). Every table is filtered by `tenant_id`."""
    direct = select(CampaignAgent.extension_id).where(
        CampaignAgent.tenant_id == tenant_id, CampaignAgent.campaign_id == campaign_id
    )
    members = (
        select(QueueMember.extension)
        .join(CampaignAgentGroup, CampaignAgentGroup.queue_id == QueueMember.queue_id)
        .where(
            CampaignAgentGroup.tenant_id == tenant_id,
            CampaignAgentGroup.campaign_id == campaign_id,
            QueueMember.tenant_id == tenant_id,
        )
    )
    stmt = (
        select(Extension.id, Extension.number)
        .where(
            Extension.tenant_id == tenant_id,
            or_(Extension.id.in_(direct), Extension.number.in_(members)),
        )
        .order_by(Extension.number)
    )
    rows = (await session.execute(stmt)).all()
    return [CampaignAgentRow(int(r.id), str(r.number)) for r in rows]
