"""Live conference rooms of this process: who is in which room, mute and kick (the API's view).

Why a registry of its own: a room is a mixer on this process's media ticker, so its live state
is in-process like the mixer itself; the API (same `serve` process) reads and acts on it through
the `ConferenceSource` protocol of `centrex.api.sources`, which `LiveConferences` satisfies —
the way `/api/v1/calls` reaches the B2BUA through `LiveCalls`. Rooms are keyed by (tenant id,
conference id): a tenant's API call names its own tenant, so another tenant's room is never
found (404, like a room nobody is in).

A room opens with its first participant (a `MixingRoom` from the engine, recording started
when the room records) and ends when its last one leaves: the mixer closes, the recording is
finished and handed to `on_recording` (linked to the opener's CDR), and `ended` is published.
Every change publishes a `ConferenceEvent` on the bus (the events WebSocket shows them).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from centrex.clock import Clock
from centrex.errors import NotFound
from centrex.events import ConferenceEvent, Event
from centrex.media.room import MixingRoom, RoomMember, RoomRecording
from centrex.media.tones import TonePlan, ToneSegment

log = logging.getLogger(__name__)

# entry: a rising pair of beeps; exit: a falling pair (well apart from speech and test tones)
ENTRY_TONE = TonePlan("conf-entry", (ToneSegment((600.0,), 120), ToneSegment((), 60),
                                     ToneSegment((900.0,), 120)), repeat=False)  # fmt: skip
EXIT_TONE = TonePlan("conf-exit", (ToneSegment((900.0,), 120), ToneSegment((), 60),
                                   ToneSegment((600.0,), 120)), repeat=False)  # fmt: skip


class Hangable(Protocol):
    """The participant's channel as far as a kick goes."""

    async def hangup(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RecordingDone:
    """A room's finished mix, for the host to register (linked to the opener's CDR)."""

    tenant_id: int
    call_id: str
    cdr_id: int | None
    path: Path
    started_at: datetime


RecordingHook = Callable[[RecordingDone], Awaitable[None]]


@dataclass(eq=False)
class Participant:
    id: int
    caller: str
    caller_name: str
    moderator: bool
    joined_at: datetime
    channel: Hangable
    member: RoomMember | None = None
    muted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caller": self.caller,
            "caller_name": self.caller_name,
            "muted": self.muted,
            "moderator": self.moderator,
            "joined_at": self.joined_at.isoformat(),
        }


@dataclass(eq=False)
class LiveRoom:
    """One open room: its mixer, participants (in it or waiting) and recording."""

    tenant_id: int
    conference_id: int
    number: str
    mixer: MixingRoom
    participants: dict[int, Participant] = field(default_factory=dict)
    moderator_in: asyncio.Event = field(default_factory=asyncio.Event)
    recording: RoomRecording | None = None
    recording_owner: tuple[str, int | None, datetime] | None = None  # call id, CDR, start

    @property
    def joined(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.member is not None]


class LiveConferences:
    """The process's open rooms (see the module docstring)."""

    def __init__(
        self,
        *,
        mixing_room: Callable[[str], MixingRoom],
        publish: Callable[[Event], None],
        clock: Clock,
        recording_file: Callable[[int], Path] | None = None,
        on_recording: RecordingHook | None = None,
    ) -> None:
        self._mixing_room = mixing_room
        self._publish = publish
        self._clock = clock
        self._recording_file = recording_file
        self._on_recording = on_recording
        self.rooms: dict[tuple[int, int], LiveRoom] = {}
        self._ids = itertools.count(1)
        self._sessions = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- the app's side ---------------------------------------------------------------------
    def room(self, tenant_id: int, conference_id: int, number: str) -> LiveRoom:
        """The open room, or a new one (its mixer made now)."""
        key = (tenant_id, conference_id)
        room = self.rooms.get(key)
        if room is None:
            mixer = self._mixing_room(f"conf-{tenant_id}-{conference_id}-{next(self._sessions)}")
            room = self.rooms[key] = LiveRoom(tenant_id, conference_id, number, mixer)
        return room

    def arrive(
        self, room: LiveRoom, *, caller: str, caller_name: str, moderator: bool, channel: Hangable
    ) -> Participant:
        """A caller passed the PIN: it holds a place (waiting or about to join)."""
        participant = Participant(next(self._ids), caller, caller_name, moderator,
                                  self._clock.utcnow(), channel)  # fmt: skip
        room.participants[participant.id] = participant
        if moderator:
            room.moderator_in.set()
        return participant

    def joined(
        self,
        room: LiveRoom,
        participant: Participant,
        member: RoomMember,
        *,
        record: bool,
        call_id: str,
        cdr_id: int | None,
    ) -> None:
        """The participant is in the mixer: the others hear the entry tone; the first one in
        a recording room starts the recording (it carries that call's CDR)."""
        others = [p.member for p in room.joined if p is not participant and p.member is not None]
        participant.member = member
        if others:
            room.mixer.play(ENTRY_TONE, heard_by=others)
        if record and room.recording is None and self._recording_file is not None:
            path = self._recording_file(room.tenant_id)
            room.recording = room.mixer.record(path)
            room.recording_owner = (call_id, cdr_id, self._clock.utcnow())
        self._event(room, participant, "joined")

    def leave(self, room: LiveRoom, participant: Participant) -> None:
        """The participant's call ended (or it was kicked): out of the mixer, the others hear
        the exit tone; the last one out ends the room."""
        if room.participants.pop(participant.id, None) is None:
            return
        was_in = participant.member is not None
        if participant.member is not None:
            participant.member.leave()
            participant.member = None
        if participant.moderator and not any(p.moderator for p in room.participants.values()):
            room.moderator_in.clear()
        if was_in:
            self._event(room, participant, "left")
        if not room.participants:
            self._end(room)
            return
        remaining = [p.member for p in room.joined if p.member is not None]
        if was_in and remaining:
            room.mixer.play(EXIT_TONE, heard_by=remaining)

    def _end(self, room: LiveRoom) -> None:
        self.rooms.pop((room.tenant_id, room.conference_id), None)
        recording, owner = room.recording, room.recording_owner
        room.recording = None
        room.mixer.close()  # stops the recording too
        self._publish(ConferenceEvent(room.tenant_id, conference_id=room.conference_id,
                                      number=room.number, state="ended"))  # fmt: skip
        if recording is not None and owner is not None and self._on_recording is not None:
            done = RecordingDone(room.tenant_id, owner[0], owner[1], recording.path, owner[2])
            task = asyncio.get_running_loop().create_task(self._keep(done))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _keep(self, done: RecordingDone) -> None:
        assert self._on_recording is not None
        try:
            await self._on_recording(done)
        except Exception:  # a failed registration loses the file, never the process
            log.exception("conference recording %s not kept", done.path)

    def _event(self, room: LiveRoom, participant: Participant, state: str) -> None:
        self._publish(
            ConferenceEvent(
                room.tenant_id, conference_id=room.conference_id, number=room.number,
                state=state, participant_id=participant.id, caller=participant.caller,
                moderator=participant.moderator, members=len(room.joined),
            )
        )  # fmt: skip

    # ---- the API's side (`api.sources.ConferenceSource`) ------------------------------------
    def _participant(self, tenant_id: int, conference_id: int, pid: int) -> Participant:
        room = self.rooms.get((tenant_id, conference_id))
        participant = room.participants.get(pid) if room is not None else None
        if participant is None:
            raise NotFound(f"no participant {pid} in conference {conference_id}",
                           error_id="participant-not-found")  # fmt: skip
        return participant

    async def participants(self, tenant_id: int, conference_id: int) -> list[dict[str, Any]]:
        """Who is in the room (waiting callers too: `waiting` true), oldest first."""
        room = self.rooms.get((tenant_id, conference_id))
        if room is None:
            return []
        return [{**p.as_dict(), "waiting": p.member is None} for p in room.participants.values()]

    async def set_muted(
        self, tenant_id: int, conference_id: int, participant_id: int, muted: bool
    ) -> dict[str, Any]:
        participant = self._participant(tenant_id, conference_id, participant_id)
        participant.muted = muted
        if participant.member is not None:
            participant.member.muted = muted
        room = self.rooms[(tenant_id, conference_id)]
        self._event(room, participant, "muted" if muted else "unmuted")
        return participant.as_dict()

    async def kick(self, tenant_id: int, conference_id: int, participant_id: int) -> None:
        """Hang the participant up (its app then leaves the room)."""
        participant = self._participant(tenant_id, conference_id, participant_id)
        with contextlib.suppress(Exception):
            await participant.channel.hangup()
