"""Short numbers: tenant-wide speed dials (`20` → +41446681800), issue 12 item 7.

Each row of the tenant's `short_numbers` becomes a number of its plan served by this feature;
dialling it is routed as if the caller had dialled the target itself (the tenant's routes and
trunks and the caller's caller ID through `CallActions.destination`, then the admission hooks
again, so screening and barring apply), so a short number never opens a way around what the
caller may dial; the CDR becomes the outbound call to the target. Extensions win over
short numbers in routing, and provisioning refuses a short number that is an extension's or a
ring group's number. Only the tenant's own phones use them: a trunk's call never dials one.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.call import Call
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.router import Reject, ToTrunks
from centrex.data.models import Direction, ShortNumber, Tenant
from centrex.data.tenancy import TenantScope

log = logging.getLogger(__name__)

SHORT_NUMBER_FEATURE = "short-number"


class ShortNumbers:
    """The short-number feature (register once per B2BUA)."""

    name = SHORT_NUMBER_FEATURE

    def __init__(self) -> None:
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.contribute(self.name, self._numbers)
        hooks.serve(SHORT_NUMBER_FEATURE, self._serve)

    async def _numbers(self, session: AsyncSession, tenant: Tenant) -> PlanPart:
        rows = await TenantScope(session, tenant.id, tenant.domain).list(ShortNumber)
        return PlanPart(numbers={r.number: (SHORT_NUMBER_FEATURE, r.target) for r in rows})

    async def _serve(self, call: Call, target: str) -> None:
        hooks = self._hooks
        assert hooks is not None, "attach() first"
        actions: CallActions = hooks.actions
        if call.direction is Direction.INBOUND:
            await actions.reject(call, 404, "short numbers are for the tenant's own phones")
            return
        destination = await actions.destination(call, target)
        if isinstance(destination, Reject):
            await actions.reject(call, destination.status, destination.reason)
            return
        if isinstance(destination, ToTrunks):
            call.direction = Direction.OUTBOUND
            call.callee = destination.number
            if call.cdr_id is not None:  # opened as an internal call to the short number
                await actions.core.deps.cdrs.transferred(call.cdr_id, callee=destination.number,
                                                         direction=Direction.OUTBOUND,
                                                         trunk_id=None)  # fmt: skip
        admitted = await hooks.admit(call, destination)
        if admitted is None:
            return  # screening or barring answered the caller
        log.info("call %s: short number → %s", call.call_id, target)
        await actions.go(call, admitted)
