"""The relay's transcoder between two legs whose codecs differ in RTP clock (Opus <-> G.711).

Why its own module: G.722 <-> G.711 (`g722.G711Bridge`) swaps a payload and keeps the header,
because both run an 8 kHz RTP clock (RFC 3551 §4.5.2). Opus runs 48 kHz whatever the audio
(RFC 7587 §4.1), so a packet crossing from an Opus leg to a G.711 leg needs three things:

* **The payload** decoded to Centrex's 8 kHz pcm face and encoded again (`PcmBridge.payload`):
  Opus -> pcm (libopus at 48 kHz, libswresample down to 8 kHz) -> G.711 tables, and the
  reverse (G.711 tables -> pcm -> libopus fed 8 kHz). One packet in, one packet out, so the
  relay's sequence numbers stay continuous (the receiving leg's `OutStream` renumbers them).
* **The timestamp** rescaled from the sender's clock to the receiver's (`RtpClock`): the
  input timestamp is unwrapped into a 64-bit counter (RFC 3550 §A.1 style: the signed 32-bit
  difference to the previous packet, so a wrap at 2**32 and reordered packets are fine) and
  multiplied by out/in, then wrapped to 32 bits again. 960 units of Opus become 160 of G.711.
  A new SSRC (a transfer, a re-INVITE) restarts the counter; the receiving leg's `OutStream`
  re-anchors on it anyway (RFC 7667 §3.2.1.1).
* **RFC 4733 events** of the same stream (`EventRetimer`): their timestamps are on the same
  stream timeline, so they share the direction's `RtpClock`; the duration field counts the
  event's negotiated clock (RFC 4733 §2.3.5), rescaled when the two legs negotiated
  telephone-event at different rates (telephone-event/48000 on an Opus leg, /8000 on G.711).

Cost: one Opus decode + resample + G.711 encode, or G.711 decode + Opus encode, per 20 ms
packet (`bench/media/opus_transcode_bench.py`, numbers in docs/performance.md). Two browsers
that both negotiated Opus never get here: the relay forwards their packets untouched.
"""

from __future__ import annotations

import struct

from av.error import FFmpegError

from centrex.media.codecs.base import Codec, StatefulCodec
from centrex.media.rtp import RtpParseError, payload_offset, ts_delta

__all__ = ["EventRetimer", "PcmBridge", "RtpClock"]

_TS_SSRC = struct.Struct("!II")
_DURATION = struct.Struct("!H")
_MASK = 0xFFFFFFFF


class RtpClock:
    """Timestamps of one direction's stream, rescaled from `in_rate` to `out_rate` (module)."""

    __slots__ = ("_extended", "_last", "_ssrc", "in_rate", "out_rate")

    def __init__(self, in_rate: int, out_rate: int) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError("RTP clock rates must be positive")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._ssrc = -1
        self._last = 0
        self._extended = 0  # the unwrapped input timestamp, relative to the stream's first

    def rescale(self, ts: int, ssrc: int) -> int:
        """The output timestamp for input `ts` of stream `ssrc`. O(1)."""
        if ssrc != self._ssrc:
            self._ssrc = ssrc
            self._extended = ts  # a new stream starts where its own timestamps are
        else:
            self._extended += ts_delta(ts, self._last)
        self._last = ts
        return (self._extended * self.out_rate // self.in_rate) & _MASK


def _retimed(packet: bytearray, clock: RtpClock) -> None:
    ts, ssrc = _TS_SSRC.unpack_from(packet, 4)
    _TS_SSRC.pack_into(packet, 4, clock.rescale(ts, ssrc), ssrc)


def _payload_end(packet: bytearray, start: int) -> int:
    """End of the payload: RFC 3550 §5.1 padding (P bit) belonged to the old payload."""
    end = len(packet)
    if packet[0] & 0x20:
        end -= packet[end - 1]
        if end < start:
            raise RtpParseError("RTP padding count is larger than the payload")
    return end


def _fresh(codec: Codec) -> Codec:
    return codec.new_stream() if isinstance(codec, StatefulCodec) else codec


class PcmBridge:
    """One direction of a bridge between two codecs, through 8 kHz pcm (module docstring).

    `clock` is None when both legs run the same RTP clock (then only the payload changes);
    otherwise it is the direction's `RtpClock`, shared with its `EventRetimer`.
    """

    __slots__ = ("_clock", "_source", "_target", "failures")

    def __init__(self, source: Codec, target: Codec, clock: RtpClock | None = None) -> None:
        self._source = _fresh(source)
        self._target = _fresh(target)
        self._clock = clock
        self.failures = 0  # payloads the decoder refused (counted by the relay as garbage)

    def payload(self, payload: bytes) -> bytes:
        """One payload in the sender's codec -> the receiver's."""
        try:
            return self._target.encode(self._source.decode(payload))
        except FFmpegError as exc:  # a corrupt Opus packet: junk from the network
            self.failures += 1
            raise RtpParseError(f"{self._source.name} payload does not decode: {exc}") from None

    def rewrite(self, packet: bytearray, payload_type: int) -> bytearray:
        """The whole RTP packet, payload transcoded, labelled `payload_type`, retimed."""
        start = payload_offset(packet)
        end = _payload_end(packet, start)
        out = packet[:start]
        out[0] &= 0xDF
        out[1] = (packet[1] & 0x80) | (payload_type & 0x7F)
        if self._clock is not None:
            _retimed(out, self._clock)
        out += self.payload(bytes(packet[start:end]))
        return out

    def __repr__(self) -> str:
        return f"PcmBridge({self._source.name}->{self._target.name})"


class EventRetimer:
    """RFC 4733 telephone-events of one direction: timestamp on the audio's `clock`, duration
    rescaled by `event_out / event_in` (the two legs' telephone-event clocks)."""

    __slots__ = ("_clock", "_event_in", "_event_out")

    def __init__(self, clock: RtpClock | None, event_in: int, event_out: int) -> None:
        if event_in <= 0 or event_out <= 0:
            raise ValueError("telephone-event clock rates must be positive")
        self._clock = clock
        self._event_in = event_in
        self._event_out = event_out

    def rewrite(self, packet: bytearray, payload_type: int) -> bytearray:
        start = payload_offset(packet)
        if _payload_end(packet, start) - start < 4:
            raise RtpParseError("telephone-event payload shorter than 4 bytes (RFC 4733 §2.3)")
        packet[1] = (packet[1] & 0x80) | (payload_type & 0x7F)
        if self._clock is not None:
            _retimed(packet, self._clock)
        if self._event_in != self._event_out:
            (duration,) = _DURATION.unpack_from(packet, start + 2)
            scaled = min(duration * self._event_out // self._event_in, 0xFFFF)
            _DURATION.pack_into(packet, start + 2, scaled)
        return packet

    def __repr__(self) -> str:
        return f"EventRetimer({self._event_in}->{self._event_out})"
