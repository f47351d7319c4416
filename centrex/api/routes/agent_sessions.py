"""/api/v1/agents/{extension}/session and /api/v1/agents/sessions: the agent desktop's session
(issue 16; the state machine is `centrex.contact_center.agent_sessions`).

* `GET /agents/{extension}/session` → `{"extension", "campaigns": [{"id", "name"}], "phone",
  "state", "reason", "since", "seconds_in_state", "lead_id", "campaign_id", "call_id",
  "wrap_required"}` (a never-logged-in extension is `logged-out`);
* `PUT` the same path `{"campaigns": [ids]?, "phone": "browser"|"extension"?, "state":
  "ready"|"paused"|"logged-out", "reason"?}`: logging in is a PUT with campaigns and a state;
  a pause needs one of the tenant's pause reasons (422 `agent-bad-pause-reason`), ready is 409
  `disposition-required` while the last call's lead has no disposition;
* `GET /agents/sessions` → `{"total", "items": [session...]}`: supervisors and tenant admins;
* `POST /agents/{extension}/session/hangup`: ends the session's current call (204).

An agent (or user) reaches its own extensions only; a supervisor and a tenant admin every
extension of the tenant; another tenant's extension or campaign is 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field, StringConstraints

from centrex.api.auth import Caller, Now, Principal, Scope, Services, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import NO_CONTROL, RefId, Strict
from centrex.contact_center import agent_sessions as service
from centrex.data.models import Role
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, NotFound
from centrex.events import QueueChanged

router = APIRouter(prefix="/api/v1/agents", tags=["agents"], responses=PROBLEM_RESPONSES)

Reason = Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)]


class SessionIn(Strict):
    state: Literal["ready", "paused", "logged-out"]
    reason: Reason = ""
    campaigns: Annotated[list[RefId], Field(max_length=service.MAX_CAMPAIGNS)] | None = None
    phone: Literal["browser", "extension"] | None = None


def _manager(caller: Principal) -> bool:
    return caller.is_tenant_admin or caller.role is Role.SUPERVISOR


async def _check_own(scope: TenantScope, caller: Principal, extension: str) -> None:
    if _manager(caller):
        return
    own = await own_extension_numbers(scope, caller)
    if own is not None and extension not in own:
        raise NotFound(f"extension {extension} not found", error_id="extension-not-found")


@router.get("/sessions")
async def list_sessions(scope: Scope, caller: Caller, now: Now) -> dict[str, Any]:
    """Every agent session of the tenant (the supervisor's floor)."""
    if not _manager(caller):
        raise Forbidden("only a supervisor or a tenant administrator may do this")
    items = await service.list_sessions(scope, now)
    return {"total": len(items), "items": items}


@router.get("/{extension}/session")
async def get_session(extension: str, scope: Scope, caller: Caller, now: Now) -> dict[str, Any]:
    await _check_own(scope, caller, extension)
    return await service.get_session(scope, extension, now)


@router.put("/{extension}/session")
async def put_session(
    extension: str, body: SessionIn, scope: Scope, caller: Caller, now: Now, svc: Services
) -> dict[str, Any]:
    await _check_own(scope, caller, extension)
    result = await service.set_session(scope, extension, state=body.state, now=now,
                                       reason=body.reason, campaigns=body.campaigns,
                                       phone=body.phone)  # fmt: skip
    await scope.session.commit()  # written before the wallboards hear of it and read it again
    svc.events.publish(QueueChanged(scope.tenant_id, state="agent", extension=extension))
    return result


@router.post("/{extension}/session/hangup", status_code=204)
async def hang_up(
    extension: str, scope: Scope, caller: Caller, now: Now, svc: Services
) -> Response:
    """Hang up the session's current call (F4 on the desktop with a desk phone): the agent's
    own call only, so no tenant-wide call control is needed; no call is 404 `call-not-found`."""
    await _check_own(scope, caller, extension)
    session = await service.get_session(scope, extension, now)
    call_id = str(session["call_id"] or "")
    if (
        session["state"] != "in-call"
        or not call_id
        or not await svc.calls.hangup(scope.tenant_id, call_id)
    ):
        raise NotFound(f"extension {extension} has no call in progress", error_id="call-not-found")
    return Response(status_code=204)
