"""Helpers for call-layer flow tests that need more than `harness.py` gives: a call-media host
(music on hold, recording storage) that records what the B2BUA asked of it, key presses on a
bridged leg, and the media ticker driven tick by tick on the harness's ManualClock.

Why a fake host is honest here: `CallMediaHost` is the protocol through which the layers
*above* the call layer (apps, provisioning) serve it (calls/call_media.py); the real one is
tested on both databases in tests/apps/test_call_media.py and end to end in
tests/e2e/test_recording.py. What these tests check is the call layer's side of the contract:
what it asks for, when, for which tenant, and what it hands back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from centrex.calls.call_media import RecordedTrack, RecordingPlan
from centrex.data.models import RecordingLayout
from centrex.media.audio import write_wav
from centrex.media.dtmf import telephone_event_packets
from centrex.media.session import MediaLeg
from tests.calls.harness import Harness
from tests.calls.uas import CallLeg, ClientRequest
from tests.media.phones import rtp

TELEPHONE_EVENT_PT = 101  # what the harness phones offer (tests/media/phones.py `sdp`)


@dataclass(frozen=True)
class KeptRecording:
    """One `keep_recording` call, as the host received it."""

    tenant_id: int
    call_id: str
    cdr_id: int | None
    layout: RecordingLayout
    tracks: tuple[RecordedTrack, ...]
    started_at: datetime


@dataclass
class FakeCallMedia:
    """A `CallMediaHost` writing into `root`; every question and answer is kept."""

    root: Path
    plan: RecordingPlan = field(default_factory=RecordingPlan)
    moh: Path | None = None
    notice: Path | None = None
    fail_keep: bool = False
    fail_notice: bool = False
    plans_asked: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    files: list[tuple[int, Path]] = field(default_factory=list)
    kept: list[KeptRecording] = field(default_factory=list)
    moh_asked: list[int] = field(default_factory=list)
    notices_asked: list[int] = field(default_factory=list)
    gate: asyncio.Event | None = None  # set: lookups wait for it (a slow database)

    async def _slow(self) -> None:
        if self.gate is not None:
            await self.gate.wait()

    async def hold_music(self, tenant_id: int) -> Path | None:
        self.moh_asked.append(tenant_id)
        await self._slow()
        return self.moh

    async def recording_plan(self, tenant_id: int, extensions: Sequence[str]) -> RecordingPlan:
        self.plans_asked.append((tenant_id, tuple(extensions)))
        return self.plan

    async def recording_notice(self, tenant_id: int) -> Path | None:
        self.notices_asked.append(tenant_id)
        await self._slow()
        if self.fail_notice:
            raise OSError("prompt store unreachable")
        return self.notice

    def recording_file(self, tenant_id: int) -> Path:
        path = self.root / f"t{tenant_id}-{len(self.files)}.wav"
        self.files.append((tenant_id, path))
        return path

    async def keep_recording(
        self,
        tenant_id: int,
        *,
        call_id: str,
        cdr_id: int | None,
        layout: RecordingLayout,
        tracks: Sequence[RecordedTrack],
        started_at: datetime,
    ) -> None:
        if self.fail_keep:
            raise OSError("quota store unreachable")
        self.kept.append(
            KeptRecording(tenant_id, call_id, cdr_id, layout, tuple(tracks), started_at)
        )


def write_prompt(path: Path, seconds: float = 0.2) -> Path:
    """A WAV of `seconds` of a non-silent square-ish wave (8 kHz, 16 bit)."""
    samples = int(seconds * 8000)
    pcm = b"".join((4000 if (i // 8) % 2 else -4000).to_bytes(2, "little", signed=True)
                   for i in range(samples))  # fmt: skip
    write_wav(path, pcm)
    return path


def receive(leg: MediaLeg, data: bytes) -> None:
    """One datagram from the leg's party (the address its SDP gave) into the leg's RTP
    protocol: counters, latching, taps and relay as for a packet off the socket."""
    source = leg.send_addr
    assert source is not None, "the leg has no remote party yet"
    leg.protocols()[0].datagram_received(data, source)


def press(leg: MediaLeg, digits: str, *, ssrc: int = 0x1234, start_ts: int = 8000) -> None:
    """The leg's party presses `digits` (RFC 4733 telephone-events, §2.5.1): the packets enter
    the leg's real receive path (`MediaLeg.protocols`, from the party's SDP address) as its
    socket would hand them over; only the socket is left out."""
    seq = 100
    ts = start_ts
    for digit in digits:
        for packet in telephone_event_packets(digit):
            receive(leg, rtp(TELEPHONE_EVENT_PT, seq, ts, ssrc, packet.payload, packet.marker))
            seq += 1
        ts += 1600  # the next press starts 200 ms later, a new event timestamp


def ticks(h: Harness, count: int) -> None:
    """Run `count` media ticks (20 ms each) on the harness clock, one at a time."""
    ticker = h.engine.ticker
    for _ in range(count):
        h.clock.advance(ticker.interval)
        ticker.run_due(h.clock.monotonic())


def media_of(h: Harness, call_id: str) -> tuple[MediaLeg, MediaLeg]:
    """The caller's and the answering callee's media legs of a bridged call."""
    call = h.b2bua.calls[call_id]
    assert call.b is not None
    a, b = call.a.media, call.b.media
    assert a is not None
    assert b is not None
    return a, b


def talk(h: Harness, leg: MediaLeg, count: int, *, level: int = 0x10, ssrc: int = 0x5678) -> None:
    """The leg's party talks for `count` ticks: one PCMU frame (payload type 0, every byte
    `level`: loud, unlike the 0xFF of µ-law silence) is received before each tick."""
    ticker = h.engine.ticker
    for n in range(count):
        receive(leg, rtp(0, n, 160 * n, ssrc, bytes([level]) * 160))
        h.clock.advance(ticker.interval)
        ticker.run_due(h.clock.monotonic())


def catch_up(h: Harness) -> None:
    """Run the ticks the media clock owes (the harness moved the clock without ticking), so
    that what starts now sees exactly the ticks a test runs next."""
    ticker = h.engine.ticker
    while ticker.next_deadline <= h.clock.monotonic():
        ticker.run_due(h.clock.monotonic())


async def reoffer(
    h: Harness,
    sender: CallLeg,
    receiver: CallLeg,
    direction: str,
    answer: str,
    *,
    method: str = "INVITE",
) -> ClientRequest:
    """`sender` re-offers with `direction` (RFC 3264 §8.4: sendonly holds the other party,
    sendrecv resumes); Centrex relays it and `receiver` answers 200 with `answer`."""
    before = len(receiver.received(method))
    body = sender.phone.sdp(direction)
    sent = sender.reinvite(body) if method == "INVITE" else sender.update(body)
    await h.settle(until=lambda: len(receiver.received(method)) > before)
    relayed = receiver.received(method)[-1]
    receiver.answer_request(relayed, 200, receiver.phone.sdp(answer))
    await h.settle()
    assert sent.status == 200, sent.statuses
    return sent
