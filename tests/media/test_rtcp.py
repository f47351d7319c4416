"""RTCP (RFC 3550 §6): byte fixtures for SR/RR/SDES/BYE/APP, compound packets, A.2 validity."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.media import rtcp
from centrex.media.rtcp import (
    App,
    Bye,
    ReceiverReport,
    ReportBlock,
    RtcpParseError,
    Sdes,
    SdesChunk,
    SenderReport,
    UnknownRtcp,
)

BLOCK = ReportBlock(
    ssrc=0x11223344,
    fraction_lost=64,
    cumulative_lost=-3,
    highest_seq=0x0001_0005,
    jitter=42,
    lsr=0xAABBCCDD,
    dlsr=0x00010000,
)
BLOCK_BYTES = bytes.fromhex("1122334440fffffd000100050000002aaabbccdd00010000")


def test_report_block_fixture() -> None:
    assert BLOCK.serialize() == BLOCK_BYTES
    assert ReportBlock.parse(BLOCK_BYTES, 0) == BLOCK
    assert BLOCK.fraction == 0.25


def test_sender_report_fixture() -> None:
    sr = SenderReport(
        ssrc=1,
        ntp_timestamp=0x0102030405060708,
        rtp_timestamp=160,
        packet_count=10,
        octet_count=1600,
        reports=(BLOCK,),
    )
    wire = sr.serialize()
    # V=2, RC=1, PT=200, length = 6 words sender info + 6 words block = 13 words - 1 = 12.
    assert wire[:4] == bytes([0x81, 200, 0, 12])
    assert wire[4:28] == struct.pack("!IIIIII", 1, 0x01020304, 0x05060708, 160, 10, 1600)
    assert wire[28:] == BLOCK_BYTES
    assert rtcp.parse_compound(wire) == (sr,)


def test_receiver_report_empty() -> None:
    wire = ReceiverReport(ssrc=0xDEADBEEF).serialize()
    assert wire == bytes.fromhex("80c90001deadbeef")
    assert rtcp.parse_compound(wire) == (ReceiverReport(0xDEADBEEF),)


def test_sdes_cname_fixture() -> None:
    sdes = Sdes.with_cname(0x01020304, "ab")
    wire = sdes.serialize()
    # SSRC, CNAME(1) len 2 "ab" fills a word exactly, so the null terminator takes a whole word.
    assert wire == bytes.fromhex("81ca0003010203040102616200000000")
    parsed = rtcp.parse_compound(wire)
    assert parsed == (sdes,)
    assert isinstance(parsed[0], Sdes)
    assert parsed[0].chunks[0].cname == "ab"


def test_sdes_short_item_padding() -> None:
    # SSRC, CNAME len 1 "a" (3 bytes) + 1 null = one word.
    assert Sdes.with_cname(7, "a").serialize() == bytes.fromhex("81ca00020000000701016100")


def test_sdes_several_chunks_and_items() -> None:
    sdes = Sdes(
        (
            SdesChunk(1, ((rtcp.SDES_CNAME, b"alice@h"), (2, b"Alice"))),
            SdesChunk(2, ()),
            SdesChunk(3, ((rtcp.SDES_CNAME, b"bob"),)),
        )
    )
    wire = sdes.serialize()
    assert len(wire) % 4 == 0
    assert rtcp.parse_compound(wire) == (sdes,)
    assert sdes.chunks[1].cname is None


def test_bye_with_reason() -> None:
    bye = Bye((5, 6), "hangup")
    wire = bye.serialize()
    assert wire[:4] == bytes([0x82, 203, 0, 4])
    assert wire[12:] == b"\x06hangup\x00"
    assert rtcp.parse_compound(wire) == (bye,)
    assert rtcp.parse_compound(Bye((9,)).serialize()) == (Bye((9,)),)


def test_app_and_unknown_round_trip() -> None:
    app = App(3, 77, b"CTRX", b"\x00\x01\x02\x03")
    fb = UnknownRtcp(205, 1, b"\x00\x00\x00\x01\x00\x00\x00\x02")  # RFC 4585 generic NACK shell
    assert rtcp.parse_compound(rtcp.build_compound([app, fb])) == (app, fb)


def test_compound_sr_sdes_bye() -> None:
    packets = (
        SenderReport(1, rtcp.ntp_from_unix(1_700_000_000.5), 8000, 50, 8000),
        Sdes.with_cname(1, "centrex@node1"),
        Bye((1,), "bye"),
    )
    assert rtcp.parse_compound(rtcp.build_compound(packets)) == packets


def test_compound_may_start_with_sdes() -> None:
    """Leniency (RFC 5506 reduced-size RTCP): no SR/RR first is accepted."""
    wire = Sdes.with_cname(1, "x").serialize()
    assert isinstance(rtcp.parse_compound(wire)[0], Sdes)


def test_padding_on_last_packet() -> None:
    rr = ReceiverReport(1).serialize()
    padded = bytearray(rr + b"\x00\x00\x00\x04")
    padded[0] |= 0x20
    padded[3] = 2  # length now 3 words - 1
    assert rtcp.parse_compound(bytes(padded)) == (ReceiverReport(1),)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80\xc9\x00", "shorter"),
        (bytes.fromhex("40c90001deadbeef"), "version"),
        (bytes.fromhex("80c90002deadbeef"), "length"),
        (bytes.fromhex("80c90001deadbeef00"), "trailing"),
        (bytes.fromhex("81c90001deadbeef"), "report blocks"),
        (bytes.fromhex("80c80001deadbeef"), "sender info"),
        (bytes.fromhex("a0c90001deadbeef") + bytes.fromhex("80c90001deadbeef"), "not the last"),
        (bytes.fromhex("a0c90001deadbe00"), "padding"),
        (bytes.fromhex("81ca000101020304"), "not terminated"),
        (bytes.fromhex("81ca00020102030401050000"), "item runs"),
        (bytes.fromhex("82cb000100000001"), "BYE source"),
        (bytes.fromhex("80cc000100000001"), "APP"),
    ],
)
def test_parse_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtcpParseError, match=message):
        rtcp.parse_compound(data)


def test_bye_reason_past_end() -> None:
    data = bytes.fromhex("81cb00020000000109616263")
    with pytest.raises(RtcpParseError, match="reason"):
        rtcp.parse_compound(data)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ReportBlock(1, fraction_lost=256),
        lambda: ReportBlock(1, cumulative_lost=1 << 23),
        lambda: ReportBlock(1, jitter=-1),
    ],
)
def test_invalid_report_block(make: object) -> None:
    with pytest.raises(ValueError, match="bit"):
        make()  # type: ignore[operator]


def test_ntp_helpers() -> None:
    ntp = rtcp.ntp_from_unix(0.5)
    assert ntp >> 32 == rtcp.NTP_UNIX_OFFSET
    assert ntp & 0xFFFFFFFF == 1 << 31
    assert rtcp.ntp_middle32(0x0102030405060708) == 0x03040506
    assert rtcp.dlsr_from_seconds(1.5) == 0x18000
    assert rtcp.dlsr_from_seconds(-1) == 0


def test_round_trip_time() -> None:
    # SR sent at t=100.0; the peer held it 0.25 s; the RR arrives at t=100.75: RTT 0.5 s.
    lsr = rtcp.ntp_middle32(rtcp.ntp_from_unix(100.0))
    dlsr = rtcp.dlsr_from_seconds(0.25)
    rtt = rtcp.round_trip_seconds(rtcp.ntp_from_unix(100.75), lsr, dlsr)
    assert rtt == pytest.approx(0.5, abs=1e-4)
    assert rtcp.round_trip_seconds(rtcp.ntp_from_unix(100.75), 0, 0) is None
    assert rtcp.round_trip_seconds(rtcp.ntp_from_unix(100.0), lsr, dlsr) == 0.0


u32 = st.integers(0, 0xFFFFFFFF)
blocks = st.builds(
    ReportBlock,
    ssrc=u32,
    fraction_lost=st.integers(0, 255),
    cumulative_lost=st.integers(-(1 << 23), (1 << 23) - 1),
    highest_seq=u32,
    jitter=u32,
    lsr=u32,
    dlsr=u32,
)
words = st.binary(max_size=12).map(lambda b: b + bytes(-len(b) % 4))
packet_strategy = st.one_of(
    st.builds(
        SenderReport,
        ssrc=u32,
        ntp_timestamp=st.integers(0, (1 << 64) - 1),
        rtp_timestamp=u32,
        packet_count=u32,
        octet_count=u32,
        reports=st.lists(blocks, max_size=3).map(tuple),
        extension=words,
    ),
    st.builds(
        ReceiverReport, ssrc=u32, reports=st.lists(blocks, max_size=3).map(tuple), extension=words
    ),
    st.builds(
        Sdes,
        chunks=st.lists(
            st.builds(
                SdesChunk,
                ssrc=u32,
                items=st.lists(
                    st.tuples(st.integers(1, 255), st.binary(max_size=20)), max_size=3
                ).map(tuple),
            ),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        Bye,
        ssrcs=st.lists(u32, max_size=4).map(tuple),
        reason=st.none() | st.text(max_size=20).filter(lambda t: len(t.encode()) < 255),
    ),
    st.builds(
        App,
        subtype=st.integers(0, 31),
        ssrc=u32,
        name=st.binary(min_size=4, max_size=4),
        data=words,
    ),
    st.builds(UnknownRtcp, packet_type=st.integers(205, 223), count=st.integers(0, 31), body=words),
)


@given(st.lists(packet_strategy, min_size=1, max_size=4))
def test_compound_round_trip(packets: list[rtcp.RtcpPacket]) -> None:
    assert rtcp.parse_compound(rtcp.build_compound(packets)) == tuple(packets)


@given(st.binary(max_size=120))
def test_parser_raises_only_its_own_error(data: bytes) -> None:
    with contextlib.suppress(RtcpParseError):
        rtcp.parse_compound(data)


@given(st.lists(packet_strategy, min_size=1, max_size=3), st.data())
def test_truncated_compound_raises_parse_error(
    packets: list[rtcp.RtcpPacket], data: st.DataObject
) -> None:
    wire = rtcp.build_compound(packets)
    cut = data.draw(st.integers(1, len(wire) - 1))
    with contextlib.suppress(RtcpParseError):
        rtcp.parse_compound(wire[:cut])


def test_invalid_sender_info() -> None:
    with pytest.raises(ValueError, match="64 bits"):
        SenderReport(1, 1 << 64, 0, 0, 0)
    with pytest.raises(ValueError, match="32-bit"):
        SenderReport(1, 0, 1 << 32, 0, 0)
