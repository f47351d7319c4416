"""ITU-T G.722 wideband audio (PT 9) through ffmpeg's `adpcm_g722`, via PyAV: only the glue.

Why a library: G.722 is sub-band ADPCM with a QMF filter bank (ITU-T G.722 §3-§4); writing and
verifying our own would be a project of its own, ffmpeg's codec is fast C and well tested. This
module owns three things only:

* **The clock-rate quirk.** RFC 3551 §4.5.2: G.722 samples at 16 kHz but its RTP clock rate is
  8000 ("an error in RFC 1890"), so SDP says `G722/8000`, timestamps advance 160 per 20 ms frame
  and a frame is 160 bytes (64 kbit/s), exactly like G.711. The relay can therefore swap a G.722
  payload for a G.711 one without touching timestamps or packet sizes.
* **The 8 kHz face.** The media clock, mixer, player, recorder and DTMF detector of Centrex all
  work on 8 kHz pcm16 (DESIGN.md §1, one 20 ms tick of 160 samples). So `sample_rate` is 8000:
  `encode` takes 160 samples at 8 kHz, upsamples them to 16 kHz with libswresample and encodes;
  `decode` decodes 320 samples at 16 kHz and downsamples to 160. A G.722 leg in an IVR,
  voicemail or conference works unchanged, at narrowband quality; wideband survives where it
  matters, in the relay between two G.722 phones (forwarded untouched, never decoded).
* **State per stream.** ADPCM predictors and the resampler's filter carry state from packet to
  packet, so one `G722Codec` must serve one stream. `new_stream()` (the `StatefulCodec` face of
  `base.py`) gives a fresh one; the registry hands one out per lookup.

The resampler's filter delays its output by a few samples and hands back uneven chunks, so a
small FIFO keeps every result at exactly one frame (the first frame starts with the delay as
silence). `G711Bridge` is the relay's transcoder between a G.722 leg and a G.711 leg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import av
from av.audio.resampler import AudioResampler

from centrex.media.codecs.avglue import Fifo as _Fifo
from centrex.media.codecs.avglue import frame as _frame
from centrex.media.codecs.avglue import pcm as _pcm
from centrex.media.codecs.avglue import resample as _resample
from centrex.media.codecs.g711 import G711Codec
from centrex.media.rtp import RtpParseError, payload_offset

__all__ = ["G722", "G711Bridge", "G722Codec"]

_WIDE = 16000
_NARROW = 8000


@dataclass(eq=False, slots=True)
class G722Codec:
    """G.722 at 64 kbit/s as a `Codec` with an 8 kHz pcm face (module docstring)."""

    name: str = "G722"
    payload_type: int = 9  # RFC 3551 §6 Table 4
    clock_rate: int = _NARROW  # RFC 3551 §4.5.2
    sample_rate: int = _NARROW  # what encode takes and decode returns (resampled, see above)
    _encoder: Any = field(default=None, repr=False)
    _decoder: Any = field(default=None, repr=False)
    _up: Any = field(default=None, repr=False)
    _down: Any = field(default=None, repr=False)
    _wide_in: _Fifo = field(default_factory=lambda: _Fifo(640), repr=False)
    _narrow_out: _Fifo = field(default_factory=lambda: _Fifo(320), repr=False)

    def new_stream(self) -> G722Codec:
        """A codec of its own for one RTP stream (ADPCM and filter state are per stream)."""
        return G722Codec()

    # The contexts open on first use: a registry lookup that only negotiates costs nothing.
    def _open_encoder(self) -> Any:
        encoder = av.CodecContext.create("g722", "w")
        encoder.sample_rate = _WIDE
        encoder.layout = "mono"
        encoder.format = "s16"
        encoder.open()
        self._up = AudioResampler(format="s16", layout="mono", rate=_WIDE)
        self._encoder = encoder
        return encoder

    def _open_decoder(self) -> Any:
        decoder = av.CodecContext.create("g722", "r")
        decoder.sample_rate = _WIDE
        decoder.layout = "mono"
        decoder.open()
        self._down = AudioResampler(format="s16", layout="mono", rate=_NARROW)
        self._decoder = decoder
        return decoder

    def encode(self, pcm: bytes) -> bytes:
        """pcm16 at 8 kHz (a 20 ms frame: 160 samples) -> one G.722 payload (160 bytes)."""
        encoder = self._encoder or self._open_encoder()
        if len(pcm) & 1:
            pcm = pcm[:-1]
        wide_bytes = len(pcm) * 2  # twice the samples at 16 kHz
        self._wide_in.push(_resample(self._up, bytes(pcm), _NARROW))
        wide = self._wide_in.pop(wide_bytes)
        if not wide:
            return b""
        return b"".join(bytes(p) for p in encoder.encode(_frame(wide, _WIDE)))

    def decode(self, payload: bytes) -> bytes:
        """One G.722 payload -> pcm16 at 8 kHz (160 bytes of G.722 give 160 samples)."""
        decoder = self._decoder or self._open_decoder()
        if not payload:
            return b""
        wide = b"".join(_pcm(f) for f in decoder.decode(av.Packet(bytes(payload))))
        self._narrow_out.push(_resample(self._down, wide, _WIDE))
        return self._narrow_out.pop(len(payload) * 2)

    def encode_wide(self, pcm16k: bytes) -> bytes:
        """pcm16 at 16 kHz -> G.722, no resampling (tests and wideband sources)."""
        encoder = self._encoder or self._open_encoder()
        return b"".join(bytes(p) for p in encoder.encode(_frame(bytes(pcm16k), _WIDE)))

    def decode_wide(self, payload: bytes) -> bytes:
        """G.722 -> pcm16 at 16 kHz, no resampling (tests and wideband sinks)."""
        decoder = self._decoder or self._open_decoder()
        return b"".join(_pcm(f) for f in decoder.decode(av.Packet(bytes(payload))))


G722 = G722Codec()


class G711Bridge:
    """The relay's transcoder for one direction between a G.722 and a G.711 leg.

    Both payloads are 160 bytes per 20 ms with the same RTP clock (module docstring), so the
    packet keeps its header and timestamps; only the payload and its type change. Costs a
    decode, two resamples and an encode per packet (measured in bench/): transcoding is the
    price of a phone without G.722, a plain relay stays untouched.
    """

    __slots__ = ("_g711", "_g722", "_to_g711")

    def __init__(self, g711: G711Codec, *, to_g711: bool) -> None:
        self._g711 = g711
        self._g722 = G722Codec()
        self._to_g711 = to_g711

    def payload(self, payload: bytes) -> bytes:
        """One payload in the sender's codec -> the receiver's."""
        if self._to_g711:
            return self._g711.encode(self._g722.decode(payload))
        return self._g722.encode(self._g711.decode(payload))

    def rewrite(self, packet: bytearray, payload_type: int) -> bytearray:
        """The whole RTP packet with its payload transcoded and labelled `payload_type`.

        Padding (RFC 3550 §5.1 P bit) is dropped with the old payload: it belonged to it.
        """
        start = payload_offset(packet)
        end = len(packet)
        if packet[0] & 0x20:
            end -= packet[end - 1]
            if end < start:
                raise RtpParseError("RTP padding count is larger than the payload")
        out = packet[:start]
        out[0] &= 0xDF
        out[1] = (packet[1] & 0x80) | (payload_type & 0x7F)
        out += self.payload(bytes(packet[start:end]))
        return out

    def __repr__(self) -> str:
        way = "G722->" + self._g711.name if self._to_g711 else self._g711.name + "->G722"
        return f"G711Bridge({way})"
