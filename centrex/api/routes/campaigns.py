"""/api/v1/campaigns: a tenant's outbound campaigns, their status, postal-code focus and stats.

Fields are those of `centrex.contact_center.campaigns` (its rules and error ids): `method`,
`ratio`, `drop_target` (a share of answered calls: 0.03 = 3 %), `caller_id` ("local" or an
E.164 number of the tenant: another's is 422 `campaign-caller-id-not-owned`), `window`
("HH:MM-HH:MM" in the callee's local time), `calling_days` ("mon-fri", "mon,wed,fri"; 422
`campaign-bad-days`), `legal_rules` (the callee country's legal hours and public holidays, on
by default; a campaign that could never call the tenant's own country is 422
`campaign-never-opens`), `max_attempts`, `retry_delays`, `priority`,
`agents` (extension numbers of the tenant: another's is 422 `campaign-agent-unknown`), `groups`
(agent groups: queue numbers of the tenant, whose members take the calls too, resolved live;
another tenant's or an unknown queue is 422 `campaign-group-unknown`).
`POST /{id}/start|pause|stop` move the status; `PUT /{id}/focus` sets the postal-code focus
(`[]` clears it); `GET /{id}/stats` counts from the lead history. Another tenant's campaign is
404 everywhere. Tenant admins; supervisors (`api/supervision.py`) list and read campaigns,
start, pause and stop them (as on the portal's campaigns page), refocus them and PATCH only
`agents`/`groups` (assignment).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import NO_CONTROL, IdPath, Strict
from centrex.api.services import ApiServices
from centrex.api.stats_export import Since, StatsFormat, Until, stats_answer
from centrex.api.supervision import require_campaign_change, require_supervisor
from centrex.contact_center import campaigns as service
from centrex.contact_center.calling_window import DEFAULT_DAYS, DEFAULT_WINDOW
from centrex.contact_center.campaign_agents import MAX_GROUPS

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"], responses=PROBLEM_RESPONSES)

CampaignName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL)]
Method = Literal["preview", "progressive", "ratio", "predictive"]
Ratio = Annotated[float, Field(ge=1.0, le=service.MAX_RATIO)]
DropTarget = Annotated[float, Field(gt=0.0, le=0.5)]
CallerId = Annotated[str, StringConstraints(max_length=20, pattern=r"^(local|\+[0-9]{6,15})$")]
WindowText = Annotated[str, StringConstraints(max_length=11, pattern=r"^[0-9:-]+$")]
DaysText = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=NO_CONTROL)]
Attempts = Annotated[int, Field(ge=1, le=service.MAX_ATTEMPTS)]
Priority = Annotated[int, Field(ge=-100, le=100)]
Delay = Annotated[int, Field(ge=0, le=service.MAX_RETRY_DELAY)]
Outcome = Literal["busy", "no-answer", "machine", "dropped", "failed"]
AgentNumber = Annotated[str, StringConstraints(min_length=1, max_length=10, pattern=r"^[0-9]+$")]
QueueNumber = Annotated[str, StringConstraints(min_length=1, max_length=10, pattern=r"^[0-9]+$")]
PostalCode = Annotated[
    str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9 -]+$")
]


class CampaignIn(Strict):
    name: CampaignName
    method: Method
    ratio: Ratio = 1.0
    drop_target: DropTarget = service.DEFAULT_DROP_TARGET
    caller_id: CallerId = "local"
    window: WindowText = DEFAULT_WINDOW
    calling_days: DaysText = DEFAULT_DAYS
    legal_rules: bool = True
    amd: bool = False  # answering-machine detection (a machine: outcome `machine`)
    max_attempts: Attempts = 3
    retry_delays: dict[Outcome, Delay] = Field(default_factory=dict)
    priority: Priority = 0
    agents: list[AgentNumber] = Field(default_factory=list, max_length=500)
    groups: list[QueueNumber] = Field(default_factory=list, max_length=MAX_GROUPS)


class CampaignPatch(Strict):
    name: CampaignName | None = None
    method: Method | None = None
    ratio: Ratio | None = None
    drop_target: DropTarget | None = None
    caller_id: CallerId | None = None
    window: WindowText | None = None
    calling_days: DaysText | None = None
    legal_rules: bool | None = None
    amd: bool | None = None
    max_attempts: Attempts | None = None
    retry_delays: dict[Outcome, Delay] | None = None
    priority: Priority | None = None
    agents: list[AgentNumber] | None = Field(default=None, max_length=500)
    groups: list[QueueNumber] | None = Field(default=None, max_length=MAX_GROUPS)


class FocusIn(Strict):
    postal_codes: list[PostalCode] = Field(max_length=service.MAX_FOCUS)


class CampaignOut(BaseModel):
    id: int
    name: str
    method: str
    ratio: float
    drop_target: float
    caller_id: str
    window: str
    calling_days: str
    legal_rules: bool
    amd: bool
    max_attempts: int
    retry_delays: dict[str, int]
    status: str
    priority: int
    postal_focus: list[str]
    agents: list[str]
    groups: list[str]
    leads: int


def _svc(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


@router.get("", response_model=Page[CampaignOut])
async def list_campaigns(scope: Scope, caller: Caller, query: Listing) -> dict[str, Any]:
    require_supervisor(caller)
    items = [await service.campaign_dict(scope, c) for c in await service.list_campaigns(scope)]
    return paginate(items, query, orders=("id", "name", "status", "priority"), default="name",
                    searchable=("name",))  # fmt: skip


@router.post("", status_code=201, response_model=CampaignOut)
async def create_campaign(
    body: CampaignIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    require_tenant_admin(caller)
    made = await service.create_campaign(
        scope, name=body.name, method=body.method, ratio=body.ratio,
        drop_target=body.drop_target, caller_id=body.caller_id, window=body.window,
        calling_days=body.calling_days, legal_rules=body.legal_rules, amd=body.amd,
        max_attempts=body.max_attempts,
        retry_delays={str(k): v for k, v in body.retry_delays.items()},
        priority=body.priority, agents=body.agents, groups=body.groups,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/campaigns/{made.id}"
    return await service.campaign_dict(scope, made)


@router.get("/{campaign_id}", response_model=CampaignOut)
async def get_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_supervisor(caller)
    return await service.campaign_dict(scope, await service.get_campaign_by_id(scope, campaign_id))


@router.patch("/{campaign_id}", response_model=CampaignOut)
async def update_campaign(
    campaign_id: IdPath, body: CampaignPatch, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Change what is given (also while running: the dialer reads settings on each fill)."""
    require_supervisor(caller)
    changes = body.model_dump(exclude_unset=True)
    found = await service.get_campaign_by_id(scope, campaign_id)
    require_campaign_change(caller, set(changes))  # a supervisor: agents and groups only
    await service.update_campaign(scope, found, changes)
    return await service.campaign_dict(scope, found)


@router.delete("/{campaign_id}", status_code=204)
async def delete_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> Response:
    """Delete a campaign with its leads, batches, history and DNC entries (not while running)."""
    require_tenant_admin(caller)
    await service.delete_campaign(scope, await service.get_campaign_by_id(scope, campaign_id))
    return Response(status_code=204)


async def _move(scope: Scope, campaign_id: int, action: str) -> dict[str, Any]:
    found = await service.get_campaign_by_id(scope, campaign_id)
    await service.change_status(scope, found, action)
    return await service.campaign_dict(scope, found)


@router.post("/{campaign_id}/start", response_model=CampaignOut)
async def start_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """draft, paused or stopped → running (422 `campaign-without-agents` without agents)."""
    require_supervisor(caller)
    return await _move(scope, campaign_id, "start")


@router.post("/{campaign_id}/pause", response_model=CampaignOut)
async def pause_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_supervisor(caller)
    return await _move(scope, campaign_id, "pause")


@router.post("/{campaign_id}/stop", response_model=CampaignOut)
async def stop_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_supervisor(caller)  # as on the portal's campaigns page
    return await _move(scope, campaign_id, "stop")


@router.put("/{campaign_id}/focus", response_model=CampaignOut)
async def focus_campaign(
    campaign_id: IdPath, body: FocusIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Refocus on postal codes (prefixes) on the fly; `{"postal_codes": []}` clears it."""
    require_supervisor(caller)
    found = await service.get_campaign_by_id(scope, campaign_id)
    await service.set_focus(scope, found, body.postal_codes)
    return await service.campaign_dict(scope, found)


@router.get("/{campaign_id}/stats", response_model=None)
async def get_campaign_stats(
    request: Request,
    campaign_id: IdPath,
    scope: Scope,
    caller: Caller,
    fmt: StatsFormat = "json",
    since: Since = None,
    until: Until = None,
) -> dict[str, Any] | Response:
    """placed, answered, dropped, drop_pct, per outcome and disposition; today and 30 days;
    the agents' figures over [since, until) (`api/stats_export.py`), also as PDF or XLSX."""
    require_supervisor(caller)
    found = await service.get_campaign_by_id(scope, campaign_id)
    return await stats_answer(scope, found, _svc(request).clock.utcnow(), fmt, since, until)
