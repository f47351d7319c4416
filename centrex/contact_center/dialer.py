"""The outbound dialer inside `serve`: one runner per running campaign, about once a second.

Theory of operation (issue 15 item 3):

* `Dialer` looks for running campaigns every tick (all tenants: it is platform wiring, like the
  B2BUA) and keeps one `CampaignRunner` per running campaign; a paused or stopped campaign
  places nothing new and its runner goes once its calls are over. Nothing runs when no
  campaign does: the loop is one small query per second.
* Each tick a runner builds the pacer's `Snapshot` from live state — its agents (the
  campaign's extensions and the current members of its agent groups, resolved afresh every
  tick by `campaign_agents.campaign_agents`: *logged in* when registered and not logged out in the
  queue agent-state store, *ready* when that store says READY and the agent is neither in a
  call, nor reserved, talking or wrapping up for the dialer), its calls ringing, its answered
  calls waiting for an agent — asks `calls_to_place`, claims that many leads from the hopper
  (`hopper.claim_leads`: due, DNC, window, exclusive claim) and dials each one
  (`handoff.place_lead_call`) with the campaign's caller ID.
* Due callbacks come first (`dialer_callbacks.pick_callbacks`, issue 15 item 5): each goes
  to one ready agent reserved for it (a personal one to its agent, even when the agent now
  works in this campaign for another one: a `LeadOffered` "callback" notice names the
  callback's campaign, the agent's INVITE carries `X-Centrex-Callback`), and they are
  subtracted from the calls the pacer wants. Its end is the callback's (`finish_callback`:
  done, retried after `callback_retry_seconds`, missed), not a lead attempt.
* The pacer `observe`s every outcome: answered / no-answer / busy / failed with the ring
  seconds, connected or dropped, talk-ended with the talk seconds, wrap-ended with the wrap
  seconds. The pacer itself is pure (`pacing.py`) and is rebuilt when the campaign's method,
  ratio or drop target change.
* An answered lead is offered to a ready agent at once (waiting up to `HANDOFF_SECONDS` = 2 s
  for one to become ready): an INVITE with `X-Centrex-Lead` and a `LeadOffered` event. If no
  agent answers in time the lead hears the safe-harbour message and the attempt is `dropped`.
* Every attempt is written (`hopper.record_attempt`) with its outcome, caller ID, call id,
  agent, ring/talk/wrap seconds, and the lead moves by `lead_outcomes`' table.
* Each tick's snapshot also feeds the runner's `occupancy.AgentTime` (agents logged in, busy
  talking or wrapping up); about every `TIME_FLUSH_SECONDS` and when a runner goes, the sums
  are added to the campaign's row of the day: the `occupancy_pct` of `campaign stats`.

Agents are shared between campaigns of a tenant: reservations live in the `Dialer`, so one
agent never gets two leads at once. A bug or a database error in one campaign's tick is
logged and that tick skipped; the loop and the other campaigns go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select

from centrex.apps.prompts.library import PromptLibrary
from centrex.calls.actions import CallActions
from centrex.calls.app_host import TransferOutcome
from centrex.calls.call import Call
from centrex.calls.features import agent_state as agents_db
from centrex.calls.leg import CallState
from centrex.clock import Clock
from centrex.contact_center.agent_sessions import unavailable_for
from centrex.contact_center.callbacks import RETRY_SECONDS
from centrex.contact_center.campaign_agents import campaign_agents
from centrex.contact_center.campaigns import caller_id_of_call
from centrex.contact_center.dialer_callbacks import (
    CallbackPick,
    finish_pick,
    pick_callbacks,
    release_placed,
)
from centrex.contact_center.dialer_state import Agent, AgentUse, CampaignConfig, LiveLead
from centrex.contact_center.handoff import (
    PlacedLead,
    detect_machine,
    hand_to_agent,
    hang_up_machine,
    place_lead_call,
    play_safe_harbour,
)
from centrex.contact_center.hopper import (
    Attempt,
    ClaimedLead,
    claim_leads,
    record_attempt,
    release_unfinished,
)
from centrex.contact_center.lead_outcomes import AttemptOutcome
from centrex.contact_center.occupancy import AgentTime, add_agent_time
from centrex.contact_center.pacing import Outcome, OutcomeKind, Pacer, Snapshot, make_pacer
from centrex.contact_center.safe_harbour import safe_harbour_prompt
from centrex.data.db import Database
from centrex.data.models import (
    AgentMode,
    Campaign,
    CampaignStatus,
    Tenant,
)
from centrex.data.tenancy import TenantScope
from centrex.events import Event, LeadOffered
from centrex.media.amd import Verdict

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
HANDOFF_SECONDS = 2.0  # an answered lead hears an agent or the safe-harbour message by then
RING_SECONDS = 25.0  # a lead rings this long before it counts as no answer
# an offered agent's phone rings this long at most: the lead is waiting in silence meanwhile,
# so an agent desktop or phone is expected to auto-answer; a phone that does not answer in
# time loses the lead to the next ready agent or to the safe-harbour message
AGENT_RING_SECONDS = 3.0
WRAP_SECONDS = 5.0  # the agent's wrap-up after a dialer call
_POLL = 0.1
TIME_FLUSH_SECONDS = 30.0  # agent time written this often (and when a runner goes)


@dataclass(eq=False)
class CampaignRunner:
    dialer: Dialer
    config: CampaignConfig
    pacer: Pacer
    live: set[LiveLead] = field(default_factory=set)
    agents: list[Agent] = field(default_factory=list)
    prompt: Path | None = None
    time: AgentTime = field(default_factory=lambda: AgentTime(max_gap=5 * TICK_SECONDS))

    # ---- the tick ------------------------------------------------------------------------
    async def tick(self) -> None:
        self.agents = await self.dialer.campaign_agents(self.config)
        if self.config.status is not CampaignStatus.RUNNING:
            self.time.pause()
            return
        snapshot = self.snapshot()
        self.time.sample(snapshot.now, snapshot.agents_logged_in,
                         len(snapshot.agents_talking) + len(snapshot.agents_wrapping))  # fmt: skip
        want = self.pacer.calls_to_place(snapshot)
        if want <= 0:
            return
        ready = {a.extension_id: a.extension for a in self.ready_agents()}
        picks = await pick_callbacks(self.dialer.database, self.config.tenant_id, self.config.id,
                                     ready, want, self.dialer.clock.utcnow())  # fmt: skip
        for pick in picks:  # due callbacks go ahead of new leads, to their reserved agent
            self.dialer.use_agent(self.config.tenant_id, pick.extension, "reserved")
            self.dialer.spawn(self.dial(_callback_lead(pick), pick))
        want -= len(picks)
        if want <= 0:
            return
        leads = await claim_leads(self.dialer.database, self.config.tenant_id, self.config.id,
                                  want, self.dialer.clock.utcnow())  # fmt: skip
        for lead in leads:
            self.dialer.spawn(self.dial(lead))

    def snapshot(self) -> Snapshot:
        now = self.dialer.clock.monotonic()
        dialer = self.dialer
        tenant = self.config.tenant_id
        logged_in = [a for a in self.agents if a.registered and a.mode is not AgentMode.LOGGED_OUT]
        talking, wrapping = [], []
        for agent in logged_in:
            use = dialer.agent_use(tenant, agent.extension, now)
            if use is not None and use.state == "talking":
                talking.append(now - use.since)
            elif use is not None and use.state == "wrapping":
                wrapping.append(now - use.since)
        ringing = tuple(now - c.placed_at for c in self.live if c.answered_at is None)
        waiting = sum(1 for c in self.live if c.answered_at is not None and not c.connected)
        return Snapshot(
            now=now, agents_logged_in=len(logged_in), agents_ready=len(self.ready_agents()),
            agents_talking=tuple(talking), agents_wrapping=tuple(wrapping),
            calls_ringing=ringing, calls_waiting=waiting,
        )  # fmt: skip

    async def write_time(self) -> None:
        logged_in, busy = self.time.take()
        await add_agent_time(self.dialer.database, self.config.tenant_id, self.config.id,
                             self.dialer.clock.utcnow().date(), logged_in, busy)  # fmt: skip

    def ready_agents(self) -> list[Agent]:
        now = self.dialer.clock.monotonic()
        tenant = self.config.tenant_id
        return [
            a for a in self.agents
            if a.registered and a.mode is AgentMode.READY
            and self.dialer.agent_use(tenant, a.extension, now) is None
            and not self.dialer.in_call(tenant, a.extension)
        ]  # fmt: skip

    def observe(self, kind: str, seconds: float = 0.0) -> None:
        outcome_kind = cast(OutcomeKind, kind)  # AttemptOutcome's values are pacing kinds
        self.pacer.observe(Outcome(outcome_kind, self.dialer.clock.monotonic(), seconds))

    # ---- one lead ------------------------------------------------------------------------
    async def dial(self, lead: ClaimedLead, callback: CallbackPick | None = None) -> None:
        dialer = self.dialer
        live = LiveLead(lead, dialer.clock.monotonic(), dialer.clock.utcnow(), callback=callback)
        self.live.add(live)
        if callback is not None:  # the agent's notice comes before the call
            self.publish(live, callback.extension, "callback", campaign=callback.campaign)
        try:
            await self._dial(live)
        except Exception:  # a bug in one call never strands its lead in `in-call`
            log.exception("campaign %s: call to lead %s failed", self.config.name, lead.id)
            with contextlib.suppress(Exception):
                await self.record(live, AttemptOutcome.FAILED)
        finally:
            self.live.discard(live)
            if callback is not None and not live.connected:
                dialer.free_agent(self.config.tenant_id, callback.extension)

    async def _dial(self, live: LiveLead) -> None:
        dialer, lead = self.dialer, live.lead
        actions = dialer.actions()
        origin = replace(self.config, id=lead.campaign_id)  # a callback: its campaign's ID
        live.caller_id = await dialer.caller_id(origin, lead.number)
        placed = await place_lead_call(actions, lead.tenant_id, number=lead.number,
                                       caller_id=live.caller_id,
                                       ring_seconds=dialer.ring_seconds)  # fmt: skip
        if isinstance(placed, AttemptOutcome):
            self.observe(placed.value)
            await self.record(live, placed)
            return
        live.call = placed.call
        ring_end = await placed.ring.done
        ring_seconds = dialer.clock.monotonic() - live.placed_at
        if ring_end is not None:
            self.observe(ring_end.value, ring_seconds)
            await self.record(live, ring_end, ring_seconds=ring_seconds)
            return
        live.answered_at = dialer.clock.monotonic()
        if self.config.amd and await self._machine(live, placed.call, ring_seconds):
            return
        self.observe("answered", ring_seconds)
        await self._answered(live, placed, ring_seconds)

    async def _machine(self, live: LiveLead, call: Call, ring_seconds: float) -> bool:
        """Answering-machine detection: a machine is hung up and counted `machine`."""
        actions = self.dialer.actions()
        detector = await detect_machine(actions, call, self.dialer.clock.monotonic)
        log.info("campaign %s: lead %s answered by %s (%s, %d words, %.0f ms)",
                 self.config.name, live.lead.id, detector.verdict, detector.cause,
                 detector.words, detector.elapsed_ms)  # fmt: skip
        if detector.verdict is not Verdict.MACHINE:
            return False
        self.observe("machine", ring_seconds)
        self.publish(live, "", "machine")
        await hang_up_machine(actions, call)
        await self.record(live, AttemptOutcome.MACHINE, ring_seconds=ring_seconds)
        return True

    async def _answered(self, live: LiveLead, placed: PlacedLead, ring_seconds: float) -> None:
        dialer, call = self.dialer, placed.call
        agent = await self._hand_off(live, call)
        if agent is None:
            self.observe("dropped")
            self.publish(live, "", "dropped")
            log.info("campaign %s: lead %s answered, no agent: safe-harbour message",
                     self.config.name, live.lead.id)  # fmt: skip
            await play_safe_harbour(dialer.actions(), call, self.prompt)
            await self.record(live, AttemptOutcome.DROPPED, ring_seconds=ring_seconds)
            return
        live.connected = True
        self.observe("connected")
        self.publish(live, agent.extension, "connected")
        talk_start = dialer.clock.monotonic()
        dialer.use_agent(self.config.tenant_id, agent.extension, "talking")
        # the call layer has no end hook for its callers: a bridged call is watched (0.2 s)
        while call.state is not CallState.ENDED:  # noqa: ASYNC110
            await asyncio.sleep(_POLL * 2)
        talk = dialer.clock.monotonic() - talk_start
        self.observe("talk-ended", talk)
        dialer.use_agent(self.config.tenant_id, agent.extension, "wrapping")
        await self.record(live, AttemptOutcome.ANSWERED, ring_seconds=ring_seconds,
                          talk_seconds=talk, wrap_seconds=dialer.wrap_seconds,
                          extension_id=agent.extension_id)  # fmt: skip
        await asyncio.sleep(dialer.wrap_seconds)
        dialer.free_agent(self.config.tenant_id, agent.extension)
        self.observe("wrap-ended", dialer.wrap_seconds)

    async def _hand_off(self, live: LiveLead, call: Call) -> Agent | None:
        """Offer the answered lead to ready agents, one at a time, until one answers; look for
        one for at most HANDOFF_SECONDS (then the lead must hear the safe-harbour message)."""
        dialer = self.dialer
        deadline = (live.answered_at or dialer.clock.monotonic()) + HANDOFF_SECONDS
        tried: set[str] = set()
        while call.state is CallState.ANSWERED:
            ready = [a for a in self._offerable(live) if a.extension not in tried]
            if not ready:
                if dialer.clock.monotonic() >= deadline:
                    return None
                await asyncio.sleep(_POLL)
                continue
            agent = ready[0]
            tried.add(agent.extension)
            dialer.use_agent(self.config.tenant_id, agent.extension, "reserved")
            self.publish(live, agent.extension, "offered")
            notice = live.callback.campaign if live.callback is not None else None
            outcome = await hand_to_agent(dialer.actions(), call, agent.extension, live.lead.id,
                                          dialer.agent_ring_seconds, notice)  # fmt: skip
            if outcome is TransferOutcome.CONNECTED:
                return agent
            dialer.free_agent(self.config.tenant_id, agent.extension)
            log.info("campaign %s: agent %s did not take lead %s (%s)", self.config.name,
                     agent.extension, live.lead.id, outcome.value)  # fmt: skip
            if dialer.clock.monotonic() >= deadline:
                return None
        return None

    def _offerable(self, live: LiveLead) -> list[Agent]:
        """Ready agents for a lead; a callback's agent only (reserved for it, not in a call)."""
        if live.callback is None:
            return self.ready_agents()
        wanted = live.callback.extension
        return [a for a in self.agents if a.extension == wanted and a.registered
                and not self.dialer.in_call(self.config.tenant_id, wanted)]  # fmt: skip

    def publish(self, live: LiveLead, extension: str, state: str, campaign: str = "") -> None:
        fields: dict[str, Any] = {"campaign": campaign or self.config.name,
                                  "campaign_id": live.lead.campaign_id}  # fmt: skip
        if live.callback is not None:  # the promise on each event (the desktop's notice)
            fields.update(live.callback.notice())
        self.dialer.publish(LeadOffered(
            tenant_id=self.config.tenant_id, lead_id=live.lead.id,
            number=live.lead.number, name=live.lead.name, extension=extension,
            call_id=live.call.call_id if live.call is not None else "", state=state, **fields,
        ))  # fmt: skip

    async def record(
        self,
        live: LiveLead,
        outcome: AttemptOutcome,
        *,
        ring_seconds: float = 0.0,
        talk_seconds: float = 0.0,
        wrap_seconds: float = 0.0,
        extension_id: int | None = None,
    ) -> None:
        attempt = Attempt(
            outcome=outcome, started_at=live.started_at, ended_at=self.dialer.clock.utcnow(),
            caller_id=live.caller_id, call_id=live.call.call_id if live.call else None,
            extension_id=extension_id, ring_seconds=ring_seconds, talk_seconds=talk_seconds,
            wrap_seconds=wrap_seconds,
        )  # fmt: skip
        if live.callback is not None:  # a callback's try is the callback's, not a lead attempt
            await finish_pick(self.dialer.database, live.callback,
                              answered=outcome is AttemptOutcome.ANSWERED,
                              now=attempt.ended_at,
                              retry_seconds=self.dialer.callback_retry_seconds)  # fmt: skip
            return
        status = await record_attempt(self.dialer.database, live.lead, attempt,
                                      max_attempts=self.config.max_attempts,
                                      retry_delays=self.config.retry_delays)  # fmt: skip
        log.info("campaign %s: lead %s %s via %s: %s (lead now %s)", self.config.name,
                 live.lead.id, live.lead.number, live.caller_id, outcome.value,
                 status.value if status is not None else "gone")  # fmt: skip


def _callback_lead(pick: CallbackPick) -> ClaimedLead:
    due = pick.callback
    return ClaimedLead(due.lead_id, due.tenant_id, due.campaign_id, due.number, pick.name,
                       pick.postal_code, due.attempts)  # fmt: skip


class Dialer:
    """Runs every running campaign's runner; started and stopped by `server.py`."""

    def __init__(
        self,
        database: Database,
        actions: Callable[[], CallActions],
        prompts: PromptLibrary,
        clock: Clock,
        publish: Callable[[Event], None],
        *,
        tick_seconds: float = TICK_SECONDS,
        ring_seconds: float = RING_SECONDS,
        agent_ring_seconds: float = AGENT_RING_SECONDS,
        wrap_seconds: float = WRAP_SECONDS,
        callback_retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.database = database
        self.actions = actions
        self.prompts = prompts
        self.clock = clock
        self.publish = publish
        self.tick_seconds = tick_seconds
        self.ring_seconds = ring_seconds
        self.agent_ring_seconds = agent_ring_seconds
        self.wrap_seconds = wrap_seconds
        self.callback_retry_seconds = callback_retry_seconds
        self.runners: dict[int, CampaignRunner] = {}
        self._agents: dict[tuple[int, str], AgentUse] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._time_written = 0.0

    # ---- life ------------------------------------------------------------------------------
    async def start(self) -> None:
        released = await release_unfinished(self.database, self.clock.utcnow())
        if released:
            log.warning("dialer: %d leads left in a call by a previous run are due again",
                        released)  # fmt: skip
        placed = await release_placed(self.database)
        if placed:
            log.warning("dialer: %d callbacks left placed by a previous run are due again",
                        placed)  # fmt: skip
        self._loop = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop placing calls; calls in progress are ended by the B2BUA's close, their leads
        are due again at the next start."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self.write_times(force=True)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dialer call task failed", exc_info=task.exception())

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a database hiccup skips one tick, never the dialer
                log.exception("dialer tick failed")
            await asyncio.sleep(self.tick_seconds)

    async def tick(self) -> None:
        configs = {c.id: c for c in await self.campaigns()}
        for campaign_id, old in list(self.runners.items()):
            config = configs.get(campaign_id)
            running = config is not None and config.status is CampaignStatus.RUNNING
            if not running and not old.live:
                del self.runners[campaign_id]  # paused, stopped or deleted, and its calls over
                configs.pop(campaign_id, None)
                with contextlib.suppress(Exception):  # its agent time so far
                    await old.write_time()
        for config in configs.values():
            found = self.runners.get(config.id)
            if found is None:
                if config.status is not CampaignStatus.RUNNING:
                    continue
                runner = CampaignRunner(self, config, self._pacer(config))
                runner.prompt = await self._prompt(config)
                self.runners[config.id] = runner
            else:
                runner = found
                if runner.config.pacing != config.pacing:
                    runner.pacer = self._pacer(config)
            runner.config = config
            try:
                await runner.tick()
            except Exception:
                log.exception("dialer: campaign %s of tenant %s: tick failed", config.name,
                              config.tenant_id)  # fmt: skip
        await self.write_times()

    async def write_times(self, *, force: bool = False) -> None:
        """Add the runners' agent time to the day's rows about every `TIME_FLUSH_SECONDS`."""
        now = self.clock.monotonic()
        if not force and now - self._time_written < TIME_FLUSH_SECONDS:
            return
        self._time_written = now
        for runner in list(self.runners.values()):
            try:
                await runner.write_time()
            except Exception:
                log.exception("dialer: agent time of campaign %s not written", runner.config.name)

    @staticmethod
    def _pacer(config: CampaignConfig) -> Pacer:
        return make_pacer(config.method, drop_target=config.drop_target,
                          ratio=config.ratio)  # fmt: skip

    async def _prompt(self, config: CampaignConfig) -> Path | None:
        """The tenant's safe-harbour prompt, generated when the campaign starts running (a drop
        cannot wait for espeak-ng)."""
        async with self.database.session() as session:
            tenant = await session.get(Tenant, config.tenant_id)
            if tenant is None:
                return None
            number = tenant.main_number
            name, language = tenant.name, str(tenant.language.value)
        try:
            return await safe_harbour_prompt(self.prompts, language, name, number)
        except Exception:  # no espeak-ng: a drop is then a plain hang-up, logged
            log.exception("safe-harbour prompt of tenant %s not generated", config.tenant_id)
            return None

    # ---- reading ---------------------------------------------------------------------------
    async def campaigns(self) -> list[CampaignConfig]:
        """Running campaigns, plus those this process still has calls or runners for."""
        wanted = list(self.runners)
        async with self.database.session() as session:
            stmt = select(Campaign).where(
                (Campaign.status == CampaignStatus.RUNNING) | Campaign.id.in_(wanted)
            )
            rows = (await session.scalars(stmt)).all()
        return [
            CampaignConfig(
                c.id,
                c.tenant_id,
                c.name,
                c.status,
                c.dial_method.value,
                float(c.ratio),
                float(c.drop_target),
                c.max_attempts,
                dict(c.retry_delays or {}),
                bool(c.amd),
            )
            for c in rows
        ]

    async def campaign_agents(self, config: CampaignConfig) -> list[Agent]:
        """The campaign's agents (its extensions and its groups' current members, resolved
        now) with their chosen state, in the campaign's tenant only."""
        async with self.database.session() as session:
            tenant = await session.get(Tenant, config.tenant_id)
            if tenant is None:
                return []
            scope = TenantScope(session, tenant.id, tenant.domain)
            rows = await campaign_agents(session, tenant.id, config.id)
            modes = await agents_db.modes(scope, [r.number for r in rows])
            # a desktop session in wrap-up or paused (or logged in elsewhere) takes no call
            held = await unavailable_for(scope, config.id, [r.extension_id for r in rows])
        actions = self.actions()
        return [
            Agent(r.number, r.extension_id,
                  AgentMode.PAUSED if r.extension_id in held else modes[r.number],
                  actions.registered(config.tenant_id, r.number))
            for r in rows
        ]  # fmt: skip

    async def caller_id(self, config: CampaignConfig, number: str) -> str | None:
        async with self.database.session() as session:
            tenant = await session.get(Tenant, config.tenant_id)
            if tenant is None:
                return None
            scope = TenantScope(session, tenant.id, tenant.domain)
            campaign = await scope.first(Campaign, Campaign.id == config.id)
            if campaign is None:
                return None
            return await caller_id_of_call(scope, campaign, number)

    def in_call(self, tenant_id: int, extension: str) -> bool:
        """The extension is a party of a live call of its tenant (any call, not only ours)."""
        for call in self.actions().calls_of(tenant_id):
            if call.state is not CallState.ENDED and extension in (call.caller, call.callee):
                return True
        return False

    # ---- agents the dialer holds -----------------------------------------------------------
    def agent_use(self, tenant_id: int, extension: str, now: float) -> AgentUse | None:
        use = self._agents.get((tenant_id, extension))
        if use is not None and use.state == "wrapping" and now - use.since > self.wrap_seconds:
            return None
        return use

    def use_agent(self, tenant_id: int, extension: str, state: str) -> None:
        self._agents[(tenant_id, extension)] = AgentUse(state, self.clock.monotonic())

    def free_agent(self, tenant_id: int, extension: str) -> None:
        self._agents.pop((tenant_id, extension), None)
