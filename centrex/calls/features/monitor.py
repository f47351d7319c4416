"""Supervisor monitoring: listen (`*90N`), whisper (`*91N`), barge (`*92N`) on extension N's
current call, from a supervisor's phone or from the API (`POST /api/v1/calls/{id}/monitor`,
which rings the supervisor's phone with auto-answer first). Issue 13 item 6.

Theory of operation:

* Who and what: `monitor_rules.py` (a phone flagged supervisor or whose user is a supervisor;
  N an extension of the same tenant — another tenant's N is "no such extension", its calls
  are never looked at; N's answered two-party call, relayed as a plain bridge: a call on hold,
  parked, in a three-way or already monitored is refused).
* The room. The watched call's two legs leave their bridge for a `MixingRoom` (engine mixer);
  the supervisor's leg joins it and the mode sets who hears the supervisor (`heard_by`:
  nobody, the agent, everyone). The monitored parties notice nothing — the room keeps their
  streams (one SSRC, continuous sequence numbers, RFC 7667 §3.2.1.1) — unless the tenant
  enabled `monitor_beep`: then both hear one short beep when the supervisor joins.
* The end. The supervisor hanging up puts the watched call's parties back into a plain
  bridge; the watched call ending hangs the supervisor up.
* Refusals from a phone: 403 (not a supervisor, a trunk), 404 (N is no extension of the
  tenant), 486 (N's call cannot be monitored now). An idle N is answered with the busy tone
  for `IDLE_TONE_SECONDS`, then Centrex hangs up: the supervisor hears why. The API answers
  the same cases as problem+json (403, 404, 409).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.actions import CallActions
from centrex.calls.call import Call, SipSide
from centrex.calls.features import DestinationHandler, FeatureHooks, PlanPart
from centrex.calls.features.intercom import auto_answer_headers
from centrex.calls.features.monitor_rules import (
    MODES,
    PREFIXES,
    MonitorMode,
    Refusal,
    phone_may_monitor,
    watched_side,
)
from centrex.calls.features.placed import placed_call, take_answer
from centrex.calls.leg import CallAction, CallInput, CallState, TimerKind
from centrex.calls.outbound import RingFailure
from centrex.data.models import Direction, Extension, HangupSide, Tenant, User
from centrex.errors import Conflict, Forbidden, NotFound, ValidationFailed
from centrex.media.engine import NoCommonCodecError, PortPoolExhausted
from centrex.media.room import MixingRoom
from centrex.media.tones import ToneKind, beep, tone_plan
from centrex.sip.errors import SipParseError
from centrex.sip.message import Response

log = logging.getLogger(__name__)

IDLE_TIMER = "monitor-idle"
IDLE_TONE_SECONDS = 3.0
RING_SECONDS = 20.0
BEEP_HZ, BEEP_MS = 1400.0, 300  # the tenant's monitoring beep (`monitor_beep`)


def feature_name(mode: MonitorMode) -> str:
    return f"monitor-{mode.value}"


def watched_agent(call: Call, extensions: Collection[str]) -> SipSide:
    """The party the API's whisper goes to: the call's extension of the tenant, the callee
    when both are (a queue's agent answers calls), else the callee."""
    assert call.b is not None
    for side in (call.b, call.a):
        own = side.trunk is None and side.peer in extensions
        if own and not (side is call.a and call.direction is Direction.INBOUND):
            return side
    return call.b


@dataclass(eq=False)
class Session:
    """One supervisor on one call."""

    supervisor: Call
    watched: Call
    agent: SipSide
    other: SipSide
    mode: MonitorMode
    room: MixingRoom | None = None


@dataclass(eq=False)
class SupervisorRing:
    """The `RingOwner` of the supervisor's phone rung from the API (auto-answer)."""

    feature: Monitoring
    watched: Call
    agent: SipSide
    mode: MonitorMode
    ring_headers: tuple[tuple[str, str], ...]
    ring_timeout = RING_SECONDS
    group_member = True

    async def answered(self, call: Call, side: SipSide, response: Response) -> None:
        await self.feature.supervisor_answered(self, call, side, response)

    async def failed(self, call: Call, failure: RingFailure) -> None:
        log.info("call %s: the supervisor's phone was not reached: %s", self.watched.call_id,
                 failure.reason)  # fmt: skip
        await self.feature.actions.ending.reject(call, failure.status, failure.reason)


class Monitoring:
    """The `*90N`/`*91N`/`*92N` feature and the API's monitor (register once per B2BUA)."""

    name = "monitor"

    def __init__(self) -> None:
        self._actions: CallActions | None = None
        self._by_supervisor: dict[str, Session] = {}
        self._by_watched: dict[str, Session] = {}

    @property
    def actions(self) -> CallActions:
        assert self._actions is not None, "attach() first"
        return self._actions

    def attach(self, hooks: FeatureHooks) -> None:
        self._actions = hooks.actions
        hooks.contribute(self.name, self._codes)
        for mode in MonitorMode:
            hooks.serve(feature_name(mode), self._server(mode))
        hooks.on_timer(IDLE_TIMER, self._idle_over)
        hooks.on_ended(self.name, self._ended)

    def session_of(self, call_id: str) -> Session | None:
        return self._by_supervisor.get(call_id) or self._by_watched.get(call_id)

    async def _codes(self, _session: AsyncSession, _tenant: Tenant) -> PlanPart:
        return PlanPart(prefixes={code: feature_name(mode) for code, mode in PREFIXES.items()})

    # ---- checks shared by the phone and the API ---------------------------------------------
    async def supervisor_refusal(self, tenant_id: int, extension: str) -> Refusal | None:
        """None when `extension`'s phone may monitor (`monitor_rules.phone_may_monitor`)."""
        async with self.actions.core.deps.database.session() as session:
            row = (
                await session.execute(
                    select(Extension.supervisor, User.role)
                    .outerjoin(User, User.id == Extension.user_id)
                    .where(Extension.tenant_id == tenant_id, Extension.number == extension)
                )
            ).first()
        if row is None:
            return Refusal(404, "extension-not-found", f"extension {extension} does not exist")
        flagged, role = row
        if not phone_may_monitor(bool(flagged), role.value if role is not None else None):
            return Refusal(403, "not-a-supervisor", f"extension {extension} is not a supervisor")
        return None

    def watched_call(self, tenant_id: int, number: str) -> tuple[Call, SipSide] | None:
        """Extension `number`'s answered two-party call in the tenant, with its side."""
        for call in self.actions.calls_of(tenant_id):
            if call.state is not CallState.ANSWERED or call.b is None:
                continue
            side = watched_side((call.a, call.b), number)
            if side is not None and not side.ended:
                return call, side
        return None

    def _busy(self, watched: Call) -> str | None:
        """Why `watched` cannot be monitored now (None: it can)."""
        if watched.call_id in self._by_watched or watched.call_id in self._by_supervisor:
            return "the call is monitored already"
        a, b = watched.a.media, watched.b.media if watched.b is not None else None
        bridge = self.actions.core.engine.bridges.get(a.leg_id) if a is not None else None
        if a is None or b is None or bridge is None or bridge.other(a) is not b:
            return "the call is not a plain two-party call now (held, parked or mixed)"
        return None

    # ---- from a phone -----------------------------------------------------------------------
    def _server(self, mode: MonitorMode) -> DestinationHandler:
        async def serve(call: Call, number: str) -> None:
            await self._serve(call, number, mode)

        return serve

    async def _serve(self, call: Call, number: str, mode: MonitorMode) -> None:
        actions = self.actions
        if call.direction is Direction.INBOUND:
            await actions.reject(call, 403, "monitor is for the tenant's own phones")
            return
        plan = await actions.plan(call.tenant_id)
        if plan is None or number not in plan.extensions:
            await actions.reject(call, 404, f"monitor: {number} is no extension of the tenant")
            return
        refusal = await self.supervisor_refusal(call.tenant_id, call.caller)
        if refusal is not None:
            log.info("call %s: *9x%s refused: %s", call.call_id, number, refusal.reason)
            await actions.reject(call, 403 if refusal.status == 403 else 404,
                                 f"monitor: {refusal.reason}")  # fmt: skip
            return
        if number == call.caller:
            await actions.reject(call, 486, "monitor: that is your own extension")
            return
        found = self.watched_call(call.tenant_id, number)
        if found is None:
            log.info("call %s: monitor %s: the extension is in no call", call.call_id, number)
            await self._idle(call)
            return
        watched, agent = found
        busy = self._busy(watched)
        if busy is not None:
            await actions.reject(call, 486, f"monitor: {busy}")
            return
        if call.state is CallState.ENDED or not await self._answer(call):
            return
        self._start(call, watched, agent, mode)

    async def _answer(self, call: Call) -> bool:
        """Answer the supervisor's own call (200 with our SDP answer)."""
        core = self.actions.core
        if call.a.media is None:
            return False
        try:
            sdp = core.engine.answer_for(call.a.media, call.a.invite.body).serialize()
        except (NoCommonCodecError, SipParseError, ValueError) as exc:
            log.warning("call %s: the supervisor's media is unusable: %s", call.call_id, exc)
            await self.actions.reject(call, 488, "no common codec")
            return False
        core.move(call, CallInput.RING)
        if core.move(call, CallInput.ANSWER) is not CallAction.CONNECT:
            return False
        call.answered_at = core.now()
        core.answer_caller(call, sdp)
        if call.cdr_id is not None:
            await core.deps.cdrs.answered(call.cdr_id, call.answered_at, None)
        core.event(call, "answered")
        return True

    async def _idle(self, call: Call) -> None:
        """Nothing to monitor: the busy tone, then Centrex hangs up."""
        if not await self._answer(call) or call.a.media is None:
            return
        try:
            self.actions.core.engine.play(call.a.media, tone_plan("CH", ToneKind.BUSY),
                                          max_seconds=IDLE_TONE_SECONDS)  # fmt: skip
        except NoCommonCodecError as exc:  # pragma: no cover - answered with a codec
            log.warning("call %s: no tone: %s", call.call_id, exc)
        self.actions.arm_timer(call, IDLE_TIMER, IDLE_TONE_SECONDS)

    async def _idle_over(self, call: Call) -> None:
        if call.state is CallState.ANSWERED:
            await self.actions.ending.hang_up(call, cause="monitor-idle", who=HangupSide.SYSTEM)

    # ---- joining ----------------------------------------------------------------------------
    def _start(self, supervisor: Call, watched: Call, agent: SipSide, mode: MonitorMode) -> None:
        """The three legs into one room; the supervisor heard as the mode says."""
        other = watched.other(agent)
        assert other is not None
        session = Session(supervisor, watched, agent, other, mode)
        self._by_supervisor[supervisor.call_id] = session
        self._by_watched[watched.call_id] = session
        core = self.actions.core
        try:
            if agent.media is None or other.media is None or supervisor.a.media is None:
                raise RuntimeError("a leg of the monitored call is gone")
            room = core.engine.mixing_room(f"monitor-{watched.call_id}")
            session.room = room
            agent_member = room.join(agent.media)
            other_member = room.join(other.media)
            member = room.join(supervisor.a.media)
            heard_by = MODES[mode].heard_by
            if heard_by is not None:
                member.hear_only_by([agent_member] if "agent" in heard_by else [])
        except (NoCommonCodecError, RuntimeError, ValueError) as exc:
            log.warning("call %s: monitoring failed: %s", watched.call_id, exc)
            core.spawn(self._stop(session, hang_up_supervisor=True), supervisor)
            return
        core.spawn(self._beep(session, (agent_member, other_member)), watched)
        log.info("call %s: %s %ss %s", watched.call_id, supervisor.caller, mode.value,
                 agent.peer)  # fmt: skip

    async def _beep(self, session: Session, members: tuple[object, ...]) -> None:
        async with self.actions.core.deps.database.session() as db:
            tenant = await db.get(Tenant, session.watched.tenant_id)
        room = session.room
        if tenant is not None and tenant.monitor_beep and room is not None and not room.closed:
            room.play(beep(BEEP_HZ, BEEP_MS), heard_by=[m for m in room.members if m in members])

    # ---- the end ----------------------------------------------------------------------------
    async def _ended(self, call: Call) -> None:
        session = self.session_of(call.call_id)
        if session is None:
            return
        await self._stop(session, hang_up_supervisor=call is session.watched)

    async def _stop(self, session: Session, *, hang_up_supervisor: bool) -> None:
        """Close the room; the watched parties go back to their bridge (if still there)."""
        self._by_supervisor.pop(session.supervisor.call_id, None)
        self._by_watched.pop(session.watched.call_id, None)
        if session.room is not None:
            session.room.close()
        watched = session.watched
        a, b = session.agent.media, session.other.media
        if watched.state is CallState.ANSWERED and a is not None and b is not None:
            try:
                self.actions.core.engine.bridge(a, b)
            except ValueError as exc:  # BridgeError
                log.warning("call %s: not bridged again: %s", watched.call_id, exc)
                await self.actions.ending.hang_up(watched, cause="monitor-media",
                                                  who=HangupSide.SYSTEM)  # fmt: skip
        supervisor = session.supervisor
        if hang_up_supervisor:
            if supervisor.state is CallState.ANSWERED:
                await self.actions.ending.hang_up(supervisor, cause="monitored-call-ended",
                                                  who=HangupSide.SYSTEM)  # fmt: skip
            elif supervisor.state is not CallState.ENDED:
                await self.actions.ending.reject(supervisor, 487, "the monitored call ended")

    # ---- from the API -----------------------------------------------------------------------
    async def monitor(
        self, tenant_id: int, call_id: str, extension: str, mode: str
    ) -> dict[str, object]:
        """Ring `extension` (auto-answer) and join it to call `call_id` in `mode`."""
        try:
            chosen = MonitorMode(mode)
        except ValueError:
            raise ValidationFailed("mode must be listen, whisper or barge", error_id="bad-mode",
                                   field="mode") from None  # fmt: skip
        actions = self.actions
        core = actions.core
        watched = actions.find(call_id, tenant_id)
        if watched is None or watched.state is CallState.ENDED:
            raise NotFound(f"no live call {call_id}", error_id="call-not-found")
        refusal = await self.supervisor_refusal(tenant_id, extension)
        if refusal is not None:
            error = NotFound if refusal.status == 404 else Forbidden
            raise error(refusal.reason, error_id=refusal.error_id, field="extension")
        if not actions.registered(tenant_id, extension):
            raise Conflict(f"extension {extension} has no registered phone",
                           error_id="extension-not-registered")  # fmt: skip
        if watched.state is not CallState.ANSWERED or watched.b is None:
            raise Conflict(f"call {call_id} is not an answered two-party call",
                           error_id="call-not-answered")  # fmt: skip
        plan = await actions.plan(tenant_id)
        extensions = plan.extensions if plan is not None else {}
        agent = watched_agent(watched, extensions)
        if extension in (watched.a.peer, watched.b.peer):
            raise Conflict(f"extension {extension} is a party of call {call_id}",
                           error_id="monitor-own-call")  # fmt: skip
        busy = self._busy(watched)
        if busy is not None:
            raise Conflict(f"call {call_id}: {busy}", error_id="call-not-monitorable")
        try:
            media = await core.engine.allocate()
        except PortPoolExhausted as exc:
            raise Conflict("no media port is free", error_id="media-exhausted") from exc
        supervisor = placed_call(
            core, tenant_id=tenant_id, domain=watched.domain, party=extension,
            caller=extension, callee=f"monitor:{call_id}", shown_name=f"{mode} {agent.peer}",
            sdp=core.engine.offer_for(media).serialize(), peer="api", media=media,
        )  # fmt: skip
        owner = SupervisorRing(self, watched, agent, chosen, auto_answer_headers(watched.domain))
        log.info("call %s: %s rung to %s from the API", call_id, extension, mode)
        await actions.outbound.ring_extension(supervisor, extension, owner)
        state = "ringing" if supervisor.state is CallState.RINGING else supervisor.state.value
        return {"call_id": call_id, "monitor_call_id": supervisor.call_id,
                "extension": extension, "mode": chosen.value, "state": state}  # fmt: skip

    async def supervisor_answered(
        self, ring: SupervisorRing, call: Call, side: SipSide, response: Response
    ) -> None:
        actions = self.actions
        core = actions.core
        call.timers.cancel(TimerKind.RING)
        actions.outbound.cancel_forks(call, keep=side)
        core.ack(call, side, response)
        unusable = take_answer(core, call, side, response)
        if unusable is not None:
            await actions.ending.reject(call, 488, unusable)
            return
        core.event(call, "answered")
        busy = self._busy(ring.watched) if ring.watched.state is CallState.ANSWERED else "ended"
        if busy is not None:
            log.info("call %s: not monitored after all: %s", ring.watched.call_id, busy)
            await actions.ending.hang_up(call, cause="monitor-refused", who=HangupSide.SYSTEM)
            return
        self._start(call, ring.watched, ring.agent, ring.mode)
