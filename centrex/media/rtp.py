"""RTP fixed header (RFC 3550 §5.1): a full parse/serialize pair plus lean relay fast paths.

Theory of operation
-------------------
Two kinds of callers use this module:

* Slow path (recorder, player, tests, anything that needs every field): `RtpPacket.parse` and
  `RtpPacket.serialize`, a faithful round-trip of version, padding, extension, CSRC count,
  marker, payload type, sequence number, timestamp, SSRC, CSRC list, header extension
  (RFC 3550 §5.3.1) and payload.
* Fast path (the relay and the player, DESIGN.md habit 11): `pack_header`, `peek`, `read_seq`,
  `read_timestamp`, `read_ssrc`, `read_payload_type`, `payload_offset`, `rewrite_header`,
  `translate_payload` (G.711 law conversion in place) and `StreamRewriter` (which keeps an
  outgoing stream continuous across source switches). They work on fixed offsets with
  precompiled `struct.Struct` objects straight on a `bytes`, `bytearray` or `memoryview`,
  allocate nothing but the returned ints (or the rewritten payload slice), format no strings and
  log nothing. All are O(1) except `translate_payload`, which is O(payload) in C.

Sequence numbers are 16 bits and wrap; `seq_delta`, `seq_newer`, `seq_add` and `extend_seq` do the
modular arithmetic of RFC 3550 §A.1 so that callers never compare raw sequence numbers with `<`.
Timestamps wrap at 2**32 and get the same treatment through `ts_delta`.

Errors: anything that is not a well-formed RTP version-2 header raises `RtpParseError`, a
`ValueError`, and nothing else (a Hypothesis property checks this), so a relay can catch exactly
one exception type for junk from the network.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "RTP_HEADER_LEN",
    "RTP_VERSION",
    "RtpHeaderExtension",
    "RtpPacket",
    "RtpParseError",
    "StreamRewriter",
    "extend_seq",
    "is_rtcp",
    "pack_header",
    "payload_offset",
    "peek",
    "read_payload_type",
    "read_seq",
    "read_ssrc",
    "read_timestamp",
    "rewrite_header",
    "seq_add",
    "seq_delta",
    "seq_newer",
    "set_marker",
    "set_payload_type",
    "translate_payload",
    "ts_delta",
]

RTP_VERSION = 2
RTP_HEADER_LEN = 12
SEQ_MOD = 1 << 16
TS_MOD = 1 << 32
_SEQ_HALF = 1 << 15
_TS_HALF = 1 << 31

# "!BBHII": byte0 (V,P,X,CC), byte1 (M,PT), seq, timestamp, SSRC.
_FIXED = struct.Struct("!BBHII")
# seq + timestamp + SSRC as one unit, starting at offset 2: the relay rewrite target.
_SEQ_TS_SSRC = struct.Struct("!HII")
_SEQ_TS = struct.Struct("!HI")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_EXT_HEAD = struct.Struct("!HH")


class RtpParseError(ValueError):
    """The bytes are not an RTP version-2 packet (too short, wrong version, lengths overflow)."""


@dataclass(frozen=True, slots=True)
class RtpHeaderExtension:
    """RFC 3550 §5.3.1 header extension: a 16-bit profile word and data in 32-bit words.

    `data` excludes the 4-byte extension header; its length must be a multiple of 4. RFC 8285
    one-byte/two-byte element parsing belongs to a later module; here the block stays opaque.
    """

    profile: int
    data: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.profile <= 0xFFFF:
            raise ValueError("extension profile must fit in 16 bits")
        if len(self.data) % 4 or len(self.data) > 0xFFFF * 4:
            raise ValueError("extension data must be whole 32-bit words (at most 65535)")


@dataclass(frozen=True, slots=True)
class RtpPacket:
    """One RTP packet, every field of RFC 3550 §5.1.

    `padding` is the number of padding octets (RFC 3550 §5.1 "P"): 0 means the P bit is clear.
    When serialized, padding octets are zeros followed by the count in the last octet, as the RFC
    prescribes; on parse, their content is not checked (only the count is used).
    """

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension: RtpHeaderExtension | None = None
    padding: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type <= 127:
            raise ValueError("payload type must be 0..127")
        if not 0 <= self.sequence < SEQ_MOD:
            raise ValueError("sequence number must be 0..65535")
        if not 0 <= self.timestamp < TS_MOD:
            raise ValueError("timestamp must fit in 32 bits")
        if not 0 <= self.ssrc < TS_MOD:
            raise ValueError("SSRC must fit in 32 bits")
        if len(self.csrcs) > 15 or any(not 0 <= c < TS_MOD for c in self.csrcs):
            raise ValueError("at most 15 CSRCs of 32 bits each (RFC 3550 §5.1 CC)")
        if not 0 <= self.padding <= 255:
            raise ValueError("padding count must be 0..255")

    @property
    def version(self) -> int:
        """Always 2: other versions are rejected by the parser."""
        return RTP_VERSION

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> RtpPacket:
        """Parse every field; O(n) in the packet length (one copy of the payload).

        Raises `RtpParseError` for anything that is not well-formed RFC 3550 §5.1.
        """
        size = len(data)
        if size < RTP_HEADER_LEN:
            raise RtpParseError("RTP packet shorter than the 12-byte fixed header")
        b0, b1, seq, ts, ssrc = _FIXED.unpack_from(data, 0)
        if b0 >> 6 != RTP_VERSION:
            raise RtpParseError("RTP version is not 2")
        cc = b0 & 0x0F
        offset = RTP_HEADER_LEN + 4 * cc
        if size < offset:
            raise RtpParseError("RTP CSRC list runs past the end of the packet")
        csrcs = struct.unpack_from(f"!{cc}I", data, RTP_HEADER_LEN) if cc else ()
        extension = None
        if b0 & 0x10:
            if size < offset + 4:
                raise RtpParseError("RTP extension header runs past the end of the packet")
            profile, words = _EXT_HEAD.unpack_from(data, offset)
            offset += 4
            end = offset + 4 * words
            if size < end:
                raise RtpParseError("RTP extension runs past the end of the packet")
            extension = RtpHeaderExtension(profile, bytes(data[offset:end]))
            offset = end
        end = size
        padding = 0
        if b0 & 0x20:
            # RFC 3550 §5.1: the last octet counts the padding octets, itself included.
            padding = data[size - 1]
            if padding == 0 or offset + padding > size:
                raise RtpParseError("RTP padding count is zero or larger than the payload")
            end = size - padding
        return cls(
            payload_type=b1 & 0x7F,
            sequence=seq,
            timestamp=ts,
            ssrc=ssrc,
            payload=bytes(data[offset:end]),
            marker=bool(b1 & 0x80),
            csrcs=tuple(csrcs),
            extension=extension,
            padding=padding,
        )

    def serialize(self) -> bytes:
        """Bytes on the wire; `parse(serialize(p)) == p` for every valid packet."""
        b0 = (RTP_VERSION << 6) | len(self.csrcs)
        if self.padding:
            b0 |= 0x20
        if self.extension is not None:
            b0 |= 0x10
        b1 = (0x80 if self.marker else 0) | self.payload_type
        parts = [_FIXED.pack(b0, b1, self.sequence, self.timestamp, self.ssrc)]
        if self.csrcs:
            parts.append(struct.pack(f"!{len(self.csrcs)}I", *self.csrcs))
        if self.extension is not None:
            ext = self.extension
            parts.append(_EXT_HEAD.pack(ext.profile, len(ext.data) // 4))
            parts.append(ext.data)
        parts.append(self.payload)
        if self.padding:
            parts.append(bytes(self.padding - 1) + bytes((self.padding,)))
        return b"".join(parts)


# --- fast paths for the relay ------------------------------------------------------------------


def pack_header(
    payload_type: int, sequence: int, timestamp: int, ssrc: int, marker: bool = False
) -> bytes:
    """The 12-byte fixed header with no CSRC/extension/padding: what the player and the ticker
    prepend to generated audio 50 times a second per stream. O(1), one `struct.pack`.

    Values are masked to their field widths (a caller's counters may run past 16/32 bits).
    """
    return _FIXED.pack(
        0x80,
        (0x80 if marker else 0) | (payload_type & 0x7F),
        sequence & 0xFFFF,
        timestamp & 0xFFFFFFFF,
        ssrc & 0xFFFFFFFF,
    )


def _check(buf: bytes | bytearray | memoryview) -> None:
    if len(buf) < RTP_HEADER_LEN or buf[0] >> 6 != RTP_VERSION:
        raise RtpParseError("not an RTP version-2 header")


def peek(buf: bytes | bytearray | memoryview) -> tuple[int, int, int, int]:
    """Return `(payload_type, sequence, timestamp, ssrc)` with one struct unpack. O(1).

    The relay needs exactly these four fields to latch, account and forward a packet.
    """
    _check(buf)
    _b0, b1, seq, ts, ssrc = _FIXED.unpack_from(buf, 0)
    return b1 & 0x7F, seq, ts, ssrc


def read_seq(buf: bytes | bytearray | memoryview) -> int:
    """Sequence number (RFC 3550 §5.1, octets 2-3). O(1)."""
    _check(buf)
    value: int = _U16.unpack_from(buf, 2)[0]
    return value


def read_timestamp(buf: bytes | bytearray | memoryview) -> int:
    """RTP timestamp (octets 4-7). O(1)."""
    _check(buf)
    value: int = _U32.unpack_from(buf, 4)[0]
    return value


def read_ssrc(buf: bytes | bytearray | memoryview) -> int:
    """SSRC (octets 8-11). O(1)."""
    _check(buf)
    value: int = _U32.unpack_from(buf, 8)[0]
    return value


def read_payload_type(buf: bytes | bytearray | memoryview) -> int:
    """Payload type, marker bit masked off (octet 1). O(1)."""
    _check(buf)
    return buf[1] & 0x7F


def is_rtcp(buf: bytes | bytearray | memoryview) -> bool:
    """RFC 5761 §4: tell RTCP from RTP on a muxed port by octet 1 (RTCP PT 192..223).

    RTP payload types 64..95 with the marker bit set would collide; RFC 5761 forbids them when
    multiplexing, so the test is exact for compliant peers.
    """
    return len(buf) >= 2 and 192 <= buf[1] <= 223


def payload_offset(buf: bytes | bytearray | memoryview) -> int:
    """Offset of the payload: 12 + 4*CC, plus the header extension if X is set. O(1).

    Padding is not subtracted here; use `RtpPacket.parse` when padding matters (it is rare in
    audio and the relay forwards it untouched).
    """
    _check(buf)
    b0 = buf[0]
    offset = RTP_HEADER_LEN + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        if len(buf) < offset + 4:
            raise RtpParseError("RTP extension header runs past the end of the packet")
        offset += 4 + 4 * _U16.unpack_from(buf, offset + 2)[0]
    if offset > len(buf):
        raise RtpParseError("RTP header runs past the end of the packet")
    return offset


def rewrite_header(buf: bytearray, ssrc: int, seq_offset: int, ts_offset: int) -> None:
    """Rewrite SSRC, sequence and timestamp in place for a relay leg. O(1), no allocation.

    The relay gives each outgoing leg its own SSRC and shifts seq/timestamp by fixed offsets so
    that a source switch (re-INVITE, music on hold, transfer) looks like one continuous stream to
    the receiver (RFC 3550 §8.2 / RFC 7667 §3.2.1.1 "translator"). Offsets may be negative; the
    arithmetic wraps modulo 2**16 and 2**32.
    """
    if len(buf) < RTP_HEADER_LEN or buf[0] >> 6 != RTP_VERSION:
        raise RtpParseError("not an RTP version-2 header")
    seq, ts = _SEQ_TS.unpack_from(buf, 2)
    _SEQ_TS_SSRC.pack_into(
        buf, 2, (seq + seq_offset) & 0xFFFF, (ts + ts_offset) & 0xFFFFFFFF, ssrc & 0xFFFFFFFF
    )


def set_payload_type(buf: bytearray, payload_type: int) -> None:
    """Change the payload type in place, keeping the marker bit (used after transcoding). O(1)."""
    _check(buf)
    buf[1] = (buf[1] & 0x80) | (payload_type & 0x7F)


def translate_payload(buf: bytearray, table: bytes, payload_type: int) -> None:
    """Transcode a byte-per-sample payload in place and relabel the payload type. O(n) in C.

    With `centrex.media.codecs.transcode_table("PCMU", "PCMA")` this turns a PCMU packet into a
    PCMA one without decoding (DESIGN.md habit 11). Padding octets (RFC 3550 §5.1 P bit) are left
    alone, so the padding count in the last octet survives.
    """
    start = payload_offset(buf)
    end = len(buf)
    if buf[0] & 0x20:
        end -= buf[end - 1]
        if end < start:
            raise RtpParseError("RTP padding count is larger than the payload")
    buf[start:end] = buf[start:end].translate(table)
    buf[1] = (buf[1] & 0x80) | (payload_type & 0x7F)


def set_marker(buf: bytearray, marker: bool) -> None:
    """Set or clear the marker bit in place (RFC 3551 §4.1: first packet after silence). O(1)."""
    _check(buf)
    buf[1] = (buf[1] & 0x7F) | (0x80 if marker else 0)


class StreamRewriter:
    """One outgoing RTP stream that stays continuous while its input source changes.

    A B2BUA relay sends each leg a single SSRC with a sequence and timestamp that never jump,
    even when what it forwards switches source (the other party's phone, then music on hold, then
    a transferred party): RFC 7667 §3.2.1.1 translator behaviour, RFC 3550 §8.2 SSRC handling.
    On each new input SSRC the offsets are chosen so that the next packet follows the last one
    sent: sequence + 1, timestamp advanced by the arrival gap in clock units; the marker bit is
    set on that packet so the receiver's jitter buffer resynchronises (RFC 3551 §4.1).

    `rewrite` is O(1): one `peek`, one `rewrite_header`, a few integer operations. Pass random
    `initial_seq`/`initial_ts` (RFC 3550 §5.1) from the caller; this module draws no randomness.
    """

    __slots__ = (
        "_in_ssrc",
        "_last_arrival",
        "_last_seq",
        "_last_ts",
        "_seq_offset",
        "_ts_offset",
        "clock_rate",
        "ssrc",
    )

    def __init__(
        self, ssrc: int, clock_rate: int = 8000, initial_seq: int = 0, initial_ts: int = 0
    ) -> None:
        self.ssrc = ssrc & 0xFFFFFFFF
        self.clock_rate = clock_rate
        self._in_ssrc: int | None = None
        self._seq_offset = 0
        self._ts_offset = 0
        # The "previous packet" of the first source: the first packet gets exactly the initials.
        self._last_seq = (initial_seq - 1) & 0xFFFF
        self._last_ts = initial_ts & 0xFFFFFFFF
        self._last_arrival: float | None = None

    def rewrite(self, buf: bytearray, arrival: float) -> bool:
        """Rewrite `buf` in place for the outgoing stream; True when the input source changed.

        `arrival` is the receive time in seconds (caller's clock), used only on a source switch.
        Raises `RtpParseError` for a buffer that is not RTP.
        """
        _pt, seq, ts, in_ssrc = peek(buf)
        switched = in_ssrc != self._in_ssrc
        if switched:
            gap = 0
            if self._last_arrival is not None:
                gap = max(1, round((arrival - self._last_arrival) * self.clock_rate))
            self._seq_offset = self._last_seq + 1 - seq
            self._ts_offset = self._last_ts + gap - ts
            self._in_ssrc = in_ssrc
            buf[1] |= 0x80
        out_seq = (seq + self._seq_offset) & 0xFFFF
        _SEQ_TS_SSRC.pack_into(buf, 2, out_seq, (ts + self._ts_offset) & 0xFFFFFFFF, self.ssrc)
        if switched or ((out_seq - self._last_seq) & 0xFFFF) < _SEQ_HALF:
            self._last_seq = out_seq
            self._last_ts = (ts + self._ts_offset) & 0xFFFFFFFF
            self._last_arrival = arrival
        return switched


# --- modular arithmetic (RFC 3550 §A.1) ---------------------------------------------------------


def seq_add(seq: int, n: int) -> int:
    """`seq + n` modulo 2**16."""
    return (seq + n) & 0xFFFF


def seq_delta(a: int, b: int) -> int:
    """Signed distance `a - b` in the 16-bit sequence space, in -32768..32767.

    A positive result means `a` is newer than `b` (it came after, allowing for wraparound).
    """
    return ((a - b + _SEQ_HALF) & 0xFFFF) - _SEQ_HALF


def seq_newer(a: int, b: int) -> bool:
    """True when `a` comes strictly after `b` in sequence order (serial number arithmetic)."""
    return seq_delta(a, b) > 0


def ts_delta(a: int, b: int) -> int:
    """Signed distance `a - b` between two 32-bit RTP timestamps."""
    return ((a - b + _TS_HALF) & 0xFFFFFFFF) - _TS_HALF


def extend_seq(highest_extended: int, seq: int) -> int:
    """Extend a 16-bit `seq` to the cycle count of RFC 3550 §A.1 given the highest seen so far.

    The result is the extended value closest to `highest_extended`: a packet just across the wrap
    gets the next cycle, a late packet from before the wrap keeps the previous one. A packet
    older than extended sequence 0 gets a negative value, which callers treat as "too old".
    """
    candidate = (highest_extended & ~0xFFFF) | seq
    delta = candidate - highest_extended
    if delta > _SEQ_HALF:
        candidate -= SEQ_MOD
    elif delta < -_SEQ_HALF:
        candidate += SEQ_MOD
    return candidate
