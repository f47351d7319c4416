"""Ring groups: a number of the tenant's plan (`600`) that rings several members (issue 12, 3).

Theory of operation
-------------------
* Plan: every group's number is contributed to its tenant's plan (`PlanPart`), so the router
  sends a call to `600` here (`ToFeature("ring-group", "600")`); an extension with the same
  number wins (router rule). An app's transfer to a ring group (an IVR flow's `ring_group`
  target: the group's number or name) comes in through `serve_ring` with the transfer's owner.
* Steps: the group's strategy (`ring_strategies.py`, pure) turns its members into steps; a
  step's members ring together (`CallActions.ring_targets`: every registered phone of an
  extension, one trunk attempt per outside number) under one RING deadline of the group's
  `ring_seconds`, driven by the B2BUA's clock like every call timer. The first 2xx wins and
  the other forks get CANCEL (RFC 3261 §9.1), as for a forked extension. A step that ends
  unanswered (its deadline, or every member refused) starts the next step at once.
* Skipped members: before its step rings, the caller itself (a member calling its group),
  an extension member whose presence is BUSY (in a call) or OFFLINE (nothing registered) are
  skipped; then the extension-ring hooks are asked with a `group_member` owner
  (`features.group_member`): DND or a forward-always report the member refused there (their
  personal treatment does not apply to a group) and it is skipped too. An outside member that
  the tenant's routing cannot reach (no route, barred) is skipped. A step whose members are
  all skipped costs no time.
* Nobody answered after the last step: the fallback — an extension or a number (rung as the
  caller's own call would be, `CallActions.go`; if nobody answers that either the caller gets
  its status), `voicemail[:N]` (N's mailbox, by default the first extension member's) or
  `flow:NAME` (the tenant's IVR flow NAME); with no fallback the caller gets 480. Under an
  app's transfer only an extension or number fallback applies; otherwise the app is told
  "no answer" and keeps its caller.
* State kept by this feature, per tenant and per worker (a shared implementation would move
  it to `LiveState`): the member that answered each group last (round-robin), and when each
  extension's last answered call ended (longest-idle: *idle since* that instant; never since
  the server started counts as idle forever). A member that answers a group call is recorded
  in the live state as in a call (CONFIRMED dialog) until the call ends, so presence, busy
  lamps and later group calls see it busy.
* Strategy `page` (paging): not rung here but by `paging.py` — every member's phone answers by
  itself, every member that answers hears the caller, nobody is heard back; no fallback (an
  unanswered page is 480), and an app's transfer to a page group is refused (403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, CallState, SipSide
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.features.paging import Paging
from centrex.calls.features.ring_strategies import RingContext, steps_for
from centrex.calls.leg import TimerKind
from centrex.calls.live_state import DialogPhase, ExtensionDialog, Presence
from centrex.calls.outbound import RingFailure, RingOwner, RingResult, RingTarget
from centrex.calls.router import ToTrunks
from centrex.calls.transfer import RING_GROUP_FEATURE
from centrex.data.db import Database
from centrex.data.models import Direction, Disposition, RingGroup, RingGroupMember, Tenant
from centrex.data.tenancy import TenantScope
from centrex.sip.message import Response

log = logging.getLogger(__name__)

PAGE = "page"  # the strategy served by `paging.py` instead of `GroupRing`
SKIPPED_PRESENCE = frozenset({Presence.BUSY, Presence.OFFLINE, Presence.DND})


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """A group as one call rings it (read once when the call arrives)."""

    number: str
    strategy: str
    ring_seconds: int
    fallback: str | None
    members: tuple[str, ...]


async def load_group(scope: TenantScope, key: str) -> GroupConfig | None:
    """The group of this tenant whose number (else name) is `key`; None when there is none."""
    group = await scope.first(RingGroup, RingGroup.number == key)
    if group is None:
        group = await scope.first(RingGroup, RingGroup.name == key)
    if group is None:
        return None
    rows = await scope.list(
        RingGroupMember, RingGroupMember.group_id == group.id, order_by=RingGroupMember.position
    )
    return GroupConfig(
        group.number,
        group.strategy.value,
        group.ring_seconds,
        group.fallback,
        tuple(row.target for row in rows),
    )


def is_outside(member: str) -> bool:
    """An E.164 member (rung through the trunks); anything else is an extension number."""
    return member.startswith("+")


class RingGroups:
    """The ring-group feature: plan numbers, the calls to them, the strategies' state."""

    name = "ring-group"

    def __init__(self, database: Database, monotonic: Callable[[], float]) -> None:
        self._database = database
        self._monotonic = monotonic
        self._hooks: FeatureHooks | None = None
        self._last_answered: dict[tuple[int, str], str] = {}
        self._idle_since: dict[tuple[int, str], float] = {}
        self._in_call: dict[str, tuple[int, str]] = {}  # call id → (tenant, answering member)
        self._paging: Paging | None = None

    @property
    def actions(self) -> CallActions:
        if self._hooks is None:
            raise RuntimeError("the ring-group feature is not attached")
        return self._hooks.actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        self._paging = Paging(hooks.actions)
        hooks.contribute(self.name, self._contribute)
        hooks.serve(RING_GROUP_FEATURE, self._serve)
        hooks.serve_ring(RING_GROUP_FEATURE, self.ring)
        hooks.on_ended(self.name, self._ended)

    async def _contribute(self, session: AsyncSession, tenant: Tenant) -> PlanPart:
        scope = TenantScope(session, tenant.id, tenant.domain)
        groups = await scope.list(RingGroup)
        return PlanPart(numbers={g.number: (RING_GROUP_FEATURE, g.number) for g in groups})

    async def _serve(self, call: Call, argument: str) -> None:
        await self.ring(call, argument, self.actions.direct)

    async def ring(self, call: Call, key: str, owner: RingOwner) -> None:
        """Ring the group `key` (number or name) of the call's tenant under `owner`."""
        async with self._database.session() as session:
            config = await load_group(TenantScope(session, call.tenant_id, call.domain), key)
        if config is None:
            log.info("call %s: no ring group %s in tenant %s", call.call_id, key, call.domain)
            await owner.failed(call, RingFailure(RingResult.DECLINED, 404,
                                                 f"ring group {key} does not exist"))  # fmt: skip
            return
        if config.strategy == PAGE and self._paging is not None:
            if owner is not self.actions.direct:
                await owner.failed(call, RingFailure(RingResult.DECLINED, 403,
                                                     "a page group takes no transfer"))  # fmt: skip
                return
            await self._paging.page(call, config)
            return
        context = RingContext(
            last_answered=self._last_answered.get((call.tenant_id, config.number)),
            idle_since={
                m: self._idle_since[(call.tenant_id, m)]
                for m in config.members
                if (call.tenant_id, m) in self._idle_since
            },
        )
        steps = steps_for(config.strategy, config.members, context)
        log.debug("call %s: ring group %s (%s) steps %s", call.call_id, config.number,
                  config.strategy, steps)  # fmt: skip
        await GroupRing(self, call, config, owner, list(steps)).next_step()

    # ---- what the strategies remember ---------------------------------------------------------
    async def answered_by(self, call: Call, config: GroupConfig, member: str | None) -> None:
        """`member` answered a call to the group: round-robin starts after it next time, and it
        is in a call for presence until the call ends."""
        if member is None:
            return
        self._last_answered[(call.tenant_id, config.number)] = member
        if is_outside(member):
            return
        self._in_call[call.call_id] = (call.tenant_id, member)
        dialog = ExtensionDialog(call.call_id, DialogPhase.CONFIRMED, False, call.caller,
                                 self._monotonic())  # fmt: skip
        await self.actions.live.set_dialog(call.tenant_id, member, dialog)

    async def _ended(self, call: Call) -> None:
        if self._paging is not None:
            await self._paging.ended(call)
        now = self._monotonic()
        member = self._in_call.pop(call.call_id, None)
        if member is not None:
            dialog = ExtensionDialog(call.call_id, DialogPhase.TERMINATED, False, call.caller, now)
            await self.actions.live.set_dialog(member[0], member[1], dialog)
        if call.answered_at is None:
            return  # a call nobody answered leaves everyone as idle as before
        parties = {call.callee}
        if call.direction is not Direction.INBOUND:
            parties.add(call.caller)
        if call.b is not None and call.b.trunk is None:
            parties.add(call.b.peer)
        for party in parties:
            self._idle_since[(call.tenant_id, party)] = now


@dataclass(eq=False)
class MemberProbe:
    """The owner a member's ring hooks see: marks the ring as a group member's, so DND and
    forwarding refuse it here (`failed`) instead of treating the caller themselves."""

    group: GroupRing
    refused: RingFailure | None = None
    group_member = True

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.group.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        self.refused = failure


@dataclass(eq=False)
class GroupRing:
    """The `RingOwner` of one call's ringing of one group: step after step, then fallback."""

    feature: RingGroups
    call: Call
    config: GroupConfig
    base: RingOwner  # the caller's own call (`DirectCall`) or an app's transfer
    steps: list[tuple[str, ...]]
    members: dict[str, str] = field(default_factory=dict)  # side label → member
    finished: bool = False

    @property
    def direct(self) -> bool:
        return self.base is self.feature.actions.direct

    async def next_step(self) -> None:
        """Ring the next step that has a member able to ring; after the last, the fallback."""
        actions = self.feature.actions
        call = self.call
        while self.steps and call.state is not CallState.ENDED:
            step = self.steps.pop(0)
            ringing: list[tuple[str, RingTarget]] = []
            for member in step:
                target = await self._target(member)
                if self._gone():
                    return
                if target is not None:
                    ringing.append((member, target))
            if not ringing:
                continue
            targets = [target for _, target in ringing]
            placed = await actions.ring_targets(call, targets, self, self.config.ring_seconds)
            for target, side in placed:
                member = next(m for m, t in ringing if t is target)
                self.members[side.label] = member
            return  # placed: its answer or failure moves on; none placed: `failed` moved on
        if call.state is not CallState.ENDED:
            await self._fallback()

    def _gone(self) -> bool:
        """The caller left (or a hook ended the call) while we looked a member up."""
        return self.call.state is CallState.ENDED

    async def _target(self, member: str) -> RingTarget | None:
        """How `member` rings now, or None when it is skipped (see the module docstring)."""
        actions = self.feature.actions
        call = self.call
        if is_outside(member):
            destination = await actions.destination(call, member)
            if isinstance(destination, ToTrunks):
                return RingTarget(destination.number, destination.trunks, destination.caller_id)
            log.info("call %s: group member %s not reachable: %s", call.call_id, member,
                     destination)  # fmt: skip
            return None
        if member == call.caller and call.direction is not Direction.INBOUND:
            return None  # the caller is a member: its own phone does not ring
        registered = actions.registered(call.tenant_id, member)
        presence = await actions.live.presence(call.tenant_id, member, registered=registered)
        if presence in SKIPPED_PRESENCE:
            log.debug("call %s: group member %s skipped (%s)", call.call_id, member,
                      presence.value)  # fmt: skip
            return None
        probe = MemberProbe(self)
        if await actions.ring_hooks(call, member, probe) is None or probe.refused is not None:
            log.debug("call %s: group member %s refused by its hooks", call.call_id, member)
            return None
        return RingTarget(member)

    # ---- RingOwner --------------------------------------------------------------------------
    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        self.finished = True
        await self.feature.answered_by(call, self.config, self.members.get(side.label))
        await self.base.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        if self.finished or call.state is CallState.ENDED:
            return
        call.timers.cancel(TimerKind.RING)  # a step refused before its deadline
        log.debug("call %s: ring group %s step ended: %s", call.call_id, self.config.number,
                  failure.reason)  # fmt: skip
        await self.next_step()

    # ---- nobody answered --------------------------------------------------------------------
    async def _fallback(self) -> None:
        self.finished = True
        actions = self.feature.actions
        call = self.call
        fallback = self.config.fallback
        if fallback is None:
            await self._unanswered()
            return
        if fallback == "voicemail" or fallback.startswith("voicemail:"):
            box = fallback.partition(":")[2] or next(
                (m for m in self.config.members if not is_outside(m)), ""
            )
            if self.direct and box and await actions.voicemail(call, box, "no-answer"):
                return
            await self._unanswered()
            return
        if fallback.startswith("flow:"):
            if self.direct:
                await actions.run_app(call, "ivr", extension=fallback, reason="no-answer")
            else:
                await self._unanswered()
            return
        destination = await actions.destination(call, fallback)
        owner = self.base if not self.direct else FallbackOwner(self.base, actions)
        await actions.go(call, destination, owner)

    async def _unanswered(self) -> None:
        if self.direct:
            await self.feature.actions.ending.reject(
                self.call, 480, "nobody in the ring group answered", Disposition.NO_ANSWER
            )
        else:
            failure = RingFailure(RingResult.NO_ANSWER, 480, "nobody in the ring group answered")
            await self.base.failed(self.call, failure)


@dataclass(eq=False)
class FallbackOwner:
    """The owner of a direct call's fallback to an extension or number: connected on answer;
    unanswered, the caller gets its status (no voicemail of the group's number, no second
    fallback)."""

    base: RingOwner
    actions: CallActions

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.base.answered(call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        disposition = Disposition.NO_ANSWER if failure.status == 480 else None
        await self.actions.ending.reject(call, failure.status, failure.reason, disposition)
