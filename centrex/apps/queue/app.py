"""The `queue` app: a caller waits in an ACD queue until an agent answers (issue 13 item 4).

How a wait runs (the rules are the state machine's, `machine.py`; who is free is the call
layer's board, `calls/features/queue.py`):

1. Answer, write the caller's `queue_calls` row (outcome `waiting`), join the queue's line and
   start the music on hold (the queue's own file, else the tenant's latest MOH upload, else the
   generated default) as one endless player, so the music never restarts while the caller
   waits or an offer rings.
2. Every `POLL_SECONDS` (and at once on entry): fire the machine's due timer (maximum wait:
   overflow; announcement, 3 s after entry then every 30 s: the music pauses for "you are
   caller number N, your estimated waiting time is about M minutes", then starts again),
   overflow at once when no member is logged in, and — when every caller ahead of this one is
   being offered already (first come, first served) and agents are free — offer it through the
   call layer's `CallControl` (`TransferKind.QUEUE_AGENTS`): the agents ring together for the
   queue's ring time while the music goes on. The first to answer is bridged with the caller
   (the call layer stops the music as it bridges); nobody answered: the caller waits on.
3. The row ends `answered` (wait, agent), `abandoned` (the caller hung up while waiting or
   while an offer rang) or `overflowed` (then the fallback: an extension or outside number is
   rung as a transfer, `voicemail:N` takes a message, none or a failure says goodbye).
4. A queue with `callback` on adds "press 1 to be called back, you keep your place" to the
   periodic announcement; a 1 pressed while waiting (RFC 4733, read between polls) hands the
   entry to `callback.py` — the caller hears "we will call you back at N" and is hung up, the
   entry keeps its place — and the callback call, once answered, resumes this wait on its own
   channel (`Wait.resume`: the reserved agent is offered, else it waits on at its place).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path
from typing import TYPE_CHECKING

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye
from centrex.apps.moh import moh_file
from centrex.apps.queue.callback import (
    CALLBACK_REASON,
    CallbackRun,
    Callbacks,
    callback_number,
    confirm_keys,
)
from centrex.apps.queue.machine import (
    CALLBACK_STATES,
    WaitAction,
    WaitingCaller,
    WaitInput,
    WaitState,
    estimated_wait,
)
from centrex.apps.voicemail import VoicemailApp, VoicemailServices
from centrex.calls.app_host import CallControl, TransferKind, TransferOutcome
from centrex.calls.features.queue import QueueConfig, QueueFeature
from centrex.data.models import CallQueue, QueueCall, QueueOutcome
from centrex.media.audio import frames, read_wav
from centrex.provisioning.prompt_catalog import number_key

if TYPE_CHECKING:
    from centrex.apps.launcher import LaunchContext

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
BEHIND_CHECK_SECONDS = 5.0  # a caller behind others reads the agents' states this often
ANNOUNCE_EVERY = 30.0
FIRST_ANNOUNCE = 3.0  # "you are caller number N" soon after entry (a free agent comes first)
DEFAULT_HANDLE_SECONDS = 120.0  # the estimate before the queue has answered anything


class QueueApp:
    """ "queue": the caller waits in the queue `context.extension` (its number)."""

    def __init__(self, services: VoicemailServices, board: QueueFeature, data_dir: Path) -> None:
        self.services = services
        self.board = board
        self.data_dir = data_dir
        self.voicemail = VoicemailApp(services)
        self.callbacks = Callbacks()
        # decoded music by (file, size, mtime): every caller waiting on one tenant's music shares
        # one frame list (a 32 s file is ~0.5 MiB of frames; 200 callers used to copy it each)
        self._music: dict[tuple[str, int, int], list[bytes]] = {}

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        number = context.extension or ""
        if context.reason.startswith(CALLBACK_REASON) and control is not None:
            await self._called_back(channel, context, control)
            return
        config = await self.board.config(context.tenant_id, number)
        if config is None or control is None:
            log.info("queue %s of tenant %s: not available", number, context.tenant_id)
            await goodbye(channel, self.services.prompts, context.language)
            return
        with contextlib.suppress(ChannelClosed):
            await channel.answer()
            await Wait(self, channel, context, control, config).run()

    async def _called_back(
        self, channel: AppChannel, context: LaunchContext, control: CallControl
    ) -> None:
        """A callback call answered: the entry's wait goes on on this channel."""
        token = context.reason.removeprefix(CALLBACK_REASON)
        run = self.callbacks.take(token, context.tenant_id)
        if run is None:
            log.info("queue callback %s: no such entry in tenant %s", token, context.tenant_id)
            await goodbye(channel, self.services.prompts, context.language)
            return
        with contextlib.suppress(ChannelClosed):
            call_id = getattr(context, "call_id", "") or token
            await run.wait.resume(channel, control, call_id, run)

    async def music(self, tenant_id: int, queue_number: str | None = None) -> list[bytes]:
        """The queue's music on hold (its own `moh_id` file, else the tenant's) as frames,
        shared (never mutated) by all its callers; a new upload (another file, size or mtime)
        is read afresh."""
        async with self.services.scope(tenant_id) as (scope, _tenant):
            queue = (
                await scope.first(CallQueue, CallQueue.number == queue_number)
                if queue_number is not None
                else None
            )
            own = queue.moh_id if queue is not None else None
            path = await moh_file(scope, self.services.store, self.data_dir, own)
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        cached = self._music.get(key)
        if cached is None:
            if len(self._music) >= MUSIC_CACHE_FILES:
                self._music.pop(next(iter(self._music)))  # the oldest read
            cached = self._music[key] = list(frames(read_wav(path)))
        return cached


MUSIC_CACHE_FILES = 64  # distinct music files kept decoded (tenants with their own upload)


class Wait:
    """One caller's wait in one queue."""

    def __init__(
        self,
        app: QueueApp,
        channel: AppChannel,
        context: LaunchContext,
        control: CallControl,
        config: QueueConfig,
    ) -> None:
        self.app = app
        self.board = app.board
        self.clock = app.services.clock
        self.channel = channel
        self.context = context
        self.control = control
        self.config = config
        self.token = getattr(context, "call_id", "") or f"queue-{id(self)}"
        self.call_id = self.token  # the call an offer rings for (a callback's own call)
        announces = config.announce_position or config.callback
        self.machine = WaitingCaller(
            self.clock.monotonic(),
            float(config.max_wait_seconds),
            ANNOUNCE_EVERY if announces else None,
            FIRST_ANNOUNCE,
            attempts=config.callback_attempts,
            retry_every=float(config.callback_retry_seconds),
        )
        self.called_back = False  # the caller answered its callback
        self.row_id = 0
        self.music_frames: list[bytes] = []
        self.music: Iterator[bytes] | None = None  # one endless cursor: resumes, never restarts
        self.music_task: asyncio.Task[bool] | None = None
        self.checked_at = -BEHIND_CHECK_SECONDS
        self.callback_to = ""  # the number the caller asked to be called back on

    # ---- music ------------------------------------------------------------------------------
    def start_music(self) -> None:
        """Play (on) the music: after an announcement it goes on where it stopped."""
        if self.music_frames:
            if self.music is None:
                self.music = cycle(self.music_frames)
            self.music_task = asyncio.ensure_future(self.channel.play(self.music))

    async def stop_music(self) -> None:
        task, self.music_task = self.music_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ChannelClosed):
                await task

    def caller_left(self) -> bool:
        """The music ends only when we stop it or the caller hangs up."""
        return self.music_task is not None and self.music_task.done()

    # ---- the wait ---------------------------------------------------------------------------
    async def run(self) -> None:
        tenant_id = self.context.tenant_id
        self.music_frames = await self.app.music(tenant_id, self.config.number)
        await self._open_row()
        self.board.enter(tenant_id, self.config.number, self.token)
        self.start_music()
        try:
            await self._loop()
        finally:
            await self._wrap_up()
            if self.machine.state is WaitState.CALLBACK_PENDING:
                self.app.callbacks.start(self)  # the entry keeps its place, caller away
            else:
                await self.finish()

    async def resume(
        self, channel: AppChannel, control: CallControl, call_id: str, run: CallbackRun
    ) -> None:
        """The caller answered its callback (`callback.py` reserved `agents` for it): this
        wait goes on on the callback's channel — the reserved agents are offered, and if
        none answers the caller waits on at its place with music."""
        self.channel, self.control, self.call_id = channel, control, call_id
        self.called_back = True
        agents = run.agents
        self.machine.feed(WaitInput.CALLER_ANSWERED, self.clock.monotonic())
        try:
            prompts = self.app.services.prompts
            for path in await prompts.sequence(["queue.callback_hello"], self.context.language):
                await self.channel.play(path)
            self.start_music()
            if not await self._offer(agents, fed=True):
                await self._loop()
        finally:
            self.board.release(self.context.tenant_id, agents)  # gone before the offer rang
            await self._wrap_up()
            await self.finish()

    async def _wrap_up(self) -> None:
        if self.machine.state is not WaitState.CONNECTED:
            await self.stop_music()
        else:
            self.music_task = None  # stopped by the call layer as it bridged
        if self.machine.state in (WaitState.WAITING, WaitState.OFFERING):
            self.machine.feed(WaitInput.HANGUP, self.clock.monotonic())

    async def finish(self) -> None:
        """The entry leaves the line and its row gets its outcome."""
        tenant_id = self.context.tenant_id
        self.board.leave(tenant_id, self.config.number, self.token)
        self.board.set_offering(tenant_id, self.token, False)
        await self._close_row()

    async def _pause(self) -> bool:
        """Wait a poll for a key (the music goes on); True when the caller is to hang up
        (it asked to be called back)."""
        digit = await self.channel.collect_digits(1, digit_timeout=POLL_SECONDS,
                                                  first_digit_timeout=POLL_SECONDS,
                                                  terminators="")  # fmt: skip
        if digit != "1" or not self.config.callback:
            return False  # any other key, or a queue without callback: nothing special
        if self.machine.state is not WaitState.WAITING:
            return False
        return await self._request_callback()

    async def _request_callback(self) -> bool:
        prompts, language = self.app.services.prompts, self.context.language
        number = callback_number(self.context.caller)
        await self.stop_music()
        if number is None:
            log.info("queue %s: caller %r asked for a callback: no usable number",
                     self.config.number, self.context.caller)  # fmt: skip
            for path in await prompts.sequence(["queue.callback_unavailable"], language):
                await self.channel.play(path)
            self.start_music()
            return False
        self.machine.feed(WaitInput.CALLBACK_REQUESTED, self.clock.monotonic())
        self.callback_to = number
        await self._mark_callback("requested", number)
        log.info("queue %s: caller %s will be called back at %s (position %d)",
                 self.config.number, self.context.caller, number,
                 self.board.position(self.context.tenant_id, self.config.number,
                                     self.token))  # fmt: skip
        for path in await prompts.sequence(confirm_keys(number), language):
            await self.channel.play(path)
        return True

    async def _loop(self) -> None:
        tenant_id = self.context.tenant_id
        while True:
            if self.caller_left():
                self.machine.feed(WaitInput.HANGUP, self.clock.monotonic())
                return
            action = self.machine.handle_timer(self.clock.monotonic())
            if action is WaitAction.ANNOUNCE:
                await self._announce()
                continue
            if action is WaitAction.OVERFLOW:
                await self._overflow()
                return
            now = self.clock.monotonic()
            first = self.board.next_in_line(tenant_id, self.config.number, self.token)
            if not first and now - self.checked_at < BEHIND_CHECK_SECONDS:
                if await self._pause():  # behind others: only the overflow check
                    return
                continue
            self.checked_at = now
            logged_in, free = await self.board.availability(tenant_id, self.config)
            if logged_in == 0:
                log.info("queue %s: no agent logged in, caller %s overflows", self.config.number,
                         self.context.caller)  # fmt: skip
                self.machine.feed(WaitInput.NO_AGENTS, self.clock.monotonic())
                await self._overflow()
                return
            agents = self.board.choose(tenant_id, self.config, free) if first and free else ()
            if agents:
                if await self._offer(agents):
                    return
                continue
            if await self._pause():
                return

    async def _offer(self, agents: tuple[str, ...], *, fed: bool = False) -> bool:
        """Ring `agents` for this caller; True when the wait is over (answered or gone).
        `fed`: the machine is OFFERING already (a callback's reserved agents)."""
        tenant_id = self.context.tenant_id
        if not fed:
            self.machine.feed(WaitInput.AGENT_FREE, self.clock.monotonic())
        self.board.expect(self.call_id, tenant_id, self.config, self.row_id)
        started, start_wall = self.clock.monotonic(), self.clock.utcnow()
        log.info("queue %s: offering %s to %s", self.config.number, self.context.caller,
                 ",".join(agents))  # fmt: skip
        value = f"{self.config.ring_seconds};{','.join(agents)}"
        try:
            outcome = await self.control.transfer(TransferKind.QUEUE_AGENTS, value)
        finally:
            await self.board.offer_done(tenant_id, self.config.number, self.token, agents,
                                        start_wall, self.clock.monotonic() - started)  # fmt: skip
            self.board.set_offering(tenant_id, self.call_id, False)
        now = self.clock.monotonic()
        if outcome is TransferOutcome.CONNECTED:
            self.machine.feed(WaitInput.ANSWERED, now)
            return True
        if outcome is TransferOutcome.CALLER_GONE or self.caller_left():
            self.machine.feed(WaitInput.HANGUP, now)
            return True
        self.machine.feed(WaitInput.OFFER_FAILED, now)
        return False

    async def _announce(self) -> None:
        tenant_id = self.context.tenant_id
        position = max(1, self.board.position(tenant_id, self.config.number, self.token))
        agents = max(1, len(self.config.members))
        minutes = estimated_wait(position, DEFAULT_HANDLE_SECONDS, agents) / 60.0
        keys: list[str] = []
        if self.config.announce_position:
            keys = ["queue.position", number_key(position), "queue.wait",
                    number_key(max(1, round(minutes))), "clock.minutes"]  # fmt: skip
        if self.config.callback:
            keys.append("queue.callback_offer")
        log.info("queue %s: caller %s is number %d, about %d minutes", self.config.number,
                 self.context.caller, position, max(1, round(minutes)))  # fmt: skip
        if not keys:
            return  # nothing to say (no position, no callback offer): the music is not cut
        await self.stop_music()
        prompts = self.app.services.prompts
        for path in await prompts.sequence(keys, self.context.language):
            await self.channel.play(path)
        self.start_music()

    async def _overflow(self) -> None:
        await self.stop_music()
        fallback = self.config.fallback
        prompts, language = self.app.services.prompts, self.context.language
        if fallback is None:
            await goodbye(self.channel, prompts, language)
            return
        if fallback.startswith("voicemail:"):
            await self.app.voicemail.leave_message(
                self.channel, tenant_id=self.context.tenant_id,
                extension=fallback.partition(":")[2], caller=self.context.caller,
                caller_name=self.context.caller_name, language=language,
            )  # fmt: skip
            return
        kind = TransferKind.EXTERNAL if fallback.startswith("+") else TransferKind.EXTENSION
        outcome = await self.control.transfer(kind, fallback)
        if outcome not in (TransferOutcome.CONNECTED, TransferOutcome.CALLER_GONE):
            log.info("queue %s: fallback %s %s", self.config.number, fallback, outcome.value)
            await goodbye(self.channel, prompts, language)

    # ---- the log ----------------------------------------------------------------------------
    async def _open_row(self) -> None:
        async with self.app.services.scope(self.context.tenant_id) as (scope, _tenant):
            row = scope.add(QueueCall(queue_number=self.config.number, call_id=self.token,
                                      caller=self.context.caller,
                                      entered_at=self.clock.utcnow(),
                                      outcome=QueueOutcome.WAITING))  # fmt: skip
            await scope.session.flush()
            self.row_id = row.id

    async def _mark_callback(self, state: str, number: str) -> None:
        async with self.app.services.scope(self.context.tenant_id) as (scope, _tenant):
            row = await scope.first(QueueCall, QueueCall.id == self.row_id)
            if row is not None:
                row.callback, row.callback_number = state, number

    async def _close_row(self) -> None:
        outcome = {
            WaitState.CONNECTED: QueueOutcome.ANSWERED,
            WaitState.OVERFLOWED: QueueOutcome.OVERFLOWED,
            WaitState.ABANDONED: QueueOutcome.ABANDONED,
            WaitState.CALLBACK_FAILED: QueueOutcome.ABANDONED,
        }.get(self.machine.state, QueueOutcome.ABANDONED)
        if self.machine.state in CALLBACK_STATES:
            outcome = QueueOutcome.WAITING  # the process stops with the entry still waiting
        answered = outcome is QueueOutcome.ANSWERED
        agent = await self.board.agent_of(self.call_id) if answered else None
        callback = None
        if self.machine.callback:
            failed = self.machine.state is WaitState.CALLBACK_FAILED
            callback = "answered" if self.called_back else "failed" if failed else "requested"
        waited = self.machine.waited(self.clock.monotonic())
        async with self.app.services.scope(self.context.tenant_id) as (scope, _tenant):
            row = await scope.first(QueueCall, QueueCall.id == self.row_id)
            if row is not None:
                row.outcome, row.wait_seconds, row.agent = outcome, waited, agent
                row.callback = callback
        log.info("queue %s: caller %s %s after %.1f s", self.config.number, self.context.caller,
                 outcome.value, waited)  # fmt: skip
