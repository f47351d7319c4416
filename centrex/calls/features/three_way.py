"""Three-way calling: during a two-party call a party dials `*3` + number + `#` and the number
joins the call (issue 13 item 3).

Theory of operation:

* Keys. When a call is bridged, each of its parties that is an extension of the tenant gets a
  digit listener on its media leg (RFC 4733 events on the relayed RTP, `engine.watch_digits`)
  feeding its own `ThreeWayKeys` collector (`three_way_keys.py`); the inter-digit deadline is a
  feature timer of the call. Only RFC 4733 events count: in-band detection would decode and
  filter every packet of every bridged call (`media/digits.py`). An outside party (a trunk)
  cannot add anybody: the tenant pays for the calls Centrex places. The keys are still relayed
  to the other party (they are RTP).
* The third party. Centrex places a call of its own (`placed.placed_call`, as a page member or
  click-to-call's originator) from the initiating extension to the number, routed by the
  tenant's plan as if that extension dialled it (its barring applies): an extension of the
  tenant is rung as a group member would be (DND, busy with call waiting off, forward always:
  not available; no voicemail), anything else goes out through the trunks. The two parties go
  on talking while it rings. Anything else (an app, a ring group, a refusal) is refused.
* The merge. When the third party answers, the call's two legs and the new call's leg move
  from the relay into one `MixingRoom` (the engine's mixer: each hears the two others).
* Leaving. A party of the first call hanging up is taken by `on_left`: its leg leaves the room
  (release) and the first call goes on with its other party, who stays connected with the third
  party in the room of two. The third party hanging up ends its own call; the first call's two
  parties are bridged again (back to a plain call). Whenever a call is left with nobody on
  its side, the other call is hung up too.
* One three-way per call at a time: `*3` during a three-way (or while one rings) is ignored,
  and so is `*3` on a call whose legs are not simply relayed to each other (held, parked,
  monitored by a supervisor): the room would take the legs from the other feature.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks
from centrex.calls.features.intercom import Availability
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.features.three_way_keys import ThreeWayKeys
from centrex.calls.leg import CallState, TimerKind
from centrex.calls.outbound import RingFailure
from centrex.calls.router import ToExtension, ToTrunks
from centrex.data.models import Direction, HangupSide
from centrex.media.digits import DigitListener
from centrex.media.engine import NoCommonCodecError
from centrex.media.room import MixingRoom
from centrex.sip.message import Response

log = logging.getLogger(__name__)

THREE_WAY_FEATURE = "three-way"
KEYS_TIMER = "three-way-keys"
RING_SECONDS = 30.0


@dataclass(eq=False)
class Watch:
    """The key collectors of one bridged call (one per party that may add a third)."""

    call: Call
    keys: dict[str, ThreeWayKeys] = field(default_factory=dict)  # side label → collector
    listeners: list[DigitListener] = field(default_factory=list)


@dataclass(eq=False)
class Merge:
    """A three-way in progress: the first call, the party who dialled, the third's call."""

    first: Call
    initiator: SipSide
    number: str
    third: Call
    room: MixingRoom | None = None
    gone: list[SipSide] = field(default_factory=list)  # the first call's sides that left
    ending: bool = False

    def remaining(self) -> list[SipSide]:
        """The first call's parties still in it."""
        sides = [self.first.a, self.first.b]
        return [s for s in sides if s is not None and all(s is not g for g in self.gone)]


@dataclass(eq=False)
class ThirdRing:
    """The `RingOwner` of the third party's call."""

    feature: ThreeWay
    merge: Merge
    group_member = True  # rung as a group member: its own voicemail/forward do not apply
    ring_timeout = RING_SECONDS

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.feature.third_answered(self.merge, call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        log.info("call %s: three-way to %s failed: %s", self.merge.first.call_id,
                 self.merge.number, failure.reason)  # fmt: skip
        await self.feature.actions.ending.reject(call, failure.status, failure.reason)


class ThreeWay:
    """The `*3` feature (register once per B2BUA)."""

    name = THREE_WAY_FEATURE

    def __init__(self) -> None:
        self._actions: CallActions | None = None
        self._watches: dict[str, Watch] = {}  # first call id → its collectors
        self._merges: dict[str, Merge] = {}  # first call id → its three-way
        self._third_of: dict[str, Merge] = {}  # third call id → the three-way

    @property
    def actions(self) -> CallActions:
        assert self._actions is not None, "attach() first"
        return self._actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._actions = hooks.actions
        hooks.on_answered(self.name, self._answered)
        hooks.on_timer(KEYS_TIMER, self._keys_timer)
        hooks.on_left(self.name, self._left)
        hooks.on_releasing(self.name, self._releasing)
        hooks.on_ended(self.name, self._ended)

    def merge_of(self, call_id: str) -> Merge | None:
        """The three-way this call (first or third) is part of."""
        return self._merges.get(call_id) or self._third_of.get(call_id)

    # ---- keys -------------------------------------------------------------------------------
    async def _answered(self, call: Call, b: SipSide) -> None:
        """A call is bridged (again, after a transfer: its parties changed): watch the keys of
        its parties that are extensions of the tenant."""
        if call.call_id in self._third_of:
            return
        await self._releasing(call)  # the previous parties' listeners, if any
        plan = await self.actions.plan(call.tenant_id)
        if plan is None or call.state is not CallState.ANSWERED:
            return
        engine = self.actions.core.engine
        watch = Watch(call)
        for side in (call.a, b):
            if side.media is None or side.trunk is not None or side.peer not in plan.extensions:
                continue
            if side is call.a and call.direction is Direction.INBOUND:
                continue  # a caller from a trunk
            keys = ThreeWayKeys()
            watch.keys[side.label] = keys
            watch.listeners.append(engine.watch_digits(
                side.media, lambda d, s=side: self._key(watch, s, d),  # type: ignore[misc]
                inband=False,  # every bridged call has these: no Goertzel on the hot path
            ))  # fmt: skip
        if watch.keys:
            self._watches[call.call_id] = watch

    def _key(self, watch: Watch, side: SipSide, digit: str) -> None:
        keys = watch.keys.get(side.label)
        if keys is None:
            return
        core = self.actions.core
        number = keys.press(digit, core.monotonic())
        self._rearm(watch)
        if number is not None:
            core.spawn(self.add(watch.call, side, number), watch.call)

    def _rearm(self, watch: Watch) -> None:
        deadlines = [d for k in watch.keys.values() if (d := k.next_deadline()) is not None]
        if not deadlines:
            self.actions.cancel_timer(watch.call, KEYS_TIMER)
            return
        now = self.actions.core.monotonic()
        self.actions.arm_timer(watch.call, KEYS_TIMER, max(0.0, min(deadlines) - now))

    async def _keys_timer(self, call: Call) -> None:
        watch = self._watches.get(call.call_id)
        if watch is None:
            return
        now = self.actions.core.monotonic()
        for keys in watch.keys.values():
            keys.handle_timer(now)  # a number is only ever completed by `#`
        self._rearm(watch)

    # ---- adding the third party -------------------------------------------------------------
    async def add(self, call: Call, initiator: SipSide, number: str) -> None:
        """Place the call to `number` for `initiator` of the answered `call` (module doc)."""
        actions = self.actions
        if (
            call.state is not CallState.ANSWERED
            or self.merge_of(call.call_id)
            or not self._plain(call)
        ):
            log.info("call %s: *3%s ignored (not a plain two-party call)", call.call_id, number)
            return
        assert call.b is not None
        destination = await actions.destination(call, number, caller=initiator.peer)
        if not isinstance(destination, ToExtension | ToTrunks):
            log.info("call %s: *3%s refused: %s", call.call_id, number, destination)
            return
        if isinstance(destination, ToExtension):
            if destination.number in (call.a.peer, call.b.peer):
                log.info("call %s: *3%s is a party already", call.call_id, number)
                return
            probe = Availability()
            if await actions.ring_hooks(call, destination.number, probe) is None or probe.refused:
                log.info("call %s: *3%s not available", call.call_id, number)
                return
        core = actions.core
        callee = destination.number  # an extension, or the E.164 number the trunks dial
        third = placed_call(
            core, tenant_id=call.tenant_id, domain=call.domain, party=callee,
            caller=initiator.peer, callee=callee, shown_name=None, sdp=call.a.invite.body,
            peer="three-way",
        )  # fmt: skip
        merge = Merge(call, initiator, number, third)
        self._merges[call.call_id] = merge
        self._third_of[third.call_id] = merge
        if isinstance(destination, ToTrunks):
            third.direction = Direction.OUTBOUND
        third.cdr_id = await core.deps.cdrs.start(
            tenant_id=call.tenant_id, call_id=third.call_id, caller=initiator.peer,
            callee=callee, direction=third.direction, started_at=third.started_at,
            extension=initiator.peer,
        )  # fmt: skip
        core.event(third, "started")
        log.info("call %s: %s adds %s (call %s)", call.call_id, initiator.peer, number,
                 third.call_id)  # fmt: skip
        owner = ThirdRing(self, merge)
        if isinstance(destination, ToExtension):
            await actions.outbound.ring_extension(third, destination.number, owner)
        else:
            third.pending_trunks = list(destination.trunks)
            third.dialled_number = destination.number
            third.caller_id = destination.caller_id
            await actions.outbound.try_next_trunk(third, owner)

    async def third_answered(
        self, merge: Merge, call: Call, side: SipSide, response: Response
    ) -> None:
        """The third party answered: its dialog becomes its call's side A, the three legs
        move into one room."""
        actions = self.actions
        core = actions.core
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        first = merge.first
        if merge.ending or first.state is not CallState.ANSWERED or not self._plain(first):
            core.bye(call, side)  # ended, or held, parked or monitored meanwhile
            await actions.ending.reject(call, 480, "the three-way call has ended")
            return
        unusable = take_answer(core, call, side, response)
        if unusable is not None:
            await actions.ending.reject(call, 488, unusable)
            return
        if call.cdr_id is not None and call.answered_at is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at, None)
        core.event(call, "answered")
        legs = [s.media for s in merge.remaining()] + [call.a.media]
        try:
            room = core.engine.mixing_room(f"three-way-{first.call_id}")
            merge.room = room
            for leg in legs:
                if leg is None:
                    raise RuntimeError("a party of the three-way has no media")
                room.join(leg)
        except (NoCommonCodecError, RuntimeError, ValueError) as exc:
            log.warning("call %s: three-way media failed: %s", first.call_id, exc)
            await actions.ending.hang_up(call, cause="three-way-media", who=HangupSide.SYSTEM)
            return
        core.event(first, "three-way")
        log.info("call %s: three-way with %s connected", first.call_id, merge.number)

    def _plain(self, call: Call) -> bool:
        """The call's two legs are relayed to each other (not held, parked, monitored or in
        another room): only then may they move into a three-way room."""
        a, b = call.a.media, call.b.media if call.b is not None else None
        if a is None or b is None:
            return False
        bridge = self.actions.core.engine.bridges.get(a.leg_id)
        return bridge is not None and bridge.other(a) is b

    # ---- leaving ----------------------------------------------------------------------------
    async def _left(self, call: Call, side: SipSide) -> bool:
        """A party of a first call hung up during a three-way: the call goes on without it."""
        merge = self._merges.get(call.call_id)
        if merge is None or merge.room is None or merge.ending:
            return False
        if merge.third.state is not CallState.ANSWERED:
            return False
        remaining = [s for s in merge.remaining() if s is not side]
        if not remaining:
            return False  # the last one: the first call ends (and `_ended` ends the third)
        merge.gone.append(side)
        self.actions.core.release_side(side)  # its leg leaves the room
        log.info("call %s: %s left the three-way, %s and %s stay", call.call_id, side.peer,
                 remaining[0].peer, merge.number)  # fmt: skip
        return True

    async def _releasing(self, call: Call) -> None:
        watch = self._watches.pop(call.call_id, None)
        if watch is not None:
            for listener in watch.listeners:
                listener.close()

    async def _ended(self, call: Call) -> None:
        merge = self._merges.pop(call.call_id, None)
        if merge is not None:  # the first call ended: so does the third's
            self._third_of.pop(merge.third.call_id, None)
            merge.ending = True
            if merge.room is not None:
                merge.room.close()
            await self._end(merge.third)
            return
        merge = self._third_of.pop(call.call_id, None)
        if merge is None:
            return
        self._merges.pop(merge.first.call_id, None)
        first = merge.first
        if merge.room is None:
            return  # never merged: the two parties are still bridged
        merge.room.close()
        if first.state is not CallState.ANSWERED:
            return
        remaining = [s.media for s in merge.remaining() if s.media is not None and not s.ended]
        if len(remaining) == 2:
            try:
                self.actions.core.engine.bridge(remaining[0], remaining[1])
                log.info("call %s: the third party left, back to two", first.call_id)
                return
            except ValueError as exc:  # BridgeError
                log.warning("call %s: not bridged again: %s", first.call_id, exc)
        await self._end(first)

    async def _end(self, call: Call) -> None:
        ending = self.actions.ending
        if call.state is CallState.ANSWERED:
            await ending.hang_up(call, cause="three-way-ended", who=HangupSide.SYSTEM)
        elif call.state is not CallState.ENDED:
            await ending.reject(call, 487, "the three-way call has ended")
