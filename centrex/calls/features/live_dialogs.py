"""Keeps the live state's dialogs per extension in step with the calls (busy lamps, presence,
pickup and call waiting read them).

An extension takes part in a call as the caller (initiator: internal and outbound calls) or as
the callee (recipient: internal and inbound calls). Each published state change maps to an
RFC 4235 dialog phase — started: trying, ringing: early, answered/transferred: confirmed,
ended: terminated — written to `LiveState` for that extension of that tenant.

A call's parties change when it is handed on (a blind or attended transfer, a pickup, a
parked call retrieved): an extension that was a party at an earlier state and is not any more
gets its dialog of the call TERMINATED at the next published state, so the transferor's lamp
does not stay busy for a call it left.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from centrex.calls.call import Call
from centrex.calls.features import FeatureHooks
from centrex.calls.leg import LegState
from centrex.calls.live_state import DialogPhase, ExtensionDialog, LiveState
from centrex.data.models import Direction

log = logging.getLogger(__name__)

RINGING = (LegState.CALLING, LegState.EARLY)  # a fork's phone is (about to be) ringing
PHASES = {
    "started": DialogPhase.TRYING,
    "ringing": DialogPhase.EARLY,
    "answered": DialogPhase.CONFIRMED,
    "transferred": DialogPhase.CONFIRMED,
    "ended": DialogPhase.TERMINATED,
}


def parties(call: Call) -> list[tuple[str, bool, str]]:
    """(extension, initiator, peer) for each extension of the tenant taking part in `call`:
    its caller and callee, and every extension a fork still rings — the members of a ring
    group (whose callee is the group's number), a forward's target — so their lamps blink and
    `*8`/`**N` can pick the call up from them, and the extension that answered it."""
    found: list[tuple[str, bool, str]] = []
    if call.direction is not Direction.INBOUND and call.caller:
        found.append((call.caller, True, call.callee))
    if call.direction is not Direction.OUTBOUND and call.callee and call.callee != call.caller:
        found.append((call.callee, False, call.caller))
    seen = {extension for extension, _, _ in found}
    rung = [f for f in call.forks if f.state in RINGING]
    if call.b is not None:
        rung.append(call.b)  # the member that answered a group's call
    for side in rung:
        if side.trunk is None and side.peer not in seen:
            seen.add(side.peer)
            found.append((side.peer, False, call.caller))
    return found


class LiveDialogs:
    """The feature that writes calls' dialog phases to the live state."""

    name = "live-dialogs"

    def __init__(self, live: LiveState, monotonic: Callable[[], float]) -> None:
        self._live = live
        self._monotonic = monotonic
        self._tasks: set[asyncio.Task[None]] = set()
        self._parties: dict[str, set[str]] = {}  # call id -> extensions with a dialog written

    def attach(self, hooks: FeatureHooks) -> None:
        hooks.on_state(self.name, self._on_state)

    def _on_state(self, call: Call, state: str) -> None:
        phase = PHASES.get(state)
        if phase is None:
            return
        now = self._monotonic()
        current = parties(call)
        written = {extension for extension, _, _ in current}
        left = self._parties.pop(call.call_id, set()) - written
        if phase is not DialogPhase.TERMINATED:
            self._parties[call.call_id] = written
        for extension in sorted(left):  # handed on: no longer a party of this call
            self._write(call, extension, ExtensionDialog(call.call_id, DialogPhase.TERMINATED,
                                                         False, "", now))  # fmt: skip
        for extension, initiator, peer in current:
            self._write(call, extension, ExtensionDialog(call.call_id, phase, initiator, peer, now))

    def _write(self, call: Call, extension: str, dialog: ExtensionDialog) -> None:
        task = asyncio.ensure_future(self._live.set_dialog(call.tenant_id, extension, dialog))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live dialog update failed", exc_info=task.exception())
