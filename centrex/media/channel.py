"""Channel: the only media interface apps see (DESIGN.md §1, habit 6).

An app (IVR, voicemail, echo, queue, conference) gets a `Channel` and never a socket, an SDP or
a SIP message: `answer`, `play`, `record`, `collect_digits`, `bridge`, `join`/`leave` (a mixing
room: conference, three-way, supervisor monitoring), `hangup`. Answering and hanging
up are signalling, so the call layer passes them in as callbacks; everything else runs on the
media engine and the shared ticker, so every timeout here is a ticker timer and tests drive it
with a manual clock.

DTMF: a channel listens from the moment it exists (`digits.DigitListener`: RFC 4733 events, and
in-band Goertzel detection when the party negotiated no telephone-event), so digits pressed
during a prompt are kept (type-ahead, as callers expect from an IVR).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from centrex.media.digits import DigitListener
from centrex.media.engine import MediaEngine
from centrex.media.player import AudioSource
from centrex.media.room import MixingRoom, RoomMember
from centrex.media.session import MediaLeg

__all__ = ["Channel", "ChannelClosed"]

Callback = Callable[[], Awaitable[None]]


class ChannelClosed(RuntimeError):
    """The call hung up; the app should finish."""


class Channel:
    """Media operations on one answered (or answering) leg."""

    def __init__(
        self,
        engine: MediaEngine,
        leg: MediaLeg,
        *,
        on_answer: Callback | None = None,
        on_hangup: Callback | None = None,
        inband_dtmf: bool | None = None,
    ) -> None:
        self.engine = engine
        self.leg = leg
        self._on_answer = on_answer
        self._on_hangup = on_hangup
        self.answered = False
        self.closed = False
        self._digits: deque[str] = deque()
        self._waiters: list[asyncio.Future[None]] = []
        self._listener = DigitListener(leg, engine.codecs, self._push, inband=inband_dtmf)
        self._member: RoomMember | None = None

    @property
    def id(self) -> str:
        return self.leg.leg_id

    # --- signalling callbacks ---------------------------------------------------------------------

    async def answer(self) -> None:
        """Answer the call (200 OK by the call layer); idempotent."""
        self._check()
        if not self.answered and self._on_answer is not None:
            await self._on_answer()
        self.answered = True

    async def hangup(self) -> None:
        """End the call (BYE by the call layer); pending waits return at once."""
        if self.closed:
            return
        self.closed = True
        self._wake()
        self._listener.close()
        await self.leave()
        if self._on_hangup is not None:
            await self._on_hangup()

    def _check(self) -> None:
        if self.closed or self.leg.closed:
            raise ChannelClosed(f"channel {self.id} is closed")

    # --- DTMF -------------------------------------------------------------------------------------

    def _push(self, digit: str) -> None:
        self._digits.append(digit)
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def flush_digits(self) -> str:
        """Drop (and return) the digits typed ahead so far."""
        digits = "".join(self._digits)
        self._digits.clear()
        return digits

    async def _wait(self, limit: float | None, *others: asyncio.Event) -> None:
        """Wait for a digit, a hang-up, `limit` ticker seconds or any of `others`."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)

        def expire() -> None:
            if not waiter.done():
                waiter.set_result(None)

        timer = self.engine.ticker.call_later(limit, expire) if limit is not None else None
        watchers = [loop.create_task(event.wait()) for event in others]
        for task in watchers:
            task.add_done_callback(lambda _t: expire())
        try:
            await waiter
        finally:
            if timer is not None:
                timer.cancel()
            for task in watchers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def collect_digits(
        self,
        max_digits: int = 20,
        *,
        digit_timeout: float = 5.0,
        first_digit_timeout: float | None = None,
        terminators: str = "#",
    ) -> str:
        """Digits until a terminator (not included), `max_digits`, or a timeout.

        `first_digit_timeout` (default `digit_timeout`) bounds the wait for the first digit and
        `digit_timeout` each following one (inter-digit timeout). Type-ahead digits count.
        """
        self._check()
        collected: list[str] = []
        while len(collected) < max_digits and not self.closed:
            if not self._digits:
                limit = (
                    first_digit_timeout if not collected and first_digit_timeout else digit_timeout
                )
                await self._wait(limit)
                if not self._digits:
                    break  # timeout or hang-up
            digit = self._digits.popleft()
            if digit in terminators:
                break
            collected.append(digit)
        return "".join(collected)

    # --- audio ------------------------------------------------------------------------------------

    async def play(
        self,
        source: AudioSource,
        *,
        max_seconds: float | None = None,
        interrupt_on_digit: bool = False,
    ) -> bool:
        """Play and wait until done; True when it played out, False when cut short.

        With `interrupt_on_digit` a key press stops the prompt (barge-in); the digit stays
        buffered for the next `collect_digits`.
        """
        self._check()
        player = self.engine.play(self.leg, source, max_seconds=max_seconds)
        completed = True
        try:
            while player.playing and not self.closed:
                if interrupt_on_digit and self._digits:
                    completed = False
                    break
                await self._wait(None, player.done)
        finally:
            player.stop()
        return completed and not self.closed

    async def record(
        self,
        path: str | Path,
        *,
        max_seconds: float = 120.0,
        terminators: str = "#",
    ) -> float:
        """Record the caller until a terminator key, `max_seconds` or hang-up; returns seconds.

        The terminator digit is consumed; other digits stay buffered.
        """
        self._check()
        recorder = self.engine.record(self.leg, path, max_seconds=max_seconds)
        try:
            while not recorder.done.is_set() and not self.closed:
                hit = next((d for d in self._digits if d in terminators), None)
                if hit is not None:
                    self._digits.remove(hit)
                    break
                await self._wait(None, recorder.done)
        finally:
            recorder.stop()
        return recorder.duration

    # --- bridging ---------------------------------------------------------------------------------

    async def bridge(self, other: Channel) -> None:
        """Relay this channel's media with another's (e.g. queue agent, conference later)."""
        self._check()
        other._check()
        self.engine.bridge(self.leg, other.leg)

    async def unbridge(self) -> None:
        self.engine.unbridge(self.leg)

    # --- mixing rooms -----------------------------------------------------------------------------

    async def join(
        self, room: MixingRoom, *, muted: bool = False, deaf: bool = False, gain: float = 1.0
    ) -> RoomMember:
        """Enter a mixing room: the caller hears the other members, they hear the caller.

        Leaves any bridge or other room first. The returned member takes the settings that
        change during the stay: `muted`, `deaf`, `gain` (0..16) and `hear_only_by(members)`
        (None: everyone; []: nobody, supervisor listen; [agent]: whisper). `play` still works
        while joined (a prompt to this caller alone); digits keep being collected.
        """
        self._check()
        member = room.join(self.leg, muted=muted, deaf=deaf, gain=gain)
        self._member = member
        return member

    async def leave(self) -> None:
        """Leave the room joined with `join` (no-op when in none); the caller hears nothing
        until the app plays, bridges or joins again."""
        member, self._member = self._member, None
        if member is not None:
            member.leave()

    @property
    def member(self) -> RoomMember | None:
        """This channel's membership in a mixing room, if it is in one."""
        if self._member is not None and self._member.room.member(self.leg) is not self._member:
            self._member = None  # removed by the room (closed, bridged elsewhere)
        return self._member
