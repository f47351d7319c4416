"""/api/v1/callbacks: scheduled callbacks of outbound campaigns (issue 15 item 5).

`POST` promises a callback to a lead of a campaign: `campaign_id`, the lead by `lead_id` or
`number`, `at` ("YYYY-MM-DDTHH:MM" in the *lead's* local time; at or before now there: 422
`callback-in-the-past`), optional `extension` (personal; else campaign-wide) and `note`.
`GET` lists by due time (`campaign_id`, `status` filters), `DELETE /{id}` cancels.

Tenant admins see and manage every callback; a plain user only personal callbacks of its own
extensions — it may promise one only for its own extension (else 403), and another's callback
is 404. An agent (the desktop, issue 16) promises callbacks in the campaigns it is an agent of
(`lead_card.reaches_campaign`: directly or through a group): personal (its own extension; another
one's is 403) or for anyone of the campaign; another campaign is 404 `campaign-not-found`.
Another tenant's campaign, lead or callback is 404; another tenant's extension 422
`callback-agent-unknown`. Rules and errors: `centrex.contact_center.callbacks`.

Who promised it is recorded (`promised_by`, issue 16: the desktop's notice names them): a
person's name and extension ("Alice Agent (102)": the callback's extension when it is theirs,
else their first), a provider's staff login by its name, a token without a user by its role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StringConstraints

from centrex.api.auth import (
    Caller,
    Now,
    Principal,
    Scope,
    own_extension_ids,
    own_extension_numbers,
)
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Listing, Page, paginate
from centrex.api.schemas import MAX_INT, NO_CONTROL, IdPath, Strict
from centrex.contact_center import callbacks as service
from centrex.contact_center import lead_card
from centrex.contact_center.campaigns import get_campaign_by_id
from centrex.data.models import Campaign, Extension, Role, User
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, NotFound, ValidationFailed

router = APIRouter(prefix="/api/v1/callbacks", tags=["callbacks"], responses=PROBLEM_RESPONSES)

LocalTime = Annotated[str, StringConstraints(min_length=10, max_length=19,
                                             pattern=r"^[0-9T :-]+$")]  # fmt: skip
LeadNumber = Annotated[str, StringConstraints(min_length=3, max_length=32,
                                              pattern=r"^[0-9 +().-]+$")]  # fmt: skip
ExtensionNumber = Annotated[str, StringConstraints(min_length=1, max_length=10,
                                                   pattern=r"^[0-9]+$")]  # fmt: skip
Note = Annotated[str, StringConstraints(max_length=service.MAX_NOTE, pattern=NO_CONTROL)]


class CallbackIn(Strict):
    campaign_id: int = Field(ge=1, le=MAX_INT)
    lead_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    number: LeadNumber | None = None
    at: LocalTime
    extension: ExtensionNumber | None = None
    note: Note = ""


class CallbackOut(BaseModel):
    id: int
    campaign: str
    campaign_id: int
    lead_id: int
    number: str
    name: str
    extension: str | None
    scope: str
    due_at: datetime
    local_time: str
    zone: str
    status: str
    attempts: int
    note: str
    promised_by: str | None  # None: promised before it was recorded


@router.get("", response_model=Page[CallbackOut])
async def list_callbacks(
    scope: Scope,
    caller: Caller,
    query: Listing,
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    campaign = await get_campaign_by_id(scope, campaign_id) if campaign_id else None
    mine = await own_extension_ids(scope, caller)
    items = await service.list_callbacks(
        scope, campaign=campaign, status=status, extension_ids=mine
    )
    return paginate(items, query, orders=("due_at", "id"), default="due_at",
                    searchable=("number", "name"))  # fmt: skip


@router.post("", status_code=201, response_model=CallbackOut)
async def create_callback(
    body: CallbackIn, scope: Scope, caller: Caller, now: Now, response: Response
) -> dict[str, Any]:
    """Promise a callback; a plain user only for one of its own extensions, an agent also
    for anyone of its campaigns."""
    if (body.lead_id is None) == (body.number is None):
        raise ValidationFailed("give the lead by lead_id or by number",
                               error_id="callback-no-lead", field="lead_id")  # fmt: skip
    campaign = await _campaign_for(scope, caller, body)
    lead: str | int = body.lead_id if body.lead_id is not None else str(body.number)
    by = await _promiser(scope, caller, body.extension)
    made = await service.schedule_callback(scope, campaign, lead=lead, at=body.at, now=now,
                                           extension=body.extension, note=body.note,
                                           promised_by=by)  # fmt: skip
    response.headers["Location"] = f"/api/v1/callbacks/{made['id']}"
    return made


async def _promiser(scope: TenantScope, caller: Principal, extension: str | None) -> str:
    """The caller's display name for `promised_by` (module docstring)."""
    if caller.user_id is not None:
        user = await scope.first(User, User.id == caller.user_id)
        if user is not None:
            rows = await scope.list(Extension, Extension.user_id == user.id)
            numbers = sorted(row.number for row in rows)
            if extension in numbers:
                numbers = [str(extension)]
            return f"{user.name} ({numbers[0]})" if numbers else user.name
    if caller.key.startswith("staff:"):
        return caller.name
    return caller.role.value


async def _campaign_for(scope: TenantScope, caller: Principal, body: CallbackIn) -> Campaign:
    """The campaign of a promise, once the caller may make it (module docstring)."""
    mine = await own_extension_numbers(scope, caller)
    anyone = caller.role is Role.AGENT and body.extension is None
    if mine is not None and not anyone and (body.extension is None or body.extension not in mine):
        raise Forbidden("a user may only promise a callback to one of its own extensions")
    campaign = await get_campaign_by_id(scope, body.campaign_id)
    if caller.role is Role.AGENT:
        ids = await own_extension_ids(scope, caller) or set()
        if not await lead_card.reaches_campaign(scope, campaign.id, ids):
            raise NotFound(f"campaign {campaign.id} not found", error_id="campaign-not-found")
    return campaign


@router.delete("/{callback_id}", status_code=204)
async def delete_callback(callback_id: IdPath, scope: Scope, caller: Caller) -> Response:
    """Cancel a callback (a user: only one of its own extensions')."""
    found = await service.get_callback(scope, callback_id, await own_extension_ids(scope, caller))
    await service.remove_callback(scope, found)
    return Response(status_code=204)
