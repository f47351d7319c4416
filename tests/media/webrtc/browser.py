"""A browser-free WebRTC peer for tests: aiortc with a sine-tone microphone and a recorder.

aiortc does full ICE, DTLS-SRTP and SRTP like a browser (TESTING-NOTES.md); its host candidates
are restricted to the test's own loopback address so parallel tests do not meet each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import Iterator
from typing import Any

import aioice.ice
import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

RATE = 8000
FRAME = 160  # 20 ms at 8 kHz


class ToneTrack(MediaStreamTrack):
    """An audio track playing a sine of `freq` Hz at real-time pace."""

    kind = "audio"

    def __init__(self, freq: float, amplitude: float = 8000.0) -> None:
        super().__init__()
        self.freq = freq
        self.amplitude = amplitude
        self._pts = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(FRAME) + self._pts) / RATE
        samples = (self.amplitude * np.sin(2 * np.pi * self.freq * t)).astype("<i2")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@contextlib.contextmanager
def host_addresses(address: str) -> Iterator[None]:
    """Make aioice gather only `address` (it skips 127.0.0.1 and would use every NIC)."""
    original = aioice.ice.get_host_addresses
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]  # type: ignore[assignment]
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = original  # type: ignore[assignment]


class Browser:
    """One RTCPeerConnection sending a tone and recording the decoded audio it receives."""

    def __init__(self, freq: float = 700.0) -> None:
        self.pc = RTCPeerConnection()
        self.tone = ToneTrack(freq)
        self.pc.addTrack(self.tone)
        self.received: list[np.ndarray] = []
        self._reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: Any) -> None:
        if track.kind == "audio":
            self._reader = asyncio.get_running_loop().create_task(self._read(track))

    async def _read(self, track: Any) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                samples = frame.to_ndarray().astype(np.float64).reshape(-1)
                if frame.layout.name == "stereo":
                    samples = samples[::2]
                # aiortc's G.711 decoder yields 8 kHz; Opus would be 48 kHz (not negotiated).
                self.received.append(samples)

    async def offer(self) -> str:
        """Our SDP offer, candidates gathered (no trickle)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def answer(self, offer_sdp: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    def audio(self) -> np.ndarray:
        return np.concatenate(self.received) if self.received else np.zeros(0)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.pc.close()


def tone_level(samples: np.ndarray, freq: float, rate: int = RATE) -> float:
    """Share of the spectrum's energy within ±25 Hz of `freq` (1.0: a pure tone)."""
    if len(samples) < rate // 4:
        return 0.0
    x = samples - samples.mean()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    bins = np.fft.rfftfreq(len(x), 1 / rate)
    total = float(spectrum.sum())
    if total == 0:
        return 0.0
    return float(spectrum[np.abs(bins - freq) <= 25].sum() / total)
