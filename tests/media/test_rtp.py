"""RTP header (RFC 3550 §5.1): byte fixtures, round trips, fast paths, sequence arithmetic."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media import rtp
from centrex.media.rtp import RtpHeaderExtension, RtpPacket, RtpParseError

# V=2, P=0, X=0, CC=0, M=1, PT=0, seq=0x1234, ts=0xDEADBEEF, SSRC=0x01020304, 4 payload bytes.
FIXTURE = bytes.fromhex("8080 1234 deadbeef 01020304 ffffffff".replace(" ", ""))


def test_parse_fixture_fields() -> None:
    p = RtpPacket.parse(FIXTURE)
    assert (p.version, p.payload_type, p.marker) == (2, 0, True)
    assert (p.sequence, p.timestamp, p.ssrc) == (0x1234, 0xDEADBEEF, 0x01020304)
    assert p.payload == b"\xff" * 4
    assert p.csrcs == ()
    assert p.extension is None
    assert p.padding == 0
    assert p.serialize() == FIXTURE


def test_parse_csrcs_extension_and_padding() -> None:
    # V=2 P=1 X=1 CC=2; PT 8; ext profile 0xBEDE with one word; payload "ab"; 2 padding bytes.
    data = (
        bytes([0b10110010, 8])
        + struct.pack("!HII", 7, 160, 99)
        + struct.pack("!II", 11, 22)
        + struct.pack("!HH", 0xBEDE, 1)
        + b"\x10\xaa\x00\x00"
        + b"ab"
        + b"\x00\x02"
    )
    p = RtpPacket.parse(data)
    assert p.csrcs == (11, 22)
    assert p.extension == RtpHeaderExtension(0xBEDE, b"\x10\xaa\x00\x00")
    assert p.payload == b"ab"
    assert p.padding == 2
    assert p.serialize() == data
    assert rtp.payload_offset(data) == 12 + 8 + 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "shorter"),
        (FIXTURE[:11], "shorter"),
        (bytes([0x40]) + FIXTURE[1:], "version"),  # version 1
        (bytes([0x00]) + FIXTURE[1:], "version"),
        (bytes([0x81]) + FIXTURE[1:12], "CSRC"),  # CC=1 but no CSRC
        (bytes([0x90]) + FIXTURE[1:12] + b"\x00\x00", "extension header"),
        (bytes([0x90]) + FIXTURE[1:12] + b"\x00\x00\x00\x05", "extension runs"),
        (bytes([0xA0]) + FIXTURE[1:] + b"\x00", "padding"),  # padding count 0
        (bytes([0xA0]) + FIXTURE[1:12] + b"\x09", "padding"),  # count larger than packet
    ],
)
def test_parse_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtpParseError, match=message):
        RtpPacket.parse(data)


def test_parse_error_is_value_error() -> None:
    assert issubclass(RtpParseError, ValueError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"payload_type": 128},
        {"sequence": 65536},
        {"timestamp": -1},
        {"ssrc": 1 << 32},
        {"csrcs": tuple(range(16))},
        {"padding": 256},
    ],
)
def test_invalid_fields_rejected(kwargs: dict[str, int]) -> None:
    base: dict[str, object] = {"payload_type": 0, "sequence": 0, "timestamp": 0, "ssrc": 0}
    base.update(kwargs)
    with pytest.raises(ValueError, match=r"must|at most"):
        RtpPacket(**base)  # type: ignore[arg-type]


def test_extension_must_be_whole_words() -> None:
    with pytest.raises(ValueError, match="32-bit words"):
        RtpHeaderExtension(1, b"abc")


u32 = st.integers(0, 0xFFFFFFFF)
packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence=st.integers(0, 0xFFFF),
    timestamp=u32,
    ssrc=u32,
    payload=st.binary(max_size=64),
    marker=st.booleans(),
    csrcs=st.lists(u32, max_size=15).map(tuple),
    extension=st.none()
    | st.builds(
        RtpHeaderExtension,
        profile=st.integers(0, 0xFFFF),
        data=st.binary(max_size=16).map(lambda b: b + bytes(-len(b) % 4)),
    ),
    padding=st.integers(0, 255),
)


@given(packets)
def test_round_trip(packet: RtpPacket) -> None:
    wire = packet.serialize()
    assert RtpPacket.parse(wire) == packet
    assert RtpPacket.parse(memoryview(wire)) == packet
    assert rtp.peek(wire) == (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc)


@given(packets)
def test_payload_offset_matches_parse(packet: RtpPacket) -> None:
    wire = packet.serialize()
    offset = rtp.payload_offset(wire)
    assert wire[offset : offset + len(packet.payload)] == packet.payload


@given(st.binary(max_size=80))
def test_parser_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(RtpParseError):
        RtpPacket.parse(data)
    for fn in (rtp.peek, rtp.read_seq, rtp.read_timestamp, rtp.read_ssrc, rtp.payload_offset):
        with contextlib.suppress(RtpParseError):
            fn(data)


def test_fast_readers() -> None:
    view = memoryview(FIXTURE)
    assert rtp.read_seq(view) == 0x1234
    assert rtp.read_timestamp(view) == 0xDEADBEEF
    assert rtp.read_ssrc(view) == 0x01020304
    assert rtp.read_payload_type(bytearray(FIXTURE)) == 0
    assert rtp.peek(FIXTURE) == (0, 0x1234, 0xDEADBEEF, 0x01020304)
    with pytest.raises(RtpParseError):
        rtp.read_seq(b"\x80\x00")


def test_rewrite_header_in_place() -> None:
    buf = bytearray(FIXTURE)
    before = id(buf)
    rtp.rewrite_header(buf, ssrc=0xCAFEBABE, seq_offset=0x10000 - 0x1234 + 5, ts_offset=0x21)
    assert id(buf) == before
    assert len(buf) == len(FIXTURE)
    p = RtpPacket.parse(buf)
    assert (p.ssrc, p.sequence, p.timestamp) == (0xCAFEBABE, 5, (0xDEADBEEF + 0x21) & 0xFFFFFFFF)
    assert p.marker
    assert p.payload == b"\xff" * 4


def test_rewrite_header_negative_offsets_wrap() -> None:
    buf = bytearray(RtpPacket(0, 1, 10, 1).serialize())
    rtp.rewrite_header(buf, 2, -2, -20)
    assert rtp.peek(buf) == (0, 0xFFFF, 0xFFFFFFF6, 2)


def test_rewrite_header_rejects_junk() -> None:
    with pytest.raises(RtpParseError):
        rtp.rewrite_header(bytearray(b"\x00" * 12), 1, 0, 0)
    with pytest.raises(RtpParseError):
        rtp.rewrite_header(bytearray(b"\x80"), 1, 0, 0)


@given(packets, u32, st.integers(-70000, 70000), st.integers(-(1 << 33), 1 << 33))
def test_rewrite_header_property(packet: RtpPacket, ssrc: int, dseq: int, dts: int) -> None:
    buf = bytearray(packet.serialize())
    rtp.rewrite_header(buf, ssrc, dseq, dts)
    got = RtpPacket.parse(buf)
    assert got.ssrc == ssrc
    assert got.sequence == (packet.sequence + dseq) % 65536
    assert got.timestamp == (packet.timestamp + dts) % (1 << 32)
    assert got.payload == packet.payload
    assert got.csrcs == packet.csrcs


def test_set_payload_type_and_marker() -> None:
    buf = bytearray(FIXTURE)
    rtp.set_payload_type(buf, 8)
    assert buf[1] == 0x88  # marker kept
    rtp.set_marker(buf, False)
    assert buf[1] == 0x08
    rtp.set_marker(buf, True)
    assert RtpPacket.parse(buf).marker


def test_is_rtcp() -> None:
    assert rtp.is_rtcp(bytes([0x80, 200, 0, 6]))
    assert not rtp.is_rtcp(FIXTURE)
    assert not rtp.is_rtcp(bytes([0x80, 96]))  # dynamic PT 96 without marker
    assert not rtp.is_rtcp(b"\x80")


@pytest.mark.parametrize(
    ("a", "b", "delta"),
    [(5, 3, 2), (3, 5, -2), (0, 65535, 1), (65535, 0, -1), (100, 100, 0), (32767, 0, 32767)],
)
def test_seq_delta(a: int, b: int, delta: int) -> None:
    assert rtp.seq_delta(a, b) == delta
    assert rtp.seq_newer(a, b) is (delta > 0)


def test_seq_add_and_ts_delta() -> None:
    assert rtp.seq_add(65535, 1) == 0
    assert rtp.seq_add(0, -1) == 65535
    assert rtp.ts_delta(0, 0xFFFFFF60) == 160
    assert rtp.ts_delta(0xFFFFFF60, 0) == -160


@pytest.mark.parametrize(
    ("highest", "seq", "extended"),
    [
        (65535, 0, 65536),  # just across the wrap: next cycle
        (65536 + 2, 65534, 65534),  # late packet from before the wrap: previous cycle
        (3 * 65536 + 100, 101, 3 * 65536 + 101),
        (10, 5, 5),
        (5, 65530, -6),  # older than extended 0
    ],
)
def test_extend_seq(highest: int, seq: int, extended: int) -> None:
    assert rtp.extend_seq(highest, seq) == extended


@given(st.integers(0, 1 << 40), st.integers(-32767, 32767))
def test_extend_seq_property(highest: int, step: int) -> None:
    target = highest + step
    if target >= 0:
        assert rtp.extend_seq(highest, target & 0xFFFF) == target


def pkt(seq: int, ts: int, ssrc: int, marker: bool = False) -> bytearray:
    return bytearray(RtpPacket(0, seq, ts, ssrc, b"\xff" * 160, marker=marker).serialize())


def test_stream_rewriter_first_packet_uses_initials() -> None:
    out = rtp.StreamRewriter(0xAAAA, initial_seq=500, initial_ts=90000)
    buf = pkt(17, 1234, 1)
    assert out.rewrite(buf, arrival=1.0) is True
    p = RtpPacket.parse(buf)
    assert (p.ssrc, p.sequence, p.timestamp, p.marker) == (0xAAAA, 500, 90000, True)
    buf = pkt(18, 1234 + 160, 1)
    assert out.rewrite(buf, arrival=1.02) is False
    p = RtpPacket.parse(buf)
    assert (p.sequence, p.timestamp, p.marker) == (501, 90160, False)


def test_stream_rewriter_source_switch_is_continuous() -> None:
    out = rtp.StreamRewriter(0xBBBB, initial_seq=65534, initial_ts=0xFFFFFF00)
    for i in range(3):  # source A: seq 100.., arrives every 20 ms
        out.rewrite(pkt(100 + i, 5000 + 160 * i, 0xA), arrival=10.0 + 0.02 * i)
    # Source B (music on hold) starts 100 ms after A's last packet, with unrelated numbering.
    buf = pkt(40000, 777, 0xB)
    assert out.rewrite(buf, arrival=10.04 + 0.1) is True
    p = RtpPacket.parse(buf)
    assert p.sequence == (65534 + 3) & 0xFFFF
    assert p.timestamp == (0xFFFFFF00 + 2 * 160 + 800) & 0xFFFFFFFF
    assert p.marker
    assert p.ssrc == 0xBBBB


def test_stream_rewriter_reordered_packet_keeps_order() -> None:
    out = rtp.StreamRewriter(1, initial_seq=10)
    seqs = []
    for s in (1, 2, 4, 3, 5):
        buf = pkt(s, s * 160, 9)
        out.rewrite(buf, arrival=s * 0.02)
        seqs.append(rtp.read_seq(buf))
    assert seqs == [10, 11, 13, 12, 14]
    nxt = pkt(0, 0, 10)
    out.rewrite(nxt, arrival=0.2)
    assert rtp.read_seq(nxt) == 15  # follows the highest sent, not the late one


@given(
    st.lists(
        st.tuples(u32, st.integers(0, 0xFFFF), st.integers(1, 30)),
        min_size=1,
        max_size=5,
        unique_by=lambda s: s[0],
    )
)
def test_stream_rewriter_output_has_no_gaps(sources: list[tuple[int, int, int]]) -> None:
    out = rtp.StreamRewriter(5, initial_seq=65000, initial_ts=7)
    got: list[int] = []
    t = 0.0
    for ssrc, start, count in sources:
        for i in range(count):
            t += 0.02
            buf = pkt((start + i) & 0xFFFF, (start * 160 + i * 160) & 0xFFFFFFFF, ssrc)
            out.rewrite(buf, t)
            got.append(rtp.read_seq(buf))
    assert got == [(65000 + k) & 0xFFFF for k in range(len(got))]


def test_translate_payload_in_place() -> None:
    from centrex.media.codecs import g711, transcode_table

    payload = bytes(range(256))
    buf = bytearray(RtpPacket(0, 1, 2, 3, payload, marker=True, csrcs=(9,), padding=3).serialize())
    table = transcode_table("PCMU", "PCMA")
    assert table is not None
    rtp.translate_payload(buf, table, 8)
    p = RtpPacket.parse(buf)
    assert p.payload == g711.ulaw_to_alaw(payload)
    assert (p.payload_type, p.marker, p.padding, p.csrcs) == (8, True, 3, (9,))


def test_translate_payload_rejects_bad_padding() -> None:
    buf = bytearray(RtpPacket(0, 1, 2, 3, b"ab").serialize())
    buf[0] |= 0x20
    buf[-1] = 40
    with pytest.raises(RtpParseError, match="padding"):
        rtp.translate_payload(buf, bytes(range(256)), 8)


@given(st.integers(0, 127), st.integers(0, 1 << 20), st.integers(0, 1 << 40), u32, st.booleans())
def test_pack_header_matches_full_serializer(
    pt: int, seq: int, ts: int, ssrc: int, marker: bool
) -> None:
    header = rtp.pack_header(pt, seq, ts, ssrc, marker)
    expected = RtpPacket(pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc, marker=marker).serialize()
    assert header == expected
    assert len(header) == rtp.RTP_HEADER_LEN
