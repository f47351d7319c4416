"""/api/v1/appointments and /api/v1/campaigns/{id}/calendar: appointments synchronised with the
campaign's CalDAV calendar (issue 16).

* `GET /appointments` (`campaign_id`, `lead_id`, `since`, `until`, plus the usual listing
  parameters): live appointments by start, each with ``"conflicts": [ids]``;
* `POST /appointments` `{"campaign_id", "title", "starts_at", "ends_at", "lead_id"?,
  "extension"?, "notes"?}` (times with their offset): 201 with `Location`;
* `GET/PUT/DELETE /appointments/{id}` (PUT: any of title, notes, starts_at, ends_at, lead_id,
  extension);
* `GET/PUT/DELETE /campaigns/{id}/calendar` `{"url", "username", "secret"?}`: the secret is
  stored encrypted and never answered (``"secret_set"``); a PUT without `secret` keeps it;
* `POST /campaigns/{id}/calendar/sync`: one sync pass now, answering its counts (409
  `calendar-sync-busy` while another pass runs).

Every change of an appointment starts a sync pass of its campaign's calendar once the answer is
committed (a background task); the periodic pass of `serve` retries what failed.

Who may: tenant admins and supervisors the tenant's whole calendar and the calendar settings;
an agent the appointments of the campaigns its extensions work in (any other is 404, like
another tenant's), booked for its own extension (by default its first); a plain user is 403.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from centrex.api.auth import Caller, Now, Principal, Scope, Services, own_extension_ids
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import MAX_INT, IdPath, Strict, text
from centrex.api.services import ApiServices
from centrex.contact_center import appointments as service
from centrex.contact_center.caldav_sync import CalendarSync
from centrex.data.models import CampaignCalendar, Extension, Role
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, Forbidden

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["appointments"], responses=PROBLEM_RESPONSES)

Title = Annotated[str, text(service.MAX_TITLE, 1)]
Notes = Annotated[str, StringConstraints(max_length=service.MAX_NOTES)]  # newlines allowed
ExtensionNumber = Annotated[str, StringConstraints(min_length=1, max_length=10,
                                                   pattern=r"^[0-9]+$")]  # fmt: skip
Url = Annotated[str, text(500, 1)]
UserName = Annotated[str, text(200)]
Secret = Annotated[str, text(500)]


class AppointmentIn(Strict):
    campaign_id: int = Field(ge=1, le=MAX_INT)
    lead_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    extension: ExtensionNumber | None = None
    title: Title
    notes: Notes = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class AppointmentChange(Strict):
    lead_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    extension: ExtensionNumber | None = None
    title: Title | None = None
    notes: Notes | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class AppointmentOut(BaseModel):
    id: int
    campaign_id: int
    lead_id: int | None
    extension: str | None
    title: str
    notes: str
    starts_at: datetime
    ends_at: datetime
    uid: str
    sync_state: str
    last_error: str
    remote: bool
    conflicts: list[int]
    created_at: datetime
    updated_at: datetime


class CalendarIn(Strict):
    url: Url
    username: UserName = ""
    secret: Secret | None = None


class CalendarOut(BaseModel):
    campaign_id: int
    url: str
    username: str
    secret_set: bool
    last_sync_at: datetime | None
    last_error: str


class SyncOut(BaseModel):
    campaign_id: int
    ok: bool
    busy: bool
    pushed: int
    removed: int
    pulled: int
    updated: int
    deleted: int
    failed: int
    error: str


def _require_agent(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role in (Role.SUPERVISOR, Role.AGENT)):
        raise Forbidden("only an agent, a supervisor or a tenant administrator may do this")


def _require_manager(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role is Role.SUPERVISOR):
        raise Forbidden("only a tenant administrator or a supervisor may do this")


async def _reach(scope: TenantScope, caller: Principal) -> tuple[set[int] | None, list[str]]:
    """(campaign ids within reach or None for all, the caller's own extension numbers)."""
    _require_agent(caller)
    if caller.is_tenant_admin or caller.role is Role.SUPERVISOR:
        return None, []
    mine = await own_extension_ids(scope, caller) or set()
    rows = await scope.list(Extension, Extension.id.in_(sorted(mine)), order_by=Extension.number)
    return await service.agent_campaign_ids(scope, mine), [row.number for row in rows]


def _own_extension(wanted: str | None, mine: list[str], agent: bool) -> str | None:
    if not agent:
        return wanted
    if wanted is None:
        return mine[0] if mine else None
    if wanted not in mine:
        raise Forbidden("an agent books appointments only for one of its own extensions")
    return wanted


async def _sync_later(svc: ApiServices, tenant_id: int, campaign_id: int) -> None:
    """After a change: one pass for the campaign's calendar (failures are kept and retried)."""
    try:
        await CalendarSync(svc.database, svc.secret_box, svc.clock).sync_campaign(
            tenant_id, campaign_id
        )
    except Exception:  # the periodic pass retries; the change itself is saved
        log.exception("CalDAV sync after a change of campaign %s failed", campaign_id)


async def _after_change(
    scope: TenantScope, svc: ApiServices, tasks: BackgroundTasks, campaign_id: int
) -> None:
    if await scope.first(CampaignCalendar, CampaignCalendar.campaign_id == campaign_id):
        tasks.add_task(_sync_later, svc, scope.tenant_id, campaign_id)


async def _one(scope: TenantScope, item: Any) -> dict[str, Any]:
    return (await service.describe(scope, [item]))[0]


@router.get("/appointments", response_model=Page[AppointmentOut])
async def list_appointments(
    scope: Scope,
    caller: Caller,
    query: Listing,
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    lead_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> dict[str, Any]:
    campaigns, _mine = await _reach(scope, caller)
    if campaign_id is not None:
        await service.reachable_campaign(scope, campaign_id, campaigns)
    filters = service.Filters(campaign_id=campaign_id, lead_id=lead_id, since=since, until=until)
    items = await service.list_appointments(scope, filters, campaigns)
    return paginate(await service.describe(scope, items), query, orders=("starts_at", "id"),
                    default="starts_at", searchable=("title", "notes"))  # fmt: skip


@router.post("/appointments", status_code=201, response_model=AppointmentOut)
async def create_appointment(
    body: AppointmentIn,
    scope: Scope,
    caller: Caller,
    svc: Services,
    now: Now,
    response: Response,
    tasks: BackgroundTasks,
) -> dict[str, Any]:
    campaigns, mine = await _reach(scope, caller)
    campaign = await service.reachable_campaign(scope, body.campaign_id, campaigns)
    extension = _own_extension(body.extension, mine, campaigns is not None)
    made = await service.create_appointment(
        scope, campaign, title=body.title, starts_at=body.starts_at, ends_at=body.ends_at,
        now=now, lead_id=body.lead_id, extension=extension, notes=body.notes,
    )  # fmt: skip
    response.headers["Location"] = f"/api/v1/appointments/{made.id}"
    await _after_change(scope, svc, tasks, campaign.id)
    return await _one(scope, made)


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut)
async def get_appointment(appointment_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    campaigns, _mine = await _reach(scope, caller)
    return await _one(scope, await service.get_appointment(scope, appointment_id, campaigns))


@router.put("/appointments/{appointment_id}", response_model=AppointmentOut)
async def update_appointment(
    appointment_id: IdPath,
    body: AppointmentChange,
    scope: Scope,
    caller: Caller,
    svc: Services,
    now: Now,
    tasks: BackgroundTasks,
) -> dict[str, Any]:
    campaigns, mine = await _reach(scope, caller)
    item = await service.get_appointment(scope, appointment_id, campaigns)
    changes = body.model_dump(exclude_unset=True)
    for key in ("title", "notes", "starts_at", "ends_at"):
        if key in changes and changes[key] is None:
            del changes[key]  # null for a required field: unchanged
    if "extension" in changes and campaigns is not None:
        changes["extension"] = _own_extension(changes["extension"], mine, True)
    updated = await service.update_appointment(scope, item, changes, now=now)
    await _after_change(scope, svc, tasks, item.campaign_id)
    return await _one(scope, updated)


@router.delete("/appointments/{appointment_id}", status_code=204)
async def delete_appointment(
    appointment_id: IdPath,
    scope: Scope,
    caller: Caller,
    svc: Services,
    now: Now,
    tasks: BackgroundTasks,
) -> Response:
    campaigns, _mine = await _reach(scope, caller)
    item = await service.get_appointment(scope, appointment_id, campaigns)
    campaign_id = item.campaign_id
    await service.delete_appointment(scope, item, now=now)
    await _after_change(scope, svc, tasks, campaign_id)
    return Response(status_code=204)


# ---------------------------------------------------------------------- calendar settings


@router.get("/campaigns/{campaign_id}/calendar", response_model=CalendarOut)
async def get_calendar(campaign_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    _require_manager(caller)
    campaign = await service.reachable_campaign(scope, campaign_id, None)
    return service.calendar_dict(await service.get_calendar(scope, campaign))


@router.put("/campaigns/{campaign_id}/calendar", response_model=CalendarOut)
async def put_calendar(
    campaign_id: IdPath, body: CalendarIn, scope: Scope, caller: Caller, svc: Services
) -> dict[str, Any]:
    _require_manager(caller)
    campaign = await service.reachable_campaign(scope, campaign_id, None)
    made = await service.set_calendar(scope, campaign, svc.secret_box, url=body.url,
                                      username=body.username, secret=body.secret)  # fmt: skip
    return service.calendar_dict(made)


@router.delete("/campaigns/{campaign_id}/calendar", status_code=204)
async def delete_calendar(campaign_id: IdPath, scope: Scope, caller: Caller) -> Response:
    _require_manager(caller)
    campaign = await service.reachable_campaign(scope, campaign_id, None)
    await service.remove_calendar(scope, campaign)
    return Response(status_code=204)


@router.post("/campaigns/{campaign_id}/calendar/sync", response_model=SyncOut)
async def sync_calendar(
    campaign_id: IdPath, scope: Scope, caller: Caller, svc: Services
) -> dict[str, Any]:
    """One pass now; a server down or refusing the credentials answers ok false with the error
    (the appointments are kept and retried)."""
    _require_manager(caller)
    campaign = await service.reachable_campaign(scope, campaign_id, None)
    await service.get_calendar(scope, campaign)
    sync = CalendarSync(svc.database, svc.secret_box, svc.clock)
    report = await sync.sync_campaign(scope.tenant_id, campaign.id)
    if report.busy:
        raise Conflict("this calendar is being synchronised; try again in a moment",
                       error_id="calendar-sync-busy")  # fmt: skip
    return report.as_dict()
