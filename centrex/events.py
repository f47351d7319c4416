"""Typed platform events and the in-process bus that carries them.

Producers (registrar, call layer) publish frozen events; consumers (API WebSocket, billing,
monitoring) subscribe. Every event names its tenant so consumers can filter by scope. Scale-out
later replaces the bus with NATS or Redis behind the same two methods.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every platform event."""

    tenant_id: int | None
    kind: str = field(init=False, default="event")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        return data


@dataclass(frozen=True, slots=True)
class RegistrationChanged(Event):
    aor: str = ""
    contact: str = ""
    expires: int = 0
    source: str = ""
    user_agent: str = ""
    kind: str = field(init=False, default="registration")


@dataclass(frozen=True, slots=True)
class CallEvent(Event):
    """A call's life: started, ringing, answered, transferred, ended (with its `disposition`,
    the CDR's), or refused before it started (`reason`, e.g. "licence": the tenant's maximum of
    simultaneous calls is reached). Monitoring counts these (`ops.metrics`)."""

    call_id: str = ""
    state: str = ""  # started, ringing, answered, transferred, ended, refused
    caller: str = ""
    callee: str = ""
    direction: str = ""
    disposition: str = ""  # set on "ended": answered, no-answer, busy, failed, ...
    reason: str = ""  # why: "licence" on "refused"
    kind: str = field(init=False, default="call")


@dataclass(frozen=True, slots=True)
class PresenceChanged(Event):
    """An extension's lamp changed: idle, ringing, busy, dnd or offline (switchboards, BLF)."""

    extension: str = ""
    state: str = ""
    kind: str = field(init=False, default="presence")


@dataclass(frozen=True, slots=True)
class ConferenceEvent(Event):
    """A conference room's life (`apps/conference`): a participant `joined`, `left`, was
    `muted` or `unmuted` (by the API), or the room `ended` (its last participant left)."""

    conference_id: int = 0
    number: str = ""  # the room's number (e.g. "800")
    state: str = ""  # joined, left, muted, unmuted, ended
    participant_id: int = 0
    caller: str = ""
    moderator: bool = False
    members: int = 0  # participants in the room after the change
    kind: str = field(init=False, default="conference")


@dataclass(frozen=True, slots=True)
class QueueChanged(Event):
    """Something a queue's wallboard shows changed (`calls/features/queue.py`): a caller
    `entered` or `left` the queue `number`, or an `agent` changed state (its extension)."""

    number: str = ""  # the queue's number ("" for an agent change: every queue it is in)
    state: str = ""  # entered, left, agent
    extension: str = ""
    kind: str = field(init=False, default="queue")


@dataclass(frozen=True, slots=True)
class LeadOffered(Event):
    """The outbound dialer's answered call (`contact_center/dialer.py`): the lead `offered` to
    an agent's phone (the agent desktop's contact card), `connected` to it, or `dropped` (no
    agent: the safe-harbour message). The agent's INVITE carries `X-Centrex-Lead: lead_id`.
    A scheduled callback coming due is announced first (`callback`) and its events carry the
    promise, for the desktop's notice: `callback_id`, its time as promised (`callback_at`,
    "YYYY-MM-DD HH:MM Zone" in the lead's zone), `callback_by` (the extension of a personal
    callback; "" for one promised to anyone of the campaign), `callback_note` and
    `callback_promised_by` (the promiser's display name; "" when it was not recorded)."""

    campaign: str = ""  # the lead's campaign (a callback's: maybe not the one the agent is on)
    lead_id: int = 0
    number: str = ""
    name: str = ""
    extension: str = ""  # the agent ("" when dropped)
    call_id: str = ""
    state: str = ""  # callback, offered, connected, dropped
    campaign_id: int = 0  # 0: not known to the producer
    callback_id: int = 0  # 0: not a callback
    callback_at: str = ""
    callback_by: str = ""
    callback_note: str = ""
    callback_promised_by: str = ""  # who promised it ("Alice Agent (102)", "CLI"; "": unknown)
    kind: str = field(init=False, default="campaign.call")


class EventBus:
    """Fan-out of events to bounded subscriber queues; a slow subscriber loses events, not us."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queues: set[asyncio.Queue[Event]] = set()
        self._queue_size = queue_size
        self.dropped = 0

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._queues.discard(queue)

    def publish(self, event: Event) -> None:
        for queue in self._queues:
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.dropped += 1
