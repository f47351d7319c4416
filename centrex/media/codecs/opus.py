"""Opus (RFC 6716, RTP payload RFC 7587) through PyAV's libopus: only the glue.

RFC 7587 §4.1: the RTP clock is always 48 kHz and SDP always says `opus/48000/2` whatever the
audio really is; the payload type is dynamic (Centrex prefers 111, what browsers use). Like
`g722.py`, the codec shows Centrex's 8 kHz face: `encode` takes one 20 ms frame of 160 samples
at 8 kHz and encodes one Opus packet (mono, 32 kbit/s) straight from 8 kHz input (libopus
accepts 8 kHz natively, so no upsampler: the audio is narrowband anyway); `decode` returns 160
samples at 8 kHz (ffmpeg's libopus decoder always yields 48 kHz: libswresample brings it down).
State (libopus, resampler) is per stream: `new_stream()`.

Timestamps are the caller's business and follow the RTP clock, not the pcm: one 20 ms frame
advances an Opus stream's timestamp by 960 (`base.rtp_step`). `default_registry()` registers Opus
*not offered*: Centrex never proposes it itself, it meets it on browser legs (relayed between
two browsers, transcoded to G.711 by `pcm_bridge.PcmBridge` when the other leg lacks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import av
from av.audio.resampler import AudioResampler

from centrex.media.codecs.avglue import Fifo, frame, pcm

__all__ = ["OPUS", "OpusCodec"]

_RTP_RATE = 48000
_NARROW = 8000


@dataclass(eq=False, slots=True)
class OpusCodec:
    """Opus as a `StatefulCodec` with an 8 kHz pcm face (module docstring)."""

    name: str = "opus"
    payload_type: int = 111  # dynamic (RFC 3551 §6); browsers' usual choice
    clock_rate: int = _RTP_RATE  # RFC 7587 §4.1
    sample_rate: int = _NARROW
    channels: int = 2  # what SDP says (RFC 7587 §7); we send mono, which it allows
    bit_rate: int = 32000
    _encoder: Any = field(default=None, repr=False)
    _decoder: Any = field(default=None, repr=False)
    _down: Any = field(default=None, repr=False)
    _narrow_out: Fifo = field(default_factory=lambda: Fifo(320), repr=False)

    def new_stream(self) -> OpusCodec:
        return OpusCodec(bit_rate=self.bit_rate)

    def _open_encoder(self) -> Any:
        encoder = av.CodecContext.create("libopus", "w")
        encoder.sample_rate = _NARROW  # libopus takes 8 kHz input; the RTP clock stays 48 kHz
        encoder.layout = "mono"
        encoder.format = "s16"
        encoder.bit_rate = self.bit_rate
        encoder.open()
        self._encoder = encoder
        return encoder

    def _open_decoder(self) -> Any:
        decoder = av.CodecContext.create("libopus", "r")
        decoder.sample_rate = _RTP_RATE
        decoder.layout = "mono"
        decoder.open()
        # libopus may hand back float or s16: the resampler converts either to s16 mono 8 kHz
        self._down = AudioResampler(format="s16", layout="mono", rate=_NARROW)
        self._decoder = decoder
        return decoder

    def encode(self, data: bytes) -> bytes:
        """pcm16 at 8 kHz (20 ms: 160 samples) -> one Opus packet.

        libopus codes 20 ms frames (PyAV cuts the input to the encoder's frame size): other
        lengths give an empty payload now and then, or two packets joined, which RFC 7587 §4.2
        does not allow; Centrex's players and rooms always hand over 20 ms."""
        encoder = self._encoder or self._open_encoder()
        if len(data) & 1:
            data = data[:-1]
        if not data:
            return b""
        return b"".join(bytes(p) for p in encoder.encode(frame(bytes(data), _NARROW)))

    def decode(self, payload: bytes) -> bytes:
        """One Opus packet -> pcm16 at 8 kHz (its duration, 160 samples per 20 ms)."""
        decoder = self._decoder or self._open_decoder()
        if not payload:
            return b""
        decoded = list(decoder.decode(av.Packet(bytes(payload))))
        samples = sum(f.samples for f in decoded)
        for f in decoded:
            for out in self._down.resample(f):
                self._narrow_out.push(pcm(out))
        return self._narrow_out.pop(samples // 6 * 2)


OPUS = OpusCodec()
