"""/api/v1/dnc: do-not-call entries, tenant-wide (`campaign_id` null) or for one campaign.

`POST /dnc` adds one number (`{"number", "campaign_id"?, "note"?}`; a number already listed is
counted in `existing`, not an error); `POST /dnc/import` (multipart `file`, `campaign_id`?)
adds one number per line and reports bad lines; `GET /dnc?campaign_id=&all=` lists;
`DELETE /dnc/{id}` removes. A campaign or entry of another tenant is 404. Tenant admins only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response, UploadFile
from pydantic import BaseModel

from centrex.api.auth import Caller, Scope, require_tenant_admin
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import MAX_INT, IdPath, LongPhone, RefId, Strict, text
from centrex.contact_center import dnc as service
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/dnc", tags=["dnc"], responses=PROBLEM_RESPONSES)

MAX_UPLOAD = 20 * 1024 * 1024
Note = Annotated[str, text(service.MAX_NOTE)]


class DncIn(Strict):
    number: LongPhone
    campaign_id: RefId | None = None
    note: Note = ""


class DncOut(BaseModel):
    id: int
    number: str
    campaign: str | None
    campaign_id: int | None
    note: str
    created_at: str


class Rejected(BaseModel):
    line: int
    error: str


class AddOut(BaseModel):
    added: int
    existing: int
    rejected: list[Rejected]


def _out(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "created_at": entry["created_at"].isoformat()}


@router.get("", response_model=Page[DncOut])
async def list_dnc(
    scope: Scope,
    caller: Caller,
    query: Listing,
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    every: Annotated[bool, Query(alias="all")] = False,
) -> dict[str, Any]:
    """The tenant list, a campaign's (`campaign_id`), or both kinds (`all=true`)."""
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id) if campaign_id else None
    items = [_out(e) for e in await service.list_entries(scope, campaign, every=every)]
    return paginate(items, query, orders=("id", "number", "created_at"), default="number",
                    searchable=("number", "note"))  # fmt: skip


@router.post("", status_code=201, response_model=AddOut)
async def add_dnc(body: DncIn, scope: Scope, caller: Caller) -> dict[str, Any]:
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, body.campaign_id) if body.campaign_id else None
    return await service.add_number(scope, body.number, campaign, body.note)


@router.post("/import", status_code=201, response_model=AddOut)
async def import_dnc(
    file: UploadFile,
    scope: Scope,
    caller: Caller,
    campaign_id: Annotated[int | None, Form(ge=1, le=MAX_INT)] = None,
    note: Annotated[str, Form(max_length=service.MAX_NOTE)] = "",
) -> dict[str, Any]:
    """One number per line (first CSV column); bad lines are reported, the others added."""
    require_tenant_admin(caller)
    campaign = await get_campaign_by_id(scope, campaign_id) if campaign_id else None
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed("the file is too large", error_id="dnc-file-too-large",
                               field="file")  # fmt: skip
    return await service.add_numbers(scope, service.numbers_of_file(data), campaign, note)


@router.delete("/{entry_id}", status_code=204)
async def delete_dnc(entry_id: IdPath, scope: Scope, caller: Caller) -> Response:
    require_tenant_admin(caller)
    await service.remove_entry(scope, await service.get_entry(scope, entry_id))
    return Response(status_code=204)
