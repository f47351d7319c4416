"""Centrex media layer (see shared/DESIGN.md §3).

Pure building blocks live here: RTP/RTCP wire formats (`rtp`, `rtcp`), receive statistics
(`jitter`), codecs (`codecs`), DTMF (`dtmf`), tones (`tones`), pcm16 conventions (`pcm`) and WAV
helpers (`audio`). The asyncio parts (sessions, relay, ticker, channel) build on them.
"""

from centrex.media.codecs import Codec, CodecRegistry, default_registry
from centrex.media.dtmf import DtmfDigit, DtmfReceiver, InbandDtmfDetector, TelephoneEvent
from centrex.media.jitter import ReceiveSnapshot, ReceiveStats
from centrex.media.rtcp import RtcpParseError, parse_compound
from centrex.media.rtp import RtpPacket, RtpParseError, StreamRewriter, peek, rewrite_header

__all__ = [
    "Codec",
    "CodecRegistry",
    "DtmfDigit",
    "DtmfReceiver",
    "InbandDtmfDetector",
    "ReceiveSnapshot",
    "ReceiveStats",
    "RtcpParseError",
    "RtpPacket",
    "RtpParseError",
    "StreamRewriter",
    "TelephoneEvent",
    "default_registry",
    "parse_compound",
    "peek",
    "rewrite_header",
]
