"""Audio codecs: the `Codec` interface, the registry, G.711 (tables), G.722 and Opus (PyAV glue).

Adding a codec: write `codecs/<name>.py` with a class satisfying `Codec` (a `StatefulCodec`
when it keeps state between packets), register it in `default_registry()` below, and say in
`can_transcode`/`transcoder` what the relay may convert it to. Nothing else in the engine
switches on codec names.
"""

from __future__ import annotations

from centrex.media.codecs.base import (
    Codec,
    CodecRegistry,
    StatefulCodec,
    Transcoder,
    UnknownCodecError,
    rtp_step,
)
from centrex.media.codecs.g711 import (
    ALAW_TO_ULAW,
    PCMA,
    PCMU,
    ULAW_TO_ALAW,
    G711Codec,
    alaw_decode,
    alaw_encode,
    alaw_to_ulaw,
    ulaw_decode,
    ulaw_encode,
    ulaw_to_alaw,
)
from centrex.media.codecs.g722 import G722, G711Bridge, G722Codec
from centrex.media.codecs.opus import OPUS, OpusCodec
from centrex.media.codecs.pcm_bridge import EventRetimer, PcmBridge, RtpClock

__all__ = [
    "ALAW_TO_ULAW",
    "G722",
    "OPUS",
    "PCMA",
    "PCMU",
    "ULAW_TO_ALAW",
    "Codec",
    "CodecRegistry",
    "EventRetimer",
    "G711Bridge",
    "G711Codec",
    "G722Codec",
    "OpusCodec",
    "PcmBridge",
    "RtpClock",
    "StatefulCodec",
    "Transcoder",
    "UnknownCodecError",
    "alaw_decode",
    "alaw_encode",
    "alaw_to_ulaw",
    "can_transcode",
    "default_registry",
    "rtp_step",
    "transcode_table",
    "transcoder",
    "ulaw_decode",
    "ulaw_encode",
    "ulaw_to_alaw",
]


def default_registry() -> CodecRegistry:
    """A fresh registry with the built-in codecs in preference order (PCMA, PCMU, G722, opus).

    PCMA first: Centrex serves European carriers first, where A-law is the trunk law.
    The wiring (server.py) calls this once and passes the registry to the media engine.
    G.722 after G.711: in a fresh offer (apps, 3pcc) G.711 stays the first choice, since every
    phone has it and the apps work at 8 kHz anyway; relayed calls keep the phones' own order.
    Opus is registered but not offered (`CodecRegistry.register(offered=False)`): Centrex
    never proposes it; a bridge of two browsers that both chose it relays it untouched, and a
    leg that ended up with it (a browser offering Opus only, a transfer to a phone) is served
    by players, rooms and recorders through its 8 kHz face, and transcoded by the relay.
    """
    registry = CodecRegistry()
    registry.register(PCMA)
    registry.register(PCMU)
    registry.register(G722)
    registry.register(OPUS, offered=False)
    return registry


_G711 = {"PCMU": PCMU, "PCMA": PCMA}
_PCM_FACE: dict[str, Codec] = {"PCMU": PCMU, "PCMA": PCMA, "G722": G722, "OPUS": OPUS}


def _via_pcm(pair: tuple[str, str]) -> bool:
    """Opus with any other built-in codec: decoded to the 8 kHz pcm face and encoded again."""
    return "OPUS" in pair and pair[0] in _PCM_FACE and pair[1] in _PCM_FACE


def can_transcode(source: str, target: str) -> bool:
    """The relay can turn `source` payloads into `target` ones (without building anything)."""
    pair = (source.upper(), target.upper())
    if pair[0] == pair[1]:
        return True
    if transcode_table(*pair) is not None:
        return True
    if _via_pcm(pair):
        return True
    return (pair[0] == "G722" and pair[1] in _G711) or (pair[1] == "G722" and pair[0] in _G711)


def transcoder(
    source: str, target: str, clock: RtpClock | None = None
) -> bytes | Transcoder | None:
    """What the relay applies to `source` payloads for a `target` receiver: a translate table
    (G.711 laws), a fresh stateful `Transcoder` (G.722 <-> G.711, Opus <-> anything, one per
    direction), or None when no conversion exists. Same codec in and out: None too (forward
    untouched). `clock` rescales timestamps when the two RTP clocks differ (Opus: 48 kHz)."""
    pair = (source.upper(), target.upper())
    if pair[0] == pair[1]:
        return None
    table = transcode_table(*pair)
    if table is not None:
        return table
    if _via_pcm(pair):
        return PcmBridge(_PCM_FACE[pair[0]], _PCM_FACE[pair[1]], clock)
    if pair[0] == "G722" and pair[1] in _G711:
        return G711Bridge(_G711[pair[1]], to_g711=True)
    if pair[1] == "G722" and pair[0] in _G711:
        return G711Bridge(_G711[pair[0]], to_g711=False)
    return None


def transcode_table(source: str, target: str) -> bytes | None:
    """`bytes.translate` table that turns a `source` payload into `target`, or None.

    Only byte-to-byte codecs have one (PCMU<->PCMA); for anything else the relay decodes and
    re-encodes. Same codec in and out needs no table: the relay forwards untouched.
    """
    pair = (source.upper(), target.upper())
    if pair == ("PCMU", "PCMA"):
        return ULAW_TO_ALAW
    if pair == ("PCMA", "PCMU"):
        return ALAW_TO_ULAW
    return None
