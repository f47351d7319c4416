"""/api/v1/dispositions and /api/v1/leads/{id}/disposition: call dispositions (issue 15 item 1).

* `GET /dispositions`: `{total, items: [{code, label, final, system}]}`, the system ones first;
* `POST /dispositions` `{"code", "label", "final"?}` adds a tenant code: 201 with `Location`;
  a code the tenant has or a system code is 409, a code that is not `[a-z0-9][a-z0-9-]{0,31}`
  422 (`disposition-bad-code`);
* `DELETE /dispositions/{code}`: 204; a system code is 409, an unknown one 404;
* `POST /leads/{id}/disposition` `{"disposition", "note"?}` dispositions a lead (effects:
  `centrex.contact_center.dispositions`) and answers the lead as `GET /leads/{id}` does.

Who may: tenant admins and supervisors manage the list and disposition any lead of the tenant;
an agent reads the list and dispositions only leads whose latest call its own extension took
(any other lead is 404, as another tenant's is); a plain user is 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, StringConstraints

from centrex.api.auth import Caller, Now, Principal, Scope, own_extension_ids
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.pagination import Page
from centrex.api.schemas import NO_CONTROL, IdPath, Strict, text
from centrex.contact_center import agent_sessions, lead_card, leads
from centrex.contact_center import dispositions as service
from centrex.data.models import Role
from centrex.errors import Forbidden

router = APIRouter(prefix="/api/v1", tags=["dispositions"], responses=PROBLEM_RESPONSES)

# loose bounds here (a NUL or an endless string never reaches the database); the exact rules and
# their error ids are the service's
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROL)]
CodePath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL)]
Label = Annotated[str, text(200, 1)]
Note = Annotated[str, text(service.MAX_NOTE)]


class DispositionIn(Strict):
    code: Code
    label: Label
    final: bool = True


class DispositionOut(BaseModel):
    code: str
    label: str
    final: bool
    system: bool


class LeadDispositionIn(Strict):
    disposition: Code
    note: Note | None = None


def _require_manager(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role is Role.SUPERVISOR):
        raise Forbidden("only a tenant administrator or a supervisor may do this")


def _require_agent(caller: Principal) -> None:
    if not (caller.is_tenant_admin or caller.role in (Role.SUPERVISOR, Role.AGENT)):
        raise Forbidden("only an agent, a supervisor or a tenant administrator may do this")


@router.get("/dispositions", response_model=Page[DispositionOut])
async def list_dispositions(scope: Scope, caller: Caller) -> dict[str, Any]:
    """The system dispositions, then the tenant's own by code."""
    _require_agent(caller)
    items = await service.list_dispositions(scope)
    return {"total": len(items), "items": items}


@router.post("/dispositions", status_code=201, response_model=DispositionOut)
async def add_disposition(
    body: DispositionIn, scope: Scope, caller: Caller, response: Response
) -> dict[str, Any]:
    _require_manager(caller)
    made = await service.add_disposition(scope, code=body.code, label=body.label,
                                         final=body.final)  # fmt: skip
    response.headers["Location"] = f"/api/v1/dispositions/{made['code']}"
    return made


@router.delete("/dispositions/{code}", status_code=204)
async def delete_disposition(code: CodePath, scope: Scope, caller: Caller) -> Response:
    _require_manager(caller)
    await service.remove_disposition(scope, code)
    return Response(status_code=204)


@router.post("/leads/{lead_id}/disposition")
async def set_lead_disposition(
    lead_id: IdPath, body: LeadDispositionIn, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    """Disposition a lead; the answer is the lead with its attempts, as `GET /leads/{id}`."""
    _require_agent(caller)
    mine = None if caller.role is Role.SUPERVISOR else await own_extension_ids(scope, caller)
    lead = await service.set_disposition(scope, lead_id, body.disposition, note=body.note,
                                         by_extension=mine, now=now)  # fmt: skip
    await agent_sessions.disposed(scope, lead.id, mine)  # the desktop owes nothing now
    names = await leads.campaign_names(scope)
    data = leads.lead_dict(lead, names.get(lead.campaign_id))
    history = await leads.lead_history(scope, lead)
    return {**_iso(data, "next_attempt_at"),
            "history": [_iso(h, "started_at", "ended_at") for h in history],
            **await lead_card.card_extras(scope, lead)}  # fmt: skip


def _iso(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {**data, **{k: data[k].isoformat() if data[k] is not None else None for k in keys}}
