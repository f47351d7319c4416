"""Call recording of bridged calls: never, always, or on demand (feature code *1).

When a call is answered the B2BUA asks the host (`CallMediaHost.recording_plan`) how the call's
extensions want it recorded. "always" starts at once; "on-demand" watches both parties' keys
(RFC 4733 telephone-events, `engine.watch_digits`) and starts when either dials `*1`. A tenant
that must tell the parties (`record_announce`) has the notice prompt played to both when the
recording starts.

Each party is recorded from its own leg (`engine.record`: what that party sends). Both recorders
are started in the same synchronous step, so they join the media ticker on the same tick and
their files are sample-aligned; "mixed" sums them into one WAV when the call ends
(`centrex.media.mixdown`, in a worker thread), "per-party" keeps both. The files go to the
tenant's store through the host, which registers them with the CDR id and counts them against
the quota. A call-layer failure here never ends the call: it is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from centrex.calls.call import Call, SipSide
from centrex.calls.call_media import CallMediaHost, RecordedTrack, RecordingPlan
from centrex.calls.features import FeatureHooks
from centrex.data.models import Direction, RecordingLayout, RecordingMode
from centrex.media.digits import DigitListener
from centrex.media.engine import MediaEngine
from centrex.media.mixdown import mix_wav_files
from centrex.media.recorder import Recorder
from centrex.media.session import MediaLeg

log = logging.getLogger(__name__)

FEATURE_CODE = "*1"


@dataclass(frozen=True, slots=True)
class Party:
    """One side of the call to record: who (extension number, trunk name, caller id) and leg."""

    name: str
    leg: MediaLeg


@dataclass(eq=False)
class CallRecording:
    """The recording state of one call."""

    tenant_id: int
    call_id: str
    plan: RecordingPlan
    parties: tuple[Party, ...]
    started_at: datetime | None = None
    recorders: list[tuple[Party, Recorder]] = field(default_factory=list)
    listeners: list[DigitListener] = field(default_factory=list)
    keys: str = ""

    @property
    def recording(self) -> bool:
        return bool(self.recorders)


class CallRecorder:
    """Starts, stops and hands over the recordings of the B2BUA's calls."""

    def __init__(
        self, engine: MediaEngine, host: CallMediaHost, now: Callable[[], datetime]
    ) -> None:
        """`now` is the B2BUA's clock (the recording's start time goes to the API)."""
        self._engine = engine
        self._host = host
        self._now = now
        self.calls: dict[str, CallRecording] = {}
        self._announcing: set[asyncio.Future[None]] = set()

    async def answered(
        self,
        tenant_id: int,
        call_id: str,
        extensions: list[str],
        parties: tuple[Party, ...],
    ) -> None:
        """A call was bridged: record it now, arm the feature code, or do nothing."""
        plan = await self._host.recording_plan(tenant_id, extensions)
        if plan.mode is RecordingMode.NEVER or any(p.leg.closed for p in parties):
            return
        state = CallRecording(tenant_id, call_id, plan, parties)
        self.calls[call_id] = state
        if plan.mode is RecordingMode.ALWAYS:
            self._start(state)
            return
        for party in parties:
            state.listeners.append(
                self._engine.watch_digits(
                    party.leg,
                    lambda digit, s=state: self._key(s, digit),  # type: ignore[misc]
                )
            )

    def _key(self, state: CallRecording, digit: str) -> None:
        """Feature code *1 (from either party) starts the recording."""
        state.keys = (state.keys + digit)[-len(FEATURE_CODE) :]
        if state.keys == FEATURE_CODE and not state.recording:
            log.info("call %s: recording started on demand", state.call_id)
            self._close_listeners(state)
            self._start(state)

    def _start(self, state: CallRecording) -> None:
        state.started_at = self._now()
        for party in state.parties:
            path = self._host.recording_file(state.tenant_id)
            state.recorders.append((party, self._engine.record(party.leg, path)))
        if state.plan.announce:
            task = asyncio.ensure_future(self._announce(state))
            self._announcing.add(task)
            task.add_done_callback(self._announcing.discard)

    async def _announce(self, state: CallRecording) -> None:
        """Both parties hear that the call is recorded (where the law requires it): the notice
        takes over each party's incoming stream while it plays, then the relay resumes (the
        player hands the stream back on the same SSRC, as after music on hold)."""
        try:
            notice = await self._host.recording_notice(state.tenant_id)
            if notice is None or self.calls.get(state.call_id) is not state:
                return
            for party in state.parties:
                if not party.leg.closed:
                    self._engine.play(party.leg, notice)
        except Exception:
            log.exception("call %s: recording notice not played", state.call_id)

    @staticmethod
    def _close_listeners(state: CallRecording) -> None:
        for listener in state.listeners:
            listener.close()
        state.listeners.clear()

    def stop(self, call_id: str) -> CallRecording | None:
        """The call ends: stop listening and recording (before its legs are released)."""
        state = self.calls.pop(call_id, None)
        if state is None:
            return None
        self._close_listeners(state)
        for _party, recorder in state.recorders:
            recorder.stop()
        return state if state.recording else None

    async def keep(self, state: CallRecording, cdr_id: int | None) -> None:
        """Mix (if asked) and hand the files to the host, linked to the call's CDR."""
        assert state.started_at is not None
        paths = [recorder.path for _party, recorder in state.recorders]
        try:
            if state.plan.layout is RecordingLayout.MIXED:
                mixed = self._host.recording_file(state.tenant_id)
                await asyncio.to_thread(mix_wav_files, paths, mixed)
                _discard(paths)
                tracks = [RecordedTrack(mixed)]
            else:
                tracks = [RecordedTrack(r.path, p.name) for p, r in state.recorders]
            await self._host.keep_recording(
                state.tenant_id,
                call_id=state.call_id,
                cdr_id=cdr_id,
                layout=state.plan.layout,
                tracks=tracks,
                started_at=state.started_at,
            )
        except Exception:
            log.exception("call %s: recording not kept", state.call_id)


def _discard(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


class RecordingFeature:
    """Recording as a call feature: armed when a call is bridged, stopped before its legs are
    released, handed to the host (linked to the CDR) once the CDR is closed."""

    name = "recording"

    def __init__(self, recorder: CallRecorder) -> None:
        self.recorder = recorder
        self._finished: dict[str, CallRecording] = {}

    def attach(self, hooks: FeatureHooks) -> None:
        hooks.on_answered(self.name, self._answered)
        hooks.on_releasing(self.name, self._releasing)
        hooks.on_ended(self.name, self._ended)

    async def _answered(self, call: Call, b: SipSide) -> None:
        if b.media is None or call.a.media is None:
            return
        extensions = [
            number
            for number, internal in (
                (call.caller, call.direction is not Direction.INBOUND),
                (call.callee, call.direction is not Direction.OUTBOUND),
            )
            if internal and number
        ]
        parties = (Party(call.caller, call.a.media), Party(call.callee or b.peer, b.media))
        await self.recorder.answered(call.tenant_id, call.call_id, extensions, parties)

    async def _releasing(self, call: Call) -> None:
        finished = self.recorder.stop(call.call_id)
        if finished is not None:
            self._finished[call.call_id] = finished

    async def _ended(self, call: Call) -> None:
        finished = self._finished.pop(call.call_id, None)
        if finished is not None:
            await self.recorder.keep(finished, call.cdr_id)
