"""Call pickup: answer a colleague's ringing phone from your own (issue 12, item 4).

Theory of operation
-------------------
* Plan: the feature contributes `*8` (group pickup) and the prefix `**` (directed pickup,
  `**102`) to every tenant's plan; the router sends them here as `ToFeature("pickup", "")`
  and `ToFeature("pickup", "102")`.
* Group pickup: the picker's extension names a pickup group (`extensions.pickup_group`, set
  with `centrex extension update --pickup-group NAME`); `*8` takes the oldest call RINGING
  any other extension of the same group of the same tenant. An extension in no group gets
  404 with a Warning.
* Directed pickup: `**N` takes the oldest call ringing extension N of the picker's own
  tenant, whatever N's group (any extension of the tenant may be picked up this way, as on
  most PBXs; the group only scopes `*8`).
* Which calls ring is asked of the live state (`LiveState.ringing`: EARLY dialogs of calls to
  the extension, which `live_dialogs.py` keeps), always with the picker's tenant: another
  tenant's ringing call is never seen, let alone picked up. The call found is looked up with
  `CallActions.find(call_id, tenant)`, which refuses another tenant's call as well.
* Taking it: the ringing forks get CANCEL (RFC 3261 §9.1, the phones stop ringing), the
  caller gets its 200 with an SDP answer made for the picker's leg (the call is answered now:
  CDR answer time, call timers, `answered` hooks), and the picker's dialog moves into that
  call as its side B (`adopt.py`); the picker's own `*8` call ends as `picked-up`. The rung
  extension's dialog of the call is terminated in the live state (its lamp stops ringing).
* Nothing to pick up: 480 Temporarily Unavailable with a Warning (a call that stopped ringing
  meanwhile is skipped in favour of the next one).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, CallState
from centrex.calls.connect import session_timer_headers
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.features.adopt import adopt_caller, answer_sdp
from centrex.calls.leg import CallAction, CallInput, TimerKind
from centrex.calls.live_state import DialogPhase, ExtensionDialog
from centrex.data.db import Database
from centrex.data.models import Direction, Extension, HangupSide, Tenant
from centrex.data.tenancy import TenantScope
from centrex.media.engine import NoCommonCodecError
from centrex.sip.errors import SipParseError

log = logging.getLogger(__name__)

PICKUP_FEATURE = "pickup"
GROUP_CODE = "*8"
DIRECTED_PREFIX = "**"


class CallPickup:
    """The pickup feature: `*8` and `**N`."""

    name = "pickup"

    def __init__(self, database: Database) -> None:
        self._database = database
        self._hooks: FeatureHooks | None = None

    @property
    def actions(self) -> CallActions:
        if self._hooks is None:
            raise RuntimeError("the pickup feature is not attached")
        return self._hooks.actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.contribute(self.name, self._codes)
        hooks.serve(PICKUP_FEATURE, self._serve)

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(
            numbers={GROUP_CODE: (PICKUP_FEATURE, "")},
            prefixes={DIRECTED_PREFIX: PICKUP_FEATURE},
        )

    async def _serve(self, call: Call, argument: str) -> None:
        actions = self.actions
        if call.direction is Direction.INBOUND:
            await actions.reject(call, 403, "pickup is for the tenant's own phones")
            return
        if argument:
            targets = [argument] if argument != call.caller else []
        else:
            group, targets = await self._group(call)
            if group is None:
                log.info("call %s: %s is in no pickup group", call.call_id, call.caller)
                await actions.reject(call, 404, f"extension {call.caller} is in no pickup group")
                return
        for extension, call_id in await actions.live.ringing(call.tenant_id, targets):
            ringing = actions.find(call_id, call.tenant_id)  # this tenant's calls only
            if ringing is None or ringing is call or not self._can_pick(ringing):
                continue
            if ringing.caller == call.caller and ringing.direction is not Direction.INBOUND:
                continue  # the picker's own call, ringing its colleague
            await self.pick(call, ringing, extension)
            return
        what = f"extension {argument}" if argument else "your pickup group"
        log.info("call %s: nothing ringing for %s in %s", call.call_id, what, call.domain)
        await actions.reject(call, 480, f"no call is ringing {what}")

    async def _group(self, call: Call) -> tuple[str | None, list[str]]:
        """The picker's pickup group and the other extensions in it (same tenant)."""
        async with self._database.session() as session:
            scope = TenantScope(session, call.tenant_id, call.domain)
            own = await scope.first(Extension, Extension.number == call.caller)
            if own is None or not own.pickup_group:
                return None, []
            members = await scope.list(Extension, Extension.pickup_group == own.pickup_group)
        return own.pickup_group, [m.number for m in members if m.number != call.caller]

    @staticmethod
    def _can_pick(call: Call) -> bool:
        """A call still ringing its callee (not an app's transfer, not answered)."""
        return call.state is CallState.RINGING and call.a.media is not None and call.b is None

    async def pick(self, picker: Call, ringing: Call, extension: str) -> None:
        """`picker`'s caller answers `ringing` in place of `extension` (module docstring).
        Everything up to the caller's 200 happens without awaiting, so the ringing call cannot
        end half-way."""
        actions = self.actions
        core = actions.core
        sdp = answer_sdp(actions, picker, ringing)
        if sdp is None or picker.a.media is None or ringing.a.media is None:
            await actions.reject(picker, 488, "no common codec with the ringing call")
            return
        try:
            caller_sdp = core.engine.answer_for(ringing.a.media, ringing.a.invite.body,
                                                peer=picker.a.media).serialize()  # fmt: skip
        except (NoCommonCodecError, SipParseError, ValueError) as exc:
            log.info("call %s: pickup media refused: %s", picker.call_id, exc)
            await actions.reject(picker, 488, "no common codec with the ringing call")
            return
        ringing.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(ringing)
        ringing.pending_trunks = []
        if core.move(ringing, CallInput.ANSWER) is not CallAction.CONNECT:
            await actions.reject(picker, 480, "the call stopped ringing")
            return
        ringing.answered_at = core.now()
        core.answer_caller(ringing, caller_sdp, session_timer_headers(ringing.a.invite))
        actions.direct.arm_call_timers(ringing)
        log.info("call %s: %s picks up the call ringing %s", ringing.call_id, picker.caller,
                 extension)  # fmt: skip
        side = await adopt_caller(actions, picker, ringing, sdp, "picked-up")
        if ringing.cdr_id is not None and ringing.answered_at is not None:
            await core.deps.cdrs.answered(ringing.cdr_id, ringing.answered_at, None)
        stopped = ExtensionDialog(ringing.call_id, DialogPhase.TERMINATED, False,
                                  ringing.caller, core.monotonic())  # fmt: skip
        await actions.live.set_dialog(ringing.tenant_id, extension, stopped)
        if side is None:
            await actions.ending.hang_up(ringing, cause="pickup-failed", who=HangupSide.SYSTEM)
            return
        core.event(ringing, "answered")
        core.spawn(core.hooks.answered(ringing, side), ringing)
