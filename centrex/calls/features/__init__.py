"""Call features: small modules that act on calls through one narrow interface.

Hold, recording, busy lamps, transfer, forwarding, ring groups, pickup, park, call waiting and
the rest (DESIGN.md §3) each live in a module of this package. A feature never reaches into
the B2BUA's parts: it is given the `FeatureHooks` at wiring time and registers

* call hooks — `answered(call, side)` once a call is bridged, `state(call, state)` at every
  published state change (started, ringing, answered, transferred, ended), `releasing(call)`
  before a call's media legs are freed, `ended(call)` after its CDR is closed;
* SIP methods it serves (REFER, SUBSCRIBE, NOTIFY…) in `methods`, which the façade registers on
  the request dispatcher next to its own;
* routing — `contribute(name, contributor)` adds the numbers and prefixes it serves to each
  tenant's plan (a ring group's `600`, park `700`, pickup `**`), `serve(feature, handler)`
  takes the calls the router sends to it (`router.ToFeature`), and `on_ring_extension(name,
  hook)` sees every extension about to be rung: it may handle the call itself (DND, forward
  always, call waiting off) or wrap the attempt's `RingOwner` (forward on busy/no answer);
  a group's member (`group_member(owner)`) is refused through that owner instead;
  `serve_ring(feature, handler)` rings a feature's parties under a given owner (an app's
  transfer to a ring group rings it under the transfer's owner);
* admission — `on_admit(name, hook)` sees every new call (from a phone or a trunk) with the
  router's destination before it goes anywhere: it may pass it on, change it, or handle the
  call itself (screening rejects a blocked caller, bars an outbound number); `on_route(name,
  hook)` sees every destination a feature asks `CallActions.destination` for (a forward, a
  transfer, a group's outside member) with the dialling party, and may refuse it (`Reject`);
* a party leaving — `on_left(name, hook)` sees the BYE of an answered call's side before the
  call layer ends the call for it; a hook answering True keeps the call (an attended transfer
  from the API: the transferor hanging up completes it, the target hanging up returns the
  held party to the transferor);
* deadlines — `on_timer(name, hook)` takes the call timers the feature armed with
  `CallActions.arm_timer(call, name, seconds)` (a parked call's ring-back), on the B2BUA's
  clock like every call timer;

and reaches live state (presence, dialogs per extension, park slots, agents, queues) through
`calls.live_state.LiveState` only, so that a shared implementation can replace the in-process
one for scale-out. A feature's failure is logged and never breaks the call it acted on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.calls.actions import CallActions
    from centrex.calls.call import Call, SipSide
    from centrex.calls.deps import RequestHandler
    from centrex.calls.outbound import RingOwner
    from centrex.calls.router import Destination
    from centrex.data.models import Tenant
    from centrex.sip.events import RequestReceived

log = logging.getLogger(__name__)

AnsweredHook = Callable[["Call", "SipSide"], Awaitable[None]]
CallHook = Callable[["Call"], Awaitable[None]]
StateHook = Callable[["Call", str], None]
DestinationHandler = Callable[["Call", str], Awaitable[None]]
RingHandler = Callable[["Call", str, "RingOwner"], Awaitable[None]]
TimerHook = Callable[["Call"], Awaitable[None]]
LeftHook = Callable[["Call", "SipSide"], Awaitable[bool]]  # True: the feature took the BYE
# (the INVITE, its tenant's id, the authenticated caller's extension)
ReplacesHandler = Callable[["RequestReceived", int, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PlanPart:
    """What a feature adds to a tenant's routing plan."""

    numbers: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # "600" → (feature, arg)
    prefixes: Mapping[str, str] = field(default_factory=dict)  # "**" → feature


PlanContributor = Callable[["AsyncSession", "Tenant"], Awaitable[PlanPart]]


@dataclass(frozen=True, slots=True)
class Handled:
    """An extension-ring hook took care of the call (DND busy treatment, a forward)."""


HANDLED = Handled()
RingHook = Callable[["Call", str, "RingOwner"], Awaitable["RingOwner | Handled"]]
AdmitHook = Callable[["Call", "Destination"], Awaitable["Destination | Handled"]]
# (the call, who dials — a forwarding extension, else the call's caller —, the router's answer)
RouteHook = Callable[["Call", str, "Destination"], Awaitable["Destination"]]


def group_member(owner: RingOwner) -> bool:
    """True when `owner` rings the extension as one member of a group (a ring group, a queue,
    a page): the extension's own treatment (DND's busy forward or voicemail, its forwards,
    call waiting's busy treatment) does not apply — an extension that is not available is
    reported to the group's owner as `failed` with `RingResult.BUSY` (DND, a second call with
    call waiting off) or `UNAVAILABLE` (forward always), so the group rings its other members.
    A group's owner says so with a class attribute `group_member = True`."""
    return getattr(owner, "group_member", False) is True


class CallFeature(Protocol):
    """A feature module's entry point: registers its hooks and methods once."""

    name: str

    def attach(self, hooks: FeatureHooks) -> None: ...


class FeatureHooks:
    """Where features plug into the call layer (one instance per B2BUA)."""

    def __init__(self) -> None:
        self._answered: list[tuple[str, AnsweredHook]] = []
        self._state: list[tuple[str, StateHook]] = []
        self._releasing: list[tuple[str, CallHook]] = []
        self._ended: list[tuple[str, CallHook]] = []
        self._contributors: list[tuple[str, PlanContributor]] = []
        self._ring: list[tuple[str, RingHook]] = []
        self._admit: list[tuple[str, AdmitHook]] = []
        self._route: list[tuple[str, RouteHook]] = []
        self._timers: dict[str, TimerHook] = {}
        self._left: list[tuple[str, LeftHook]] = []
        self.destinations: dict[str, DestinationHandler] = {}
        self.ringers: dict[str, RingHandler] = {}
        self.methods: dict[str, RequestHandler] = {}
        self.replaces: ReplacesHandler | None = None  # an authenticated INVITE with Replaces
        self.features: list[str] = []
        self._actions: CallActions | None = None

    @property
    def actions(self) -> CallActions:
        """What features may ask of the call layer (set by the façade before features attach)."""
        if self._actions is None:
            raise RuntimeError("the call layer's actions are not wired yet")
        return self._actions

    @actions.setter
    def actions(self, value: CallActions) -> None:
        self._actions = value

    def add(self, feature: CallFeature) -> None:
        self.features.append(feature.name)
        feature.attach(self)

    # ---- registration -----------------------------------------------------------------------
    def on_answered(self, name: str, hook: AnsweredHook) -> None:
        self._answered.append((name, hook))

    def on_state(self, name: str, hook: StateHook) -> None:
        self._state.append((name, hook))

    def on_releasing(self, name: str, hook: CallHook) -> None:
        self._releasing.append((name, hook))

    def on_ended(self, name: str, hook: CallHook) -> None:
        self._ended.append((name, hook))

    def serve_method(self, method: str, handler: RequestHandler) -> None:
        if method.upper() in self.methods:
            raise ValueError(f"SIP method {method} is served by another feature already")
        self.methods[method.upper()] = handler

    def serve_replaces(self, handler: ReplacesHandler) -> None:
        """Take authenticated devices' INVITEs with Replaces (RFC 3891), tenant known."""
        if self.replaces is not None:
            raise ValueError("INVITE with Replaces is served by another feature already")
        self.replaces = handler

    def serve(self, feature: str, handler: DestinationHandler) -> None:
        """Take the calls routed to `feature` (`router.ToFeature(feature, argument)`)."""
        if feature in self.destinations:
            raise ValueError(f"destination {feature} is served by another feature already")
        self.destinations[feature] = handler

    def serve_ring(self, feature: str, handler: RingHandler) -> None:
        """Ring `feature`'s parties (`handler(call, argument, owner)`) for an owner other than
        the call's own (an app's transfer to a ring group): the owner decides what an answer
        or a final failure means, as for `Outbound` attempts."""
        if feature in self.ringers:
            raise ValueError(f"ringing {feature} is served by another feature already")
        self.ringers[feature] = handler

    def contribute(self, name: str, contributor: PlanContributor) -> None:
        self._contributors.append((name, contributor))

    def on_ring_extension(self, name: str, hook: RingHook) -> None:
        self._ring.append((name, hook))

    def on_admit(self, name: str, hook: AdmitHook) -> None:
        self._admit.append((name, hook))

    def on_route(self, name: str, hook: RouteHook) -> None:
        self._route.append((name, hook))

    def on_left(self, name: str, hook: LeftHook) -> None:
        self._left.append((name, hook))

    def on_timer(self, name: str, hook: TimerHook) -> None:
        """Take the deadlines armed under `name` (`CallActions.arm_timer`)."""
        if name in self._timers:
            raise ValueError(f"timers named {name} are served by another feature already")
        self._timers[name] = hook

    # ---- the call layer calls these ---------------------------------------------------------
    async def answered(self, call: Call, side: SipSide) -> None:
        for name, hook in self._answered:
            try:
                await hook(call, side)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on answered call %s", name, call.call_id)

    def state(self, call: Call, state: str) -> None:
        for name, hook in self._state:
            try:
                hook(call, state)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on call %s (%s)", name, call.call_id, state)

    async def plan_parts(self, session: AsyncSession, tenant: Tenant) -> PlanPart:
        """Every feature's numbers and prefixes for one tenant, merged (first one wins)."""
        numbers: dict[str, tuple[str, str]] = {}
        prefixes: dict[str, str] = {}
        for name, contributor in self._contributors:
            try:
                part = await contributor(session, tenant)
            except Exception:  # a feature's bug must not stop the tenant's calls
                log.exception("feature %s failed to contribute to tenant %s", name, tenant.id)
                continue
            for number, target in part.numbers.items():
                numbers.setdefault(number, target)
            for prefix, feature in part.prefixes.items():
                prefixes.setdefault(prefix, feature)
        return PlanPart(numbers, prefixes)

    async def ring_extension(self, call: Call, number: str, owner: RingOwner) -> RingOwner | None:
        """Run the extension-ring hooks in order: the owner to ring with, or None when a hook
        handled the call. A failing hook is skipped (logged): the extension still rings."""
        for name, hook in self._ring:
            try:
                result = await hook(call, number, owner)
            except Exception:  # a feature's bug must not stop the call
                log.exception("feature %s failed before ringing %s", name, number)
                continue
            if isinstance(result, Handled):
                return None
            owner = result
        return owner

    async def timer(self, call: Call, name: str) -> None:
        """A feature's deadline passed (the B2BUA's `TimerKind.FEATURE`)."""
        hook = self._timers.get(name)
        if hook is None:
            log.warning("call %s: no feature takes the timer %s", call.call_id, name)
            return
        try:
            await hook(call)
        except Exception:  # a feature's bug must not break the call
            log.exception("feature %s failed on its timer of call %s", name, call.call_id)

    async def admit(self, call: Call, destination: Destination) -> Destination | None:
        """Run the admission hooks in order on a new call's destination: the destination to
        go to, or None when a hook handled the call (it answered the caller). A failing hook
        is skipped (logged): the call goes on as routed."""
        for name, hook in self._admit:
            try:
                result = await hook(call, destination)
            except Exception:  # a feature's bug must not stop the call
                log.exception("feature %s failed to admit call %s", name, call.call_id)
                continue
            if isinstance(result, Handled):
                return None
            destination = result
        return destination

    async def routed(self, call: Call, caller: str, destination: Destination) -> Destination:
        """Run the route hooks on a destination a feature asked for (dialled by `caller`);
        a failing hook is skipped (logged)."""
        for name, hook in self._route:
            try:
                destination = await hook(call, caller, destination)
            except Exception:  # a feature's bug must not stop the call
                log.exception("feature %s failed on a route of call %s", name, call.call_id)
        return destination

    async def left(self, call: Call, side: SipSide) -> bool:
        """A side of the call hung up (its BYE is answered): True when a feature takes it
        from here (the call goes on); a failing hook is skipped (logged)."""
        for name, hook in self._left:
            try:
                if await hook(call, side):
                    return True
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on a BYE in call %s", name, call.call_id)
        return False

    async def releasing(self, call: Call) -> None:
        await self._run(self._releasing, call, "releasing")

    async def ended(self, call: Call) -> None:
        await self._run(self._ended, call, "ended")

    @staticmethod
    async def _run(hooks: list[tuple[str, CallHook]], call: Call, what: str) -> None:
        for name, hook in hooks:
            try:
                await hook(call)
            except Exception:  # a feature's bug must not break the call
                log.exception("feature %s failed on %s call %s", name, what, call.call_id)
