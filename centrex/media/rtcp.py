"""RTCP packets (RFC 3550 §6): SR, RR, SDES, BYE, APP and compound packets.

Theory of operation
-------------------
Every RTCP packet starts with the same 4-byte header (RFC 3550 §6.4.1): version 2, a padding
bit, a 5-bit count (report blocks, SDES chunks, BYE sources or APP subtype), the packet type
(200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP) and the length in 32-bit words minus one. A UDP
datagram carries a *compound* packet: several RTCP packets back to back (§6.1).

Each packet type is a frozen dataclass with `serialize()`; `parse_compound` splits a datagram and
parses every part, `build_compound` joins them. Unknown packet types (RFC 4585 feedback, XR...)
are kept as `UnknownRtcp` so a relay can forward what it does not understand.

Validity checks follow RFC 3550 §A.2: every packet has version 2, the lengths add up exactly to
the datagram, and only the last packet may carry padding. Deliberate leniency: §A.2 also wants
the first packet to be SR or RR; reduced-size RTCP (RFC 5506) sends lone feedback packets, so that
rule is not enforced (see the test fixture `test_compound_may_start_with_sdes`).

Time stays an argument: the NTP helpers convert a given wall-clock reading, they never read one.
Anything malformed raises `RtcpParseError` (a `ValueError`) and nothing else.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "RTCP_APP",
    "RTCP_BYE",
    "RTCP_RR",
    "RTCP_SDES",
    "RTCP_SR",
    "SDES_CNAME",
    "App",
    "Bye",
    "ReceiverReport",
    "ReportBlock",
    "RtcpPacket",
    "RtcpParseError",
    "Sdes",
    "SdesChunk",
    "SenderReport",
    "UnknownRtcp",
    "build_compound",
    "dlsr_from_seconds",
    "ntp_from_unix",
    "ntp_middle32",
    "parse_compound",
    "round_trip_seconds",
]

RTCP_SR = 200
RTCP_RR = 201
RTCP_SDES = 202
RTCP_BYE = 203
RTCP_APP = 204

SDES_END = 0
SDES_CNAME = 1

# RFC 5905 §6: NTP era 0 starts 1900-01-01; Unix time starts 70 years (17 leap days) later.
NTP_UNIX_OFFSET = 2_208_988_800

_HEADER = struct.Struct("!BBH")
_U32 = struct.Struct("!I")
_SR_INFO = struct.Struct("!IIIIII")  # SSRC, NTP msw, NTP lsw, RTP ts, packets, octets
_BLOCK = struct.Struct("!IIIIII")  # SSRC, fraction<<24|cumulative, ext seq, jitter, LSR, DLSR
_BLOCK_LEN = 24


class RtcpParseError(ValueError):
    """The bytes are not a valid RTCP (compound) packet per RFC 3550 §6.1 and §A.2."""


def _header(count: int, packet_type: int, body_len: int) -> bytes:
    # body_len is a multiple of 4 for all builders below; length field = words - 1 (§6.4.1).
    return _HEADER.pack(0x80 | count, packet_type, body_len // 4)


def _pad4(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


@dataclass(frozen=True, slots=True)
class ReportBlock:
    """RFC 3550 §6.4.1 reception report block about one source.

    `fraction_lost` is the raw 8-bit fixed-point fraction (lost/expected * 256) and
    `cumulative_lost` the signed 24-bit count (it can go negative with duplicates, §6.4.1).
    `lsr` is the middle 32 bits of the last SR's NTP time, `dlsr` the delay since then in
    1/65536 s units; both 0 when no SR has been received.
    """

    ssrc: int
    fraction_lost: int = 0
    cumulative_lost: int = 0
    highest_seq: int = 0
    jitter: int = 0
    lsr: int = 0
    dlsr: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.fraction_lost <= 255:
            raise ValueError("fraction lost is an 8-bit value")
        if not -(1 << 23) <= self.cumulative_lost < (1 << 23):
            raise ValueError("cumulative lost is a signed 24-bit value")
        for value in (self.ssrc, self.highest_seq, self.jitter, self.lsr, self.dlsr):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ValueError("report block words are 32-bit unsigned")

    @property
    def fraction(self) -> float:
        """Fraction lost as a float in 0..1 (value / 256)."""
        return self.fraction_lost / 256.0

    def serialize(self) -> bytes:
        """24 bytes on the wire."""
        lost = (self.fraction_lost << 24) | (self.cumulative_lost & 0xFFFFFF)
        return _BLOCK.pack(self.ssrc, lost, self.highest_seq, self.jitter, self.lsr, self.dlsr)

    @classmethod
    def parse(cls, data: bytes | memoryview, offset: int) -> ReportBlock:
        ssrc, lost, seq, jitter, lsr, dlsr = _BLOCK.unpack_from(data, offset)
        cumulative = lost & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, lost >> 24, cumulative, seq, jitter, lsr, dlsr)


def _parse_blocks(body: memoryview, offset: int, count: int) -> tuple[ReportBlock, ...]:
    if len(body) < offset + count * _BLOCK_LEN:
        raise RtcpParseError("report blocks run past the end of the packet")
    return tuple(ReportBlock.parse(body, offset + i * _BLOCK_LEN) for i in range(count))


@dataclass(frozen=True, slots=True)
class SenderReport:
    """RFC 3550 §6.4.1 SR: sender info plus reception reports; `ntp_timestamp` is 64-bit."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""  # profile-specific extension (§6.4.1), kept opaque

    def __post_init__(self) -> None:
        if not 0 <= self.ntp_timestamp < 1 << 64:
            raise ValueError("NTP timestamp is 64 bits")
        for value in (self.ssrc, self.rtp_timestamp, self.packet_count, self.octet_count):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ValueError("sender info words are 32-bit unsigned")

    def serialize(self) -> bytes:
        if len(self.reports) > 31:
            raise ValueError("at most 31 report blocks per SR")
        body = _SR_INFO.pack(
            self.ssrc,
            self.ntp_timestamp >> 32,
            self.ntp_timestamp & 0xFFFFFFFF,
            self.rtp_timestamp,
            self.packet_count,
            self.octet_count,
        )
        body += b"".join(r.serialize() for r in self.reports) + _pad4(self.extension)
        return _header(len(self.reports), RTCP_SR, len(body)) + body

    @classmethod
    def parse_body(cls, count: int, body: memoryview) -> SenderReport:
        if len(body) < _SR_INFO.size:
            raise RtcpParseError("SR shorter than its sender info")
        ssrc, msw, lsw, rtp_ts, packets, octets = _SR_INFO.unpack_from(body, 0)
        reports = _parse_blocks(body, _SR_INFO.size, count)
        ext = bytes(body[_SR_INFO.size + count * _BLOCK_LEN :])
        return cls(ssrc, (msw << 32) | lsw, rtp_ts, packets, octets, reports, ext)


@dataclass(frozen=True, slots=True)
class ReceiverReport:
    """RFC 3550 §6.4.2 RR: the reporter's SSRC and its reception reports."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    def serialize(self) -> bytes:
        if len(self.reports) > 31:
            raise ValueError("at most 31 report blocks per RR")
        body = _U32.pack(self.ssrc) + b"".join(r.serialize() for r in self.reports)
        body += _pad4(self.extension)
        return _header(len(self.reports), RTCP_RR, len(body)) + body

    @classmethod
    def parse_body(cls, count: int, body: memoryview) -> ReceiverReport:
        if len(body) < 4:
            raise RtcpParseError("RR shorter than its SSRC")
        reports = _parse_blocks(body, 4, count)
        return cls(_U32.unpack_from(body, 0)[0], reports, bytes(body[4 + count * _BLOCK_LEN :]))


@dataclass(frozen=True, slots=True)
class SdesChunk:
    """RFC 3550 §6.5 SDES chunk: one SSRC/CSRC and its items as `(type, value)` pairs."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...] = ()

    @property
    def cname(self) -> str | None:
        """The CNAME item (§6.5.1) decoded as UTF-8, or None."""
        for item_type, value in self.items:
            if item_type == SDES_CNAME:
                return value.decode("utf-8", errors="replace")
        return None

    def serialize(self) -> bytes:
        out = bytearray(_U32.pack(self.ssrc))
        for item_type, value in self.items:
            if not 1 <= item_type <= 255 or len(value) > 255:
                raise ValueError("SDES item type must be 1..255 and value at most 255 bytes")
            out += bytes((item_type, len(value))) + value
        # §6.5: the item list ends with at least one null octet, then pads to a 32-bit boundary.
        out += bytes(4 - len(out) % 4)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class Sdes:
    """RFC 3550 §6.5 source description packet."""

    chunks: tuple[SdesChunk, ...] = ()

    @classmethod
    def with_cname(cls, ssrc: int, cname: str) -> Sdes:
        """The SDES every compound packet must carry (§6.1): one chunk with the CNAME."""
        return cls((SdesChunk(ssrc, ((SDES_CNAME, cname.encode("utf-8")),)),))

    def serialize(self) -> bytes:
        if len(self.chunks) > 31:
            raise ValueError("at most 31 SDES chunks per packet")
        body = b"".join(c.serialize() for c in self.chunks)
        return _header(len(self.chunks), RTCP_SDES, len(body)) + body

    @classmethod
    def parse_body(cls, count: int, body: memoryview) -> Sdes:
        chunks: list[SdesChunk] = []
        pos = 0
        size = len(body)
        for _ in range(count):
            if pos + 4 > size:
                raise RtcpParseError("SDES chunk runs past the end of the packet")
            ssrc = _U32.unpack_from(body, pos)[0]
            pos += 4
            items: list[tuple[int, bytes]] = []
            while True:
                if pos >= size:
                    raise RtcpParseError("SDES item list is not terminated")
                item_type = body[pos]
                if item_type == SDES_END:
                    pos += 1
                    pos += -pos % 4  # skip the null padding to the next word
                    break
                if pos + 2 > size or pos + 2 + body[pos + 1] > size:
                    raise RtcpParseError("SDES item runs past the end of the packet")
                length = body[pos + 1]
                items.append((item_type, bytes(body[pos + 2 : pos + 2 + length])))
                pos += 2 + length
            chunks.append(SdesChunk(ssrc, tuple(items)))
        return cls(tuple(chunks))


@dataclass(frozen=True, slots=True)
class Bye:
    """RFC 3550 §6.6 BYE: sources leaving, with an optional reason."""

    ssrcs: tuple[int, ...] = ()
    reason: str | None = None

    def serialize(self) -> bytes:
        if len(self.ssrcs) > 31:
            raise ValueError("at most 31 sources per BYE")
        body = b"".join(_U32.pack(s) for s in self.ssrcs)
        if self.reason is not None:
            text = self.reason.encode("utf-8")
            if len(text) > 255:
                raise ValueError("BYE reason is at most 255 bytes")
            body += _pad4(bytes((len(text),)) + text)
        return _header(len(self.ssrcs), RTCP_BYE, len(body)) + body

    @classmethod
    def parse_body(cls, count: int, body: memoryview) -> Bye:
        if len(body) < 4 * count:
            raise RtcpParseError("BYE source list runs past the end of the packet")
        ssrcs = struct.unpack_from(f"!{count}I", body, 0)
        reason = None
        pos = 4 * count
        if pos < len(body):
            length = body[pos]
            if pos + 1 + length > len(body):
                raise RtcpParseError("BYE reason runs past the end of the packet")
            reason = bytes(body[pos + 1 : pos + 1 + length]).decode("utf-8", errors="replace")
        return cls(tuple(ssrcs), reason)


@dataclass(frozen=True, slots=True)
class App:
    """RFC 3550 §6.7 APP packet: subtype, SSRC, 4-character name and opaque data."""

    subtype: int
    ssrc: int
    name: bytes
    data: bytes = b""

    def serialize(self) -> bytes:
        if not 0 <= self.subtype <= 31 or len(self.name) != 4 or len(self.data) % 4:
            raise ValueError("APP needs subtype 0..31, a 4-byte name, data in 32-bit words")
        body = _U32.pack(self.ssrc) + self.name + self.data
        return _header(self.subtype, RTCP_APP, len(body)) + body

    @classmethod
    def parse_body(cls, count: int, body: memoryview) -> App:
        if len(body) < 8:
            raise RtcpParseError("APP shorter than SSRC and name")
        return cls(count, _U32.unpack_from(body, 0)[0], bytes(body[4:8]), bytes(body[8:]))


@dataclass(frozen=True, slots=True)
class UnknownRtcp:
    """A packet type this module does not model (RFC 4585 feedback, RFC 3611 XR...), kept whole."""

    packet_type: int
    count: int
    body: bytes

    def serialize(self) -> bytes:
        return _header(self.count, self.packet_type, len(self.body)) + _pad4(self.body)


RtcpPacket = SenderReport | ReceiverReport | Sdes | Bye | App | UnknownRtcp


def parse_compound(data: bytes | bytearray | memoryview) -> tuple[RtcpPacket, ...]:
    """Split and parse a compound RTCP datagram (RFC 3550 §6.1, validity per §A.2). O(n)."""
    view = memoryview(data)
    size = len(view)
    if size < 4:
        raise RtcpParseError("RTCP packet shorter than its 4-byte header")
    packets: list[RtcpPacket] = []
    pos = 0
    while pos < size:
        if size - pos < 4:
            raise RtcpParseError("trailing bytes after the last RTCP packet")
        first, packet_type, words = _HEADER.unpack_from(view, pos)
        if first >> 6 != 2:
            raise RtcpParseError("RTCP version is not 2")
        end = pos + 4 * (words + 1)
        if end > size:
            raise RtcpParseError("RTCP length field runs past the end of the datagram")
        body_end = end
        if first & 0x20:
            # §A.2: only the last packet of a compound may be padded.
            if end != size:
                raise RtcpParseError("padding bit set on a packet that is not the last")
            pad = view[end - 1]
            if pad == 0 or pad > 4 * words:
                raise RtcpParseError("RTCP padding count is invalid")
            body_end = end - pad
        packets.append(_parse_one(first & 0x1F, packet_type, view[pos + 4 : body_end]))
        pos = end
    return tuple(packets)


def _parse_one(count: int, packet_type: int, body: memoryview) -> RtcpPacket:
    if packet_type == RTCP_SR:
        return SenderReport.parse_body(count, body)
    if packet_type == RTCP_RR:
        return ReceiverReport.parse_body(count, body)
    if packet_type == RTCP_SDES:
        return Sdes.parse_body(count, body)
    if packet_type == RTCP_BYE:
        return Bye.parse_body(count, body)
    if packet_type == RTCP_APP:
        return App.parse_body(count, body)
    return UnknownRtcp(packet_type, count, bytes(body))


def build_compound(packets: Iterable[RtcpPacket]) -> bytes:
    """Concatenate packets into one datagram; RFC 3550 §6.1 wants SR/RR first, then SDES."""
    return b"".join(p.serialize() for p in packets)


# --- NTP and round-trip helpers (RFC 3550 §4, §6.4.1) -------------------------------------------


def ntp_from_unix(unix_seconds: float) -> int:
    """64-bit NTP timestamp (32.32 fixed point since 1900) for a Unix time given by the caller."""
    return round((unix_seconds + NTP_UNIX_OFFSET) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def ntp_middle32(ntp: int) -> int:
    """Middle 32 bits of an NTP timestamp: the LSR field of §6.4.1 (16.16 fixed point)."""
    return (ntp >> 16) & 0xFFFFFFFF


def dlsr_from_seconds(seconds: float) -> int:
    """DLSR field: delay since the last SR in units of 1/65536 s, clamped to 32 bits."""
    return min(max(round(seconds * 65536), 0), 0xFFFFFFFF)


def round_trip_seconds(arrival_ntp: int, lsr: int, dlsr: int) -> float | None:
    """Round-trip time from a report block (§6.4.1 figure: A - LSR - DLSR).

    `arrival_ntp` is the 64-bit NTP time at which the report arrived. Returns None when the
    block carries no LSR (the peer has not heard an SR from us yet).
    """
    if lsr == 0:
        return None
    rtt = (ntp_middle32(arrival_ntp) - lsr - dlsr) & 0xFFFFFFFF
    if rtt & 0x80000000:  # clock skew made it negative: report zero, not 18 hours
        return 0.0
    return rtt / 65536.0
