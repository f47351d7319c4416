"""Caller identity: the name internal callees see, and withholding the number for one call
(issue 12 item 6).

* Name: a call placed by one of the tenant's extensions shows the extension's name (its
  `display_name`, set by the administrator) as the From display name on the tenant's phones,
  whatever the calling phone put in its own From — the directory is the truth. An extension
  without a name keeps what its phone sent. Calls from trunks keep the carrier's display name.
* Number towards carriers: the router's `choose_caller_id` already presents the extension's
  outbound caller ID (`extension update --caller-id`, refused unless the tenant owns the number)
  or the tenant's main number, as From user and P-Asserted-Identity.
* `*31<number>` (CLIR for one call, the usual European code): the number is routed as if
  dialled directly; a call leaving through the trunks carries an anonymous From
  (`"Anonymous" <sip:anonymous@anonymous.invalid>`, RFC 3323 §4.1.1.3) and `Privacy: id` next
  to the P-Asserted-Identity the carrier needs for emergency and legal interception
  (RFC 3325 §9.3): a trusted carrier removes it before the callee. The destination goes through
  the admission hooks again (call screening and barring see the real number, so `*31` bars
  nothing less), and the CDR becomes an outbound call to the number. Inside the tenant the call
  rings as dialled (an extension's colleagues still see who calls).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks, Handled, PlanPart
from centrex.calls.outbound import RingFailure, RingOwner
from centrex.calls.router import Destination, Reject, ToTrunks
from centrex.data.db import Database
from centrex.data.models import Direction, Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.sip.message import Response

log = logging.getLogger(__name__)

CLIR_CODE = "clir"
CLIR_PREFIX = "*31"


class Withheld:
    """The owner of a `*31` call's trunk attempt: the inner owner decides, the trunk INVITE
    withholds the caller's identity (`outbound.caller_withheld`), failover included."""

    withhold_caller_id = True

    def __init__(self, inner: RingOwner) -> None:
        self.inner = inner

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.inner.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        await self.inner.failed(call, failure)


class CallerIdentity:
    """The caller-ID feature: the name admission hook and the `*31` prefix."""

    name = "caller-id"

    def __init__(self, database: Database) -> None:
        self._database = database
        self._hooks: FeatureHooks | None = None

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.on_admit(self.name, self._name)
        hooks.contribute(self.name, self._codes)
        hooks.serve(CLIR_CODE, self._clir)

    def _require_hooks(self) -> FeatureHooks:
        if self._hooks is None:
            raise RuntimeError("the caller-ID feature is not attached to a call layer")
        return self._hooks

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(prefixes={CLIR_PREFIX: CLIR_CODE})

    async def _name(self, call: Call, destination: Destination) -> Destination | Handled:
        """An extension's call carries the extension's name to the tenant's phones."""
        if call.direction is Direction.INBOUND:
            return destination
        async with self._database.session() as session:
            scope = TenantScope(session, call.tenant_id, call.domain)
            extension = await scope.first(Extension, Extension.number == call.caller)
        if extension is not None and extension.display_name.strip():
            call.caller_name = extension.display_name.strip()
        return destination

    async def _clir(self, call: Call, number: str) -> None:
        """`*31<number>`: route `number` for the caller, withholding its identity outside."""
        hooks = self._require_hooks()
        actions = hooks.actions
        target = await actions.destination(call, number)
        if isinstance(target, Reject):
            await actions.reject(call, target.status, target.reason)
            return
        if isinstance(target, ToTrunks):
            call.direction = Direction.OUTBOUND
            call.callee = target.number
            if call.cdr_id is not None:  # it was opened as an internal call to "*31…"
                await actions.core.deps.cdrs.transferred(call.cdr_id, callee=target.number,
                                                         direction=Direction.OUTBOUND,
                                                         trunk_id=None)  # fmt: skip
        admitted = await hooks.admit(call, target)
        if admitted is None:
            return
        log.info("call %s: %s calls %s with its caller ID withheld", call.call_id, call.caller,
                 number)  # fmt: skip
        owner = Withheld(actions.direct) if isinstance(admitted, ToTrunks) else None
        await actions.go(call, admitted, owner)
