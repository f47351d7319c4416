"""What every part of the call layer shares: the live calls, their dialogs and transactions, the
messages they send, their state moves and their timers.

The B2BUA is split by concern (admission, outbound legs, in-dialog requests, apps, ending);
each part holds this `CallCore` and nothing else of the others but what it is handed. The core
owns the three indexes that turn SIP traffic back into a call — dialogs by (Call-ID, our tag),
client transactions by key, server transactions by key — and is the only code that changes a
call's or a side's state: `move` and `leg` apply the tables of `leg.py` and log an illegal move
instead of applying it.

Timers: every call keeps its deadlines in `Call.timers`; the core keeps a heap of (deadline,
call) so `next_deadline()` is cheap, and the B2BUA's `handle_timers(now)` pops what is due —
driven by the one clock (`ManualClock` in tests, one asyncio timer re-armed in production, the
way `transport/driver.py` drives the SIP endpoint).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from centrex.calls import signalling as sig
from centrex.calls.call import Call, SipSide
from centrex.calls.deps import CallDeps, CallSettings
from centrex.calls.features import FeatureHooks
from centrex.calls.leg import (
    CallAction,
    CallInput,
    DueTimer,
    IllegalMove,
    LegAction,
    LegInput,
    TimerKind,
    call_move,
    leg_move,
)
from centrex.events import CallEvent
from centrex.logs import bind
from centrex.media.channel import Channel
from centrex.sip.builders import generate_tag
from centrex.sip.dialog import Dialog, DialogState
from centrex.sip.matching import ClientKey, ServerKey
from centrex.sip.message import Request, Response

log = logging.getLogger(__name__)


class Purpose(Enum):
    """What a client transaction we started is for."""

    INVITE = "invite"
    CANCEL = "cancel"
    BYE = "bye"
    REINVITE = "reinvite"
    ACK = "ack"
    OTHER = "other"  # NOTIFY, REFER... sent by a feature


@dataclass(slots=True)
class Pending:
    call: Call
    side: SipSide
    purpose: Purpose
    future: asyncio.Future[Response | None] | None = None


class CallCore:
    """The live calls of the process and the primitives every part of the call layer uses."""

    def __init__(self, deps: CallDeps, settings: CallSettings, local: sig.LocalAddress) -> None:
        self.deps = deps
        self.settings = settings
        self.local = local
        self.engine = deps.engine
        self.calls: dict[str, Call] = {}
        self.dialogs: dict[tuple[str, str], tuple[Call, SipSide]] = {}
        self.pending: dict[ClientKey, Pending] = {}
        self.by_server: dict[ServerKey, Call] = {}
        self.requests: dict[ClientKey, asyncio.Future[Response | None]] = {}  # outside calls
        self.channels: dict[str, Channel] = {}
        self.tenants: dict[int, tuple[str, str]] = {}  # language, time zone (for apps)
        self.tasks: set[asyncio.Task[None]] = set()
        self._deadlines: list[tuple[float, int, str]] = []
        self._sequence = 0
        self.illegal_moves = 0
        self.hooks = FeatureHooks()
        self.armed: Callable[[float], None] = lambda _deadline: None  # the façade's re-arm

    # ---- time and tasks ---------------------------------------------------------------------
    def now(self) -> datetime:
        return self.deps.clock.utcnow()

    def monotonic(self) -> float:
        return self.deps.clock.monotonic()

    def spawn(self, coro: Coroutine[Any, Any, None], call: Call | None = None) -> None:
        """Run `coro` as a tracked task (its log lines carry the call's tenant and Call-ID)."""
        if call is not None:
            with bind(tenant=call.domain, call_id=call.call_id):
                task: asyncio.Task[None] = asyncio.ensure_future(coro)
        else:
            task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    # ---- state ------------------------------------------------------------------------------
    def move(self, call: Call, event: CallInput) -> CallAction | None:
        """Apply the call table; an illegal move is logged and changes nothing (None)."""
        try:
            action, state = call_move(call.state, event)
        except IllegalMove as exc:
            self.illegal_moves += 1
            log.error("call %s: %s", call.call_id, exc)
            return None
        call.state = state
        return action

    def leg(self, call: Call, side: SipSide, event: LegInput) -> LegAction | None:
        """Apply the leg table to `side`; an illegal move is logged and changes nothing."""
        try:
            action, state = leg_move(side.state, event, uas=side.uas)
        except IllegalMove as exc:
            self.illegal_moves += 1
            log.error("call %s leg %s: %s", call.call_id, side.label, exc)
            return None
        side.state = state
        return action

    def register(self, call: Call) -> None:
        self.calls[call.call_id] = call
        self.dialogs[(call.call_id, call.a.local_tag)] = (call, call.a)
        if call.a.server_key is not None:
            self.by_server[call.a.server_key] = call

    def forget(self, call: Call) -> None:
        self.calls.pop(call.call_id, None)
        for key in [k for k, v in self.dialogs.items() if v[0] is call]:
            del self.dialogs[key]
        if call.a.server_key is not None:
            self.by_server.pop(call.a.server_key, None)
        call.timers.clear()

    def find(self, request: Request) -> tuple[Call, SipSide] | None:
        """The call and side an in-dialog request belongs to (by Call-ID and our tag)."""
        to = request.to
        if to is None or to.tag is None or request.call_id is None:
            return None
        return self.dialogs.get((request.call_id, to.tag))

    # ---- timers -----------------------------------------------------------------------------
    def arm(self, call: Call, kind: TimerKind, interval: float, leg: str = "") -> float:
        deadline = call.timers.arm(kind, self.monotonic(), interval, leg)
        self._push(call, deadline)
        return deadline

    def rearm(self, call: Call, kind: TimerKind, previous: float, interval: float) -> float:
        deadline = call.timers.rearm(kind, previous, interval)
        self._push(call, deadline)
        return deadline

    def _push(self, call: Call, deadline: float) -> None:
        self._sequence += 1
        heapq.heappush(self._deadlines, (deadline, self._sequence, call.call_id))
        self.armed(deadline)

    def next_deadline(self) -> float | None:
        """The earliest deadline of any live call (stale heap entries are dropped here)."""
        while self._deadlines:
            deadline, _, call_id = self._deadlines[0]
            call = self.calls.get(call_id)
            earliest = call.timers.next_deadline() if call is not None else None
            if earliest is not None and earliest <= deadline:
                return earliest
            heapq.heappop(self._deadlines)
        return None

    def due(self, now: float) -> list[tuple[Call, DueTimer]]:
        """Disarm and return every timer due at `now`, in deadline order."""
        found: list[tuple[float, int, Call, DueTimer]] = []
        seen: set[str] = set()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, _, call_id = heapq.heappop(self._deadlines)
            call = self.calls.get(call_id)
            if call is None or call_id in seen:
                continue
            seen.add(call_id)
            for timer in call.timers.pop_due(now):
                found.append((timer.deadline, len(found), call, timer))
            later = call.timers.next_deadline()
            if later is not None:
                self._push(call, later)
        found.sort(key=lambda item: (item[0], item[1]))
        return [(call, timer) for _, _, call, timer in found]

    # ---- messages ---------------------------------------------------------------------------
    def reply(
        self,
        request: Request,
        key: ServerKey | None,
        status: int,
        *,
        tag: str | None = None,
        reason: str | None = None,
        sdp: bytes = b"",
        transport: str = "UDP",
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        response = sig.respond(
            request,
            status,
            tag or generate_tag(),
            self.local,
            transport,
            reason=reason,
            sdp=sdp,
            headers=headers,
        )
        self.deps.driver.send_response(response, key)
        return response

    def send(
        self, call: Call, side: SipSide, request: Request, purpose: Purpose, *, want: bool = False
    ) -> asyncio.Future[Response | None] | None:
        """Send `request` to `side`'s party; with `want`, a future of its final response (None
        when the transaction timed out or could not be sent)."""
        future: asyncio.Future[Response | None] | None = None
        if want:
            future = asyncio.get_running_loop().create_future()
        key = self.deps.driver.send_request(request, side.target, side.transport)
        if key is not None:
            self.pending[key] = Pending(call, side, purpose, future)
            if purpose is Purpose.INVITE:
                side.client_key = key
        elif future is not None:
            future.set_result(None)
        return future

    def request(
        self, request: Request, target: tuple[str, int], transport: str
    ) -> asyncio.Future[Response | None]:
        """Send a request that belongs to no call (a feature's NOTIFY); the future gets its
        final response, or None on time-out or transport error."""
        future: asyncio.Future[Response | None] = asyncio.get_running_loop().create_future()
        key = self.deps.driver.send_request(request, target, transport)
        if key is None:
            future.set_result(None)
        else:
            self.requests[key] = future
        return future

    def settle_request(self, key: ClientKey, response: Response | None) -> bool:
        """Resolve an out-of-call request's future (True when `key` was one of them)."""
        future = self.requests.get(key)
        if future is None:
            return False
        if response is None or response.status >= 200:
            del self.requests[key]
            if not future.done():
                future.set_result(response)
        return True

    def ack(self, call: Call, side: SipSide, response: Response) -> None:
        """ACK a 2xx on an outbound side (§13.2.2.4), confirming its dialog first."""
        if side.dialog is None:
            side.dialog = Dialog.from_uac(side.invite, response)
        cseq = response.cseq or side.invite.cseq  # the ACK's CSeq is the INVITE's (§13.2.2.4)
        ack = side.dialog.create_ack(cseq.number if cseq else 1, self.local.via(side.transport))
        self.send(call, side, ack, Purpose.ACK)

    def bye(self, call: Call, side: SipSide) -> None:
        """BYE on `side`'s confirmed dialog (fire and forget: the far end may be gone); the
        side's leg moves on BYE."""
        if side.dialog is None or side.dialog.state is DialogState.TERMINATED:
            return
        bye = side.dialog.create_request("BYE", self.local.via(side.transport))
        side.dialog.terminate()
        self.leg(call, side, LegInput.BYE)
        self.send(call, side, bye, Purpose.BYE)

    def answer_caller(
        self, call: Call, sdp: bytes, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        """Send the caller its 200 with our SDP answer and confirm its dialog; on unreliable
        transports the 2xx is then retransmitted until the ACK (`TimerKind.RETRANSMIT_2XX`)."""
        ok = self.reply(
            call.a.invite, call.a.server_key, 200, tag=call.a.local_tag, sdp=sdp,
            transport=call.a.transport, headers=headers,
        )  # fmt: skip
        call.response_to_a = ok
        call.a.dialog = Dialog.from_uas(call.a.invite, ok)
        call.a.answered_at = call.answered_at
        if self.leg(call, call.a, LegInput.SUCCESS) is LegAction.START_2XX_TIMERS:
            timers = self.settings.timers
            if call.a.transport.upper() == "UDP":
                self.arm(call, TimerKind.RETRANSMIT_2XX, timers.t1)
            self.arm(call, TimerKind.ACK_WAIT, timers.transaction_timeout)
        return ok

    def event(self, call: Call, state: str, *, disposition: str = "", reason: str = "") -> None:
        self.deps.publish(
            CallEvent(
                tenant_id=call.tenant_id,
                call_id=call.call_id,
                state=state,
                caller=call.caller,
                callee=call.callee,
                direction=call.direction.value,
                disposition=disposition,
                reason=reason,
            )
        )
        self.hooks.state(call, state)

    # ---- media legs and trunk slots ---------------------------------------------------------
    def release_side(self, side: SipSide) -> None:
        """Free what a side holds (its media leg, its trunk channel). Idempotent."""
        if side.trunk is not None and side.trunk_held:
            side.trunk_held = False
            self.deps.limits.release_trunk(side.trunk.id)
        if side.media is not None:
            self.engine.release(side.media)
            side.media = None
