"""Audio codecs: the `Codec` interface, the registry, G.711 (tables) and G.722 (PyAV glue).

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

__all__ = [
    "ALAW_TO_ULAW",
    "G722",
    "PCMA",
    "PCMU",
    "ULAW_TO_ALAW",
    "Codec",
    "CodecRegistry",
    "G711Bridge",
    "G711Codec",
    "G722Codec",
    "StatefulCodec",
    "Transcoder",
    "UnknownCodecError",
    "alaw_decode",
    "alaw_encode",
    "alaw_to_ulaw",
    "can_transcode",
    "default_registry",
    "transcode_table",
    "transcoder",
    "ulaw_decode",
    "ulaw_encode",
    "ulaw_to_alaw",
]


def default_registry() -> CodecRegistry:
    """A fresh registry with the built-in codecs in preference order (PCMA, PCMU, G722).

    PCMA first: Centrex serves European carriers first, where A-law is the trunk law.
    The wiring (server.py) calls this once and passes the registry to the media engine.
    G.722 last: in a fresh offer (apps, 3pcc) G.711 stays the first choice, since every phone
    has it and the apps work at 8 kHz anyway; relayed calls keep the phones' own order.
    """
    registry = CodecRegistry()
    registry.register(PCMA)
    registry.register(PCMU)
    registry.register(G722)
    return registry


_G711 = {"PCMU": PCMU, "PCMA": PCMA}


def can_transcode(source: str, target: str) -> bool:
    """The relay can turn `source` payloads into `target` ones (without building anything)."""
    pair = (source.upper(), target.upper())
    if pair[0] == pair[1]:
        return True
    if transcode_table(*pair) is not None:
        return True
    return (pair[0] == "G722" and pair[1] in _G711) or (pair[1] == "G722" and pair[0] in _G711)


def transcoder(source: str, target: str) -> bytes | Transcoder | None:
    """What the relay applies to `source` payloads for a `target` receiver: a translate table
    (G.711 laws), a fresh stateful `Transcoder` (G.722 <-> G.711, one per direction), or None
    when no conversion exists. Same codec in and out: None too (forward untouched)."""
    pair = (source.upper(), target.upper())
    table = transcode_table(*pair)
    if table is not None:
        return table
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
