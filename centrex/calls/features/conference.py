"""Conference rooms as a call feature: the router sends a room's number to the `conference`
app (issue 13, item 2).

* Plan: every room's number is contributed to its tenant's plan (`PlanPart`), so a phone of
  the tenant dialling `800` reaches `ToFeature("conference", "800")`; an extension with the
  same number would win (router rule; provisioning refuses such a number anyway). Another
  tenant's 800 is in another plan: a phone of tenant B dialling 800 never reaches A's room.
* Serving: the call is handed to the `conference` app (`apps/conference`, reached by name
  through the launcher) with the room's number as its argument; the app answers, asks the
  PIN and joins the caller to the room's mixer. Without the app (a call layer wired without
  it) the caller gets 501.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from centrex.calls.features import FeatureHooks, PlanPart
from centrex.data.models import Conference
from centrex.data.tenancy import TenantScope

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.calls.call import Call
    from centrex.data.models import Tenant

log = logging.getLogger(__name__)

CONFERENCE_FEATURE = "conference"
CONFERENCE_APP = "conference"


class ConferenceRooms:
    """Routes the tenant's room numbers to the conference app."""

    name = "conference"

    def __init__(self) -> None:
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.contribute(self.name, self._contribute)
        hooks.serve(CONFERENCE_FEATURE, self._serve)

    async def _contribute(self, session: AsyncSession, tenant: Tenant) -> PlanPart:
        rooms = await TenantScope(session, tenant.id, tenant.domain).list(Conference)
        return PlanPart(numbers={r.number: (CONFERENCE_FEATURE, r.number) for r in rooms})

    async def _serve(self, call: Call, number: str) -> None:
        assert self._hooks is not None
        actions = self._hooks.actions
        if not actions.apps.available(CONFERENCE_APP):
            log.warning("call %s: conference %s but no conference app", call.call_id, number)
            await actions.reject(call, 501, "conferences are not available")
            return
        await actions.run_app(call, CONFERENCE_APP, extension=number)
