""" "Press 1 to be called back, you keep your place in the queue" (issue 13 item 4).

Theory of operation
-------------------
The order is the one ACDs with a queue callback use (Asterisk's queue callback recipes, 3CX's
"callback", Genesys' "virtual hold"): the caller's *entry* keeps its place while the caller is
away, and the callback is placed only when it can be served at once — the agent first, then
the caller:

1. A caller of a queue with `callback` on presses 1 while it waits (the offer is part of the
   periodic announcement). The number to call back is the caller's identity as the call layer
   established it (`Call.caller`: From, or P-Asserted-Identity from a trusted trunk); with no
   usable number (anonymous, withheld, not digits) the caller hears "callback not available"
   and simply waits on. Otherwise it hears "we will call you back at N", is hung up, and its
   entry (the same `queue_calls` row, the same place in the line) becomes a callback entry
   (`machine.py`: CALLBACK_PENDING). Nobody is on the line, so there is no music, no
   announcement and no maximum wait; the callers behind it are served only after it, as before.
2. When the entry is at the head of the line and an agent is free (ready, not in wrap-up, not
   busy — the queue's strategy picks it), the agent is *reserved* (marked ringing, so no other
   caller is offered it) and Centrex calls the caller back (`calls/features/queue_callback.py`:
   an extension of the tenant on its phones, an outside number through the tenant's trunks
   with the tenant's caller-ID rules, billed to the tenant). The agent's phone does not ring
   yet: an agent never waits on a line for a caller who might not answer.
3. The caller answers within the queue's ring time: "this is your callback", music, and the
   reserved agent is offered as in any queue offer; its answer connects them (the wait counted
   in the statistics ends here). Nobody answers the offer: the caller waits on, at its place.
4. The caller does not answer (no answer, busy, unreachable): the agent is released at once,
   and after `callback_retry_seconds` the entry is served again from its place; after
   `callback_attempts` unanswered attempts it is a failed callback (the row ends `abandoned`,
   `callback = failed`). While the entry is being rung or waits to retry, the callers behind
   it are served (it counts as "being offered" on the board).

Timers run on the app's clock; the state table (`machine.py`) is the whole behaviour and is
unit-tested with a manual clock. Entries live in this process (as the board does): a restart
loses pending callbacks, their rows stay `waiting` with `callback = requested`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import TYPE_CHECKING

from centrex.apps.queue.machine import WaitAction, WaitInput, WaitState
from centrex.calls.app_host import TransferOutcome
from centrex.provisioning.prompt_catalog import number_key

if TYPE_CHECKING:
    from centrex.apps.queue.app import Wait

log = logging.getLogger(__name__)

CALLBACK_REASON = "callback:"  # the app context's reason on a callback call
POLL_SECONDS = 0.5
START_SECONDS = 10.0  # an answered callback's app starts at once; bounded all the same
_USABLE = re.compile(r"\+?[0-9]{2,20}")


def callback_number(caller: str) -> str | None:
    """The number a caller can be called back on, or None (anonymous, withheld, a name)."""
    value = caller.strip()
    return value if _USABLE.fullmatch(value) else None


def confirm_keys(number: str) -> list[str]:
    """ "We will call you back at 1 0 1. You may hang up now." — the number digit by digit."""
    digits = [number_key(int(d)) for d in number if d.isdigit()]
    return ["queue.callback_confirm", *digits, "queue.callback_goodbye"]


class Callbacks:
    """The callback entries of this process, by the token of their place in the line."""

    def __init__(self) -> None:
        self._runs: dict[str, CallbackRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, wait: Wait) -> CallbackRun:
        run = CallbackRun(self, wait)
        self._runs[wait.token] = run
        task = asyncio.ensure_future(run.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    def take(self, token: str, tenant_id: int) -> CallbackRun | None:
        """The entry a callback call was placed for (its tenant's only) once it answered."""
        run = self._runs.get(token)
        if run is None or run.wait.context.tenant_id != tenant_id or run.started.is_set():
            return None
        run.started.set()
        return run

    def pending(self) -> int:
        return len(self._runs)

    def forget(self, token: str) -> None:
        self._runs.pop(token, None)


class CallbackRun:
    """One callback entry until it is connected, failed, or resumed on the caller's line."""

    def __init__(self, owner: Callbacks, wait: Wait) -> None:
        self.owner = owner
        self.wait = wait
        self.number = wait.callback_to
        self.agents: tuple[str, ...] = ()
        self.started = asyncio.Event()  # the callback call's app took the entry

    async def run(self) -> None:
        wait, board = self.wait, self.wait.board
        tenant_id, config = wait.context.tenant_id, wait.config
        clock, machine = wait.clock, wait.machine
        resumed = False
        try:
            while machine.state is not WaitState.CALLBACK_FAILED:
                machine.handle_timer(clock.monotonic())
                if machine.state is WaitState.CALLBACK_RETRY:
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                board.set_offering(tenant_id, wait.token, False)  # back at its place
                agents = await self._free_agents()
                if not agents:
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                machine.feed(WaitInput.AGENT_FREE, clock.monotonic())
                board.set_offering(tenant_id, wait.token, True)  # the callers behind go on
                self.agents = agents
                log.info("queue %s: %s reserved, calling %s back (attempt %d of %d)",
                         config.number, ",".join(agents), self.number, machine.dialled,
                         machine.attempts)  # fmt: skip
                ring = float(config.ring_seconds)
                outcome = await board.place_callback(tenant_id, config.number, self.number,
                                                     wait.token, ring)  # fmt: skip
                if outcome is TransferOutcome.CONNECTED and await self._resumed():
                    resumed = True
                    return
                board.release(tenant_id, agents)
                self.agents = ()
                action = machine.not_reached(clock.monotonic())
                log.info("queue %s: callback to %s %s (%s)", config.number, self.number,
                         "failed" if action is WaitAction.RECORD_FAILED else "to retry",
                         outcome.value)  # fmt: skip
        except Exception:  # a bug ends this entry, never the process: it is counted failed
            log.exception("queue %s: callback to %s failed", config.number, self.number)
        finally:
            self.owner.forget(wait.token)
            if not resumed:
                if machine.state is not WaitState.CALLBACK_FAILED:
                    board.release(tenant_id, self.agents)
                await wait.finish()

    async def _free_agents(self) -> tuple[str, ...]:
        wait, board = self.wait, self.wait.board
        tenant_id, config = wait.context.tenant_id, wait.config
        if not board.next_in_line(tenant_id, config.number, wait.token):
            return ()
        _logged_in, free = await board.availability(tenant_id, config)
        return board.choose(tenant_id, config, free) if free else ()

    async def _resumed(self) -> bool:
        """True once the callback call's app took the entry (then wait until it is done)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.started.wait(), START_SECONDS)
        if not self.started.is_set():
            self.started.set()  # too late now: a late app finds no entry
            return False
        return True
