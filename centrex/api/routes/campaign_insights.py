"""/api/v1/campaigns/{id}/explain and /simulate: the CLI's `campaign explain|simulate` answers.

`GET /{id}/explain` counts how many leads each dialer filter removes and how many remain
dialable now ("why is my hopper empty?"); with `?number=` (E.164 or national in the tenant's
country; a bad one is 422 `explain-bad-number`) it explains that number: caller ID, local time,
window, DNC lists, attempts left, next attempt. `POST /{id}/simulate` replays a past day
(`{"day": "YYYY-MM-DD"}`, default the last day dialled; a future day is 422
`simulate-future-day`) through each dial method; the replay runs in a worker thread so the
event loop keeps serving calls meanwhile. The JSON is exactly the CLI's (without `tenant`).
Both only read; another tenant's campaign is 404. Tenant admins only.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import IdPath, Strict
from centrex.api.services import ApiServices
from centrex.contact_center import campaigns as service
from centrex.contact_center.explain import explain_campaign, explain_number
from centrex.contact_center.simulate_campaign import load_plan, simulate_plan

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES)

NumberQuery = Annotated[str | None, Query(min_length=3, max_length=32, pattern=r"^[0-9 +().-]+$")]


class SimulateIn(Strict):
    day: date | None = None


def _clock_now(request: Request) -> datetime:
    services: ApiServices = request.app.state.services
    return services.clock.utcnow()


@router.get("/{campaign_id}/explain")
async def explain(
    request: Request, campaign_id: IdPath, scope: Scope, caller: Caller, number: NumberQuery = None
) -> dict[str, Any]:
    """Per-filter lead counts, or one number's verdict with `?number=`."""
    require_tenant_admin(caller)
    found = await service.get_campaign_by_id(scope, campaign_id)
    now = _clock_now(request)
    if number is not None:
        return await explain_number(scope, found, number, now)
    return await explain_campaign(scope, found, now)


@router.post("/{campaign_id}/simulate")
async def simulate(
    request: Request,
    campaign_id: IdPath,
    scope: Scope,
    caller: Caller,
    body: SimulateIn | None = None,
) -> dict[str, Any]:
    """Drop % and occupancy per dial method on a replayed past day (`basis` observed/defaults)."""
    require_tenant_admin(caller)
    found = await service.get_campaign_by_id(scope, campaign_id)
    plan = await load_plan(scope, found, body.day if body else None, _clock_now(request))
    return await asyncio.to_thread(simulate_plan, found.name, found.drop_target, plan)
