"""The back-to-back user agent: every call is the caller's side (A) plus outbound sides (B).

This is the façade of the call layer (DESIGN.md §2, §3). The work is split by concern, each
part a module of its own around one shared `CallCore` (the live calls, their dialogs and
transactions, state moves and timers):

* `admission.py` — a new INVITE: carrier or device (digest), tenant, route, licence, CDR;
* `outbound.py` — outbound legs: forking to an extension's contacts, trunk failover, the
  responses to our INVITEs; an attempt's `RingOwner` decides what an answer or failure means;
* `connect.py` — the owner of a new call's own ringing: connect, or voicemail, or reject;
* `app_calls.py` — calls handed to a media app, and an app's transfer of its caller;
* `in_dialog.py` — ACK, BYE, INFO, re-INVITE/UPDATE (hold with music on hold);
* `ending.py` — every way a call ends, and the one release;
* `leg.py` — the pure state tables and deadlines all of them move calls by;
* `features/` — small modules (recording, hold music, live dialogs; transfer, forwarding,
  pickup, park… next) plugged in through `FeatureHooks`.

The façade wires them, registers the SIP methods on the dispatcher and drives the timers:
`next_deadline()` and `handle_timers(now)`, with one asyncio timer re-armed to the earliest
deadline after every change — the same shape as `transport/driver.py` — so a `ManualClock`
drives every call timer in tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from centrex.calls import signalling as sig
from centrex.calls.actions import CallActions
from centrex.calls.admission import Admission
from centrex.calls.app_calls import AppCalls
from centrex.calls.call import Call
from centrex.calls.connect import DirectCall
from centrex.calls.core import CallCore
from centrex.calls.deps import CallDeps, CallSettings, MethodRouter
from centrex.calls.ending import Ending
from centrex.calls.features import CallFeature
from centrex.calls.features.call_control import CallControl
from centrex.calls.features.hold import HoldMusic
from centrex.calls.features.live_dialogs import LiveDialogs
from centrex.calls.features.monitor import Monitoring
from centrex.calls.features.recording import CallRecorder, RecordingFeature
from centrex.calls.in_dialog import InDialog
from centrex.calls.leg import TimerKind
from centrex.calls.outbound import Outbound
from centrex.calls.plans import PlanCache
from centrex.media.engine import MediaEngine
from centrex.sip.events import Event as SipEvent
from centrex.sip.events import RequestReceived

__all__ = ["B2BUA", "CallDeps", "CallSettings"]

log = logging.getLogger(__name__)

# What phones may rely on (OPTIONS `Supported`): INVITE with Replaces (RFC 3891: attended
# transfer, pickup) and session timers (RFC 4028, connect.py).
OPTION_TAGS = ("replaces", "timer")
TimerHandler = Callable[[Call, str, float], Awaitable[None] | None]


class B2BUA:
    """Owns every live call of the process."""

    def __init__(
        self,
        deps: CallDeps,
        local: sig.LocalAddress,
        settings: CallSettings | None = None,
        features: tuple[CallFeature, ...] = (),
    ) -> None:
        """`deps.call_media` brings music on hold and call recording (None: neither)."""
        self.settings = settings or CallSettings()
        core = self.core = CallCore(deps, self.settings, local)
        self.plans = PlanCache(deps.database, deps.trunks, deps.clock.monotonic,
                               self.settings.plan_ttl, core.hooks)  # fmt: skip
        self.outbound = Outbound(core)
        self.ending = Ending(core, self.outbound, core.hooks)
        self.app_calls = AppCalls(core, self.outbound, self.ending, self.plans, core.hooks)
        self.direct = DirectCall(core, self.outbound, self.ending, self.app_calls, core.hooks)
        self.actions = CallActions(core, self.plans, self.outbound, self.ending,
                                   self.app_calls, self.direct)  # fmt: skip
        core.hooks.actions = self.actions
        self.admission = Admission(core, self.plans, self.outbound, self.ending,
                                   self.app_calls, self.actions)  # fmt: skip
        hold = HoldMusic(deps.engine, deps.call_media) if deps.call_media is not None else None
        self.in_dialog = InDialog(core, self.outbound, self.ending, hold)
        core.hooks.add(LiveDialogs(deps.live, deps.clock.monotonic))
        if deps.call_media is not None:
            recorder = CallRecorder(deps.engine, deps.call_media, deps.clock.utcnow)
            core.hooks.add(RecordingFeature(recorder))
        if hold is not None:
            core.hooks.on_releasing("hold", self._stop_hold_music(hold))
        for feature in features:
            core.hooks.add(feature)
        # the API's call control (transfer, park, hold, pickup, click-to-call), when plugged in
        self.control = next((f for f in features if isinstance(f, CallControl)), None)
        # supervisor monitoring from the API (`POST /calls/{id}/monitor`), when plugged in
        self.monitor = next((f for f in features if isinstance(f, Monitoring)), None)
        self._timer_handlers: dict[TimerKind, TimerHandler] = {
            TimerKind.RING: lambda call, _leg, _at: self.outbound.ring_timeout(call),
            TimerKind.TRUNK_SETUP: lambda call, leg, _at: self.outbound.trunk_setup_timeout(
                call, leg
            ),
            TimerKind.RETRANSMIT_2XX: lambda call, _leg, at: self.ending.retransmit_2xx(call, at),
            TimerKind.ACK_WAIT: lambda call, _leg, _at: self.ending.ack_timeout(call),
            TimerKind.MAX_DURATION: lambda call, _leg, _at: self.ending.max_duration(call),
            TimerKind.SESSION_EXPIRES: lambda call, _leg, _at: self.ending.session_expired(call),
            TimerKind.FEATURE: lambda call, name, _at: core.hooks.timer(call, name),
        }
        self._timer: asyncio.TimerHandle | None = None
        self._timer_deadline: float | None = None
        core.armed = self._armed

    @staticmethod
    def _stop_hold_music(hold: HoldMusic) -> Callable[[Call], Awaitable[None]]:
        async def stop(call: Call) -> None:
            for side in (call.a, *call.forks):
                if side.media is not None:
                    hold.stop(side.media)

        return stop

    # ---- the public face --------------------------------------------------------------------
    @property
    def local(self) -> sig.LocalAddress:
        return self.core.local

    @local.setter
    def local(self, value: sig.LocalAddress) -> None:
        self.core.local = value

    @property
    def calls(self) -> dict[str, Call]:
        return self.core.calls

    @property
    def engine(self) -> MediaEngine:
        return self.core.engine

    def register(self, dispatcher: MethodRouter) -> None:
        """Route INVITE/ACK/BYE/UPDATE/INFO, the features' methods and every client-side event
        to this B2BUA."""
        handlers = {
            "INVITE": self.on_invite,
            "ACK": self.in_dialog.on_ack,
            "BYE": self.in_dialog.on_bye,
            "UPDATE": self.in_dialog.on_reinvite,
            "INFO": self.in_dialog.on_info,
            **self.core.hooks.methods,
        }
        for method, handler in handlers.items():
            dispatcher.register(method, handler)
        dispatcher.set_other(self.on_event)
        dispatcher.support(*OPTION_TAGS)

    async def on_invite(self, event: RequestReceived) -> None:
        to = event.request.to
        if to is not None and to.tag is not None:
            await self.in_dialog.on_reinvite(event)
        else:
            await self.admission.on_new_invite(event)

    def on_event(self, event: SipEvent) -> None:
        self.outbound.on_event(event, self.ending.caller_cancelled)

    async def hangup(self, call_id: str, tenant_id: int) -> bool:
        """End a call from outside (API, inactivity): BYE both answered sides."""
        call = self.core.calls.get(call_id)
        if call is None or call.tenant_id != tenant_id:
            return False
        await self.ending.admin_hangup(call)
        return True

    def live_calls(self, tenant_id: int) -> list[dict[str, object]]:
        views = []
        for call in self.core.calls.values():
            if call.tenant_id != tenant_id:
                continue
            view = call.view()
            control = self.control
            view["held"] = control.held(call) if control is not None else False
            view["park_slot"] = control.park_slot(call) if control is not None else None
            views.append(view)
        return views

    async def close(self) -> None:
        """End every call (server shutdown): BYE answered ones, close their CDRs."""
        for call in list(self.core.calls.values()):
            try:
                await self.ending.admin_hangup(call)
            except Exception:  # shutdown goes on whatever one call does
                log.exception("call %s not ended cleanly at shutdown", call.call_id)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.core.tasks:
            await asyncio.wait(list(self.core.tasks), timeout=5.0)

    # ---- timers -----------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """The earliest deadline of any call (monotonic seconds), or None."""
        return self.core.next_deadline()

    def handle_timers(self, now: float) -> None:
        """Fire every call timer due at `now` (their work runs as tasks), then re-arm."""
        for call, timer in self.core.due(now):
            handler = self._timer_handlers[timer.kind]
            try:
                result = handler(call, timer.leg, timer.deadline)
            except Exception:  # a timer bug must not stop the other calls' timers
                log.exception("call %s: %s timer failed", call.call_id, timer.kind.value)
                continue
            if result is not None:
                self.core.spawn(_run(result), call)
        self.rearm()

    def _armed(self, deadline: float) -> None:
        """A call timer was armed: wake earlier if it is the new earliest deadline (a timer
        that was cancelled instead just wakes us for nothing, and we re-arm then)."""
        if self._timer_deadline is None or deadline < self._timer_deadline:
            self.rearm()

    def rearm(self) -> None:
        """Re-arm the one asyncio timer to the earliest deadline (like the SIP driver)."""
        deadline = self.core.next_deadline()
        if deadline == self._timer_deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is None:
            return
        delay = max(0.0, deadline - self.core.monotonic())
        self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_deadline = None
        self.handle_timers(self.core.monotonic())


async def _run(work: Awaitable[None]) -> None:
    await work
