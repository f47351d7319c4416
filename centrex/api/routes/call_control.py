"""Call control: `POST /api/v1/calls` (click-to-call) and `/api/v1/calls/{id}/transfer`,
`/transfer/complete|cancel`, `/park`, `/hold`, `/resume`, `/pickup` — for the switchboard,
CRM click-to-call, integrators.

The work is the call layer's (`centrex.calls.features.call_control`), reached through the
`CallControlSource` protocol. Who may do what: a tenant admin acts on any call of its tenant;
a plain user places calls from its own extensions and acts on calls one of its own extensions
is a party of (its own calls, as from its phone). Another tenant's call is 404 like a call that
never existed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import StringConstraints

from centrex.api.auth import Caller, Principal, Scope, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import Strict
from centrex.api.services import ApiServices
from centrex.data.tenancy import TenantScope
from centrex.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/v1/calls", tags=["call-control"], responses=PROBLEM_RESPONSES)

CallId = Annotated[str, Path(min_length=1, max_length=200)]
Number = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^\+?[0-9*#]+$")]
Party = Literal["caller", "callee"]


class OriginateIn(Strict):
    from_extension: Number
    to: Number


class TransferIn(Strict):
    to: Number
    mode: Literal["blind", "attended"] = "blind"
    party: Party | None = None


class PartyIn(Strict):
    party: Party | None = None


class PickupIn(Strict):
    extension: Number


def _svc(request: Request) -> ApiServices:
    services: ApiServices = request.app.state.services
    return services


async def _may_act(svc: ApiServices, scope: TenantScope, caller: Principal, call_id: str) -> None:
    """A plain user acts only on calls of its own extensions (404 for the others: a user does
    not learn which calls exist beyond its own)."""
    mine = await own_extension_numbers(scope, caller)
    if mine is None:
        return
    for call in await svc.calls.list(scope.tenant_id):
        if call.get("call_id") == call_id and {call.get("caller"), call.get("callee")} & mine:
            return
    raise NotFound(f"no live call {call_id}", error_id="call-not-found")


@router.post("", status_code=202)
async def originate(
    request: Request, body: OriginateIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Click-to-call: ring `from_extension`'s phones, then dial `to` for it (202: the call is
    ringing the originator; follow it on the events WebSocket or `GET /api/v1/calls`)."""
    mine = await own_extension_numbers(scope, caller)
    if mine is not None and body.from_extension not in mine:
        raise Forbidden(f"extension {body.from_extension} is not yours",
                        error_id="not-your-extension")  # fmt: skip
    return await _svc(request).control.originate(scope.tenant_id, body.from_extension, body.to)


@router.post("/{call_id}/transfer", status_code=202)
async def transfer(
    request: Request, call_id: CallId, body: TransferIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Transfer a party (default: the outside party, or the caller) to `to`; 202 while the
    target rings (`state`: ringing, connected or failed). `attended`: the party is held, the
    other party talks to the target first, then `…/transfer/complete` (or hangs up) hands
    over, `…/transfer/cancel` returns."""
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    return await svc.control.transfer(scope.tenant_id, call_id, body.to, body.mode, body.party)


@router.post("/{call_id}/transfer/complete")
async def complete_transfer(
    request: Request, call_id: CallId, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Finish an attended transfer: the held party and the consulted target are connected,
    the transferor leaves (409 while the target has not answered)."""
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    await svc.control.complete_transfer(scope.tenant_id, call_id)
    return {"call_id": call_id, "state": "transferred"}


@router.post("/{call_id}/transfer/cancel")
async def cancel_transfer(
    request: Request, call_id: CallId, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Give an attended transfer up: the held party is back with the transferor."""
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    await svc.control.cancel_transfer(scope.tenant_id, call_id)
    return {"call_id": call_id, "state": "resumed"}


@router.post("/{call_id}/park")
async def park(
    request: Request, call_id: CallId, scope: Scope, caller: Caller, body: PartyIn | None = None
) -> dict[str, Any]:
    """Park a party in the first free slot; answers the slot (dial it to retrieve)."""
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    party = body.party if body is not None else None
    slot = await svc.control.park(scope.tenant_id, call_id, party)
    return {"call_id": call_id, "slot": slot}


@router.post("/{call_id}/hold")
async def hold(
    request: Request, call_id: CallId, scope: Scope, caller: Caller, body: PartyIn | None = None
) -> dict[str, Any]:
    """Music on hold to a party, the other hears silence, until `/resume`."""
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    await svc.control.hold(scope.tenant_id, call_id, body.party if body is not None else None)
    return {"call_id": call_id, "held": True}


@router.post("/{call_id}/resume")
async def resume(request: Request, call_id: CallId, scope: Scope, caller: Caller) -> dict[str, Any]:
    svc = _svc(request)
    await _may_act(svc, scope, caller, call_id)
    await svc.control.resume(scope.tenant_id, call_id)
    return {"call_id": call_id, "held": False}


@router.post("/{call_id}/pickup", status_code=202)
async def pickup(
    request: Request, call_id: CallId, body: PickupIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Answer a ringing (or parked) call on `extension`: its phone is rung with auto-answer
    and takes the call (the switchboard's answer button)."""
    svc = _svc(request)
    mine = await own_extension_numbers(scope, caller)
    if mine is not None and body.extension not in mine:
        raise Forbidden(f"extension {body.extension} is not yours", error_id="not-your-extension")
    await svc.control.pickup(scope.tenant_id, call_id, body.extension)
    return {"call_id": call_id, "extension": body.extension}
