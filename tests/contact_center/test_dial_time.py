"""What the dialer asks the data layer at dial time (SQLite and PostgreSQL): is a number on the
tenant's or the campaign's DNC list *now* (one added after the import included), which caller
ID a call shows (local presence among the tenant's numbers, else the default), and the status
table of a campaign."""

from __future__ import annotations

import pytest

from centrex.clock import ManualClock
from centrex.contact_center import campaigns, dnc
from centrex.contact_center.campaigns import TRANSITIONS
from centrex.data.db import Database
from centrex.data.models import CampaignStatus, Tenant
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, ValidationFailed
from tests.contact_center.world import A, B, campaign_of, in_tenant, make_world, new_campaign


@pytest.fixture
async def world(db: Database, clock: ManualClock) -> Database:
    await make_world(db, clock)
    await new_campaign(db)
    await new_campaign(db, "Autumn")
    return db


async def test_dnc_at_dial_time(world: Database) -> None:
    async def check(scope: TenantScope) -> list[bool]:
        spring, autumn = await campaign_of(scope), await campaign_of(scope, "Autumn")
        before = await dnc.is_blocked(scope, spring, "+33612345678")
        await dnc.add_number(scope, "06 12 34 56 78", spring)  # added after the import
        return [before, await dnc.is_blocked(scope, spring, "+33612345678"),
                await dnc.is_blocked(scope, autumn, "+33612345678")]  # fmt: skip

    assert await in_tenant(world, A, check) == [False, True, False]

    async def tenant_wide(scope: TenantScope) -> bool:
        await dnc.add_number(scope, "+33699999999")
        return await dnc.is_blocked(scope, await campaign_of(scope, "Autumn"), "+33699999999")

    assert await in_tenant(world, A, tenant_wide)

    async def other_tenant(scope: TenantScope) -> bool:
        await new_campaign_in(scope)
        return await dnc.is_blocked(scope, await campaign_of(scope, "B's"), "+33699999999")

    assert not await in_tenant(world, B, other_tenant)


async def new_campaign_in(scope: TenantScope) -> None:
    await campaigns.create_campaign(scope, name="B's", method="preview")


async def test_caller_id_of_a_call(world: Database) -> None:
    async def choose(scope: TenantScope) -> list[str | None]:
        spring = await campaign_of(scope)
        picks = [await campaigns.caller_id_of_call(scope, spring, n)
                 for n in ("+33144556677", "+33491556677", "+4930123456")]  # fmt: skip
        tenant = await scope.session.get(Tenant, scope.tenant_id)
        assert tenant is not None
        tenant.main_number = "+33491000000"
        picks.append(await campaigns.caller_id_of_call(scope, spring, "+4930123456"))
        await campaigns.update_campaign(scope, spring, {"caller_id": "+33142685300"})
        picks.append(await campaigns.caller_id_of_call(scope, spring, "+33491556677"))
        return picks

    assert await in_tenant(world, A, choose) == [
        "+33142685300", "+33491000000", "+33142685300", "+33491000000", "+33142685300",
    ]  # fmt: skip


async def test_status_table_and_running_campaigns(world: Database) -> None:
    async def walk(scope: TenantScope) -> list[str]:
        spring = await campaign_of(scope)
        seen = []
        for action in ("start", "pause", "start", "stop", "start"):
            seen.append((await campaigns.change_status(scope, spring, action)).status.value)
        with pytest.raises(Conflict, match="running: stop it first"):
            await campaigns.delete_campaign(scope, spring)
        with pytest.raises(Conflict, match="cannot pause"):
            await campaigns.change_status(scope, await campaign_of(scope, "Autumn"), "pause")
        with pytest.raises(ValidationFailed, match="never opens"):
            await campaigns.update_campaign(scope, spring, {"window": "08:00-08:00"})
        return seen

    assert await in_tenant(world, A, walk) == ["running", "paused", "running", "stopped",
                                               "running"]  # fmt: skip
    moves = {(s, a) for s in CampaignStatus for a in ("start", "pause", "stop")}
    assert set(TRANSITIONS) < moves  # the rest is refused
    assert (CampaignStatus.RUNNING, "start") not in TRANSITIONS
