"""/api/v1/leads: search, import (multipart upload, one batch), export, batches and rollback.

* `GET /leads?campaign_id=&postal_code=&status=&disposition=&query=` searches in SQL (campaigns
  hold hundreds of thousands of leads), `{total, items}` paged by `limit`/`offset`;
* `POST /leads/import` (multipart: `file`, `campaign_id`, `map` repeated as `field=Column`)
  answers 201 with `{"batch", "imported", "rejected": [{"line", "error"}], "dnc_filtered",
  "duplicates"}`; a file that cannot be read is a 422 and writes nothing;
* `GET /leads/export?campaign_id=&format=csv|xlsx`; `GET /leads/batches`,
  `GET /leads/batches/{id}`, `POST /leads/batches/{id}/rollback` (exactly the batch's leads
  and their history); `GET /leads/{id}` with its attempt history.

A campaign, batch or lead of another tenant is 404 (`campaign-not-found`, ...). Tenant admins;
the agent desktop's card (`GET /leads/{id}` with `recordings`, `dispositions`, `notes`,
`answers`) and the inbound caller look-up (`GET /leads?number=`) are also a supervisor's and an
agent's, for the leads of the campaigns it is an agent of (`contact_center.lead_card`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel

from centrex.api.auth import Caller, Principal, Scope, own_extension_ids, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page
from centrex.api.schemas import MAX_INT, NO_CONTROL, IdPath
from centrex.api.services import ApiServices
from centrex.contact_center import lead_card
from centrex.contact_center import leads as service
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.contact_center.lead_export import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx
from centrex.contact_center.lead_files import parse_mapping
from centrex.contact_center.lead_import import import_leads
from centrex.data.models import Role
from centrex.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/leads", tags=["leads"], responses=PROBLEM_RESPONSES)

MAX_UPLOAD = 50 * 1024 * 1024
CampaignRef = Annotated[int | None, Query(ge=1, le=MAX_INT)]
Text = Annotated[str | None, Query(max_length=200, pattern=NO_CONTROL)]


class LeadOut(BaseModel):
    id: int
    campaign_id: int
    campaign: str | None
    batch: int
    number: str
    name: str
    postal_code: str
    status: str
    attempts: int
    last_outcome: str | None
    disposition: str | None
    next_attempt_at: str | None
    custom: dict[str, Any]


class BatchOut(BaseModel):
    id: int
    campaign_id: int
    campaign: str | None
    filename: str
    encoding: str | None
    imported: int
    rejected: int
    dnc_filtered: int
    duplicates: int
    created_at: str


class Rejected(BaseModel):
    line: int
    error: str


class ImportOut(BaseModel):
    batch: int
    imported: int
    rejected: list[Rejected]
    dnc_filtered: int
    duplicates: int


class RollbackOut(BaseModel):
    batch: int
    leads: int
    attempts: int


def _svc(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


def _iso(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {**data, **{k: data[k].isoformat() if data[k] is not None else None for k in keys}}


@router.get("", response_model=Page[LeadOut])
async def search_leads(
    scope: Scope,
    caller: Caller,
    query: Listing,
    campaign_id: CampaignRef = None,
    postal_code: Text = None,
    status: Text = None,
    disposition: Text = None,
    text: Annotated[str | None, Query(alias="query", max_length=200, pattern=NO_CONTROL)] = None,
    number: Annotated[str | None, Query(max_length=40, pattern=NO_CONTROL)] = None,
) -> dict[str, Any]:
    """Leads matching every filter given (`query`/`search`: name, number, custom fields);
    `number` alone (an inbound caller's card) is open to agents, for their campaigns' leads."""
    if number is not None:
        return await _by_number(scope, caller, number)
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id) if campaign_id else None
    found = await service.search_leads(
        scope, limit=query.limit, offset=query.offset, campaign=campaign,
        postal_code=postal_code, status=status, disposition=disposition,
        query=text or query.search,
    )  # fmt: skip
    return {"total": found["total"],
            "items": [_iso(x, "next_attempt_at") for x in found["items"]]}  # fmt: skip


@router.post("/import", status_code=201, response_model=ImportOut)
async def import_lead_file(
    request: Request,
    file: UploadFile,
    campaign_id: Annotated[int, Form(ge=1, le=MAX_INT)],
    scope: Scope,
    caller: Caller,
    response: Response,
    mapping: Annotated[list[str] | None, Form(alias="map", max_length=100)] = None,
) -> dict[str, Any]:
    """Import a CSV or XLSX file into a campaign as one batch."""
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id)
    columns = parse_mapping(mapping or [])
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed(f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB",
                               error_id="lead-file-too-large", field="file")  # fmt: skip
    result = await import_leads(scope, campaign, data, now=_svc(request).clock.utcnow(),
                                filename=file.filename or "", mapping=columns)  # fmt: skip
    response.headers["Location"] = f"/api/v1/leads/batches/{result.batch}"
    return result.as_dict()


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_TYPE: {}}, "description": "CSV or XLSX"}},
)
async def export_leads(
    scope: Scope,
    caller: Caller,
    campaign_id: Annotated[int, Query(ge=1, le=MAX_INT)],
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """A campaign's leads with status, attempts, dispositions and custom fields."""
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id)
    headers, rows = await service.export_rows(scope, campaign)
    stamp = f"leads-{campaign.id}"
    if format == "xlsx":
        data, media_type = to_xlsx(headers, rows, campaign.name), XLSX_TYPE
    else:
        data, media_type = to_csv(headers, rows), CSV_TYPE
    disposition = f'attachment; filename="{stamp}.{format}"'
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/batches", response_model=Page[BatchOut])
async def list_batches(
    scope: Scope, caller: Caller, campaign_id: CampaignRef = None
) -> dict[str, Any]:
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id) if campaign_id else None
    names = await service.campaign_names(scope)
    items = [_iso(service.batch_dict(b, names.get(b.campaign_id)), "created_at")
             for b in await service.list_batches(scope, campaign)]  # fmt: skip
    return {"total": len(items), "items": items}


@router.get("/batches/{batch_id}", response_model=BatchOut)
async def get_batch(batch_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    batch = await service.get_batch(scope, batch_id)
    names = await service.campaign_names(scope)
    return _iso(service.batch_dict(batch, names.get(batch.campaign_id)), "created_at")


@router.post("/batches/{batch_id}/rollback", response_model=RollbackOut)
async def rollback_batch(batch_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """Remove exactly this import: its leads and their attempt history, then the batch."""
    require_tenant_admin(caller)
    return await service.rollback_batch(scope, await service.get_batch(scope, batch_id))


@router.get("/{lead_id}")
async def get_lead(lead_id: IdPath, scope: Scope, caller: Caller) -> dict[str, Any]:
    """One lead, its attempts (`history`) and the desktop card's `recordings`, `dispositions`,
    `notes`, `answers`; an agent reads the leads of its campaigns (`lead_card`)."""
    lead = await service.get_lead(scope, lead_id)
    await lead_card.check_reach(scope, lead, await _reader(scope, caller))
    names = await service.campaign_names(scope)
    data = _iso(service.lead_dict(lead, names.get(lead.campaign_id)), "next_attempt_at")
    history = [_iso(h, "started_at", "ended_at") for h in await service.lead_history(scope, lead)]
    return {**data, "history": history, **await lead_card.card_extras(scope, lead)}


async def _reader(scope: Scope, caller: Principal) -> set[int] | None:
    """None for a manager (every lead); an agent's extension ids; anyone else is refused."""
    if caller.is_tenant_admin or caller.role is Role.SUPERVISOR:
        return None
    if caller.role is not Role.AGENT:
        require_tenant_admin(caller)
    return await own_extension_ids(scope, caller) or set()


async def _by_number(scope: Scope, caller: Principal, number: str) -> dict[str, Any]:
    found = await lead_card.leads_by_number(scope, number, await _reader(scope, caller))
    names = await service.campaign_names(scope)
    items = [_iso(service.lead_dict(x, names.get(x.campaign_id)), "next_attempt_at") for x in found]
    return {"total": len(items), "items": items}
