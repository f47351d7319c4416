"""DigitListener: turns what a leg receives into key presses, for channels and call features.

Why a separate piece: apps get digits through `Channel.collect_digits`, but the call layer also
needs digits on *bridged* legs (in-call feature codes such as attended transfer, a queue agent's
keys) without owning a channel. Both use this tap, which sees every valid RTP packet of the leg
after the relay's accounting and before forwarding.

RFC 4733 telephone-events go through `DtmfReceiver` (one digit per press, retransmitted end
packets ignored, RFC 4733 §2.5.1.4). In-band tones go through the Goertzel detector
(`InbandDtmfDetector`, ITU-T Q.23/Q.24) only when the party did not negotiate telephone-event,
unless `inband=True`: a phone that sends RFC 4733 often leaves the tone in the audio as well
(RFC 4733 §2.6 allows it), and detecting both would report every key twice. In-band detection
decodes G.711 (table lookups) and runs 8 Goertzel filters, so it costs CPU per packet: enable it
on app legs or on the few bridged legs that need it, never by default on every call.
"""

from __future__ import annotations

from collections.abc import Callable

from centrex.media.codecs import Codec, CodecRegistry
from centrex.media.dtmf import DtmfReceiver, InbandDtmfDetector
from centrex.media.rtp import RtpParseError, payload_offset
from centrex.media.session import MediaLeg

__all__ = ["DigitListener"]


class DigitListener:
    """Calls `on_digit(digit)` once per key press the leg's party makes, until `close`."""

    def __init__(
        self,
        leg: MediaLeg,
        codecs: CodecRegistry,
        on_digit: Callable[[str], None],
        *,
        inband: bool | None = None,
    ) -> None:
        self.leg = leg
        self._registry = codecs
        self._on_digit = on_digit
        self._inband = inband
        self._rfc4733 = DtmfReceiver()
        self._detector = InbandDtmfDetector()
        self._codecs: dict[int, Codec] = {}
        self._te_pt: int | None = None
        self._remote_seen: object = None
        leg.taps.append(self._tap)

    def close(self) -> None:
        if self._tap in self.leg.taps:
            self.leg.taps.remove(self._tap)

    def _refresh_remote(self) -> None:
        remote = self.leg.remote
        self._remote_seen = remote
        self._codecs = {}
        self._te_pt = None
        if remote is None:
            return
        self._te_pt = remote.telephone_event
        for rtpmap in remote.codecs:
            codec = self._registry.get(rtpmap.encoding)
            if codec is not None:
                self._codecs[rtpmap.payload_type] = codec

    def _tap(self, data: bytes, pt: int, ts: int) -> None:
        if self.leg.remote is not self._remote_seen:
            self._refresh_remote()
        try:
            start = payload_offset(data)
        except RtpParseError:
            return
        if pt == self._te_pt:
            event = self._rfc4733.feed(ts, bool(data[1] & 0x80), data[start:])
            if event is not None:
                self._on_digit(event.digit)
            return
        inband = self._inband if self._inband is not None else self._te_pt is None
        codec = self._codecs.get(pt)
        if inband and codec is not None:
            for digit in self._detector.feed(codec.decode(data[start:])):
                self._on_digit(digit)
