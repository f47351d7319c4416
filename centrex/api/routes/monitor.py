"""Supervisor monitoring: `POST /api/v1/calls/{id}/monitor` `{"extension", "mode"}` rings the
supervisor's phone (auto-answer) and joins it to the call: listen (nobody hears the
supervisor), whisper (only the agent does), barge (both do). Issue 13 item 6.

Who may: a tenant administrator (any phone of the tenant that may monitor) or a user with the
supervisor role (its own phones only); the phone itself must be allowed to monitor (flagged
`supervisor`, or its user is a supervisor) — the call layer checks that, as for `*90N`
(`centrex.calls.features.monitor`). Another tenant's call is 404 like one that never existed;
a call that is not answered (ringing, already ended) is 409 or 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from fastapi import APIRouter, Path, Request
from pydantic import StringConstraints

from centrex.api.auth import Caller, Scope, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import Strict
from centrex.api.services import ApiServices
from centrex.calls.features.monitor_rules import api_refusal
from centrex.errors import Conflict, Forbidden

router = APIRouter(prefix="/api/v1/calls", tags=["call-control"], responses=PROBLEM_RESPONSES)

CallId = Annotated[str, Path(min_length=1, max_length=200)]
Number = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9]+$")]


@runtime_checkable
class CallMonitorSource(Protocol):
    """The call layer's monitoring (`LiveCallView.monitor`): raises `CentrexError`s (404
    another tenant's or an ended call, 403 a phone that may not monitor, 409 a call that cannot
    be monitored now)."""

    async def monitor(
        self, tenant_id: int, call_id: str, extension: str, mode: str
    ) -> dict[str, Any]: ...


class MonitorIn(Strict):
    extension: Number
    mode: Literal["listen", "whisper", "barge"]


@router.post("/{call_id}/monitor", status_code=202)
async def monitor(
    request: Request, call_id: CallId, body: MonitorIn, scope: Scope, caller: Caller
) -> dict[str, Any]:
    """Ring `extension` (the supervisor's phone, auto-answer) and join it to the call in
    `mode`; 202 while it rings (`monitor_call_id` is the supervisor's own call)."""
    mine = await own_extension_numbers(scope, caller)
    refusal = api_refusal(caller.role.value, mine, body.extension)
    if refusal is not None:
        raise Forbidden(refusal.reason, error_id=refusal.error_id)
    services: ApiServices = request.app.state.services
    source = services.control
    if not isinstance(source, CallMonitorSource):
        raise Conflict("monitoring is not available here", error_id="no-call-control")
    return await source.monitor(scope.tenant_id, call_id, body.extension, body.mode)
