"""ACD queues in the call layer: queue numbers, the agents' codes, and who is free (issue 13).

Theory of operation
-------------------
* Plan: every queue's number is contributed to its tenant's plan, so the router sends `500`
  here (`ToFeature("queue", "500")`) and the call is handed to the `queue` app (`apps/queue`):
  the app answers, plays music on hold and announcements, and runs the caller's waiting state
  machine (`apps/queue/machine.py`). An IVR flow's `queue` target runs the same app on its
  channel. The app asks this feature (`QueueFeature`, "the board") which agents are free and
  offers the caller through its `CallControl` (`TransferKind.QUEUE_AGENTS`: the agents ring
  together, the caller keeps its music, the first to answer is bridged with the caller).
* Who is free: a member of the queue whose chosen state is READY (`agent_state.py`; no row:
  ready), with a registered phone, not in a call (live presence), not ringing with another
  caller's offer, not in a queue call and not in wrap-up. A paused, logged-out, wrapping-up,
  busy or ringing agent is never offered. "Logged in" (for the immediate overflow of a queue
  nobody answers) is any member not LOGGED_OUT.
* Callers are served first come, first served per queue: only the head of a queue's line gets
  an offer; the others wait (their position is announced from the same line).
* After a queue call: the agent's talk time and the call's talk time are written when the call
  ends (`ended` hook), then the agent is in wrap-up for the queue's wrap-up seconds (recorded
  in full at that moment); then it is free again. Ring time is written by the app per offer.
* Agent codes from the agent's own phone: `*50` log in (every queue it is a member of), `*50N`
  log in and join queue N of its tenant (dynamic member), `*51` log out, `*52` + reason code
  pause (`*52` alone: reason 1), `*53` resume — answered with the confirmation tone; a code
  naming a queue or reason that does not exist in the caller's tenant is refused (404/403).
* Callbacks ("press 1 to be called back", `apps/queue/callback.py`): the entry stays in the
  line while its caller is away; while the queue rings the caller back (its agents reserved,
  marked ringing) or waits to retry, it counts as being offered, so the callers behind it are
  served; `place_callback` places the call in the queue's tenant (`queue_callback.py`).
* State kept here is per worker (`LiveState` would take it for scale-out): busy/wrap-up/idle
  per agent, calls answered per queue and agent today, the last agent offered per queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from centrex.calls.app_host import TransferOutcome
from centrex.calls.call import Call, SipSide
from centrex.calls.features import FeatureHooks, PlanPart
from centrex.calls.features import agent_state as agents_db
from centrex.calls.features.forward import caller_extension, confirm
from centrex.calls.features.queue_callback import place_callback
from centrex.calls.features.queue_strategies import AgentInfo, OfferContext, offer_for
from centrex.calls.live_state import AgentState, AgentStatus, Presence
from centrex.data.db import Database
from centrex.data.models import (
    AgentEvent,
    AgentMode,
    CallQueue,
    QueueCall,
    QueueMember,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import CentrexError
from centrex.events import QueueChanged

log = logging.getLogger(__name__)

QUEUE_FEATURE = "queue"
QUEUE_APP = "queue"
AGENT_CODE = "agent-code"
AGENT_LOGIN_QUEUE = "agent-login-queue"
AGENT_PAUSE = "agent-pause"
LOGIN, LOGOUT, PAUSE, RESUME = "*50", "*51", "*52", "*53"
UNAVAILABLE = frozenset({Presence.BUSY, Presence.RINGING, Presence.OFFLINE})
ANSWER_WAIT_SECONDS = 5.0  # the answered hooks run just after a transfer reports connected


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue as one caller's wait uses it (read when the caller enters)."""

    number: str
    strategy: str
    ring_seconds: int
    wrap_up_seconds: int
    max_wait_seconds: int
    fallback: str | None
    announce_position: bool
    service_level_seconds: int
    min_level: int
    members: tuple[tuple[str, int], ...]  # (extension, level) in configured order
    callback: bool = False  # "press 1 to be called back"
    callback_attempts: int = 3
    callback_retry_seconds: int = 30


@dataclass
class _Connected:
    tenant_id: int
    queue: str
    agent: str
    row_id: int
    answered_at: float
    answered_wall: datetime
    wrap_up: int


@dataclass
class _Tenant:
    busy: dict[str, str] = field(default_factory=dict)  # agent → call id
    ringing: set[str] = field(default_factory=set)
    wrap_until: dict[str, float] = field(default_factory=dict)
    idle_since: dict[str, float] = field(default_factory=dict)
    calls: dict[tuple[str, str], int] = field(default_factory=dict)  # (queue, agent) → answered
    last_offered: dict[str, str] = field(default_factory=dict)
    lines: dict[str, list[str]] = field(default_factory=dict)  # queue → caller tokens in order
    offering: set[str] = field(default_factory=set)  # callers whose offer is ringing


async def load_queue(scope: TenantScope, number: str) -> QueueConfig | None:
    queue = await scope.first(CallQueue, CallQueue.number == number)
    if queue is None:
        return None
    rows = await scope.list(QueueMember, QueueMember.queue_id == queue.id,
                            order_by=QueueMember.position)  # fmt: skip
    return QueueConfig(
        queue.number, queue.strategy.value, queue.ring_seconds, queue.wrap_up_seconds,
        queue.max_wait_seconds, queue.fallback, queue.announce_position,
        queue.service_level_seconds, queue.min_level,
        tuple((r.extension, r.level) for r in rows),
        queue.callback, queue.callback_attempts, queue.callback_retry_seconds,
    )  # fmt: skip


class QueueFeature:
    """The queue feature: plan numbers, agent codes, and the board of free agents."""

    name = "queue"

    def __init__(
        self, database: Database, monotonic: Callable[[], float], utcnow: Callable[[], datetime]
    ) -> None:
        self._database = database
        self._monotonic = monotonic
        self._utcnow = utcnow
        self._hooks: FeatureHooks | None = None
        self._tenants: dict[int, _Tenant] = {}
        self._expected: dict[str, tuple[int, str, int, int]] = {}  # call → (tenant, q, row, wrap)
        self._connected: dict[str, _Connected] = {}
        self._answers: dict[str, asyncio.Future[str | None]] = {}

    @property
    def hooks(self) -> FeatureHooks:
        if self._hooks is None:
            raise RuntimeError("the queue feature is not attached")
        return self._hooks

    def attach(self, hooks: FeatureHooks) -> None:
        self._hooks = hooks
        hooks.contribute(self.name, self._contribute)
        hooks.serve(QUEUE_FEATURE, self._serve)
        hooks.serve(AGENT_CODE, self._code)
        hooks.serve(AGENT_LOGIN_QUEUE, self._login_queue)
        hooks.serve(AGENT_PAUSE, self._pause)
        hooks.on_answered(self.name, self._answered)
        hooks.on_ended(self.name, self._ended)

    def _tenant(self, tenant_id: int) -> _Tenant:
        return self._tenants.setdefault(tenant_id, _Tenant())

    async def _contribute(self, session: AsyncSession, tenant: Tenant) -> PlanPart:
        scope = TenantScope(session, tenant.id, tenant.domain)
        queues = await scope.list(CallQueue)
        numbers = {q.number: (QUEUE_FEATURE, q.number) for q in queues}
        numbers.update({LOGIN: (AGENT_CODE, "login"), LOGOUT: (AGENT_CODE, "logout"),
                        PAUSE: (AGENT_CODE, "pause"), RESUME: (AGENT_CODE, "resume")})  # fmt: skip
        return PlanPart(numbers=numbers, prefixes={LOGIN: AGENT_LOGIN_QUEUE, PAUSE: AGENT_PAUSE})

    async def _serve(self, call: Call, number: str) -> None:
        actions = self.hooks.actions
        if not actions.apps.available(QUEUE_APP):
            await actions.reject(call, 480, "queues are not available")
            return
        await actions.run_app(call, QUEUE_APP, extension=number)

    # ---- the board (asked by the queue app) -------------------------------------------------
    async def config(self, tenant_id: int, number: str) -> QueueConfig | None:
        async with self._database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return None
            return await load_queue(TenantScope(session, tenant.id, tenant.domain), number)

    def _publish(self, tenant_id: int, number: str, state: str, extension: str = "") -> None:
        """Tell wallboards (the events WebSocket) that the queue or an agent changed."""
        if self._hooks is not None:
            publish = self._hooks.actions.core.deps.publish
            publish(QueueChanged(tenant_id, number=number, state=state, extension=extension))

    def enter(self, tenant_id: int, queue: str, token: str) -> None:
        self._tenant(tenant_id).lines.setdefault(queue, []).append(token)
        self._publish(tenant_id, queue, "entered")

    def leave(self, tenant_id: int, queue: str, token: str) -> None:
        line = self._tenant(tenant_id).lines.get(queue, [])
        if token in line:
            line.remove(token)
        self._publish(tenant_id, queue, "left")

    def next_in_line(self, tenant_id: int, queue: str, token: str) -> bool:
        """True when every caller ahead of `token` is being offered already: `token` is the
        first caller still waiting for an agent (first come, first served)."""
        state = self._tenant(tenant_id)
        line = state.lines.get(queue, [])
        if token not in line:
            return False
        return all(ahead in state.offering for ahead in line[: line.index(token)])

    def position(self, tenant_id: int, queue: str, token: str) -> int:
        """1 for the head of the line (0: not in it)."""
        line = self._tenant(tenant_id).lines.get(queue, [])
        return line.index(token) + 1 if token in line else 0

    async def availability(
        self, tenant_id: int, config: QueueConfig
    ) -> tuple[int, list[AgentInfo]]:
        """(members logged in, the members free for an offer now)."""
        state = self._tenant(tenant_id)
        now = self._monotonic()
        extensions = [ext for ext, _ in config.members]
        async with self._database.session() as session:
            tenant = await session.get(Tenant, tenant_id)
            if tenant is None:
                return 0, []
            modes = await agents_db.modes(TenantScope(session, tenant.id, tenant.domain),
                                          extensions)  # fmt: skip
        logged_in = sum(1 for e in extensions if modes[e] is not AgentMode.LOGGED_OUT)
        free: list[AgentInfo] = []
        actions = self.hooks.actions
        for position, (ext, level) in enumerate(config.members):
            if modes[ext] is not AgentMode.READY or ext in state.busy or ext in state.ringing:
                continue
            if ext in state.wrap_until:
                if state.wrap_until[ext] > now:
                    continue
                del state.wrap_until[ext]  # wrap-up over: ready again for the live state too
                status = AgentStatus(AgentState.READY, "", now)
                await self.hooks.actions.live.set_agent(tenant_id, ext, status)
            registered = actions.registered(tenant_id, ext)
            presence = await actions.live.presence(tenant_id, ext, registered=registered)
            if presence in UNAVAILABLE:
                continue
            free.append(AgentInfo(ext, position, level, state.idle_since.get(ext),
                                  state.calls.get((config.number, ext), 0)))  # fmt: skip
        return logged_in, free

    def choose(self, tenant_id: int, config: QueueConfig, free: list[AgentInfo]) -> tuple[str, ...]:
        """The agents to offer the head caller to; they are marked ringing until `offer_done`."""
        state = self._tenant(tenant_id)
        context = OfferContext(state.last_offered.get(config.number), config.min_level,
                               tuple(ext for ext, _ in config.members))  # fmt: skip
        chosen = offer_for(config.strategy, free, context)
        if chosen:
            state.last_offered[config.number] = chosen[-1]
            state.ringing.update(chosen)
        return chosen

    def set_offering(self, tenant_id: int, token: str, offering: bool) -> None:
        """A callback entry being rung back or waiting to retry does not hold up the callers
        behind it (`next_in_line` treats it as offered)."""
        state = self._tenant(tenant_id)
        if offering:
            state.offering.add(token)
        else:
            state.offering.discard(token)

    def release(self, tenant_id: int, agents: tuple[str, ...]) -> None:
        """Agents reserved for a callback whose caller was not reached are free again."""
        self._tenant(tenant_id).ringing.difference_update(agents)

    async def place_callback(
        self, tenant_id: int, queue: str, number: str, token: str, ring_seconds: float
    ) -> TransferOutcome:
        """Call `number` back for queue `queue` of `tenant_id` (`queue_callback.py`)."""
        return await place_callback(self.hooks.actions, tenant_id, queue=queue, number=number,
                                    token=token, ring_seconds=ring_seconds)  # fmt: skip

    async def offer_done(
        self,
        tenant_id: int,
        queue: str,
        token: str,
        agents: tuple[str, ...],
        started: datetime,
        seconds: float,
    ) -> None:
        """An offer ended (answered or not): the agents ring no more; their ring time is kept."""
        state = self._tenant(tenant_id)
        state.ringing.difference_update(agents)
        state.offering.discard(token)
        async with self._database.transaction() as session:
            for agent in agents:
                session.add(AgentEvent(tenant_id=tenant_id, extension=agent, kind="ring",
                                       queue_number=queue, started_at=started,
                                       seconds=seconds))  # fmt: skip

    def expect(self, call_id: str, tenant_id: int, config: QueueConfig, row_id: int) -> None:
        """The next answer of `call_id` is a queue call (its talk time goes to row `row_id`)."""
        self._expected[call_id] = (tenant_id, config.number, row_id, config.wrap_up_seconds)
        self._tenant(tenant_id).offering.add(call_id)
        self._answers[call_id] = asyncio.get_running_loop().create_future()

    async def agent_of(self, call_id: str) -> str | None:
        """The agent who answered `call_id`: the call layer runs the answered hooks just after
        it reports the transfer connected, so wait (bounded) for ours."""
        answer = self._answers.get(call_id)
        if answer is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(answer), ANSWER_WAIT_SECONDS)
        except TimeoutError:
            return None
        finally:
            self._answers.pop(call_id, None)

    async def _answered(self, call: Call, _side: SipSide) -> None:
        expected = self._expected.pop(call.call_id, None)
        if expected is None:
            return
        tenant_id, queue, row_id, wrap_up = expected
        agent = call.callee
        answer = self._answers.get(call.call_id)
        if answer is not None and not answer.done():
            answer.set_result(agent)
        state = self._tenant(tenant_id)
        state.busy[agent] = call.call_id
        self._publish(tenant_id, queue, "agent", agent)
        state.calls[(queue, agent)] = state.calls.get((queue, agent), 0) + 1
        self._connected[call.call_id] = _Connected(
            tenant_id, queue, agent, row_id, self._monotonic(), self._utcnow(), wrap_up
        )

    async def _ended(self, call: Call) -> None:
        self._expected.pop(call.call_id, None)
        answer = self._answers.pop(call.call_id, None)
        if answer is not None and not answer.done():
            answer.set_result(None)
        connected = self._connected.pop(call.call_id, None)
        if connected is None:
            return
        now = self._monotonic()
        state = self._tenant(connected.tenant_id)
        state.busy.pop(connected.agent, None)
        state.wrap_until[connected.agent] = now + connected.wrap_up
        state.idle_since[connected.agent] = now
        talk = max(0.0, now - connected.answered_at)
        ended_wall = self._utcnow()
        async with self._database.transaction() as session:
            row = await session.get(QueueCall, connected.row_id)
            if row is not None and row.tenant_id == connected.tenant_id:
                row.talk_seconds = talk
            session.add(AgentEvent(tenant_id=connected.tenant_id, extension=connected.agent,
                                   kind="talk", queue_number=connected.queue,
                                   started_at=connected.answered_wall, seconds=talk))  # fmt: skip
            if connected.wrap_up > 0:
                session.add(AgentEvent(tenant_id=connected.tenant_id, extension=connected.agent,
                                       kind="wrap-up", queue_number=connected.queue,
                                       started_at=ended_wall,
                                       seconds=float(connected.wrap_up)))  # fmt: skip
        await self.hooks.actions.live.set_agent(
            connected.tenant_id, connected.agent, AgentStatus(AgentState.WRAP_UP, "", now)
        )
        self._publish(connected.tenant_id, connected.queue, "agent", connected.agent)

    # ---- the agents' codes ------------------------------------------------------------------
    async def _code(self, call: Call, argument: str) -> None:
        state = {"login": "ready", "resume": "ready", "logout": "logged-out", "pause": "paused"}
        tone = "agent-off" if argument in ("logout", "pause") else "agent-on"
        await self._change(call, state[argument], "1" if argument == "pause" else "", None, tone)

    async def _login_queue(self, call: Call, queue: str) -> None:
        await self._change(call, "ready", "", queue, "agent-on")

    async def _pause(self, call: Call, reason: str) -> None:
        await self._change(call, "paused", reason, None, "agent-off")

    async def _change(
        self, call: Call, state: str, reason: str, queue: str | None, tone: str
    ) -> None:
        actions = self.hooks.actions
        try:
            async with self._database.transaction() as session:
                scope, extension = await caller_extension(session, call)
                view = await agents_db.set_agent_state(scope, extension.number, state,
                                                       self._utcnow(), reason, queue)  # fmt: skip
        except CentrexError as exc:
            log.info("call %s: agent code refused: %s", call.call_id, exc.message)
            await actions.reject(call, exc.status if exc.status == 404 else 403, exc.message)
            return
        log.info("call %s: agent %s is %s %s", call.call_id, view.extension, view.state.value,
                 view.reason)  # fmt: skip
        live = {"ready": AgentState.READY, "paused": AgentState.PAUSED}.get(
            view.state.value, AgentState.LOGGED_OUT
        )
        await actions.live.set_agent(call.tenant_id, view.extension,
                                     AgentStatus(live, view.reason, self._monotonic()))  # fmt: skip
        self._publish(call.tenant_id, "", "agent", view.extension)
        await confirm(self.hooks, call, tone)
