"""Live call state behind one small interface (shared/DESIGN.md §7).

Busy lamps, pickup, park, queues and the dialer all ask the same questions of the calls in
progress: which dialogs does extension 102 have and in which state (RFC 4235's trying, early,
confirmed, terminated), is park slot 701 taken, which agents are ready, where is this caller in
queue 500. Once Centrex runs several workers those answers must be shared (Redis or NATS with
TTLs); today they live in the process. Every feature reaches them only through `LiveState`, so
the shared implementation replaces `InProcessLiveState` without touching a feature.

Isolation is by construction: every method takes the tenant first, and the in-process store
keys everything by tenant, so no question about tenant A can be answered from tenant B's data.
Methods are `async` because the shared implementation does network round trips; the in-process
one never awaits. Mutations that must be atomic across workers (claiming a park slot) are single
calls here (`claim_park_slot`), never read-then-write by the caller.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class DialogPhase(enum.Enum):
    """RFC 4235 §3.7.1 dialog states, as a busy lamp shows them."""

    TRYING = "trying"
    EARLY = "early"  # ringing
    CONFIRMED = "confirmed"  # in a call
    TERMINATED = "terminated"


class Presence(enum.Enum):
    """What a switchboard lamp shows for an extension."""

    IDLE = "idle"
    RINGING = "ringing"
    BUSY = "busy"
    DND = "dnd"
    OFFLINE = "offline"


class AgentState(enum.Enum):
    READY = "ready"
    PAUSED = "paused"
    WRAP_UP = "wrap-up"
    LOGGED_OUT = "logged-out"


@dataclass(frozen=True, slots=True)
class ExtensionDialog:
    """One dialog of an extension: the call it belongs to and how far it got."""

    call_id: str
    phase: DialogPhase
    initiator: bool  # the extension placed the call (RFC 4235 direction="initiator")
    peer: str  # the other party's number as shown to the user
    since: float  # monotonic seconds when the phase was entered


@dataclass(frozen=True, slots=True)
class AgentStatus:
    state: AgentState
    reason: str = ""  # the pause reason
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class LiveChange:
    """What changed, for watchers (BLF NOTIFYs, presence events): an extension's dialogs, a
    park slot, an agent or a queue of one tenant."""

    tenant_id: int
    kind: str  # "dialog", "park", "agent", "queue"
    key: str  # the extension, slot, agent extension or queue number


Watcher = Callable[[LiveChange], None]


class LiveState(Protocol):
    """Shared live state of calls (in-process now; Redis/NATS for scale-out)."""

    async def set_dialog(self, tenant_id: int, extension: str, dialog: ExtensionDialog) -> None:
        """Record or update the dialog `dialog.call_id` of `extension` (TERMINATED removes)."""
        ...

    async def dialogs(self, tenant_id: int, extension: str) -> list[ExtensionDialog]:
        """The extension's dialogs in progress, oldest first."""
        ...

    async def presence(self, tenant_id: int, extension: str, *, registered: bool) -> Presence:
        """Busy if any dialog is confirmed or placed by the extension, ringing if a call to it
        is early/trying, else idle (offline when no device is registered; DND is configuration
        and is decided by the caller, `calls/presence.py`)."""
        ...

    async def ringing(self, tenant_id: int, extensions: Sequence[str]) -> list[tuple[str, str]]:
        """(extension, call_id) of the calls ringing any of `extensions`, oldest first (pickup)."""
        ...

    async def claim_park_slot(
        self, tenant_id: int, slots: Sequence[str], call_id: str
    ) -> str | None:
        """Atomically take the first free slot of `slots` for `call_id` (None: all taken)."""
        ...

    async def parked(self, tenant_id: int, slot: str) -> str | None:
        """The call parked in `slot`, if any."""
        ...

    async def release_park_slot(self, tenant_id: int, slot: str, call_id: str) -> bool:
        """Free `slot` if `call_id` holds it (True) — a retrieve and a timeout cannot both win."""
        ...

    async def set_agent(self, tenant_id: int, extension: str, status: AgentStatus) -> None: ...

    async def agents(self, tenant_id: int) -> dict[str, AgentStatus]: ...

    async def enqueue(self, tenant_id: int, queue: str, call_id: str) -> int:
        """Append a caller to a queue; returns its 1-based position."""
        ...

    async def dequeue(self, tenant_id: int, queue: str, call_id: str) -> bool: ...

    async def queue(self, tenant_id: int, queue: str) -> list[str]:
        """Call ids waiting in `queue`, first in line first."""
        ...

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher` after every change; returns the function that stops watching."""
        ...


class InProcessLiveState:
    """`LiveState` in the process's memory: one worker, nothing shared."""

    def __init__(self) -> None:
        self._dialogs: dict[tuple[int, str], dict[str, ExtensionDialog]] = {}
        self._park: dict[tuple[int, str], str] = {}
        self._agents: dict[int, dict[str, AgentStatus]] = {}
        self._queues: dict[tuple[int, str], list[str]] = {}
        self._watchers: list[Watcher] = []

    def _changed(self, tenant_id: int, kind: str, key: str) -> None:
        change = LiveChange(tenant_id, kind, key)
        for watcher in list(self._watchers):
            try:
                watcher(change)
            except Exception:  # a watcher's bug must not break the call that changed state
                log.exception("live-state watcher failed on %s", change)

    async def set_dialog(self, tenant_id: int, extension: str, dialog: ExtensionDialog) -> None:
        key = (tenant_id, extension)
        dialogs = self._dialogs.setdefault(key, {})
        if dialog.phase is DialogPhase.TERMINATED:
            if dialogs.pop(dialog.call_id, None) is None:
                return
            if not dialogs:
                del self._dialogs[key]
        else:
            old = dialogs.get(dialog.call_id)
            if old == dialog:
                return
            dialogs[dialog.call_id] = dialog
        self._changed(tenant_id, "dialog", extension)

    async def dialogs(self, tenant_id: int, extension: str) -> list[ExtensionDialog]:
        found = self._dialogs.get((tenant_id, extension), {})
        return sorted(found.values(), key=lambda d: d.since)

    async def presence(self, tenant_id: int, extension: str, *, registered: bool) -> Presence:
        dialogs = self._dialogs.get((tenant_id, extension), {}).values()
        if any(d.phase is DialogPhase.CONFIRMED or d.initiator for d in dialogs):
            return Presence.BUSY  # talking, or placing a call
        if dialogs:
            return Presence.RINGING
        return Presence.IDLE if registered else Presence.OFFLINE

    async def ringing(self, tenant_id: int, extensions: Sequence[str]) -> list[tuple[str, str]]:
        found: list[tuple[float, str, str]] = []
        for extension in extensions:
            for dialog in self._dialogs.get((tenant_id, extension), {}).values():
                if dialog.phase is DialogPhase.EARLY and not dialog.initiator:
                    found.append((dialog.since, extension, dialog.call_id))
        return [(ext, call_id) for _, ext, call_id in sorted(found)]

    async def claim_park_slot(
        self, tenant_id: int, slots: Sequence[str], call_id: str
    ) -> str | None:
        for slot in slots:
            if (tenant_id, slot) not in self._park:
                self._park[(tenant_id, slot)] = call_id
                self._changed(tenant_id, "park", slot)
                return slot
        return None

    async def parked(self, tenant_id: int, slot: str) -> str | None:
        return self._park.get((tenant_id, slot))

    async def release_park_slot(self, tenant_id: int, slot: str, call_id: str) -> bool:
        if self._park.get((tenant_id, slot)) != call_id:
            return False
        del self._park[(tenant_id, slot)]
        self._changed(tenant_id, "park", slot)
        return True

    async def set_agent(self, tenant_id: int, extension: str, status: AgentStatus) -> None:
        agents = self._agents.setdefault(tenant_id, {})
        if status.state is AgentState.LOGGED_OUT:
            if agents.pop(extension, None) is None:
                return
        else:
            agents[extension] = status
        self._changed(tenant_id, "agent", extension)

    async def agents(self, tenant_id: int) -> dict[str, AgentStatus]:
        return dict(self._agents.get(tenant_id, {}))

    async def enqueue(self, tenant_id: int, queue: str, call_id: str) -> int:
        waiting = self._queues.setdefault((tenant_id, queue), [])
        if call_id not in waiting:
            waiting.append(call_id)
            self._changed(tenant_id, "queue", queue)
        return waiting.index(call_id) + 1

    async def dequeue(self, tenant_id: int, queue: str, call_id: str) -> bool:
        waiting = self._queues.get((tenant_id, queue))
        if not waiting or call_id not in waiting:
            return False
        waiting.remove(call_id)
        if not waiting:
            del self._queues[(tenant_id, queue)]
        self._changed(tenant_id, "queue", queue)
        return True

    async def queue(self, tenant_id: int, queue: str) -> list[str]:
        return list(self._queues.get((tenant_id, queue), []))

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        self._watchers.append(watcher)

        def stop() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return stop
