"""/api/v1/agents/{extension}/state: an agent's state (ready, paused with a reason, logged
out), the same rows the phone's `*50`-`*53` codes change; `/api/v1/agents/pause-reasons`.

PUT `{"state": "paused", "reason": "lunch"}` (the reason by label or code; `"queue": "500"`
with `"state": "ready"` also joins that queue of the caller's tenant as a dynamic member). A
tenant admin manages every extension of its tenant, a user its own extensions; another tenant's
extension or queue is 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import StringConstraints

from centrex.api.auth import Caller, Now, Scope, Services, own_extension_numbers
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.api.schemas import NO_CONTROL, Strict
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.events import QueueChanged
from centrex.provisioning import queues as service

router = APIRouter(prefix="/api/v1/agents", tags=["agents"], responses=PROBLEM_RESPONSES)

Reason = Annotated[str, StringConstraints(max_length=64, pattern=NO_CONTROL)]
QueueNumber = Annotated[str, StringConstraints(min_length=2, max_length=10, pattern=r"^[0-9]+$")]


class StateIn(Strict):
    state: Literal["ready", "paused", "logged-out"]
    reason: Reason = ""
    queue: QueueNumber | None = None


async def _check_own(scope: TenantScope, caller: Any, extension: str) -> None:
    own = await own_extension_numbers(scope, caller)
    if own is not None and extension not in own:
        raise NotFound(f"extension {extension} not found", error_id="extension-not-found")


@router.get("/pause-reasons")
async def pause_reasons(scope: Scope, caller: Caller) -> dict[str, Any]:
    items = await service.pause_reasons(scope)
    return {"total": len(items), "items": items}


@router.get("/{extension}/state")
async def get_state(extension: str, scope: Scope, caller: Caller) -> dict[str, object]:
    await _check_own(scope, caller, extension)
    return await service.agent_state(scope, extension)


@router.put("/{extension}/state")
async def put_state(
    extension: str, body: StateIn, scope: Scope, caller: Caller, now: Now, svc: Services
) -> dict[str, object]:
    await _check_own(scope, caller, extension)
    result = await service.set_agent_state(scope, extension, state=body.state, now=now,
                                           reason=body.reason, queue=body.queue)  # fmt: skip
    await scope.session.commit()  # written before the wallboards hear of it and read it again
    svc.events.publish(QueueChanged(scope.tenant_id, state="agent", extension=extension))
    return result
