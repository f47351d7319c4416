"""A frame listener: what a leg's party says, decoded to 16-bit PCM as it arrives.

For analysis that needs the audio itself rather than a file or a mix (answering-machine
detection in the dialer, `media/amd.py`): a tap on the leg like the recorder's and the digit
listener's, decoding each audio packet with the codec the party negotiated (a fresh stream
per payload type, so stateful codecs keep their own state) and handing the PCM to a callback
at once. Telephone events and comfort noise are not audio and are skipped. Frames come in
arrival order, unbuffered: a lost packet is a missing frame, which a detector counting time
from the samples fed simply does not count.
"""

from __future__ import annotations

from collections.abc import Callable

from centrex.media.codecs import Codec, CodecRegistry
from centrex.media.rtp import RtpParseError, payload_offset
from centrex.media.session import MediaLeg

__all__ = ["FrameListener"]


class FrameListener:
    """Calls `on_frame(pcm)` for every audio packet the leg receives, until `close`."""

    def __init__(
        self, leg: MediaLeg, codecs: CodecRegistry, on_frame: Callable[[bytes], None]
    ) -> None:
        self.leg = leg
        self._registry = codecs
        self._on_frame = on_frame
        self._codecs: dict[int, Codec] = {}
        self._remote_seen: object = None
        self.frames = 0
        leg.taps.append(self._tap)

    def close(self) -> None:
        if self._tap in self.leg.taps:
            self.leg.taps.remove(self._tap)

    def _refresh(self) -> None:
        remote = self.leg.remote
        self._remote_seen = remote
        self._codecs = {}
        if remote is None:
            return
        for rtpmap in remote.codecs:
            if rtpmap.payload_type == remote.telephone_event:
                continue
            codec = self._registry.get(rtpmap.encoding)
            if codec is not None:
                self._codecs[rtpmap.payload_type] = codec

    def _tap(self, data: bytes, pt: int, ts: int) -> None:
        if self.leg.remote is not self._remote_seen:
            self._refresh()
        codec = self._codecs.get(pt)
        if codec is None:
            return
        try:
            start = payload_offset(data)
        except RtpParseError:
            return
        self.frames += 1
        self._on_frame(codec.decode(data[start:]))
