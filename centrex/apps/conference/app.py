"""The `conference` app: a caller of a room's number meets the others in the room's mixer.

What a caller hears (prompts in the tenant's language, `conf.*` keys of the prompt catalog):

1. The room is looked up by the number the router gave (`context.extension`) in the caller's
   tenant only; a room deleted since is goodbye.
2. The call is answered. A room with a PIN (or a moderator PIN) asks for it: "please enter the
   conference PIN, followed by the hash key"; a wrong PIN is "that PIN is not correct" and
   the question again, three tries in all, then goodbye and hang-up (`admission.py`).
3. A full room (`max_members` callers in it or waiting): "this conference is full", hang-up.
4. In a room with a moderator PIN, a member waits with music on hold ("the conference will
   begin when the moderator joins") until a moderator is in.
5. The caller joins the mixer (`Channel.join`: hears everyone but itself); the others hear the
   entry tone; a caller alone hears "you are the only participant". When the caller leaves
   (hangs up, or is kicked through the API), the others hear the exit tone; the last one out
   ends the room (and finishes its recording). Digits pressed in the room are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Protocol, runtime_checkable

from centrex.apps.call_media import RECORDINGS_AREA
from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.apps.common import goodbye, say
from centrex.apps.conference.admission import (
    MAX_PIN_TRIES,
    Admission,
    PinStep,
    admit,
    classify_pin,
    needs_pin,
    next_pin_step,
)
from centrex.apps.conference.live import LiveConferences, LiveRoom, RecordingDone
from centrex.apps.moh import moh_file
from centrex.apps.voicemail import VoicemailServices
from centrex.calls.app_host import CallControl
from centrex.data.models import Conference, RecordingLayout
from centrex.media.room import MixingRoom, RoomMember
from centrex.provisioning.recordings import register_recording

log = logging.getLogger(__name__)

PIN_DIGITS = 8
FIRST_DIGIT_SECONDS = 10.0
DIGIT_SECONDS = 5.0
IN_ROOM_WAIT_SECONDS = 3600.0


@runtime_checkable
class RoomChannel(AppChannel, Protocol):
    """The channel operations the conference needs beyond `AppChannel` (media/channel.py)."""

    closed: bool

    async def join(
        self, room: MixingRoom, *, muted: bool = False, deaf: bool = False, gain: float = 1.0
    ) -> RoomMember: ...


class ConferenceContext(Protocol):
    """What the app reads of the call's context (the call layer's `AppContext` fits)."""

    @property
    def tenant_id(self) -> int: ...
    @property
    def caller(self) -> str: ...
    @property
    def caller_name(self) -> str: ...
    @property
    def extension(self) -> str | None: ...
    @property
    def language(self) -> str: ...


class ConferenceApp:
    """ "conference": see the module docstring."""

    def __init__(self, services: VoicemailServices, live: LiveConferences) -> None:
        self.services = services
        self.live = live

    async def run(
        self, channel: AppChannel, context: ConferenceContext, control: CallControl | None
    ) -> None:
        prompts, language = self.services.prompts, context.language
        room = await self._room(context)
        if room is None or not isinstance(channel, RoomChannel):
            log.info("conference %s of tenant %s: no such room", context.extension,
                     context.tenant_id)  # fmt: skip
            await goodbye(channel, prompts, language)
            return
        try:
            await channel.answer()
            moderator = await self._pin(channel, room, language)
            if moderator is None:
                await goodbye(channel, prompts, language)
                return
            await self._enter(channel, context, room, moderator)
        except ChannelClosed:
            return

    async def _room(self, context: ConferenceContext) -> Conference | None:
        number = context.extension
        if not number:
            return None
        async with self.services.scope(context.tenant_id) as (scope, _tenant):
            return await scope.first(Conference, Conference.number == number)

    async def _pin(self, channel: RoomChannel, room: Conference, language: str) -> bool | None:
        """False: a member; True: a moderator; None: three wrong PINs."""
        if not needs_pin(room.pin, room.moderator_pin):
            return False
        prompts = self.services.prompts
        for tries in range(1, MAX_PIN_TRIES + 1):
            await channel.play(await prompts.get("conf.enter_pin", language),
                               interrupt_on_digit=True)  # fmt: skip
            entered = await channel.collect_digits(
                PIN_DIGITS, digit_timeout=DIGIT_SECONDS, first_digit_timeout=FIRST_DIGIT_SECONDS
            )
            step = next_pin_step(classify_pin(entered, room.pin, room.moderator_pin), tries)
            if step is PinStep.ENTER_AS_MODERATOR:
                return True
            if step is PinStep.ENTER_AS_MEMBER:
                return False
            log.info("conference %s: wrong PIN (try %d)", room.number, tries)
            await say(channel, prompts, ["conf.wrong_pin"], language)
        return None

    async def _enter(
        self, channel: RoomChannel, context: ConferenceContext, room: Conference, moderator: bool
    ) -> None:
        prompts, language = self.services.prompts, context.language
        live_room = self.live.room(context.tenant_id, room.id, room.number)
        decision = admit(
            present=len(live_room.participants), max_members=room.max_members,
            moderated=bool(room.moderator_pin), is_moderator=moderator,
            moderator_in=live_room.moderator_in.is_set(),
        )  # fmt: skip
        if decision is Admission.FULL:
            log.info("conference %s is full: %s turned away", room.number, context.caller)
            with contextlib.suppress(ChannelClosed):
                await say(channel, prompts, ["conf.full"], language)
            await channel.hangup()
            return
        participant = self.live.arrive(
            live_room, caller=context.caller, caller_name=context.caller_name,
            moderator=moderator, channel=channel,
        )  # fmt: skip
        try:
            if decision is Admission.WAIT:
                await say(channel, prompts, ["conf.wait_moderator"], language)
                await self._wait_for_moderator(channel, live_room, context.tenant_id)
            alone = not live_room.joined
            member = await channel.join(live_room.mixer, muted=participant.muted)
            self.live.joined(live_room, participant, member, record=room.record,
                             call_id=getattr(context, "call_id", "") or f"conference-{room.id}",
                             cdr_id=getattr(context, "cdr_id", None))  # fmt: skip
            if alone:
                await say(channel, prompts, ["conf.only_participant"], language)
            while not channel.closed:  # in the room until the caller leaves or is kicked
                await channel.collect_digits(1, digit_timeout=IN_ROOM_WAIT_SECONDS)
        finally:
            self.live.leave(live_room, participant)

    async def _wait_for_moderator(
        self, channel: RoomChannel, room: LiveRoom, tenant_id: int
    ) -> None:
        """Music on hold, looped, until a moderator is in (or the caller leaves)."""
        async with self.services.scope(tenant_id) as (scope, _tenant):
            music = await moh_file(scope, self.services.store, self.services.store.data_dir)
        while not room.moderator_in.is_set():
            if channel.closed:
                raise ChannelClosed("the caller left while waiting")
            playing = asyncio.ensure_future(channel.play(music))
            moderator = asyncio.ensure_future(room.moderator_in.wait())
            await asyncio.wait({playing, moderator}, return_when=asyncio.FIRST_COMPLETED)
            for task in (playing, moderator):
                if not task.done():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task  # a ChannelClosed from the music propagates


def recording_file(services: VoicemailServices) -> RecordingFile:
    """Where a room's mix is written (the tenant's recordings area, like call recordings)."""

    def new(tenant_id: int) -> Path:
        return services.store.new_file(tenant_id, RECORDINGS_AREA)[1]

    return new


class RecordingFile(Protocol):
    def __call__(self, tenant_id: int) -> Path: ...


def keep_recording(services: VoicemailServices) -> KeepRecording:
    """Register a room's finished mix as a call recording linked to the opener's CDR (quota
    counted; a full quota deletes it, logged by the caller)."""

    async def keep(done: RecordingDone) -> None:
        async with services.scope(done.tenant_id) as (scope, _tenant):
            await register_recording(
                scope, services.store, call_id=done.call_id, path=done.path,
                now=services.clock.utcnow(), layout=RecordingLayout.MIXED, cdr_id=done.cdr_id,
                started_at=done.started_at,
            )  # fmt: skip
        log.info("conference recording of call %s kept (CDR %s)", done.call_id, done.cdr_id)

    return keep


class KeepRecording(Protocol):
    async def __call__(self, done: RecordingDone) -> None: ...
