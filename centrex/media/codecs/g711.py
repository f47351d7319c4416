"""ITU-T G.711 µ-law (PCMU, PT 0) and A-law (PCMA, PT 8) with precomputed tables.

Why tables: G.711 maps each 16-bit sample to one byte and back, so the whole codec is four
lookups: a 65536-entry encode table per law, a 256-entry decode table per law, and two 256-entry
µ-law<->A-law translation tables that let the relay transcode a payload with one C-level
`bytes.translate` call, without going through linear PCM (DESIGN.md habit 11).

The segment arithmetic follows the ITU-T G.711 reference (the classic Sun `g711.c`): µ-law on the
14 most significant bits with bias 33, A-law on the 13 most significant bits with even-bit
inversion (XOR 0x55). The stdlib `audioop` is deprecated (PEP 594) and is not used.

The translation tables are defined as decode-then-encode, so transcoding through them is exactly
what a decode + encode would give (tested byte for byte). Complexity: encode and decode are O(n)
in the payload with no Python-level arithmetic per sample; translation is O(n) in C.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ALAW_TO_ULAW",
    "PCMA",
    "PCMU",
    "ULAW_TO_ALAW",
    "G711Codec",
    "alaw_decode",
    "alaw_encode",
    "alaw_to_linear",
    "alaw_to_ulaw",
    "linear_to_alaw",
    "linear_to_ulaw",
    "ulaw_decode",
    "ulaw_encode",
    "ulaw_to_alaw",
    "ulaw_to_linear",
]

_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)
_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for seg, end in enumerate(ends):
        if value <= end:
            return seg
    return len(ends)


def linear_to_ulaw(sample: int) -> int:
    """One signed 16-bit sample -> µ-law byte (G.711 §3, Sun reference `linear2ulaw`)."""
    value = sample >> 2
    if value < 0:
        value = -value
        mask = 0x7F
    else:
        mask = 0xFF
    value = min(value, _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = _segment(value, _SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((value >> (seg + 1)) & 0x0F)) ^ mask


def ulaw_to_linear(code: int) -> int:
    """µ-law byte -> signed 16-bit sample (G.711 Table 2 decision values, reconstructed)."""
    code = ~code & 0xFF
    t = (((code & 0x0F) << 3) + _ULAW_BIAS) << ((code & 0x70) >> 4)
    return _ULAW_BIAS - t if code & 0x80 else t - _ULAW_BIAS


def linear_to_alaw(sample: int) -> int:
    """One signed 16-bit sample -> A-law byte (G.711 §2, Sun reference `linear2alaw`)."""
    value = sample >> 3
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    seg = _segment(value, _SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    code = seg << 4
    code |= (value >> 1) & 0x0F if seg < 2 else (value >> seg) & 0x0F
    return code ^ mask


def alaw_to_linear(code: int) -> int:
    """A-law byte -> signed 16-bit sample (G.711 Table 1, reconstructed)."""
    code ^= 0x55
    t = (code & 0x0F) << 4
    seg = (code & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if code & 0x80 else -t


def _expand(small: bytes, step: int) -> bytearray:
    out = bytearray(len(small) * step)
    for j in range(step):
        out[j::step] = small
    return out


def _encode_table(func: Callable[[int], int], shift: int) -> bytes:
    """65536-entry table indexed by the *native* uint16 reading of two little-endian bytes.

    The laws look only at `sample >> shift` (2 for µ-law, 3 for A-law), so the table is built
    from 2**(16 - shift) evaluations and expanded in C: importing costs milliseconds, not the
    quarter second of 65536 Python calls. The hot path is then a memoryview cast plus one lookup
    per sample on any host byte order.
    """
    step = 1 << shift
    positive = bytes(func(v) for v in range(0, 32768, step))
    negative = bytes(func(v) for v in range(-32768, 0, step))
    table = bytes(_expand(positive, step) + _expand(negative, step))  # index = sample & 0xFFFF
    if sys.byteorder == "big":
        table = bytes(table[((n & 0xFF) << 8) | (n >> 8)] for n in range(65536))
    return table


def _decode_halves(decode: Callable[[int], int]) -> tuple[bytes, bytes]:
    low = bytes(decode(c) & 0xFF for c in range(256))
    high = bytes((decode(c) >> 8) & 0xFF for c in range(256))
    return low, high


_ULAW_ENCODE = _encode_table(linear_to_ulaw, 2)
_ALAW_ENCODE = _encode_table(linear_to_alaw, 3)
_ULAW_LOW, _ULAW_HIGH = _decode_halves(ulaw_to_linear)
_ALAW_LOW, _ALAW_HIGH = _decode_halves(alaw_to_linear)

# RTP transcoding tables: exactly encode(decode(x)) in the other law (see module docstring).
ULAW_TO_ALAW = bytes(linear_to_alaw(ulaw_to_linear(c)) for c in range(256))
ALAW_TO_ULAW = bytes(linear_to_ulaw(alaw_to_linear(c)) for c in range(256))


def _encode(pcm: bytes | bytearray | memoryview, table: bytes) -> bytes:
    view = memoryview(pcm)
    if len(view) & 1:
        view = view[:-1]  # a trailing half sample carries no sample
    return bytes(map(table.__getitem__, view.cast("B").cast("H")))


def _decode(payload: bytes | bytearray | memoryview, low: bytes, high: bytes) -> bytes:
    data = bytes(payload)
    out = bytearray(2 * len(data))
    out[0::2] = data.translate(low)
    out[1::2] = data.translate(high)
    return bytes(out)


def ulaw_encode(pcm: bytes | bytearray | memoryview) -> bytes:
    """pcm16 little-endian -> µ-law bytes. O(n), one table lookup per sample."""
    return _encode(pcm, _ULAW_ENCODE)


def alaw_encode(pcm: bytes | bytearray | memoryview) -> bytes:
    """pcm16 little-endian -> A-law bytes. O(n), one table lookup per sample."""
    return _encode(pcm, _ALAW_ENCODE)


def ulaw_decode(payload: bytes | bytearray | memoryview) -> bytes:
    """µ-law bytes -> pcm16 little-endian. O(n) in C (two translates and two slice copies)."""
    return _decode(payload, _ULAW_LOW, _ULAW_HIGH)


def alaw_decode(payload: bytes | bytearray | memoryview) -> bytes:
    """A-law bytes -> pcm16 little-endian. O(n) in C."""
    return _decode(payload, _ALAW_LOW, _ALAW_HIGH)


def ulaw_to_alaw(payload: bytes) -> bytes:
    """Transcode a PCMU payload to PCMA in one `bytes.translate` (relay hot path). O(n) in C."""
    return payload.translate(ULAW_TO_ALAW)


def alaw_to_ulaw(payload: bytes) -> bytes:
    """Transcode a PCMA payload to PCMU in one `bytes.translate`. O(n) in C."""
    return payload.translate(ALAW_TO_ULAW)


@dataclass(frozen=True, slots=True)
class G711Codec:
    """A G.711 law as a `Codec`: stateless, so one instance serves every stream."""

    name: str
    payload_type: int
    law: str  # "u" or "a"
    clock_rate: int = 8000
    sample_rate: int = 8000

    def encode(self, pcm: bytes) -> bytes:
        return ulaw_encode(pcm) if self.law == "u" else alaw_encode(pcm)

    def decode(self, payload: bytes) -> bytes:
        return ulaw_decode(payload) if self.law == "u" else alaw_decode(payload)


# RFC 3551 §6 Table 4: static payload types 0 (PCMU) and 8 (PCMA).
PCMU = G711Codec("PCMU", 0, "u")
PCMA = G711Codec("PCMA", 8, "a")
