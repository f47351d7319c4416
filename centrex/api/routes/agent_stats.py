"""/api/v1/agents/{extension}/stats and /api/v1/campaigns/{id}/export.xlsx (issue 16).

* `GET /agents/{extension}/stats?day=YYYY-MM-DD`: the agent's figures of one UTC day (today by
  default), every campaign counted: calls, contacts, talk, wrap-up, ringing, pause per reason,
  idle, logged-in seconds, occupancy, dispositions, appointments (`agent_stats.py` says how);
  the agent desktop's day panel reads it every 30 s.
* `GET /campaigns/{id}/export.xlsx`: the campaign's leads with their custom fields and script
  answers, and its appointments, as a workbook (`campaign_workbook.py`).

Who may: a tenant admin or a supervisor any extension and campaign of the tenant; an agent only
its own extensions' stats (another extension is 404, as another tenant's is) and no export; a
plain user 403. The figures of the campaign's agents over a period, as JSON, PDF or XLSX, are
`GET /campaigns/{id}/stats` (`api/stats_export.py`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from centrex.api.auth import Caller, Now, Principal, Scope, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import IdPath
from centrex.api.supervision import may_supervise, require_supervisor
from centrex.contact_center import campaigns
from centrex.contact_center.agent_report import agent_day
from centrex.contact_center.campaign_workbook import campaign_workbook
from centrex.contact_center.stats_documents import XLSX_TYPE
from centrex.data.models import Extension, Role
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/v1", tags=["agent stats"], responses=PROBLEM_RESPONSES)

ExtensionPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$")]


async def _extension(scope: TenantScope, caller: Principal, number: str) -> Extension:
    if not may_supervise(caller):
        if caller.role is not Role.AGENT:
            raise Forbidden("only an agent, a supervisor or a tenant administrator may do this")
        own = await own_extension_numbers(scope, caller)
        if own is not None and number not in own:
            raise NotFound(f"extension {number} not found", error_id="extension-not-found")
    found = await scope.first(Extension, Extension.number == number)
    if found is None:
        raise NotFound(f"extension {number} not found", error_id="extension-not-found")
    return found


@router.get("/agents/{extension}/stats")
async def get_agent_stats(
    extension: ExtensionPath,
    scope: Scope,
    caller: Caller,
    now: Now,
    day: Annotated[date | None, Query()] = None,
) -> dict[str, Any]:
    """The agent's figures of `day` (UTC), up to now for today."""
    found = await _extension(scope, caller, extension)
    report = await agent_day(scope, found, day or now.date(), now)
    return {"day": report.since.date().isoformat(), "since": report.since.isoformat(),
            "until": report.until.isoformat(), **report.total.as_dict(),
            "extension": found.number}  # fmt: skip


@router.get("/campaigns/{campaign_id}/export.xlsx", response_model=None)
async def export_campaign(campaign_id: IdPath, scope: Scope, caller: Caller) -> Response:
    """Leads (fields, custom fields, script answers) and appointments of the campaign."""
    require_supervisor(caller)
    found = await campaigns.get_campaign_by_id(scope, campaign_id)
    name = f"campaign-{found.id}-export.xlsx"
    return Response(await campaign_workbook(scope, found), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
