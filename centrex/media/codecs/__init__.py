"""Audio codecs: the `Codec` interface, the registry and the built-in G.711 laws.

Adding a codec (G.722 and Opus are next, DESIGN.md §1): write `codecs/g722.py` or
`codecs/opus.py` with a class satisfying `Codec`, and register it in `default_registry()` below.
Nothing else in the engine switches on codec names.
"""

from __future__ import annotations

from centrex.media.codecs.base import Codec, CodecRegistry, UnknownCodecError
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

__all__ = [
    "ALAW_TO_ULAW",
    "PCMA",
    "PCMU",
    "ULAW_TO_ALAW",
    "Codec",
    "CodecRegistry",
    "G711Codec",
    "UnknownCodecError",
    "alaw_decode",
    "alaw_encode",
    "alaw_to_ulaw",
    "default_registry",
    "transcode_table",
    "ulaw_decode",
    "ulaw_encode",
    "ulaw_to_alaw",
]


def default_registry() -> CodecRegistry:
    """A fresh registry with the built-in codecs in preference order (PCMA, PCMU).

    PCMA first: Centrex serves European carriers first, where A-law is the trunk law.
    The wiring (server.py) calls this once and passes the registry to the media engine.
    Place for later codecs: `registry.register(G722)` / `registry.register(Opus())` here.
    """
    registry = CodecRegistry()
    registry.register(PCMA)
    registry.register(PCMU)
    return registry


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
