"""Intercom: `*80N` calls extension N of the caller's tenant and its phone answers by itself.

Theory of operation (issue 12 item 9):

* Auto-answer is asked of the callee's phone, not done by Centrex: the INVITEs to N's
  registered phones carry `Call-Info: <sip:DOMAIN>;answer-after=0` (the Call-Info form
  Polycom, Yealink, Snom, Grandstream and Cisco understand) and `Alert-Info:
  <http://127.0.0.1>;info=alert-autoanswer;delay=0` (the form of Broadsoft-style phones).
  A phone that ignores both simply rings, as for a normal call.
* An intercom call is a quick word between colleagues: it never leaves the tenant and it does
  not follow N's personal treatment. N in DND or busy with call waiting off is 486, N
  forwarded always is 480 (its phones would not ring), N not registered 480, each with a
  Warning; no voicemail, no forward, no outside number. Ringing is rung like a group member
  (`features.group_member`): the hooks only report whether N is available.
* The call is answered and bridged like a direct call (`CallActions.direct`); its CDR and
  busy lamps are those of an internal call from the caller to N.
* Only the tenant's own phones may use it: a call from a trunk dialling `*80…` is 403, an
  unknown N is 404, the caller's own number 486.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.leg import CallState
from centrex.calls.outbound import RingFailure, RingTarget
from centrex.calls.router import ToExtension
from centrex.data.models import Direction, Tenant
from centrex.sip.message import Response

log = logging.getLogger(__name__)

INTERCOM_FEATURE = "intercom"
INTERCOM_PREFIX = "*80"
RING_SECONDS = 20.0  # a phone that does not auto-answer rings this long


def auto_answer_headers(domain: str) -> tuple[tuple[str, str], ...]:
    """The headers that ask a phone to answer at once (module docstring)."""
    return (
        ("Call-Info", f"<sip:{domain}>;answer-after=0"),
        ("Alert-Info", "<http://127.0.0.1>;info=alert-autoanswer;delay=0"),
    )


class Availability:
    """Asks N's ring hooks whether it may be rung, as for a group member: DND, call waiting
    off or forward always answer `failed` here instead of their own treatment."""

    group_member = True

    def __init__(self) -> None:
        self.refused: RingFailure | None = None

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        raise AssertionError("an availability probe never rings")  # pragma: no cover

    async def failed(self, call: Call, failure: RingFailure) -> None:
        self.refused = failure


class IntercomRing:
    """The owner of an intercom call's ring: answered → bridged like a direct call, any
    failure → the caller gets the status (no voicemail, no forward)."""

    def __init__(self, actions: CallActions, domain: str) -> None:
        self.actions = actions
        self.ring_headers = auto_answer_headers(domain)

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.actions.direct.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        if call.state is not CallState.ENDED:
            await self.actions.reject(call, failure.status, f"intercom: {failure.reason}")


class Intercom:
    """The `*80N` feature (register once per B2BUA)."""

    name = INTERCOM_FEATURE

    def __init__(self) -> None:
        self._actions: CallActions | None = None

    @property
    def actions(self) -> CallActions:
        assert self._actions is not None, "attach() first"
        return self._actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._actions = hooks.actions
        hooks.contribute(self.name, self._codes)
        hooks.serve(INTERCOM_FEATURE, self._serve)

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(prefixes={INTERCOM_PREFIX: INTERCOM_FEATURE})

    async def _serve(self, call: Call, number: str) -> None:
        actions = self.actions
        if call.direction is Direction.INBOUND:
            await actions.reject(call, 403, "intercom is for the tenant's own phones")
            return
        destination = await actions.destination(call, number)
        if not isinstance(destination, ToExtension):
            await actions.reject(call, 404, f"intercom: {number} is no extension of the tenant")
            return
        if destination.number == call.caller:
            await actions.reject(call, 486, "intercom: that is your own extension")
            return
        if not actions.registered(call.tenant_id, destination.number):
            await actions.reject(call, 480, f"intercom: {destination.number} is not registered")
            return
        probe = Availability()
        if await actions.ring_hooks(call, destination.number, probe) is None or probe.refused:
            refused = probe.refused
            status = refused.status if refused is not None else 480
            reason = refused.reason if refused is not None else "not available"
            log.info("call %s: intercom to %s refused: %s", call.call_id, number, reason)
            await actions.reject(call, status, f"intercom: {reason}")
            return
        if call.state is CallState.ENDED:
            return
        call.callee = destination.number
        owner = IntercomRing(actions, call.domain)
        log.info("call %s: intercom %s → %s", call.call_id, call.caller, destination.number)
        await actions.ring_targets(call, [RingTarget(destination.number)], owner, RING_SECONDS)
